"""`pip install .` (a wheel, not an editable install) is enough to run an office.

Templates, static files, translations, migrations and the PDF templates must travel as package
data: a folder found only next to the source checkout works in development and fails in an
office that installed the wheel. The wheel is installed into a fresh venv whose dependencies come
from the development venv (a .pth file), with no network; every command runs from a folder
outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dependencies(folder: Path) -> Path:
    """The development venv's packages without Lemari itself and the example plugin (both are
    editable installs there, which would shadow the wheel): a folder of links to the rest."""
    folder.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("__editable__", "lemari")):
            (folder / entry.name).symlink_to(entry)
    return folder


def run(*args, cwd, env, timeout=300):
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the `lemari` script of a fresh venv holding only the built wheel, its environment)."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"  # a clean copy: setuptools reuses a stale build/ folder in place
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "instance", "*.egg-info", "test-artifacts", "__pycache__"))
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                "-w", work / "dist", source, cwd=work, env=os.environ)
    assert built.returncode == 0, built.stderr
    wheel = next((work / "dist").glob("lemari-*.whl"))
    venv = work / "venv"
    assert run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work, env=os.environ).returncode == 0
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "dependencies.pth").write_text(str(dependencies(work / "deps")) + "\n")
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LEMARI_", "FLASK_", "PYTHON", "VIRTUAL_ENV"))}
    # install the wheel itself with the development venv's pip, into the new venv's site-packages
    done = run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
               "--target", site, wheel, cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    script = venv / "bin" / "lemari"
    script.write_text(f"#!{python}\nfrom records.console import main\n\n"  # as pip writes it
                      "if __name__ == '__main__':\n    main()\n")
    script.chmod(0o755)
    where = run(python, "-c", "import records; print(records.__file__)", cwd=work, env=env)
    assert where.returncode == 0 and str(site) in where.stdout, where.stdout + where.stderr
    return script, {**env, "LEMARI_HOME": str(work / "kantor"), "LEMARI_LOG_LEVEL": "WARNING"}, work


def test_the_wheel_inits_issues_a_letter_and_serves(installed):
    lemari, env, work = installed
    for args in (("init",), ("demo", "--keep-demo-passwords")):
        done = run(lemari, *args, cwd=work, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(work / "kantor" / "lemari.db") as conn:
        nik = conn.execute("SELECT nik FROM penduduk ORDER BY id LIMIT 1").fetchone()[0]
    issued = run(lemari, "issue", "sk_domisili_penduduk", "--nik", nik, "--field",
                 "keperluan=Uji paket", "--as", "camat", cwd=work, env=env)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    letter = json.loads(issued.stdout)
    assert letter["number"].startswith("400.12.2.1/0001/")
    assert Path(letter["pdf"]).read_bytes().startswith(b"%PDF")
    verified = run(lemari, "verify", letter["pdf"], cwd=work, env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    port = free_port()
    server = subprocess.Popen([str(lemari), "serve", "--port", str(port)], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, page = time.monotonic() + 60, ""
        while time.monotonic() < deadline and not page:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5).read().decode()
            except OSError:
                time.sleep(0.5)
        assert "Masuk" in page or "login" in page.lower()
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/lemari/lemari.css", timeout=5)
        assert css.status == 200
        # each feature package's own page templates travel in the wheel too
        for path in ("/antrian/ambil", "/pengaduan", "/info/", "/lacak"):
            answer = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert answer.status == 200, path
    finally:
        server.terminate()
        server.wait(timeout=30)
