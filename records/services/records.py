"""Documents: create from a declared type, move through the workflow, list within scope."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..declarations import DocumentType, Registry
from ..exceptions import NotFoundError, ValidationError
from ..models import Penduduk, Record, RecordTransition
from ..workflow import check_transition
from .audit import record_event
from .fields import clean_fields


def _doctype(registry: Registry, name: str) -> DocumentType:
    try:
        return registry.document_types[name]
    except KeyError:
        raise NotFoundError(f"Jenis dokumen '{name}' tidak dikenal.") from None


def create_record(doctype_name: str, data: dict, *, penduduk_id: int | None, actor: Actor,
                  session: Session, registry: Registry) -> Record:
    """Open a new record in its workflow's initial state, for a resident within scope."""
    actor.require("record.create")
    doctype = _doctype(registry, doctype_name)
    penduduk = _subject(doctype, penduduk_id, actor, session)
    workflow = registry.workflows[doctype.workflow]
    record = Record(doctype=doctype.name, state=workflow.initial,
                    title=f"{doctype.title} — {penduduk.nama}" if penduduk else doctype.title,
                    desa_code=penduduk.desa_code if penduduk else None,
                    penduduk_id=penduduk.id if penduduk else None,
                    data=clean_fields(doctype.fields, data), created_by=actor.username)
    session.add(record)
    session.flush()
    session.add(RecordTransition(record_id=record.id, transition="buat", from_state=None,
                                 to_state=workflow.initial, actor=actor.username,
                                 at=_now(), note=""))
    record_event(session, actor, "record.create", object_type="record", object_id=record.id,
                 desa_code=record.desa_code, detail={"doctype": doctype.name})
    session.commit()
    return record


def _subject(doctype: DocumentType, penduduk_id: int | None, actor: Actor,
             session: Session) -> Penduduk | None:
    """The resident the document is about; required when the type says so."""
    if penduduk_id is None:
        if doctype.needs_penduduk:
            raise ValidationError("Pemohon wajib dipilih.", {"penduduk_id": "Pemohon wajib dipilih."})
        return None
    penduduk = session.get(Penduduk, penduduk_id)
    if penduduk is None:
        raise NotFoundError("Penduduk tidak ditemukan.")
    actor.require_desa(penduduk.desa_code)
    return penduduk


def get_record(record_id: int, *, actor: Actor, session: Session) -> Record:
    """A record the actor may read (out-of-scope records are 'not found')."""
    actor.require("record.read")
    record = session.get(Record, record_id)
    if record is None:
        raise NotFoundError("Dokumen tidak ditemukan.")
    actor.require_desa(record.desa_code)
    return record


def list_records(*, actor: Actor, session: Session, state: str | None = None,
                 limit: int = 50, offset: int = 0) -> tuple[list[Record], int]:
    """Newest records within the actor's scope, with the total count."""
    actor.require("record.read")
    query = select(Record)
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(actor.desa_scope))
    if state:
        query = query.where(Record.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Record.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def fire_transition(record_id: int, name: str, *, note: str = "", actor: Actor,
                    session: Session, registry: Registry, pm=None) -> RecordTransition:
    """Move a record along its workflow; the move, the record and the audit commit together."""
    record = get_record(record_id, actor=actor, session=session)
    workflow = registry.workflows[_doctype(registry, record.doctype).workflow]
    transition = check_transition(workflow, record.state, name, actor.roles, note)
    step = RecordTransition(record_id=record.id, transition=transition.name,
                            from_state=record.state, to_state=transition.target,
                            actor=actor.username, at=_now(), note=note.strip())
    record.state = transition.target
    session.add(step)
    record_event(session, actor, f"record.{transition.name}", object_type="record",
                 object_id=record.id, desa_code=record.desa_code,
                 detail={"from": step.from_state, "to": step.to_state, "note": step.note})
    session.commit()
    if pm is not None:
        pm.hook.record_transitioned(record=record, transition=transition, actor=actor)
    return step


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
