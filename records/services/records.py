"""Documents: create from a declared type, move through the workflow, list within scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import and_, delete, exists, false, func, or_, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import VERIFIES, DocumentType, Registry
from records.exceptions import NotFoundError, ValidationError
from records.models import Penduduk, Record, RecordReader, WorkflowStep
from records.models.outbox import RECORD, enqueue
from records.services import drafting, idempotency, persyaratan
from records.services.audit import record_event
from records.services.workflow_history import fire, remember
from records.workflow import check_transition

#: Primary keys are 32-bit integers; a larger id from a URL or JSON would make PostgreSQL fail.
MAX_ID = 2**31 - 1
MAX_NOTE = 1000


def _doctype(registry: Registry, name: str) -> DocumentType:
    try:
        return registry.document_types[name]
    except KeyError:
        raise NotFoundError(f"Jenis dokumen '{name}' tidak dikenal.") from None


def create_record(doctype_name: str, data: dict, *, penduduk_id: int | None, actor: Actor,
                  session: Session, registry: Registry,
                  policy: Mapping[str, Any] | None = None,
                  idempotency_key: str | None = None) -> Record:
    """Open a new record in its workflow's initial state, for a resident within scope; commit.

    A second call with the same `idempotency_key` (a form's one-time token, a REST
    `Idempotency-Key` header) returns the first call's record and writes nothing."""
    actor.require("record.create")
    first = idempotency.claim(idempotency_key, actor=actor, session=session)
    if first is not None:
        return get_record(first, actor=actor, session=session)
    record = new_record(doctype_name, data, penduduk_id=penduduk_id, actor=actor,
                        session=session, registry=registry, policy=policy)
    idempotency.bind(idempotency_key, record, session=session)
    session.commit()
    return record


def new_record(doctype_name: str, data: dict, *, penduduk_id: int | None, actor: Actor,
               session: Session, registry: Registry, today: dt.date | None = None,
               policy: Mapping[str, Any] | None = None) -> Record:
    """Like create_record, but leaves the commit to the caller (who adds more to it).

    `today` is the office's date (rules on event dates use it; WITA by default) and `policy`
    the office's settings the rules read (services.drafting)."""
    record = draft_record(doctype_name, data, penduduk_id=penduduk_id, actor=actor,
                          session=session, registry=registry, today=today, policy=policy)
    return add_record(record, actor=actor, session=session, registry=registry)


def draft_record(doctype_name: str, data: dict, *, penduduk_id: int | None, actor: Actor,
                 session: Session, registry: Registry, today: dt.date | None = None,
                 policy: Mapping[str, Any] | None = None) -> Record:
    """The record `new_record` would write, checked and built but not added to the session
    (reads only): intake renders its receipt from it before its write transaction opens, so
    no lock is held while it renders (services.requests). `add_record` writes it."""
    actor.require("record.create")
    doctype = _doctype(registry, doctype_name)
    if doctype.internal:
        raise ValidationError(f"{doctype.title} dibuat otomatis oleh sistem, bukan dibuat manual.")
    values, luar, penduduk = _drafted(doctype, data, penduduk_id, actor=actor, session=session,
                                      today=today, policy=policy)
    workflow = registry.workflows[doctype.workflow]
    nama = penduduk.nama if penduduk else (luar["nama"] if luar else "")
    # `penduduk` set as well as its id: a record outside the session loads no relationship,
    # and the receipt prints the holder (Record.penduduk has no backref that could cascade)
    return Record(doctype=doctype.name, state=workflow.initial,
                  title=f"{doctype.title} — {nama}" if nama else doctype.title,
                  desa_code=penduduk.desa_code if penduduk else (luar or {}).get("desa_code") or None,
                  penduduk_id=penduduk.id if penduduk else None, penduduk=penduduk,
                  data=values, created_by=actor.username)


def add_record(record: Record, *, actor: Actor, session: Session, registry: Registry) -> Record:
    """Write a drafted record in the open transaction: its row, first history step, audit
    entry and search-index job (the caller commits)."""
    workflow = registry.workflows[_doctype(registry, record.doctype).workflow]
    session.add(record)
    session.flush()
    remember(session, RECORD, record.id, "buat", None, workflow.initial, actor.username)
    record_event(session, actor, "record.create", object_type="record", object_id=record.id,
                 desa_code=record.desa_code,
                 detail={"doctype": record.doctype, "klasifikasi": record.data.get("klasifikasi", ""),
                         **({"pemohon_nonpermanen": True}
                            if isinstance(record.data.get("pemohon_nonpermanen"), dict) else {})})
    enqueue(session, RECORD, record.id)  # search index follows in the same transaction
    return record


def _drafted(doctype: DocumentType, data: dict, penduduk_id: int | None, *, actor: Actor,
             session: Session, today: dt.date | None, policy: Mapping[str, Any] | None):
    """(values, non-resident applicant or None, resident or None), every error at once."""
    errors: dict[str, str] = {}
    luar = penduduk = None
    try:
        if penduduk_id is None and drafting.wants_nonpermanen(data):
            luar = drafting.nonpermanen_applicant(doctype, data, actor=actor, session=session,
                                                  today=today, policy=policy)
        else:
            penduduk = _subject(doctype, penduduk_id, actor, session)
    except ValidationError as exc:
        errors.update(exc.errors or {"": str(exc)})
    try:
        values = drafting.draft_values(doctype, data, session=session, today=today,
                                       policy=policy)
    except ValidationError as exc:
        if not exc.errors:
            raise
        errors.update(exc.errors)
    if errors:
        raise ValidationError("Periksa kembali isian formulir.", errors)
    if luar:
        values["pemohon_nonpermanen"] = luar
    return values, luar, penduduk


