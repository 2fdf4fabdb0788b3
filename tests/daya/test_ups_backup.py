"""On battery, the UPS watcher takes the office's real backup (issue 21): NUT's dummy-ups plays
OL → OB to a real upsd, the watcher reads it, and the backup it starts is the encrypted one to
every target (trigger `ups`, in the backup history, a generation on the drive), not a plain
copy; the outage's row says where it went. When no target takes it, the row says why."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from nut_rig import nut_fixture, wait_for  # noqa: F401  (the `nut` fixture)
from sqlalchemy import select

from conftest import build_app
from records.daya import services
from records.daya.models import Padam
from records.daya.watcher import Watcher
from records.extensions import db
from records.models.backup import BackupRun
from records.services import backup_targets as bt
from records.services.clock import frozen

pytestmark = pytest.mark.slow

PASSPHRASE = "lemari besi kantor kota bangun 2026"
ON_BATTERY = """ups.status: OL
battery.charge: 100
TIMER 1
ups.status: OB DISCHRG
battery.charge: 70
TIMER 3600
"""


@pytest.fixture
def office(demo_home, tmp_path, nut):
    rig = nut(ON_BATTERY)
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, UPS_HOST="127.0.0.1", UPS_PORT=rig.port, UPS_NAME="kantor",
                    UPS_POLL_SECONDS=0.2, UPS_BACKUP_WAIT_SECONDS=120)
    yield app, home
    app.extensions["lemari"].close()


def _outage_on_battery(app) -> Padam:
    """Poll the real UPS until the outage opens, then wait for its backup to end."""
    watcher = Watcher(app)
    step = wait_for(lambda: (s := watcher.poll_once()).event == services.PADAM and s, timeout=60,
                    what="the UPS on battery")
    assert step.padam_id is not None
    assert watcher.backup_thread is not None
    watcher.backup_thread.join(120)
    assert not watcher.backup_thread.is_alive()
    with app.app_context():
        padam = db.session.get(Padam, step.padam_id)
        db.session.expunge(padam)
        db.session.remove()
    return padam


def test_on_battery_the_watcher_takes_the_encrypted_backup_to_every_target(office, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    usb = tmp_path / "media-usb"
    usb.mkdir()
    assert runner.invoke(args=["backup", "passphrase"],
                         env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE}).exit_code == 0
    assert runner.invoke(args=["backup", "target", "add", "usb", str(usb)]).exit_code == 0

    with frozen(dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)):
        padam = _outage_on_battery(app)
    assert padam.cadangan.startswith("cadangan terenkripsi: usb 20261201T060000Z"), padam
    assert not padam.cadangan_galat
    with app.app_context():
        run = db.session.scalars(select(BackupRun)).one()
        assert (run.pemicu, run.status, run.target_nama) == ("ups", "berhasil", "usb")
    assert [g.name for g in bt.generations(bt.FolderTarget(path=usb))] == ["20261201T060000Z"]
    assert not (home / "cadangan_daya").exists()  # no plaintext copy was made
    opened = bt.open_generation(bt.FolderTarget(path=usb), tmp_path / "cek", passphrase=PASSPHRASE)
    assert (opened.folder / "database.sqlite").is_file()


def test_on_battery_with_every_target_gone_the_outage_says_why(office, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    usb = tmp_path / "media-usb"
    usb.mkdir()
    (usb / "LEMARI-LABEL").write_text("CADANGAN")
    assert runner.invoke(args=["backup", "passphrase"],
                         env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE}).exit_code == 0
    assert runner.invoke(args=["backup", "target", "add", "usb", str(usb),
                               "--label", "CADANGAN"]).exit_code == 0
    (usb / "LEMARI-LABEL").unlink()  # the drive is not plugged in when the power goes

    padam = _outage_on_battery(app)
    assert not padam.cadangan
    assert "Cadangan saat padam gagal" in padam.cadangan_galat and "tidak terpasang" in padam.cadangan_galat
    with app.app_context():
        run = db.session.scalars(select(BackupRun)).one()
        assert (run.pemicu, run.status) == ("ups", "gagal")
    assert not (home / "cadangan_daya").exists()
