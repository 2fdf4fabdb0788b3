"""The hash-chained audit trail on real SQLite and PostgreSQL: concurrent appends stay one chain,
and every edit, deletion or reordering is found and named."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from records.extensions import db
from records.models import AuditEvent, Layanan
from records.services.audit import record_event, verify_chain


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audited_app(request):
    """A freshly initialised office (no demo data) on each database."""
    return request.getfixturevalue("bare_app" if request.param == "sqlite" else "pg_bare_app")


def append_concurrently(app, writers: int = 8, each: int = 15) -> None:
    """Writers in their own connections, all starting at once, each appending `each` entries
    in separate transactions (the first statement of each transaction is the append)."""
    with app.app_context():
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    barrier, errors = threading.Barrier(writers), []

    def write(n: int) -> None:
        barrier.wait()
        try:
            for i in range(each):
                with Session(engine) as session:
                    record_event(session, f"writer{n}", "test.append", detail={"i": i})
                    session.commit()
        except Exception as exc:  # reported below: no append may fail
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    assert errors == []


def test_concurrent_appends_form_one_unbroken_chain(audited_app):
    append_concurrently(audited_app)
    with audited_app.app_context():
        count = db.session.scalar(select(db.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "test.append"))
        assert count == 8 * 15
        assert verify_chain(db.session) is None
        links = db.session.scalars(select(AuditEvent.prev_hash)).all()
        assert len(links) == len(set(links))  # no two entries chained onto the same one


def entries(app) -> list[AuditEvent]:
    with app.app_context():
        for i in range(5):
            record_event(db.session, "petugas", "test.entry", detail={"i": i})
        db.session.commit()
        return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_an_edited_entry_is_named(audited_app):
    rows = entries(audited_app)
    victim = rows[-3]
    with audited_app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == victim.id)
                           .values(actor="orang_lain"))
        db.session.commit()
        assert verify_chain(db.session).id == victim.id


def test_a_deleted_entry_breaks_the_chain_at_its_successor(audited_app):
    rows = entries(audited_app)
    with audited_app.app_context():
        db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": rows[-3].id})
        db.session.commit()
        assert verify_chain(db.session).id == rows[-2].id


def test_swapped_entries_are_found(audited_app):
    rows = entries(audited_app)
    a, b = rows[-3], rows[-2]
    columns = ("at", "actor", "action", "object_type", "object_id", "desa_code", "detail",
               "prev_hash", "hash")
    with audited_app.app_context():
        values_a = {c: getattr(db.session.get(AuditEvent, a.id), c) for c in columns}
        values_b = {c: getattr(db.session.get(AuditEvent, b.id), c) for c in columns}
        db.session.execute(update(AuditEvent).where(AuditEvent.id == a.id).values(hash="x"))
        db.session.execute(update(AuditEvent).where(AuditEvent.id == b.id).values(**values_a))
        db.session.execute(update(AuditEvent).where(AuditEvent.id == a.id).values(**values_b))
        db.session.commit()
        assert verify_chain(db.session).id == a.id


def test_a_configuration_change_is_audited_in_its_own_transaction(audited_app):
    with audited_app.app_context():
        layanan = db.session.scalar(select(Layanan).order_by(Layanan.code).limit(1))
        before = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
        layanan.waktu_hari = layanan.waktu_hari + 1
        db.session.commit()
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event.action == "konfigurasi.update" and event.object_type == "layanan"
        assert event.detail["changes"]["waktu_hari"][1] == layanan.waktu_hari
        layanan.waktu_hari = -999
        db.session.rollback()  # a change that does not commit leaves no entry
        assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == before + 1
        assert verify_chain(db.session) is None


@pytest.mark.postgres
def test_an_open_action_does_not_hold_the_append_lock_on_postgres(pg_bare_app):
    """An action that has written its entry but not committed (a clerk's long request) no
    longer makes every other audited action wait: the entry is appended at COMMIT, so the
    append lock is held for a few statements (docs/decisions.md)."""
    with pg_bare_app.app_context():
        engine = create_engine(pg_bare_app.config["SQLALCHEMY_DATABASE_URI"])
    with Session(engine) as slow, Session(engine) as quick:
        record_event(slow, "lambat", "test.lambat")
        slow.execute(text("SELECT 1"))  # the slow action is still working, its entry queued
        quick.execute(text("SET lock_timeout = '3s'"))  # the old lock would stop it here
        record_event(quick, "cepat", "test.cepat")
        quick.commit()
        slow.commit()
    engine.dispose()
    with pg_bare_app.app_context():
        order = [e.action for e in actions_in_order()][-2:]
        assert order == ["test.cepat", "test.lambat"]  # chained in commit order
        assert verify_chain(db.session) is None


@pytest.mark.postgres
def test_a_rolled_back_savepoint_takes_its_entries_with_it(pg_bare_app):
    with pg_bare_app.app_context():
        engine = create_engine(pg_bare_app.config["SQLALCHEMY_DATABASE_URI"])
    with Session(engine) as session:
        record_event(session, "x", "test.tetap")
        try:
            with session.begin_nested():
                record_event(session, "x", "test.batal")
                raise RuntimeError("step refused")
        except RuntimeError:
            pass
        with session.begin_nested():
            record_event(session, "x", "test.savepoint_ok")
        session.commit()
        record_event(session, "x", "test.rollback")
        session.rollback()
        session.commit()  # nothing queued survives a rollback into the next transaction
    engine.dispose()
    with pg_bare_app.app_context():
        actions = [e.action for e in actions_in_order() if e.action.startswith("test.")]
        assert actions == ["test.tetap", "test.savepoint_ok"]
        assert verify_chain(db.session) is None


def actions_in_order() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
