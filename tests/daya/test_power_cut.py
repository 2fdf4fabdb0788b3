"""A power cut end to end: NUT's dummy-ups plays OL → OB → OB LB → OL to a real upsd, and a
real `lemari serve` (the installed console script, on a copy of the demo office) watches it.

On battery the TV and the staff pages show the banner and one backup is taken; at low battery
the server shuts down cleanly (exit 0); started again (what systemd's Restart=always does) it
resumes, sees line power and closes the outage, audited.
"""

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from nut_rig import UPS, free_port, nut_fixture, wait_for  # noqa: F401  (the `nut` fixture)
from sqlalchemy import select

from records.app import create_app
from records.daya.models import Padam
from records.daya.nut import UpsUnreachable, read_ups
from records.extensions import db
from records.models import AuditEvent

pytestmark = pytest.mark.slow

SEQUENCE = """ups.status: OL
battery.charge: 100
TIMER 3
ups.status: OB DISCHRG
battery.charge: 60
battery.runtime: 900
TIMER 15
ups.status: OB LB
battery.charge: 8
battery.runtime: 60
TIMER 8
ups.status: OL CHRG
battery.charge: 9
TIMER 3600
"""


def serve(home: Path, rig, port: int) -> subprocess.Popen:
    """The installed `lemari serve`, as systemd starts it, watching the rig's UPS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    env.update(LEMARI_HOME=str(home), LEMARI_LOG_LEVEL="WARNING", LEMARI_UPS_HOST="127.0.0.1",
               LEMARI_UPS_PORT=str(rig.port), LEMARI_UPS_NAME=UPS, LEMARI_UPS_POLL_SECONDS="0.5",
               LEMARI_JOB_WORKERS="1", LEMARI_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    process = subprocess.Popen([str(Path(sys.executable).with_name("lemari")), "serve",
                                "--port", str(port)], cwd=home, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    wait_for(lambda: _get(f"http://127.0.0.1:{port}/health") is not None or process.poll() is not None,
             timeout=120, what="lemari serve to start")
    assert process.poll() is None, process.communicate()
    return process


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.read().decode()
    except OSError:
        return None


def _status(rig) -> str | None:
    try:
        return read_ups("127.0.0.1", rig.port, UPS, timeout=2).status
    except UpsUnreachable:
        return None


def test_a_power_cut_from_line_power_to_low_battery_and_back(nut, demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    rig = nut(SEQUENCE, driver=False)  # upsd answers, the driver is not there yet
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(home, rig, port)
    staff = create_app({"HOME": str(home), "TESTING": True, "WTF_CSRF_ENABLED": False,
                        "LOG_LEVEL": "WARNING", "UPS_HOST": "127.0.0.1", "UPS_PORT": rig.port,
                        "UPS_NAME": UPS, "UPS_POLL_SECONDS": 0.5,
                        "LOGIN_RATE_LIMIT": "1000 per minute"})
    clerk = staff.test_client()
    assert clerk.post("/login/", data={"username": "petugas", "password": "Demo#KotaBangun2026"}
                      ).status_code == 302
    try:
        # no driver: the UPS is not watched, and the server says so without crashing
        with staff.app_context():
            wait_for(lambda: _audited("daya.tidak_terpantau"), what="the unwatched UPS audited")
        rig.start_driver()  # the sequence begins: OL, then the power goes

        tv = wait_for(lambda: _banner(_get(base + "/antrian/layar")), what="the TV banner")
        assert "daya cadangan" in tv
        page = clerk.get("/dokumen/").get_data(as_text=True)
        assert "server berjalan dengan baterai UPS 60%" in page
        assert server.poll() is None  # on battery the office keeps working

        out, err = server.communicate(timeout=120)  # low battery: the server stops by itself
        assert server.returncode == 0, err
        assert "Lemari berhenti dengan rapi: baterai UPS lemah (OB LB)" in out
        assert "clean shutdown done" in err
        with staff.app_context():
            (padam,) = db.session.scalars(select(Padam)).all()
            assert padam.baterai_rendah is not None and padam.selesai is None and padam.dimatikan
            assert padam.cadangan and not padam.cadangan_galat
            assert (Path(padam.cadangan) / "manifest-sha256.txt").is_file()
            db.session.remove()

        wait_for(lambda: _status(rig) == "OL CHRG", what="line power back")
        server = serve(home, rig, port)  # what systemd's Restart=always does
        with staff.app_context():
            padam = wait_for(lambda: _closed(), what="the outage closed")
            assert padam.selesai > padam.baterai_rendah > padam.mulai
            assert padam.detik_baterai >= 15
            assert _actions() == ["daya.tidak_terpantau", "daya.terpantau", "daya.padam",
                                  "daya.cadangan", "daya.baterai_rendah", "daya.pulih"]
        assert "daya cadangan" not in (_get(base + "/antrian/layar") or "daya cadangan")
        assert "baterai UPS" not in clerk.get("/dokumen/").get_data(as_text=True)
        server.terminate()  # systemctl stop: SIGTERM is a clean stop too
        out, err = server.communicate(timeout=60)
        assert server.returncode == 0, err
        assert "Lemari berhenti dengan rapi: SIGTERM" in out
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
        staff.extensions["lemari"].close()
        with staff.app_context():
            db.session.remove()
            db.engine.dispose()


def _banner(html: str | None) -> str | None:
    return html if html and "daya cadangan" in html else None


def _audited(action: str) -> bool:
    found = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == action))
    db.session.remove()
    return found is not None


def _actions() -> list[str]:
    found = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("daya.%")).order_by(AuditEvent.id))]
    db.session.remove()
    return found


def _closed():
    padam = db.session.scalars(select(Padam)).one()
    db.session.expunge(padam)
    db.session.remove()
    return padam if padam.selesai is not None else None
