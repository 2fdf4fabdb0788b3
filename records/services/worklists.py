"""What waits for whom: the worklists of the home page and the counts on the menu.

A worklist is a title, a count, the first items and the menu item whose badge counts it.
Each list is first *declared* for one actor (`pending`: no SQL), then every list's count is
read in **one** statement (`count_all`: scalar subqueries side by side), so the menu can show
its badges on every page for one statement; only the home page reads the items (`fill`).

The core's lists ask the declarations (`Workflow.transitions_tagged`), never state names:
- *Menunggu tanda tangan*: records in a state from which a step tagged `signs` is open to one
  of the actor's roles;
- *Permohonan saya hari ini*: requests the actor took today (office date, WITA);
- *Siap diserahkan*: records from whose state a step tagged `hands_over` is open to the actor;
- for a desa-scoped actor, the desa's open requests and its letters ready to collect;
- for the Auditor (audit.read), the refused and locked logins of the last days
  (`login_alerts`, registered by records.builtin.core like any feature's list).
Features add their own through the `register_worklists` hook (records.hookspecs); the core
never imports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import CLOSED, HANDS_OVER, READY, SIGNS, Registry
from records.models import AuditEvent, Record
from records.services.records import in_tagged_state, readable_by

LIMIT = 10
#: The menu item (Flask-AppBuilder's menu name) of the record lists.
RECORDS_MENU = "Dokumen"
AUDIT_MENU = "Log Audit"
#: Audit actions the Auditor is alerted to, in plain words.
ALERTS = {"login.failure": "Login gagal", "login.locked": "Akun dikunci sementara setelah login gagal",
          "login.refused_locked": "Login ditolak: akun sedang dikunci"}
ALERT_DAYS = 7


@dataclass(frozen=True)
class Worklist:
    """One core list of records; `query(session, actor, registry, today, timezone)` is a
    select of Record, or None when the list does not apply to this actor. `waits` lists count
    on the menu (what the actor must do); the others only inform."""

    key: str
    title: str
    query: Callable
    action: str = ""  # e.g. "sign_and_issue": the page offers it on each item
    waits: bool = True
    desa: bool = False  # the list is about the actor's desa: the page names it


@dataclass(frozen=True)
class Pending:
    """A list declared for one actor and not read yet.

    `count` is a select of one integer (batched with every other list's count into one
    statement); `items(limit)` reads the first records (core lists) and `links(limit)` the
    first (title, url) pairs (features' lists) for the home page only. `menu` names the menu
    item whose badge counts the list ("" for none)."""

    key: str
    title: str
    count: Select
    items: Callable[[int], Sequence[Any]] | None = None
    links: Callable[[int], Sequence[tuple[str, str]]] | None = None
    action: str = ""
    menu: str = ""
    desa: bool = False  # about the actor's desa: the page names the desa beside the title


@dataclass
class Filled:
    """A worklist as one actor sees it."""

    key: str
    title: str
    count: int
    items: list = field(default_factory=list)
    action: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # a feature's (title, url)
    note: str = ""


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
    """The actor's desa scope and the records' readers (a secret letter stays off lists)."""
    query = query.where(readable_by(actor))
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
    Worklist("permohonan_hari_ini", "Permohonan saya hari ini", _mine_today, waits=False),
    Worklist("siap_diserahkan", "Siap diserahkan", _tagged(HANDS_OVER)),
    Worklist("desa_terbuka", "Permohonan warga desa yang masih berjalan", _desa_open, desa=True),
    Worklist("desa_siap", "Surat siap diambil warga desa", _desa_ready, desa=True),
)


def _record_list(worklist: Worklist, query, session: Session) -> Pending:
    """A core list as a Pending: its count and its newest records."""
    def items(limit: int) -> list[Record]:
        return list(session.scalars(query.order_by(Record.id.desc()).limit(limit)))

    return Pending(worklist.key, worklist.title,
                   select(func.count()).select_from(query.subquery()), items=items,
                   action=worklist.action, menu=RECORDS_MENU if worklist.waits else "",
                   desa=worklist.desa)


def login_alerts(session: Session, actor: Actor, today: dt.date, *,
                 link: Callable[[AuditEvent], str]) -> Pending | None:
    """The Auditor's alerts: refused and locked logins of the last days (newest first);
    `link(event)` is the entry's page (the adapter knows the URL)."""
    if not actor.can("audit.read"):
        return None
    since = dt.datetime.combine(today - dt.timedelta(days=ALERT_DAYS), dt.time())
    query = select(AuditEvent).where(AuditEvent.action.in_(sorted(ALERTS)), AuditEvent.at >= since)

    def links(limit: int) -> list[tuple[str, str]]:
        rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit))
        return [(f"{ALERTS[e.action]}: {e.actor}", link(e)) for e in rows]

    return Pending("peringatan_login", f"Peringatan: login gagal {ALERT_DAYS} hari terakhir",
                   select(func.count()).select_from(query.subquery()), links=links, menu=AUDIT_MENU)


def pending(actor: Actor, *, session: Session, registry: Registry, today: dt.date,
            timezone: str = "Asia/Makassar", extra: tuple[Worklist, ...] = (),
            records: bool = True) -> list[Pending]:
    """The lists that apply to the actor, declared but not read (no statement runs): the
    record lists (when the actor may read records), then the features' and the core's
    alerts (hook `register_worklists`)."""
    found: list[Pending] = []
    for worklist in (*CORE, *extra) if records else ():
        query = worklist.query(session, actor, registry, today, timezone)
        if query is not None:
            found.append(_record_list(worklist, query, session))
    for feature_list in registry.worklists:
        declared = feature_list(session, actor, today)
        if declared is not None:
            found.append(declared)
    return found


def count_all(lists: Sequence[Pending], *, session: Session) -> dict[str, int]:
    """Every list's count in one statement (scalar subqueries side by side)."""
    if not lists:
        return {}
    row = session.execute(select(*(p.count.scalar_subquery().label(f"c{i}")
                                   for i, p in enumerate(lists)))).one()
    return {p.key: int(value or 0) for p, value in zip(lists, row, strict=True)}


def fill(lists: Sequence[Pending], counts: dict[str, int], *, limit: int = LIMIT,
         desa_note: str = "") -> list[Filled]:
    """The home page's lists: each count with its first items or links; `desa_note` (the
    actor's desa by name) goes beside the titles of the desa lists. An empty list reads
    nothing more."""
    return [Filled(p.key, p.title, counts.get(p.key, 0),
                   list(p.items(limit)) if p.items and counts.get(p.key) else [], p.action,
                   list(p.links(limit)) if p.links and counts.get(p.key) else [],
                   desa_note if p.desa else "") for p in lists]


def menu_counts(lists: Sequence[Pending], counts: dict[str, int]) -> dict[str, int]:
    """{menu item: how many things wait there for the actor}, lists of one item added up."""
    totals: dict[str, int] = {}
    for p in lists:
        if p.menu and counts.get(p.key):
            totals[p.menu] = totals.get(p.menu, 0) + counts[p.key]
    return totals


def for_actor(actor: Actor, *, session: Session, registry: Registry, today: dt.date,
              timezone: str = "Asia/Makassar", extra: tuple[Worklist, ...] = (),
              records: bool = True) -> list[Filled]:
    """The worklists that apply to the actor, with their counts and first items (for a
    caller outside a web request: the CLI, tests)."""
    lists = pending(actor, session=session, registry=registry, today=today, timezone=timezone,
                    extra=extra, records=records)
    return fill(lists, count_all(lists, session=session))
