"""Restoring what must not be restored as is (issue 21, bad input): another office's backup, and
a backup written by a newer Lemari (a newer schema revision, or a newer backup format). Each is
refused with a clear Indonesian message and the office's database is not touched; another
office's backup goes in only when asked for on purpose (--other-office)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
import test_backup_auto
from sqlalchemy import select
from test_backup_auto import PASSPHRASE, _at, _ingest, _run, _set_up

from archive.desk import close_archive_desk
from archive.scan_samples import text_pdf
from conftest import build_app
from records.desk import blob_store
from records.extensions import db, lemari
from records.models import Record
from records.services import backup_targets as bt

pytestmark = pytest.mark.slow
office = test_backup_auto.office  # the fixture: a copy of the demo office

OTHER_PASSPHRASE = "kantor kecamatan tetangga punya kertas sendiri"


def test_another_offices_backup_is_refused_unless_asked_for(office, demo_home, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(900), judul="Surat kantor A")
    usb, _share = _set_up(app, tmp_path, runner)
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0

    other_home = tmp_path / "kantor-b"
    shutil.copytree(demo_home, other_home)
    other = build_app(other_home, JOBS_IMMEDIATE=True)
    try:
        other_runner = other.test_cli_runner()
        assert other_runner.invoke(args=["backup", "passphrase"],
                                   env={"LEMARI_BACKUP_PASSPHRASE": OTHER_PASSPHRASE}).exit_code == 0
        database = (other_home / "lemari.db").read_bytes()
        refused = other_runner.invoke(args=["restore", str(usb), "--yes"],
                                      env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
        assert refused.exit_code == 1 and "milik kantor lain" in refused.output, refused.output
        assert "tidak ada yang dipulihkan" in refused.output
        assert (other_home / "lemari.db").read_bytes() == database
        assert not (other_home / "cadangan" / "pulih").exists()

        taken = other_runner.invoke(args=["restore", str(usb), "--yes", "--other-office"],
                                    env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
        assert taken.exit_code == 0, taken.output
        with other.app_context():
            assert "Surat kantor A" in set(db.session.scalars(select(Record.title)))
    finally:
        close_archive_desk(other)
        other.extensions["lemari"].close()


def test_a_backup_from_a_newer_lemari_is_refused_and_nothing_replaced(office, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(901))
    usb, share = _set_up(app, tmp_path, runner)
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0

    # a newer Lemari wrote this generation: its schema revision is one this version lacks
    with app.app_context():
        settings = lemari().settings
        snapshot = bt.take_snapshot(home / "cadangan" / "kerja-uji", engine=db.engine,
                                    database_url=settings["SQLALCHEMY_DATABASE_URI"], home=home,
                                    checkpoint=None)
        snapshot.revision = "0099_dari_masa_depan"
        bt.write_generation(bt.FolderTarget(path=share), snapshot, blobs=blob_store(settings),
                            key=bt.load_office_key(home), naming_key=bt._naming_key(home),
                            settings=settings, now=_at(dt.date(2026, 12, 2)).replace(tzinfo=None))
        shutil.rmtree(snapshot.folder)
    database = (home / "lemari.db").read_bytes()
    refused = runner.invoke(args=["restore", str(share), "--yes"],
                            env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert refused.exit_code == 1 and "versi Lemari yang lebih baru" in refused.output, refused.output
    assert "0099_dari_masa_depan" in refused.output
    assert (home / "lemari.db").read_bytes() == database

    # a newer backup format (SELESAI.json says so): refused before any key is asked for
    done = usb / "lemari-cadangan" / "generasi" / "20261201T093000Z" / "SELESAI.json"
    document = json.loads(done.read_text())
    done.write_text(json.dumps({**document, "format": bt.FORMAT + 1}))
    newer = runner.invoke(args=["restore", str(usb), "--yes"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert newer.exit_code == 1 and "perbarui Lemari dulu" in newer.output, newer.output
    assert (home / "lemari.db").read_bytes() == database

    # the older generation on the same target still restores, by name
    older = runner.invoke(args=["restore", str(share), "--yes", "--generation", "20261201T093000Z"],
                          env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert older.exit_code == 0, older.output
