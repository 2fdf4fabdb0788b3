"""Append to the hash-chained audit trail inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..actor import Actor
from ..models import AuditEvent

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, fields: dict) -> str:
    """SHA-256 over the previous hash and a canonical JSON of this entry."""
    payload = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers never chain onto the same previous entry."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7460001)"))


def lock_chain(session: Session) -> None:
    """Take the audit append lock now, before any row lock, for a service that writes audit
    entries while it also locks rows other writers may want (lock order: this lock first)."""
    _lock_chain(session)


def record_event(session: Session, actor: Actor | str, action: str, *, object_type: str = "",
                 object_id: object = "", desa_code: str | None = None,
                 detail: dict | None = None) -> AuditEvent:
    """Add one audit entry; it commits (or rolls back) with the action it describes."""
    _lock_chain(session)
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    fields = {
        "at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds"),
        "actor": actor if isinstance(actor, str) else actor.username,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "desa_code": desa_code,
        "detail": detail or {},
    }
    event = AuditEvent(**{**fields, "at": dt.datetime.fromisoformat(fields["at"])},
                       prev_hash=prev, hash=_entry_hash(prev, fields))
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session) -> AuditEvent | None:
    """Return the first entry whose hash or link does not match, or None when intact."""
    prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        fields = {
            "at": event.at.isoformat(timespec="microseconds"), "actor": event.actor,
            "action": event.action, "object_type": event.object_type,
            "object_id": event.object_id, "desa_code": event.desa_code, "detail": event.detail,
        }
        if event.prev_hash != prev or event.hash != _entry_hash(prev, fields):
            return event
        prev = event.hash
    return None
