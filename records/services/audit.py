"""Append to the hash-chained audit trail inside the caller's transaction.

Every entry names the one before it, so appends are serialised by one lock per installation
(`_lock_chain`). How long that lock is held decides how long every other audited action
waits, the counters' "Panggil" among them. So an entry is queued on the session and appended
by ``before_commit``, after the transaction's last flush: the lock is taken, the previous hash
read and the queued entries inserted in one statement, then COMMIT releases it. A crash before
COMMIT loses the entries with the action; a savepoint rolled back drops the entries queued
inside it.

- PostgreSQL: the lock is a transaction-scoped advisory lock, held for those few statements,
  not for the whole action, and the last lock a transaction takes, so no transaction holding
  it ever waits for a row another holds (no deadlock).
- SQLite: the lock is the database's single write lock, which the action's first write took
  already (a transaction that only read takes it with a write that changes nothing). Queuing
  still counts there: a call-next's two entries cost one read of the chain's head and one
  flush under that lock instead of two each (issue 17: its hold went from 10 statements to 7).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from contextvars import ContextVar

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from records.actor import Actor
from records.models import AuditEvent
from records.nik import mask_numbers_in_text
from records.services.clock import utc_now

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, fields: dict) -> str:
    """SHA-256 over the previous hash and a canonical JSON of this entry."""
    payload = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


#: PostgreSQL's advisory locks are per database; these are per schema too, so each kecamatan of
#: a kabupaten deployment (a schema each, records.tenancy) has its own audit chain and front
#: office lock instead of waiting for the other kecamatan's.
_AUDIT_LOCK = text("SELECT pg_advisory_xact_lock(7460001, hashtext(current_schema()))")
_FRONT_OFFICE_LOCK = text("SELECT pg_advisory_xact_lock(7460003, hashtext(current_schema()))")


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers never chain onto the same previous entry: on
    PostgreSQL a transaction-scoped advisory lock; on SQLite the database write lock, taken by
    a write that changes nothing, so the previous entry is read under it (a plain SELECT
    first would read it outside any lock when the append opens the transaction)."""
    if _advisory(session):
        session.execute(_AUDIT_LOCK)
    elif not _writing(session):
        session.execute(text("UPDATE audit_event SET id = id WHERE id = -1"))


def _writing(session: Session) -> bool:
    """SQLite: whether this transaction has written already, so holds the write lock (the
    driver opens a transaction at the first write, never at a read): an action that wrote
    skips the no-op UPDATE, one statement fewer under the lock everyone waits for."""
    dbapi = session.connection().connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", False))


def _advisory(session: Session) -> bool:
    """Whether the locks are PostgreSQL advisory locks (else SQLite's write lock)."""
    return session.get_bind().dialect.name == "postgresql"


def serialise_writes(session: Session) -> None:
    """Take, before any row, the lock the front office's writers (counters, bookings,
    check-ins) serialise on, held until commit. On SQLite that is the database write lock,
    which is also the audit append lock. On PostgreSQL it is an advisory lock of their own:
    the audit append lock is taken at commit, after every row (module docstring), so the
    counters no longer wait for every other audited action in the office, and a booking
    retry still waits for the first call (records/antrian/jadwal.py). Lock order everywhere:
    this lock, rows, the audit append lock."""
    if _advisory(session):
        session.execute(_FRONT_OFFICE_LOCK)
    else:
        _lock_chain(session)


def record_event(session: Session, actor: Actor | str, action: str, *, object_type: str = "",
                 object_id: object = "", desa_code: str | None = None,
                 detail: dict | None = None) -> None:
    """Add one audit entry; it commits (or rolls back) with the action it describes."""
    _append(session, [(actor if isinstance(actor, str) else actor.username, action,
                       object_type, object_id, desa_code, detail)])


_PENDING = "lemari_audit_pending"


