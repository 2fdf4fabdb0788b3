"""The TV display's script (records/static/antrian_layar.js) run by Node against a stand-in DOM
and server: it redraws after a call, says it lost the server when polls fail, backs off at
most 5 s, and recovers by itself when the server answers again (a restart)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("node") is None,
                    reason="node is not installed (scripts/system-deps.sh test)")
def test_display_recovers_after_the_server_comes_back():
    result = subprocess.run(["node", str(ROOT / "tests/web/js/display_harness.js"),
                             str(ROOT / "records/static/antrian_layar.js")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


@pytest.mark.skipif(shutil.which("node") is None,
                    reason="node is not installed (scripts/system-deps.sh test)")
@pytest.mark.parametrize("script", ["antrian_layar.js", "antrian_kiosk.js", "lemari.js", "form_draft.js",
                                    "pemohon.js"])
def test_scripts_parse(script):
    assert subprocess.run(["node", "--check", str(ROOT / "records/static" / script)],
                          capture_output=True, timeout=60).returncode == 0


@pytest.mark.skipif(shutil.which("node") is None,
                    reason="node is not installed (scripts/system-deps.sh test)")
@pytest.mark.parametrize(("kept", "speaks"), [("1", True), ("0", False), ("none", False)])
def test_sound_choice_survives_a_power_cut(kept, speaks):
    """The TV reloads with the choice the browser kept: on means the next call is spoken with
    no click; off or never chosen stays silent."""
    import json

    result = subprocess.run(["node", str(ROOT / "tests/web/js/sound_harness.js"),
                             str(ROOT / "records/static/antrian_layar.js"), kept],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["button"] == ("Suara: aktif" if speaks else "Aktifkan suara")
    if speaks:
        assert seen["spoken"] == ["Nomor antrian, B, dua belas. Silakan menuju Loket 1."]
    else:
        assert seen["spoken"] == []


@pytest.mark.skipif(shutil.which("node") is None,
                    reason="node is not installed (scripts/system-deps.sh test)")
def test_applicant_lookup_script_suggests_as_text_and_keeps_the_choice():
    """records/static/pemohon.js: no request under 3 letters, suggestions as text, refusals
    and empty answers said, the chosen resident's panel and id kept, a typed NIK replaces it."""
    result = subprocess.run(["node", str(ROOT / "tests/web/js/pemohon_harness.js"),
                             str(ROOT / "records/static/pemohon.js")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
