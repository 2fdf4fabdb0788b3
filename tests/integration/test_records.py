"""Records through the issuance workflow on a real database, SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import select

from records.exceptions import (
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from records.extensions import db, lemari
from records.models import AuditEvent, Penduduk, Record, WorkflowStep
from records.services import records
from records.services.accounts import actor_for_username

LOLENG = "64.02.08.2004"
DOCTYPE = "sk_domisili_penduduk"


@pytest.fixture
def pg_app(postgres_office):
    """The demo office on PostgreSQL, restored from its template for one test."""
    return postgres_office


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def office(request):
    """The demo office in an app context, on each database engine."""
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with app.app_context():
        yield app
        db.session.remove()


def actor(username):
    return actor_for_username(username, sm=current_app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def resident(inside=True) -> Penduduk:
    where = Penduduk.desa_code == LOLENG if inside else Penduduk.desa_code != LOLENG
    return db.session.scalars(select(Penduduk).where(where).order_by(Penduduk.id)).first()


def create(username="petugas", penduduk=None) -> Record:
    penduduk = penduduk or resident()
    return records.create_record(DOCTYPE, {"keperluan": "Pembukaan rekening bank"},
                                 penduduk_id=penduduk.id, actor=actor(username),
                                 session=db.session, registry=lemari().registry)


def fire(record_id, name, username, note=""):
    return records.fire_transition(record_id, name, note=note, actor=actor(username),
                                   session=db.session, registry=lemari().registry,
                                   pm=lemari().pm)


def refused(error, record_id, name, username, note=""):
    """Fire and expect `error`; roll back as every caller (view, API, CLI) does."""
    with pytest.raises(error) as caught:
        fire(record_id, name, username, note)
    db.session.rollback()
    return caught.value


def history(record_id):
    return [(h.transition, h.from_state, h.to_state, h.actor, h.note) for h in db.session.scalars(
        select(WorkflowStep).where(WorkflowStep.subject == "record", WorkflowStep.subject_id == record_id)
        .order_by(WorkflowStep.id))]


def audit_actions(record_id):
    return [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "record",
                                 AuditEvent.object_id == str(record_id)).order_by(AuditEvent.id))]


def state_of(record_id):
    db.session.expire_all()
    return db.session.get(Record, record_id).state


def test_full_path_then_revocation_is_recorded(office):
    record = create()
    assert (record.state, record.desa_code, record.created_by) == ("diajukan", LOLENG, "petugas")
    fire(record.id, "verifikasi", "petugas")
    error = refused(InvalidTransitionError, record.id, "tandatangani", "petugas")
    assert str(error) == "Peran Anda tidak berwenang melakukan 'Setujui dan tandatangani'."
    assert state_of(record.id) == "diverifikasi"
    fire(record.id, "tandatangani", "camat", "Disetujui")
    fire(record.id, "terbitkan", "petugas")
    fire(record.id, "serahkan", "petugas")
    assert refused(ValidationError, record.id, "cabut", "camat").errors == {
        "note": "Alasan wajib diisi."}
    step = fire(record.id, "cabut", "camat", "  Data pemohon palsu  ")
    assert (step.from_state, step.to_state, step.note) == (
        "diserahkan", "dicabut", "Data pemohon palsu")
    assert history(record.id) == [
        ("buat", None, "diajukan", "petugas", ""),
        ("verifikasi", "diajukan", "diverifikasi", "petugas", ""),
        ("tandatangani", "diverifikasi", "ditandatangani", "camat", "Disetujui"),
        ("terbitkan", "ditandatangani", "terbit", "petugas", ""),
        ("serahkan", "terbit", "diserahkan", "petugas", ""),
        ("cabut", "diserahkan", "dicabut", "camat", "Data pemohon palsu"),
    ]
    assert audit_actions(record.id) == [
        "record.create", "record.verifikasi", "record.tandatangani", "record.terbitkan",
        "record.serahkan", "record.cabut"]


def test_every_step_carries_its_time_in_order(office):
    record = create()
    fire(record.id, "verifikasi", "petugas")
    times = [h.at for h in db.session.scalars(
        select(WorkflowStep).where(WorkflowStep.subject == "record", WorkflowStep.subject_id == record.id)
        .order_by(WorkflowStep.id))]
    assert len(times) == 2 and times[0] <= times[1]
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "record.verifikasi", AuditEvent.object_id == str(record.id))).one()
    assert (event.actor, event.desa_code) == ("petugas", LOLENG)
    assert event.detail == {"from": "diajukan", "to": "diverifikasi", "note": ""}


def test_rejection_needs_a_reason_and_ends_the_path(office):
    record = create()
    refused(ValidationError, record.id, "tolak", "petugas", "   ")
    assert state_of(record.id) == "diajukan" and len(history(record.id)) == 1
    fire(record.id, "tolak", "petugas", "Berkas tidak lengkap")
    assert history(record.id)[-1] == ("tolak", "diajukan", "ditolak", "petugas",
                                      "Berkas tidak lengkap")
    assert "tidak dapat dilakukan" in str(
        refused(InvalidTransitionError, record.id, "verifikasi", "petugas"))


def test_refused_steps_leave_no_trace(office):
    record = create()
    refused(InvalidTransitionError, record.id, "terbitkan", "petugas")
    refused(InvalidTransitionError, record.id, "verifikasi", "auditor")
    assert len(history(record.id)) == 1 and audit_actions(record.id) == ["record.create"]


def test_a_stale_page_cannot_move_a_record_twice(office):
    """Two clerks open the same record; the second click finds it already moved."""
    record = create()
    stale = records.get_record(record.id, actor=actor("petugas"), session=db.session)
    other = db.session.get_bind()
    with other.begin() as conn:
        conn.execute(Record.__table__.update().where(Record.id == record.id)
                     .values(state="diverifikasi"))
    assert stale.state == "diajukan"
    error = refused(InvalidTransitionError, record.id, "verifikasi", "petugas")
    assert "sudah diubah oleh pengguna lain" in str(error)
    assert len(history(record.id)) == 1


def test_operator_cannot_create_for_another_desa(office):
    with pytest.raises(NotFoundError):
        create("operator_loleng", resident(inside=False))
    db.session.rollback()
    assert create("operator_loleng", resident()).desa_code == LOLENG


def test_operator_cannot_read_or_move_another_desas_record(office):
    outside = create("petugas", resident(inside=False))
    operator = actor("operator_loleng")
    with pytest.raises(NotFoundError):
        records.get_record(outside.id, actor=operator, session=db.session)
    refused(NotFoundError, outside.id, "serahkan", "operator_loleng")


def test_operator_list_holds_only_their_desa(office):
    own, other = create("petugas", resident()), create("petugas", resident(inside=False))
    rows, total = records.list_records(actor=actor("operator_loleng"), session=db.session)
    assert {r.desa_code for r in rows} == {LOLENG} and own.id in {r.id for r in rows}
    assert total == len(rows)
    everything, _ = records.list_records(actor=actor("petugas"), session=db.session)
    assert {own.id, other.id} <= {r.id for r in everything}


def test_list_filters_by_state(office):
    moved, waiting = create(), create()
    fire(moved.id, "verifikasi", "petugas")
    rows, total = records.list_records(actor=actor("petugas"), session=db.session,
                                       state="diverifikasi")
    ids = {r.id for r in rows}
    assert moved.id in ids and waiting.id not in ids and total == len(rows)
    assert {r.state for r in rows} == {"diverifikasi"}


@pytest.mark.parametrize("bad_id", [0, -1, 2**31, 2**63, True])
def test_ids_the_database_cannot_hold_are_not_found(office, bad_id):
    """PostgreSQL would raise on an id beyond int4; the user must get 'not found' instead."""
    with pytest.raises(NotFoundError):
        records.get_record(bad_id, actor=actor("petugas"), session=db.session)
    with pytest.raises(NotFoundError):
        records.create_record(DOCTYPE, {"keperluan": "x"}, penduduk_id=bad_id,
                              actor=actor("petugas"), session=db.session,
                              registry=lemari().registry)


def test_invalid_fields_create_nothing(office):
    before = db.session.scalar(select(Record.id).order_by(Record.id.desc()).limit(1))
    with pytest.raises(ValidationError) as caught:
        records.create_record(DOCTYPE, {"masa_berlaku_bulan": "enam"}, penduduk_id=resident().id,
                              actor=actor("petugas"), session=db.session,
                              registry=lemari().registry)
    db.session.rollback()
    assert set(caught.value.errors) == {"keperluan", "masa_berlaku_bulan"}
    assert db.session.scalar(select(Record.id).order_by(Record.id.desc()).limit(1)) == before


def test_roles_without_create_right_are_refused(office):
    for username in ("auditor", "arsiparis"):
        with pytest.raises(PermissionDeniedError):
            create(username)


def test_long_note_is_refused(office):
    record = create()
    error = refused(ValidationError, record.id, "verifikasi", "petugas", "x" * 1001)
    assert "maksimal 1000" in error.errors["note"]


def test_a_page_far_beyond_the_end_is_empty(office):
    """A hand-typed ?page=10**18 must give an empty page, not a database overflow."""
    rows, total = records.list_records(actor=actor("petugas"), session=db.session,
                                       limit=50, offset=10**20)
    assert rows == [] and total >= 0