def _append(session: Session, entries: list[tuple]) -> None:
    """Queue entries for ``before_commit``, each with the transaction or savepoint it belongs
    to (module docstring)."""
    own = session() if isinstance(session, scoped_session) else session
    own.connection()  # begin the transaction now, so a rollback always finds the entry
    owner = own.get_nested_transaction() or own.get_transaction()
    own.info.setdefault(_PENDING, []).extend((owner, entry) for entry in entries)


def _chain(session: Session, entries: list[tuple]) -> None:
    """Add entries after the last one; the caller holds the append lock."""
    prev = _last_hash(session)
    for actor, action, object_type, object_id, desa_code, detail in entries:
        event = _entry(prev, actor, action, object_type, object_id, desa_code, detail)
        session.add(event)
        prev = event.hash


def _append_pending(session: Session) -> None:
    """before_commit: flush the action (its row locks come first), then take the append
    lock and chain the queued entries, so the lock is held only until this COMMIT."""
    if not session.info.get(_PENDING) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # the commit's own flush comes after this hook; it may queue entries
    if not session.info.get(_PENDING):
        return
    _lock_chain(session)
    while session.info.get(_PENDING):
        _chain(session, [entry for _, entry in session.info.pop(_PENDING)])
        session.flush()


def _drop_pending(session: Session, previous: SessionTransaction) -> None:
    """after_soft_rollback: entries queued inside a rolled-back savepoint (or, for the
    outermost transaction, all of them) go with it."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if not previous.nested:
        session.info.pop(_PENDING, None)
        return
    session.info[_PENDING] = [(owner, entry) for owner, entry in pending
                              if not _within(owner, previous)]


def _within(owner: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while owner is not None:
        if owner is ancestor:
            return True
        owner = owner.parent
    return False


def _last_hash(session: Session) -> str:
    return session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS


def _entry(prev: str, actor: str, action: str, object_type: str, object_id: object,
           desa_code: str | None, detail: dict | None) -> AuditEvent:
    """A new entry chained onto prev."""
    at = utc_now()
    fields = {
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor, "action": action, "object_type": object_type,
        "object_id": str(object_id), "desa_code": desa_code, "detail": detail or {},
    }
    return AuditEvent(**{**fields, "at": at},
                      prev_hash=prev, hash=_entry_hash(prev, fields))


# --- configuration changes, audited wherever they are made ----------------------------------

# Who is acting in this request or command; adapters set it (web: the logged-in user).
acting_user: ContextVar[str] = ContextVar("acting_user", default="sistem")

# Columns never copied into the trail (secrets) or not worth an entry (login bookkeeping).
_SECRET_COLUMNS = frozenset({"password"})
_NOISE_COLUMNS = frozenset({"last_login", "login_count", "fail_login_count", "changed_on",
                            "changed_by_fk", "created_on", "created_by_fk"})
_VALUE_LIMIT = 500
_AUDITED_RELATIONS = frozenset({"roles", "permissions"})


# Flask-AppBuilder's own tables (we cannot mark its classes): accounts and roles. Role
# changes by the system itself (`lemari init`, `sync-roles` granting declared permissions)
# are deployments of declared data, not edits, and are left out.
_FAB_AREAS = {"ab_user": "akun", "ab_role": "peran"}
_SYSTEM_QUIET = frozenset({"ab_role"})


def audit_area(obj) -> str | None:
    """The audit area of a model instance: its class's ``__audit_area__`` (e.g.
    "konfigurasi"), or None when changes to it are audited by its own service instead."""
    area = getattr(type(obj), "__audit_area__", None)
    if area is not None:
        return area
    table = getattr(getattr(type(obj), "__table__", None), "name", "")
    if table in _SYSTEM_QUIET and acting_user.get() == "sistem":
        return None
    return _FAB_AREAS.get(table)


def _config_changes(session: Session):
    """(action, object_type, object_id, detail) for every audited object in this flush."""
    for verb, objects in (("create", session.new), ("update", session.dirty),
                          ("delete", session.deleted)):
        for obj in objects:
            area = audit_area(obj)
            if area is None:
                continue
            changes = _changes(obj, verb)
            if changes or verb != "update":
                mapper = inspect(obj).mapper
                ident = inspect(obj).identity
                yield (f"{area}.{verb}", mapper.local_table.name,
                       ",".join(map(str, ident)) if ident else "", {"changes": changes})


def _changes(obj, verb: str) -> dict:
    """Column → [old, new] (values cut to a readable length; secrets only marked)."""
    state, found = inspect(obj), {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if attr.key in _NOISE_COLUMNS or (verb == "update" and not history.has_changes()):
            continue
        current = (history.added or history.unchanged or [None])[0]
        before = (history.deleted or history.unchanged or [None])[0]
        old, new = {"create": (None, current), "update": (before, current),
                    "delete": (current, None)}[verb]
        if attr.key in _SECRET_COLUMNS:
            old, new = ("***" if old else None), ("*** (baru)" if new else None)
        found[attr.key] = [_shown(old), _shown(new)]
    if verb == "update":
        for rel in state.mapper.relationships:  # e.g. the roles of an account
            history = state.attrs[rel.key].history
            if rel.key in _AUDITED_RELATIONS and history.has_changes():
                found[rel.key] = [sorted(map(str, history.deleted)), sorted(map(str, history.added))]
    return found


def _shown(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text_value = str(value)
    return text_value if len(text_value) <= _VALUE_LIMIT else text_value[:_VALUE_LIMIT] + "…"


def _audit_flush(session: Session, _context, _instances) -> None:
    """before_flush: one chained entry per audited object, in the flush (so the
    transaction) that changes it."""
    changes = list(_config_changes(session))
    if changes:
        _append(session, [(acting_user.get(), action, object_type, object_id, None, detail)
                          for action, object_type, object_id, detail in changes])


def install_config_audit() -> None:
    """Audit changes to every model with ``__audit_area__``, however they are made (FAB
    screens, REST, CLI, plugins). Idempotent; called by the app factory."""
    if not sa_event.contains(Session, "before_flush", _audit_flush):
        sa_event.listen(Session, "before_flush", _audit_flush)


# Queued entries are written by every session that commits, whoever made it (app, CLI, a
# test): installed when this module is imported, which record_event's callers must do.
sa_event.listen(Session, "before_commit", _append_pending)
sa_event.listen(Session, "after_soft_rollback", _drop_pending)


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


# --- the Auditor's export -------------------------------------------------------------------

EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = ("id", "at", "actor", "action", "object_type", "object_id", "desa_code",
                  "detail", "prev_hash", "hash")


def export_csv(session: Session, actor: Actor, *, user: str = "", action: str = "",
               since: dt.date | None = None, until: dt.date | None = None) -> str:
    """The filtered trail as CSV (UTC times, hashes included so a copy can be re-verified);
    the export is itself an audit entry, committed before the file is handed out."""
    actor.require("audit.read")
    query = select(AuditEvent).order_by(AuditEvent.id).limit(EXPORT_LIMIT)
    if user:
        query = query.where(AuditEvent.actor == user)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if since:
        query = query.where(AuditEvent.at >= dt.datetime.combine(since, dt.time()))
    if until:
        query = query.where(AuditEvent.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    # details quote what was searched and filtered (a NIK, say): masked without the right
    masked, detail = not actor.can("penduduk.view_nik"), EXPORT_COLUMNS.index("detail")
    for event in session.scalars(query):
        cells = [_csv_cell(getattr(event, c)) for c in EXPORT_COLUMNS]
        if masked:
            cells[detail] = mask_numbers_in_text(cells[detail])
        writer.writerow(cells)
        count += 1
    record_event(session, actor, "audit.export", object_type="audit",
                 detail={"user": user, "action": action, "since": str(since or ""),
                         "until": str(until or ""), "rows": count})
    session.commit()
    return out.getvalue()


def _csv_cell(value) -> str:
    """A cell a spreadsheet will not execute (CSV injection: leading = + - @)."""
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text_value = "" if value is None else str(value)
    return "'" + text_value if text_value[:1] in ("=", "+", "-", "@", "\t", "\r") else text_value