def _subject(doctype: DocumentType, penduduk_id: int | None, actor: Actor,
             session: Session) -> Penduduk | None:
    """The resident the document is about; required when the type says so."""
    if penduduk_id is None:
        if doctype.needs_penduduk:
            raise ValidationError("Pemohon wajib dipilih.", {"penduduk_id": "Pemohon wajib dipilih."})
        return None
    penduduk = session.get(Penduduk, penduduk_id) if _valid_id(penduduk_id) else None
    if penduduk is None:
        raise NotFoundError("Penduduk tidak ditemukan.")
    actor.require_desa(penduduk.desa_code, "Penduduk tidak ditemukan.")
    return penduduk


def get_record(record_id: int, *, actor: Actor, session: Session) -> Record:
    """A record the actor may read (out-of-scope records are 'not found')."""
    actor.require("record.read")
    record = session.get(Record, record_id) if _valid_id(record_id) else None
    if record is None:
        raise NotFoundError("Dokumen tidak ditemukan.")
    actor.require_desa(record.desa_code, "Dokumen tidak ditemukan.")
    if not may_read(actor, record):
        raise NotFoundError("Dokumen tidak ditemukan.")
    return record


def may_read(actor: Actor, record: Record) -> bool:
    """False when the record is restricted to readers the actor is none of (its existence
    is not told: callers answer 'not found')."""
    readers = {r.principal for r in record.readers}
    return not readers or bool(readers & actor.reader_principals())


def readable_by(actor: Actor, record_id=Record.id):
    """SQL condition: the record (column `record_id`) is unrestricted or lists the actor as a
    reader. Every list of records, archives and exports adds it next to the desa scope."""
    listed = select(RecordReader.record_id).where(RecordReader.record_id == record_id)
    return or_(~exists(listed),
               exists(listed.where(RecordReader.principal.in_(sorted(actor.reader_principals())))))


def set_readers(session: Session, record_id: int, principals: set[str] | frozenset[str]) -> None:
    """Restrict a record to `principals` (empty: unrestrict); re-indexes it. The caller audits
    and commits."""
    session.execute(delete(RecordReader).where(RecordReader.record_id == record_id))
    for principal in sorted(principals):
        session.add(RecordReader(record_id=record_id, principal=principal))
    record = session.get(Record, record_id)
    if record is not None:
        session.expire(record, ["readers"])
    enqueue(session, RECORD, record_id)


def in_tagged_state(registry: Registry, *tags: str, doctype=Record.doctype, state=Record.state):
    """SQL condition: the row's state carries one of `tags` in the workflow of its document
    type (`doctype` and `state` are the columns to test, e.g. a transition's `to_state`).
    Per type, so one state name meaning two things in two workflows is never confused."""
    by_type: dict[str, set[str]] = {}
    for tag in tags:
        for name, states in registry.record_states(tag).items():
            by_type.setdefault(name, set()).update(states)
    merged: dict[frozenset[str], list[str]] = {}
    for name, found in by_type.items():
        merged.setdefault(frozenset(found), []).append(name)
    return or_(false(), *(and_(doctype.in_(sorted(names)), state.in_(sorted(states)))
                          for states, names in merged.items()))


def list_records(*, actor: Actor, session: Session, state: str | None = None,
                 limit: int = 50, offset: int = 0,
                 doctypes: Collection[str] | None = None) -> tuple[list[Record], int]:
    """Newest records within the actor's scope, with the total count; `doctypes` keeps the
    document types of one workflow, so `state` means that workflow's state.

    The offset is capped at the largest id: no page lies beyond it, and a hand-typed huge page
    number would otherwise overflow the database's integer.
    """
    actor.require("record.read")
    offset = min(max(offset, 0), MAX_ID)
    query = _listed(actor, doctypes)
    if state:
        query = query.where(Record.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Record.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def count_by_state(*, actor: Actor, session: Session, doctypes: Collection[str]) -> dict[str, int]:
    """{state: how many records} of these document types within the actor's scope (the
    document list's state buttons of one workflow), in one statement."""
    actor.require("record.read")
    query = (_listed(actor, doctypes).with_only_columns(Record.state, func.count())
             .group_by(Record.state))
    return {state: count for state, count in session.execute(query)}


def _listed(actor: Actor, doctypes: Collection[str] | None):
    """The records a list shows the actor: readable, in scope, of these document types."""
    query = select(Record).where(readable_by(actor))
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(actor.desa_scope))
    if doctypes is not None:
        query = query.where(Record.doctype.in_(sorted(doctypes)))
    return query


def fire_transition(record_id: int, name: str, *, note: str = "", actor: Actor,
                    session: Session, registry: Registry, pm=None) -> WorkflowStep:
    """Move a record along its workflow; the move, the record and the audit commit together."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError("Catatan terlalu panjang.",
                              {"note": f"Catatan terlalu panjang (maksimal {MAX_NOTE} karakter)."})
    record = get_record(record_id, actor=actor, session=session)
    workflow = registry.workflows[_doctype(registry, record.doctype).workflow]
    planned = check_transition(workflow, record.state, name, actor.roles, note)
    if VERIFIES in planned.tags:  # a file is verified only when it is complete
        persyaratan.require_complete((record.data or {}).get("persyaratan"))
    transition, step = fire(session, record, workflow, name, subject=RECORD, actor=actor,
                            note=note, desa_code=record.desa_code)
    enqueue(session, RECORD, record.id)  # search index follows in the same transaction
    session.commit()
    if pm is not None:
        pm.hook.record_transitioned(record=record, transition=transition, actor=actor)
    return step


def _valid_id(value: object) -> bool:
    """True for an id the database can hold; anything else cannot name a row."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
