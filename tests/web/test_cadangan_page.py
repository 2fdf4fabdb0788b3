"""The Admin's backup page (issue 21): the passphrase set once with its paper warning, two
targets, "jalankan sekarang", the history in WITA; the Camat reads it and cannot change it; a
clerk does not see it. Every refusal is an Indonesian message, never a 500."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import select

from archive.desk import close_archive_desk
from conftest import build_app
from records.extensions import db
from records.models import AuditEvent
from records.models.backup import BackupRun
from records.services import backup_targets as bt
from records.services.clock import frozen

PHRASE = "lemari besi kantor kota bangun 2026"
PASSWORD = "Demo#KotaBangun2026"


@pytest.fixture
def office(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    yield app, home
    close_archive_desk(app)
    app.extensions["lemari"].close()


def _login(client, username):
    client.get("/logout/")
    answer = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 302 and "/login" not in answer.location


def test_admin_sets_up_backups_once_and_runs_them_from_the_page(office, tmp_path):
    app, home = office
    client = app.test_client()
    _login(client, "admin")
    page = client.get("/cadangan/").get_data(as_text=True)
    assert "Frasa sandi cadangan belum diatur" in page and "di kertas" in page

    unticked = client.post("/cadangan/frasa-sandi", data={"frasa": PHRASE, "ulang": PHRASE},
                           follow_redirects=True)
    assert "Centang dulu" in unticked.get_data(as_text=True)
    short = client.post("/cadangan/frasa-sandi", data={"frasa": "pendek", "ulang": "pendek",
                                                       "sudah_dicatat": "1"}, follow_redirects=True)
    assert short.status_code == 200 and "minimal 12 karakter" in short.get_data(as_text=True)
    assert bt.load_office_key(home) is None
    done = client.post("/cadangan/frasa-sandi", data={"frasa": PHRASE, "ulang": PHRASE,
                                                      "sudah_dicatat": "1"}, follow_redirects=True)
    assert "Frasa sandi cadangan diatur" in done.get_data(as_text=True)
    assert PHRASE not in "".join(p.read_text(errors="replace") for p in home.rglob("*")
                                 if p.is_file() and p.stat().st_size < 2_000_000)

    first, second = tmp_path / "usb", tmp_path / "share"
    first.mkdir()
    second.mkdir()
    for name, folder in (("usb", first), ("share", second)):
        answer = client.post("/cadangan/target", data={"nama": name, "lokasi": str(folder)},
                             follow_redirects=True)
        assert "Target cadangan ditambahkan" in answer.get_data(as_text=True)
    missing = client.post("/cadangan/target", data={"nama": "x", "lokasi": str(tmp_path / "tidak")},
                          follow_redirects=True)
    assert missing.status_code == 200 and "tidak ada" in missing.get_data(as_text=True)

    with frozen(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)):
        client.post("/cadangan/jalankan")
        page = client.get("/cadangan/").get_data(as_text=True)
    assert "01-12-2026 17.30 WITA" in page and page.count("berhasil") >= 2
    with app.app_context():
        runs = list(db.session.scalars(select(BackupRun)))
        assert {r.status for r in runs} == {"berhasil"} and len(runs) == 2
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cadangan.frasa_sandi"))
    assert len(bt.generations(bt.FolderTarget(path=first))) == 1


def test_camat_reads_the_page_and_a_clerk_does_not_see_it(office, tmp_path):
    app, _home = office
    client = app.test_client()
    _login(client, "camat")
    assert client.get("/cadangan/").status_code == 200
    refused = client.post("/cadangan/target", data={"nama": "x", "lokasi": str(tmp_path)})
    assert refused.status_code in (302, 403)
    with app.app_context():
        assert bt.list_targets(db.session) == []
    _login(client, "petugas")
    assert client.get("/cadangan/").status_code in (302, 403)
    assert "Cadangan bermasalah" not in client.get("/").get_data(as_text=True)
