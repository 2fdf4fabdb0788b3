"""What waits for whom: the worklists of the home page, read from the workflow tags.

A worklist is a title, the roles it is for, a count and the first items (title and record id).
The core's lists ask the declarations (`Workflow.transitions_tagged`), never state names:
- *Menunggu tanda tangan*: records in a state from which a step tagged `signs` is open to one
  of the actor's roles;
- *Permohonan saya hari ini*: requests the actor took today (office date, WITA);
- *Siap diserahkan*: records from whose state a step tagged `hands_over` is open to the actor;
- for a desa-scoped actor, the desa's open requests and its letters ready to collect.
Features add their own through the `register_worklists` hook (records.hookspecs); the core
never imports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import CLOSED, HANDS_OVER, READY, SIGNS, Registry
from records.models import Record
from records.services.records import in_tagged_state

LIMIT = 10


@dataclass(frozen=True)
class Worklist:
    """One list on the home page; `query(session, actor, registry, today, timezone)` is a
    select of Record, or None when the list does not apply to this actor."""

    key: str
    title: str
    query: Callable
    action: str = ""  # e.g. "sign_and_issue": the page offers it on each item


@dataclass
class Filled:
    """A worklist as one actor sees it."""

    key: str
    title: str
    count: int
    items: list = field(default_factory=list)
    action: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # a feature's (title, url)


def _open_to(registry: Registry, tag: str, roles: frozenset[str]):
    """SQL: the record's state has a step tagged `tag` that one of `roles` may fire; None
    when no workflow offers such a step to these roles."""
    conditions = []
    for name, spec in registry.document_types.items():
        workflow = registry.workflows.get(spec.workflow)
        if workflow is None:
            continue
        states = {s for t in workflow.transitions_tagged(tag) if t.roles & roles for s in t.sources}
        if states:
            conditions.append(and_(Record.doctype == name, Record.state.in_(sorted(states))))
    return or_(false(), *conditions) if conditions else None


def _scoped(query, actor: Actor):
    return query if actor.desa_scope is None else query.where(Record.desa_code.in_(sorted(actor.desa_scope)))


def _tagged(tag: str):
    def query(session, actor, registry, today, timezone):
        condition = _open_to(registry, tag, actor.roles)
        return None if condition is None else _scoped(select(Record).where(condition), actor)
    return query


def _mine_today(session, actor, registry, today, timezone):
    if actor.desa_scope is not None or not actor.can("record.create"):
        return None
    start = dt.datetime.combine(today, dt.time(), ZoneInfo(timezone)).astimezone(dt.UTC)
    start_naive = start.replace(tzinfo=None)
    return _scoped(select(Record).where(Record.created_by == actor.username,
                                        Record.tracking_code.is_not(None),
                                        Record.created_on >= start_naive,
                                        Record.created_on < start_naive + dt.timedelta(days=1)), actor)


def _desa_open(session, actor, registry, today, timezone):
    if actor.desa_scope is None:
        return None
    return _scoped(select(Record).where(Record.tracking_code.is_not(None),
                                        not_(in_tagged_state(registry, CLOSED))), actor)


def _desa_ready(session, actor, registry, today, timezone):
    if actor.desa_scope is None:
        return None
    return _scoped(select(Record).where(in_tagged_state(registry, READY)), actor)


CORE = (
    Worklist("tanda_tangan", "Menunggu tanda tangan", _tagged(SIGNS), action="sign_and_issue"),
    Worklist("permohonan_hari_ini", "Permohonan saya hari ini", _mine_today),
    Worklist("siap_diserahkan", "Siap diserahkan", _tagged(HANDS_OVER)),
    Worklist("desa_terbuka", "Permohonan warga desa yang masih berjalan", _desa_open),
    Worklist("desa_siap", "Surat siap diambil warga desa", _desa_ready),
)


def for_actor(actor: Actor, *, session: Session, registry: Registry, today: dt.date,
              timezone: str = "Asia/Makassar", extra: tuple[Worklist, ...] = (),
              records: bool = True) -> list[Filled]:
    """The worklists that apply to the actor, with their counts and first items: the record
    lists (when the actor may read records), then the features' (hook `register_worklists`)."""
    found = []
    for worklist in (*CORE, *extra) if records else ():
        query = worklist.query(session, actor, registry, today, timezone)
        if query is None:
            continue
        count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = list(session.scalars(query.order_by(Record.id.desc()).limit(LIMIT)))
        found.append(Filled(worklist.key, worklist.title, count, items, worklist.action))
    for feature_list in registry.worklists:
        filled = feature_list(session, actor, today)
        if filled is not None:
            found.append(filled)
    return found
