"""Search wired into the app: outbox in the service transaction, drain, scope, doctor, repair.

Runs on the demo office (~485 residents) twice: SQLite with its FTS5 index (the default), and
PostgreSQL with its own full-text search (SEARCH_BACKEND=postgres). Records are created and
issued through the real services; the index follows only through the outbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from flask import current_app
from search_offices import committed_outbox_rows
from sqlalchemy import func, select

from records.extensions import db, lemari
from records.indexing import default_backend, index_dir
from records.models import AuditEvent, Penduduk, Record, SearchOutbox
from records.search_cli import doctor_command, drain_command, reindex_command
from records.services.accounts import actor_for_username
from records.services.issuing import advance
from records.services.records import create_record, new_record
from records.services.searching import clean_request, search_archive

LOLENG, PELA = "64.02.08.2004", "64.02.08.2009"


def actor(username):
    return actor_for_username(username, sm=current_app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def find(text, username="petugas", **filters):
    """Search as username; returns the JSON-ready page."""
    return search_archive(clean_request(text, filters, "relevance", 1), actor=actor(username),
                          session=db.session, engine=lemari().search(),
                          registry=lemari().registry)


def ids(result):
    return {hit["id"] for hit in result["hits"]}


def resident_in(desa_code, min_len=6):
    """A resident of the desa whose first name is long enough for a one-letter typo."""
    people = db.session.scalars(select(Penduduk).where(Penduduk.desa_code == desa_code)
                                .order_by(Penduduk.id))
    return next(p for p in people if len(p.nama.split()[0]) >= min_len)


def issued_record(person, keperluan="Melamar pekerjaan di Samarinda"):
    """A domicile letter for person, taken through the workflow to 'terbit' by the camat."""
    ext = lemari()
    record = create_record("sk_domisili_penduduk", {"keperluan": keperluan}, penduduk_id=person.id,
                           actor=actor("petugas"), session=db.session, registry=ext.registry)
    for name in ("verifikasi", "tandatangani", "terbitkan"):
        advance(record.id, name, actor=actor("camat"), session=db.session,
                registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
    return db.session.get(Record, record.id)


@pytest.fixture
def app(office_app):
    return office_app


def outbox_rows(app) -> int:
    """Outbox rows as another connection sees them (committed only)."""
    return committed_outbox_rows(app)


def typo(name: str) -> str:
    """The name with its third letter replaced: one edit, first letter kept."""
    first = name.split()[0]
    return first[:2] + ("a" if first[2].lower() != "a" else "e") + first[3:]


@pytest.fixture
def home(app):
    return Path(app.config["HOME"])


def test_clerk_finds_issued_letter_by_misspelled_name_nik_and_number(app):
    with app.app_context():
        person = resident_in(LOLENG)
        record = issued_record(person)
        lemari().search().drain()
        assert record.state == "terbit" and record.number
        key = f"record:{record.id}"
        assert key in ids(find(typo(person.nama)))
        assert key in ids(find(person.nik))
        assert key in ids(find(f'nomor:"{record.number}"'))
        assert key in ids(find(record.number))
        by_nik = next(h for h in find(person.nik)["hits"] if h["id"] == key)
        assert by_nik["nik"] == [person.nik] and by_nik["nomor"] == record.number
        assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0


def test_web_requests_drain_the_outbox_themselves(app, client, auth, home):
    with app.app_context():
        lemari().search()  # built now; a first build would apply pending rows too
        person = resident_in(PELA)
        before = outbox_rows(app)
        record = create_record("sk_domisili_penduduk", {"keperluan": "Uji"}, penduduk_id=person.id,
                               actor=actor("petugas"), session=db.session,
                               registry=lemari().registry)
        assert outbox_rows(app) == before + 1
        nik, record_id = person.nik, record.id
    auth.login("petugas")
    assert client.get(f"/cari/?q={nik}").status_code == 200  # reads only: no drain
    assert outbox_rows(app) == before + 1
    assert client.post(f"/dokumen/{record_id}/langkah/verifikasi", data={"note": ""}).status_code == 302
    assert outbox_rows(app) == 0
    assert f"/dokumen/{record_id}" in client.get(f"/cari/?q={nik}").get_data(as_text=True)


def test_revoked_letter_is_marked_and_masked_for_auditor(app):
    with app.app_context():
        person = resident_in(LOLENG)
        record = issued_record(person)
        ext = lemari()
        advance(record.id, "cabut", note="Salah data", actor=actor("camat"), session=db.session,
                registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
        ext.search().drain()
        hit = next(h for h in find(record.number, "auditor")["hits"]
                   if h["id"] == f"record:{record.id}")
        assert hit["revoked"] and hit["status"] == "dicabut"
        assert hit["nik"] == [person.nik[:6] + "●" * 6 + person.nik[12:]]
        assert not any(h["kind"] == "penduduk" for h in find(person.nik, "auditor")["hits"]) or \
            actor("auditor").can("penduduk.read")


def test_operator_desa_never_sees_another_desa(app, client):
    with app.app_context():
        mine, other = resident_in(LOLENG), resident_in(PELA)
        own, foreign = issued_record(mine, "Keperluan bersama"), issued_record(other, "Keperluan bersama")
        lemari().search().drain()
        seen = ids(find("keperluan bersama", "operator_loleng"))
        assert f"record:{own.id}" in seen and f"record:{foreign.id}" not in seen
        assert find(other.nik, "operator_loleng")["total"] == 0
        assert find(foreign.number, "operator_loleng")["total"] == 0
        assert f"record:{foreign.id}" in ids(find("keperluan bersama", "petugas"))
        own_id, foreign_id, other_nik = own.id, foreign.id, other.nik
    token = client.post("/api/v1/security/login", json={
        "username": "operator_loleng", "password": "Demo#KotaBangun2026", "provider": "db"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    body = client.get("/api/v1/cari/?q=keperluan+bersama", headers=headers).json
    assert f"record:{own_id}" in {h["id"] for h in body["hits"]}
    assert f"record:{foreign_id}" not in {h["id"] for h in body["hits"]}
    assert client.get(f"/api/v1/cari/?q={other_nik}", headers=headers).json["total"] == 0
    assert client.get("/api/v1/cari/?q=x").status_code == 401


def test_outbox_row_commits_with_the_change_or_not_at_all(app, home, monkeypatch):
    with app.app_context():
        person, before = resident_in(LOLENG), outbox_rows(app)
        new_record("sk_domisili_penduduk", {"keperluan": "Batal"}, penduduk_id=person.id,
                   actor=actor("petugas"), session=db.session, registry=lemari().registry)
        assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == before + 1
        db.session.rollback()
        assert outbox_rows(app) == before
        records_before = db.session.scalar(select(func.count()).select_from(Record))

        def fail():
            raise RuntimeError("power cut before commit")

        monkeypatch.setattr(db.session, "commit", fail)
        with pytest.raises(RuntimeError):
            create_record("sk_domisili_penduduk", {"keperluan": "Batal"}, penduduk_id=person.id,
                          actor=actor("petugas"), session=db.session, registry=lemari().registry)
        monkeypatch.undo()
        db.session.rollback()
        assert outbox_rows(app) == before
        assert db.session.scalar(select(func.count()).select_from(Record)) == records_before


def test_every_search_is_audited_with_truncated_text(app):
    with app.app_context():
        find("kota " * 100)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "search")
                                  .order_by(AuditEvent.id.desc()))
        assert event.actor == "petugas" and len(event.detail["q"]) <= 200
        assert "total" in event.detail


def test_doctor_passes_after_drain_and_reports_a_wiped_index(app):
    runner = app.test_cli_runner()
    with app.app_context():
        issued_record(resident_in(LOLENG))
        lemari().search().drain()
    result = runner.invoke(doctor_command)
    assert result.exit_code == 0, result.output
    assert "[OK] search.drift" in result.output
    with app.app_context():
        lemari().search().index.clear()
    result = runner.invoke(doctor_command)
    assert result.exit_code == 1
    assert "tidak ada di indeks" in result.output and "lemari reindex" in result.output
    assert runner.invoke(reindex_command).exit_code == 0
    assert runner.invoke(doctor_command).exit_code == 0


def test_doctor_finds_an_index_entry_the_database_lacks(app):
    runner = app.test_cli_runner()
    with app.app_context():
        person = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG))
        lemari().search()  # built now, while the resident still exists
        db.session.delete(person)  # behind the services' back: no outbox row
        db.session.commit()
    result = runner.invoke(doctor_command)
    assert result.exit_code == 1
    assert f"penduduk:{person.id}" in result.output


def test_index_drain_command_applies_pending_rows(app, home):
    with app.app_context():
        lemari().search()
        create_record("sk_domisili_penduduk", {"keperluan": "Antre"}, penduduk_id=resident_in(LOLENG).id,
                      actor=actor("petugas"), session=db.session, registry=lemari().registry)
    result = app.test_cli_runner().invoke(drain_command)
    assert result.exit_code == 0 and "1 dari 1" in result.output
    assert outbox_rows(app) == 0


def damage_index(app) -> None:
    """What an operator (or a bad restore) can do to each backend's index: an index table
    dropped from the database (SQLite FTS5, PostgreSQL), or Whoosh files zeroed."""
    backend = default_backend(app.config)
    if backend in ("postgres", "sqlite"):
        engine = sqlalchemy.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.begin() as conn:
            table = "search_index_doc" if backend == "postgres" else "search_index_fts"
            conn.execute(sqlalchemy.text(f"DROP TABLE {table}"))
        engine.dispose()
        return
    live = index_dir(app.config) / (index_dir(app.config) / "CURRENT").read_text().strip()
    segments = [p for p in live.iterdir() if p.suffix not in (".json", "") and "LOCK" not in p.name]
    assert segments
    for path in segments:
        path.write_bytes(b"\0" * path.stat().st_size)


def test_corrupted_index_is_rebuilt_on_next_start(app, home, caplog):
    from conftest import build_app

    with app.app_context():
        record = issued_record(resident_in(LOLENG))
        lemari().search().drain()
        number = record.number
    app.extensions["lemari"].close()
    damage_index(app)
    restarted = build_app(home, app.config["SQLALCHEMY_DATABASE_URI"]
                          if app.config["SEARCH_BACKEND"] == "postgres" else "",
                          SEARCH_BACKEND=app.config["SEARCH_BACKEND"])
    try:
        with restarted.app_context(), caplog.at_level("WARNING", logger="records.indexing"):
            assert f"record:{record.id}" in ids(find(number))
            assert lemari().search().index.health()["ok"]
        assert any("damaged" in r.getMessage() for r in caplog.records)
    finally:
        restarted.extensions["lemari"].close()


def test_corruption_found_during_use_is_repaired_and_the_query_retried(app):
    from search import IndexCorruptError

    with app.app_context():
        engine = lemari().search()
        real, calls = engine.index.search, []

        def torn_once(query):
            calls.append(query)
            if len(calls) == 1:
                raise IndexCorruptError("torn segment")
            return real(query)

        engine.index.search = torn_once
        assert find(resident_in(LOLENG).nik)["total"] >= 1
        assert len(calls) == 2
