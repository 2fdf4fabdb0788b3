"""The queue (antrian): tickets from the kiosk or a clerk, counters calling them fairly.

Concurrency: a call first bumps its counter's row (`versi`), then takes the audit append lock
(PostgreSQL; SQLite has its single write lock), always in that order, so counter events queue
instead of deadlocking. The ticket itself is taken with a conditional UPDATE (`… WHERE status
= 'menunggu'`) that only one transaction can win: two counters calling at the same instant
never get the same ticket, whatever the locking around it. Numbers are bumped with
`UPDATE … RETURNING` on the (day, prefix) row.
The day is the office's local date, which is what resets the numbers every morning.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from records.actor import Actor
from records.antrian.jadwal import due_no_shows, release_no_shows, todays_board
from records.antrian.models import (
    ACTIVE,
    BOOKED,
    CALLED,
    DONE,
    SERVING,
    SKIPPED,
    WAITING,
    AntrianLayanan,
    Janji,
    Loket,
    NomorAntrian,
    Panggilan,
    Tiket,
)
from records.antrian.rules import (
    MAX_PRIORITY_STREAK,
    PRIORITY,
    PRIORITY_REASONS,
    REGULAR,
    choose_lane,
    priority_streak,
)
from records.exceptions import InvalidTransitionError, NotFoundError, ValidationError
from records.models import Layanan, Record
from records.services.audit import record_event, serialise_writes
from records.services.clock import clock, local_time, utc_now
from records.services.issuing import Desk
from records.services.requests import new_tracking_code, take_request
from records.services.rows import changed_rows

KIOSK = "kiosk"
TRANSFER = "alih"
DEFAULT_COUNTERS = ("Loket 1", "Loket 2", "Loket 3")
# No I, O or Q: on a ticket they read like 1, 0 and O.
PREFIXES = "ABCDEFGHJKLMNPRSTUVWXYZ"
CLAIM_ATTEMPTS = 20


# ----- setup ---------------------------------------------------------------------------------

def ensure_setup(session: Session, catalogue_order: Sequence[str] = ()) -> None:
    """Give every service a ticket prefix and the office its first counters (idempotent).

    Runs when a queue page opens, so a service added to the catalogue later gets its letter
    without anyone configuring it; an office's own prefixes and counters are never changed.
    """
    known = {row.layanan_code: row.prefix for row in session.scalars(select(AntrianLayanan))}
    codes = [c for c in session.scalars(select(Layanan.code)) if c not in known]
    has_counters = (session.scalar(select(func.count(Loket.id))) or 0) > 0
    if not codes and has_counters:
        return
    rank = {code: i for i, code in enumerate(catalogue_order)}
    free = [p for p in PREFIXES if p not in set(known.values())]
    for order, code in enumerate(sorted(codes, key=lambda c: (rank.get(c, len(rank)), c))):
        if free:
            session.add(AntrianLayanan(layanan_code=code, prefix=free.pop(0),
                                       urutan=len(known) + order, aktif=True))
    if not has_counters:
        session.add_all(Loket(nama=name, layanan="", aktif=True) for name in DEFAULT_COUNTERS)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another page did the same setup at the same moment


def queue_services(session: Session) -> list[AntrianLayanan]:
    """Services offered at the kiosk, in their configured order."""
    return list(session.scalars(select(AntrianLayanan).options(joinedload(AntrianLayanan.layanan))
                                .where(AntrianLayanan.aktif.is_(True))
                                .order_by(AntrianLayanan.urutan, AntrianLayanan.prefix)))


def counters(session: Session, *, active_only: bool = True) -> list[Loket]:
    query = select(Loket).order_by(Loket.nama)
    if active_only:
        query = query.where(Loket.aktif.is_(True))
    return list(session.scalars(query))


# ----- tickets -------------------------------------------------------------------------------

def issue_ticket(layanan_code: str, *, reason: str = "", actor: Actor | None, session: Session,
                 tz: str, now: dt.datetime | None = None) -> Tiket:
    """Take a ticket at the kiosk (actor None) or for a citizen at the desk; commit."""
    if actor is not None:
        actor.require("antrian.issue")
    if reason and reason not in PRIORITY_REASONS:
        raise ValidationError("Alasan antrian prioritas tidak dikenal.", {"prioritas": reason})
    now, today = clock(tz, now)
    ticket = new_ticket(session, layanan_code, reason=reason, actor=actor, now=now, today=today)
    session.commit()
    return ticket


def new_ticket(session: Session, layanan_code: str, *, reason: str, actor: Actor | None,
               now: dt.datetime, today: dt.date, booking_code: str = "") -> Tiket:
    """Number and add a waiting ticket with its audit entry (the caller commits); a booking's
    check-in passes its code, which the ticket keeps as its tracking code."""
    service = session.get(AntrianLayanan, layanan_code or "")
    if service is None or not service.aktif:
        raise NotFoundError("Layanan ini tidak tersedia di antrian.")
    ticket = Tiket(tanggal=today, layanan_code=service.layanan_code, prefix=service.prefix,
                   nomor=_next_number(session, today, service.prefix), prioritas=bool(reason),
                   alasan_prioritas=reason, status=WAITING,
                   tracking_code=booking_code or new_tracking_code(),
                   sumber=KIOSK if actor is None else "petugas",
                   dibuat_oleh=KIOSK if actor is None else actor.username,
                   created_at=now, antri_sejak=now)
    session.add(ticket)
    session.flush()
    record_event(session, actor or KIOSK, "antrian.ambil", object_type="tiket", object_id=ticket.id,
                 detail={"tiket": ticket.label, "layanan": ticket.layanan_code, "prioritas": reason,
                         "janji": booking_code})
    return ticket


def _next_number(session: Session, day: dt.date, prefix: str) -> int:
    """Bump the day's counter for a prefix; the row lock queues simultaneous kiosks."""
    bump = (update(NomorAntrian).where(NomorAntrian.tanggal == day, NomorAntrian.prefix == prefix)
            .values(last=NomorAntrian.last + 1).returning(NomorAntrian.last))
    value = session.execute(bump).scalar()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(insert(NomorAntrian).values(tanggal=day, prefix=prefix, last=0))
    except IntegrityError:
        pass  # another kiosk opened the day first; the bump below queues behind it
    return session.execute(bump).scalar_one()


def ticket_by_code(code: str, *, session: Session) -> Tiket:
    """The ticket with this tracking code (public: a ticket holds no personal data)."""
    ticket = session.scalar(select(Tiket).where(Tiket.tracking_code == (code or "").strip().upper()))
    if ticket is None:
        raise NotFoundError("Tiket tidak ditemukan.")
    return ticket


def people_ahead(ticket: Tiket, *, session: Session) -> int:
    """Waiting tickets of the same service that will be called before this one (estimate).

    A priority ticket counts only earlier priority tickets; a regular ticket counts every
    earlier waiting ticket, since priority ones are called first.
    """
    if ticket.status != WAITING:
        return 0
    query = select(func.count(Tiket.id)).where(
        Tiket.tanggal == ticket.tanggal, Tiket.status == WAITING,
        Tiket.layanan_code == ticket.layanan_code, Tiket.antri_sejak < ticket.antri_sejak)
    if ticket.prioritas:
        query = query.where(Tiket.prioritas.is_(True))
    return session.scalar(query) or 0


# ----- counters ------------------------------------------------------------------------------

def get_counter(loket_id: int, *, session: Session) -> Loket:
    loket = session.get(Loket, loket_id) if isinstance(loket_id, int) and 0 < loket_id < 2**31 else None
    if loket is None or not loket.aktif:
        raise NotFoundError("Loket tidak ditemukan atau tidak aktif.")
    return loket


def current_ticket(loket: Loket, *, session: Session, today: dt.date) -> Tiket | None:
    """The ticket being called or served at this counter today."""
    return session.scalar(select(Tiket).where(Tiket.loket_id == loket.id, Tiket.tanggal == today,
                                              Tiket.status.in_(ACTIVE)).order_by(Tiket.id.desc()))


def call_next(loket_id: int, *, actor: Actor, session: Session, tz: str,
              now: dt.datetime | None = None) -> Tiket | None:
    """Finish the counter's current ticket and call the next one; None when nobody waits.

    Everything the call decides on is read before the counter is locked, and only its writes
    run under the lock: on SQLite that lock is the database's single write lock, which the
    other counters, the kiosk and every clerk's save wait for, so its length is everyone's
    wait (issue 17). What was read stays valid: the counter's own state (its current ticket,
    its recent lanes) only changes with an event that bumps its `versi`, and the lock is an
    UPDATE conditional on the `versi` read; after a double click or another event in between,
    it reads again under the lock. A ticket another counter took meanwhile loses the claim
    (`_claim_next`), and a ticket or transfer that arrived meanwhile is called next time, as
    if it had come a moment later."""
    actor.require("antrian.call")
    loket = get_counter(loket_id, session=session)
    now, today = clock(tz, now)
    seen, due = loket.versi, due_no_shows(session, now=now)
    current, choice = _current_and_candidate(session, loket, today, now)
    if choice is None and current is None and not due:
        return None  # nothing to finish, release or call: no lock, no write, no commit
    if not _lock_counter(session, loket, seen=seen):  # read again, now under the lock
        current, choice = _current_and_candidate(session, loket, today, now)
    if due:
        release_no_shows(session, now=now, due=due)
    with session.no_autoflush:  # the finish goes out with the call's rows in one flush
        if current is not None:
            _finish(session, current, loket, actor, now, DONE, "selesai")
        ticket = _claim_next(session, loket, actor, now, today, choice)
    _commit_keeping(session, ticket)
    return ticket


def _commit_keeping(session: Session, ticket: Tiket | None) -> None:
    """Commit, keeping `ticket` loaded as this transaction stored it: the counter's answer
    reads its label and state, and the commit's expiry made that one more round trip.
    Under the counter's lock every round trip counts: the finish's UPDATE and both call-log
    rows (one multi-row INSERT) are flushed here, after the claim, not before it."""
    kept = {} if ticket is None else \
        {column.key: getattr(ticket, column.key) for column in sa_inspect(Tiket).column_attrs}
    session.commit()
    for key, value in kept.items():
        set_committed_value(ticket, key, value)


def _lock_counter(session: Session, loket: Loket, *, seen: int | None = None) -> bool:
    """Lock order of every counter event: this counter's row, the front office's write lock
    (`serialise_writes`), then tickets, and the audit append lock at commit; the same order
    everywhere is what keeps two counters from deadlocking on PostgreSQL. With `seen`, the
    row is first bumped only if its `versi` is still the one read: False when another event
    of this counter came in between (the row is locked all the same)."""
    bump = update(Loket).where(Loket.id == loket.id).values(versi=Loket.versi + 1) \
        .execution_options(synchronize_session=False)
    unchanged = seen is not None and changed_rows(session.execute(bump.where(Loket.versi == seen))) == 1
    if not unchanged:
        session.execute(bump)
    serialise_writes(session)
    return unchanged


#: `_claim_next`'s choice when what was read before the lock no longer holds.
STALE = object()


def _claim_next(session: Session, loket: Loket, actor: Actor, now: dt.datetime,
                today: dt.date, choice: object = STALE) -> Tiket | None:
    """Take the chosen ticket (read before the lock) or, when it is stale or another counter
    won it, choose again under the lock, until one is taken or nobody waits."""
    for _ in range(CLAIM_ATTEMPTS):
        if choice is STALE:
            choice = _candidate(session, loket, today, now)
        if choice is None:
            return None
        ticket, lane, regular_waiting = cast(tuple[Tiket, str, bool], choice)
        taken = session.execute(
            update(Tiket).where(Tiket.id == ticket.id, Tiket.status == WAITING)
            .values(status=CALLED, loket_id=loket.id, loket_tujuan_id=None, called_at=now,
                    first_called_at=func.coalesce(Tiket.first_called_at, now),
                    jumlah_panggil=Tiket.jumlah_panggil + 1)
            .execution_options(synchronize_session=False))
        if changed_rows(taken) == 1:
            _called(ticket, loket, now)
            _log(session, ticket, loket, actor, now, "panggil", lane=lane,
                 regular_waiting=regular_waiting)
            return ticket
        choice = STALE
    raise InvalidTransitionError("Antrian sedang sangat ramai; tekan Panggil sekali lagi.")


def _called(ticket: Tiket, loket: Loket, now: dt.datetime) -> None:
    """What the claim's UPDATE wrote, set on the loaded ticket as already stored (no
    re-read under the lock, no second UPDATE at flush)."""
    for name, value in (("status", CALLED), ("loket_id", loket.id), ("loket_tujuan_id", None),
                        ("called_at", now), ("first_called_at", ticket.first_called_at or now),
                        ("jumlah_panggil", (ticket.jumlah_panggil or 0) + 1)):
        set_committed_value(ticket, name, value)


def _candidate(session: Session, loket: Loket, today: dt.date, now: dt.datetime):
    """(ticket, lane, regular_waiting) of the next call, or None when nobody waits."""
    return _current_and_candidate(session, loket, today, now)[1]


def _current_and_candidate(session: Session, loket: Loket, today: dt.date,
                           now: dt.datetime) -> tuple[Tiket | None, object]:
    """The counter's current ticket and its next call, as `_candidate` says.

    A ticket transferred to this counter goes first. Within a lane, a booked ticket whose slot
    time has come goes first (earliest slot first); everyone else in arrival order. The lanes
    themselves follow the no-starvation rule, whose streak is read only when both lanes wait.
    The heads come in one statement (each head its own LIMIT 1 branch of a UNION ALL): a
    round trip is a wait for a core when the clerks keep the CPU busy (issue 17)."""
    values = {"today": today, "loket": loket.id, "now": now}
    if loket.service_codes:
        values["codes"] = loket.service_codes
    found = _heads(session, _heads_statement(bool(loket.service_codes)), values)
    if found.get(TRANSFER) is not None:
        return found.get(CURRENT), (found[TRANSFER], TRANSFER, False)
    priority, regular = found.get(PRIORITY), found.get(REGULAR)
    streak = priority_streak(_recent_calls(session, loket, today)) if priority and regular else 0
    lane = choose_lane(streak, priority is not None, regular is not None)
    return found.get(CURRENT), None if lane is None else (found[lane], lane, regular is not None)


#: The current ticket's branch in `_current_and_candidate`'s heads.
CURRENT = "current"


@functools.cache
def _heads_statement(by_service: bool):
    """The heads' statement of `_current_and_candidate` (built once per shape: a counter for
    some services or for all; its values are bound at each call). Building it per call was a
    tenth of a call's CPU in the front office (issue 17)."""
    today, loket = bindparam("today", type_=Date), bindparam("loket", type_=Integer)
    now = bindparam("now", type_=DateTime)
    waiting = _waiting(today)
    mine = waiting.where(Tiket.loket_tujuan_id.is_(None))
    if by_service:
        mine = mine.where(Tiket.layanan_code.in_(bindparam("codes", expanding=True)))
    # A checked-in booking is the ticket's Janji row; its slot start says when it is due.
    mine = mine.outerjoin(Janji, Janji.tiket_id == Tiket.id)
    due = and_(Janji.mulai_at.is_not(None), Janji.mulai_at <= now)
    order = (case((due, 0), else_=1), case((due, Janji.mulai_at), else_=Tiket.antri_sejak),
             Tiket.antri_sejak, Tiket.id)
    branches = {
        TRANSFER: waiting.where(Tiket.loket_tujuan_id == loket).order_by(Tiket.antri_sejak, Tiket.id),
        PRIORITY: mine.where(Tiket.prioritas.is_(True)).order_by(*order),
        REGULAR: mine.where(Tiket.prioritas.is_(False)).order_by(*order),
        CURRENT: select(Tiket).where(Tiket.loket_id == loket, Tiket.tanggal == today,
                                     Tiket.status.in_(ACTIVE)).order_by(Tiket.id.desc()),
    }
    parts = [select(head.c.id, literal(name).label("branch"))
             for name, query in branches.items()
             for head in [query.with_only_columns(Tiket.id).limit(1).subquery()]]
    tagged = union_all(*parts).subquery()
    return select(Tiket, tagged.c.branch).join(tagged, tagged.c.id == Tiket.id)


def _heads(session: Session, statement, values: dict) -> dict[str, Tiket]:
    """The first ticket of each ordered branch, by branch name (each head its own LIMIT 1
    branch of a UNION ALL)."""
    return {branch: ticket for ticket, branch in session.execute(statement, values)}


def _waiting(today):
    """Today's waiting tickets (`today`: a date, or a bound parameter for a statement built once)."""
    return select(Tiket).where(Tiket.tanggal == today, Tiket.status == WAITING)


def _recent_calls(session: Session, loket: Loket, today: dt.date) -> list[tuple[str, bool]]:
    rows = session.execute(select(Panggilan.jalur, Panggilan.umum_menunggu)
                           .where(Panggilan.loket_id == loket.id, Panggilan.tanggal == today,
                                  Panggilan.jenis == "panggil", Panggilan.jalur != TRANSFER)
                           .order_by(Panggilan.id.desc()).limit(MAX_PRIORITY_STREAK + 1))
    return [(lane, bool(waiting)) for lane, waiting in rows]


def _log(session: Session, ticket: Tiket, loket: Loket | None, actor: Actor, now: dt.datetime,
         kind: str, *, lane: str = "", regular_waiting: bool = False, detail: dict | None = None) -> None:
    """The call log row and the audit entry of one counter event (same transaction)."""
    session.add(Panggilan(tanggal=ticket.tanggal, tiket_id=ticket.id,
                          loket_id=loket.id if loket else None, jenis=kind, jalur=lane,
                          umum_menunggu=regular_waiting, petugas=actor.username, at=now))
    record_event(session, actor, f"antrian.{kind}", object_type="tiket", object_id=ticket.id,
                 detail={"tiket": ticket.label, "loket": loket.nama if loket else "", **(detail or {})})


def _finish(session: Session, ticket: Tiket, loket: Loket, actor: Actor, now: dt.datetime,
            status: str, kind: str) -> None:
    ticket.status, ticket.finished_at = status, now
    _log(session, ticket, loket, actor, now, kind)


def _active_or_refuse(session: Session, loket: Loket, today: dt.date, allowed=ACTIVE) -> Tiket:
    ticket = current_ticket(loket, session=session, today=today)
    if ticket is None or ticket.status not in allowed:
        raise InvalidTransitionError(f"Tidak ada nomor yang sedang dipanggil di {loket.nama}.")
    return ticket


def counter_action(loket_id: int, action: str, *, actor: Actor, session: Session, tz: str,
                   now: dt.datetime | None = None, **options) -> Tiket:
    """Recall, serve, skip, finish or transfer the counter's current ticket; commit."""
    actor.require("antrian.call")
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFoundError(f"Aksi loket '{action}' tidak dikenal.")
    loket = get_counter(loket_id, session=session)
    now, today = clock(tz, now)
    _lock_counter(session, loket)
    ticket = handler(session, loket, actor, now, today, **options)
    session.commit()
    return ticket


def _recall(session, loket, actor, now, today) -> Tiket:
    ticket = _active_or_refuse(session, loket, today, allowed=(CALLED,))
    ticket.jumlah_panggil += 1
    ticket.called_at = now
    _log(session, ticket, loket, actor, now, "ulang")
    return ticket


def _serve(session, loket, actor, now, today) -> Tiket:
    ticket = _active_or_refuse(session, loket, today, allowed=(CALLED,))
    ticket.status = SERVING
    _log(session, ticket, loket, actor, now, "layani")
    return ticket


def _skip(session, loket, actor, now, today) -> Tiket:
    ticket = _active_or_refuse(session, loket, today, allowed=(CALLED,))
    _finish(session, ticket, loket, actor, now, SKIPPED, "lewati")
    return ticket


def _done(session, loket, actor, now, today) -> Tiket:
    ticket = _active_or_refuse(session, loket, today)
    _finish(session, ticket, loket, actor, now, DONE, "selesai")
    return ticket


def _transfer(session, loket, actor, now, today, to_layanan: str = "", to_loket: int | None = None) -> Tiket:
    """Send the citizen to another service or counter; they keep their number and place."""
    ticket = _active_or_refuse(session, loket, today)
    if not to_layanan and not to_loket:
        raise ValidationError("Pilih layanan atau loket tujuan.", {"tujuan": "Pilih tujuan."})
    if to_layanan:
        service = session.get(AntrianLayanan, to_layanan)
        if service is None or not service.aktif:
            raise NotFoundError("Layanan tujuan tidak tersedia di antrian.")
        ticket.layanan_code = service.layanan_code
    target = get_counter(to_loket, session=session) if to_loket else None
    if target is not None and target.id == loket.id:
        raise ValidationError("Loket tujuan sama dengan loket ini.", {"tujuan": "Pilih loket lain."})
    ticket.status, ticket.loket_id, ticket.loket_tujuan_id = WAITING, None, target.id if target else None
    _log(session, ticket, loket, actor, now, "alih",
         detail={"ke_layanan": ticket.layanan_code, "ke_loket": target.nama if target else ""})
    return ticket


ACTIONS: dict[str, Callable[..., Tiket]] = {"ulang": _recall, "layani": _serve, "lewati": _skip,
                                             "selesai": _done, "alih": _transfer}


def reinstate(ticket_id: int, *, actor: Actor, session: Session, tz: str,
              now: dt.datetime | None = None) -> Tiket:
    """A skipped citizen turned up after all: back into their lane at their old place."""
    actor.require("antrian.call")
    now, today = clock(tz, now)
    ticket = session.get(Tiket, ticket_id) if isinstance(ticket_id, int) and 0 < ticket_id < 2**31 else None
    if ticket is None or ticket.tanggal != today:
        raise NotFoundError("Tiket hari ini tidak ditemukan.")
    serialise_writes(session)
    moved = session.execute(update(Tiket).where(Tiket.id == ticket.id, Tiket.status == SKIPPED)
                            .values(status=WAITING, loket_id=None, finished_at=None)
                            .execution_options(synchronize_session=False))
    if changed_rows(moved) != 1:
        raise InvalidTransitionError("Hanya tiket yang dilewati yang dapat dikembalikan ke antrian.")
    session.refresh(ticket)
    _log(session, ticket, None, actor, now, "kembali")
    session.commit()
    return ticket


# ----- ticket → service request --------------------------------------------------------------

def take_request_for_ticket(ticket_id: int, *, penduduk_id: int | None, received: list[str],
                            values: dict, actor: Actor, session: Session, desk: Desk,
                            paper: str = "A4", berlaku: list[str] | None = None,
                            duplicate_ok: bool = False) -> Record:
    """The request the ticket was for, under the ticket's own tracking code; one transaction
    opens the request, archives its receipt and closes the ticket (`berlaku`: the conditional
    requirements that apply, as in `take_request`)."""
    actor.require("antrian.call")
    ticket = session.get(Tiket, ticket_id) if isinstance(ticket_id, int) and 0 < ticket_id < 2**31 else None
    if ticket is None:
        raise NotFoundError("Tiket tidak ditemukan.")
    if ticket.record_id is not None:
        raise InvalidTransitionError(f"Tiket {ticket.label} sudah menjadi permohonan.")
    if ticket.status not in ACTIVE:
        raise InvalidTransitionError(f"Tiket {ticket.label} tidak sedang dilayani di loket.")
    now = utc_now()

    def close_ticket(record: Record) -> None:
        ticket.record_id = record.id
        _finish(session, ticket, ticket.loket, actor, now, DONE, "selesai")

    return take_request(ticket.layanan_code, penduduk_id=penduduk_id, received=received,
                        values=values, actor=actor, session=session, desk=desk, paper=paper,
                        tracking_code=ticket.tracking_code, before_commit=close_ticket,
                        berlaku=berlaku, duplicate_ok=duplicate_ok)


# ----- what screens show ---------------------------------------------------------------------

@dataclass
class CounterView:
    """What a clerk at one counter sees."""

    loket: Loket
    current: Tiket | None
    waiting: dict[str, int]
    skipped: list[Tiket]
    services: list[AntrianLayanan] = field(default_factory=list)
    others: list[Loket] = field(default_factory=list)


def counter_view(loket_id: int, *, actor: Actor, session: Session, tz: str) -> CounterView:
    actor.require("antrian.call")
    loket = get_counter(loket_id, session=session)
    _, today = clock(tz)
    mine = _waiting(today).where(or_(Tiket.loket_tujuan_id.is_(None), Tiket.loket_tujuan_id == loket.id))
    if loket.service_codes:
        mine = mine.where(Tiket.layanan_code.in_(loket.service_codes))
    rows = session.scalars(mine).all()
    waiting = {PRIORITY: sum(1 for t in rows if t.prioritas),
               REGULAR: sum(1 for t in rows if not t.prioritas)}
    skipped = session.scalars(select(Tiket).where(Tiket.tanggal == today, Tiket.status == SKIPPED)
                              .order_by(Tiket.finished_at.desc()).limit(10)).all()
    return CounterView(loket=loket, current=current_ticket(loket, session=session, today=today),
                       waiting=waiting, skipped=list(skipped), services=queue_services(session),
                       others=[c for c in counters(session) if c.id != loket.id])


def display_version(session: Session, tz: str) -> str:
    """Changes whenever the display would: a new call event or a new ticket today."""
    _, today = clock(tz)
    last_call, last_ticket, booked = session.execute(_version_statement(), {"today": today}).one()
    return f"{today.isoformat()}.{last_call or 0}.{last_ticket or 0}.{booked or 0}"


@functools.cache
def _version_statement():
    """`display_version`'s one statement (every TV asks it several times a second in a busy
    hour: one round trip instead of three, built once)."""
    today = bindparam("today", type_=Date)
    return select(
        select(func.max(Panggilan.id)).where(Panggilan.tanggal == today).scalar_subquery(),
        select(func.max(Tiket.id)).where(Tiket.tanggal == today).scalar_subquery(),
        select(func.count(Janji.id)).where(Janji.tanggal == today, Janji.status == BOOKED)
        .scalar_subquery())


def display_state(session: Session, tz: str) -> dict:
    """The TV page's data: current number per counter, waiting per service, new calls. Its
    version is read first, so the data is at least as new as the version a TV keeps: a call
    committed between the reads shows now or with the next answer, and is never lost behind
    a 304."""
    _, today = clock(tz)
    version = display_version(session, tz)
    names = {s.layanan_code: s.layanan.nama for s in queue_services(session)}
    current = {t.loket_id: t for t in session.scalars(
        select(Tiket).where(Tiket.tanggal == today, Tiket.status.in_(ACTIVE)).order_by(Tiket.id))}
    boards = []
    for loket in counters(session):
        ticket = current.get(loket.id)
        boards.append({"loket": loket.nama, "tiket": ticket.label if ticket else "",
                       "layanan": names.get(ticket.layanan_code, "") if ticket else "",
                       "status": ticket.status if ticket else ""})
    waiting = dict(session.execute(select(Tiket.layanan_code, func.count(Tiket.id))
                                   .where(Tiket.tanggal == today, Tiket.status == WAITING)
                                   .group_by(Tiket.layanan_code)).all())
    calls = session.execute(select(Panggilan.id, Tiket.prefix, Tiket.nomor, Loket.nama)
                            .join(Tiket, Tiket.id == Panggilan.tiket_id)
                            .join(Loket, Loket.id == Panggilan.loket_id)
                            .where(Panggilan.tanggal == today, Panggilan.jenis.in_(("panggil", "ulang")))
                            .order_by(Panggilan.id.desc()).limit(8)).all()
    return {"version": version, "tanggal": today.isoformat(), "loket": boards,
            "janji": todays_board(session, tz),
            "menunggu": [{"layanan": names[code], "jumlah": waiting.get(code, 0)} for code in names],
            "panggilan": [{"id": i, "tiket": f"{p}-{n:03d}", "loket": nama}
                          for i, p, n, nama in reversed(calls)]}


def ticket_sheet(ticket: Tiket, *, session: Session, tz: str, base_url: str) -> dict:
    """What the printed ticket and the kiosk's answer show (no personal data)."""
    return {"label": ticket.label, "layanan": ticket.layanan.nama, "prioritas": ticket.prioritas,
            "alasan": PRIORITY_REASONS.get(ticket.alasan_prioritas, ""),
            "waktu": local_time(tz, ticket.created_at), "di_depan": people_ahead(ticket, session=session),
            "kode": ticket.tracking_code, "url": f"{base_url}/lacak/{ticket.tracking_code}"}


# --- /lacak -----------------------------------------------------------------------------------

TICKET_STATUS = {"menunggu": "Menunggu dipanggil", "dipanggil": "Sedang dipanggil ke loket",
                 "dilayani": "Sedang dilayani di loket", "selesai": "Selesai dilayani di loket",
                 "dilewati": "Dilewati (tidak hadir saat dipanggil) — lapor ke petugas"}


def track_ticket(code: str, *, session: Session, tz: str) -> dict | None:
    """/lacak for a queue ticket's code (hook `register_trackers`): its place in the queue."""
    ticket = session.scalar(select(Tiket).where(Tiket.tracking_code == code))
    if ticket is None:
        return None
    return {"kind": "tiket", "code": ticket.tracking_code, "layanan": ticket.layanan.nama,
            "state": ticket.status, "status": TICKET_STATUS.get(ticket.status, ticket.status),
            "tiket": ticket.label, "received": ticket.tanggal,
            "stale": ticket.tanggal != clock(tz)[1] and ticket.status == "menunggu",
            "di_depan": people_ahead(ticket, session=session), "overdue": False,
            "promised_date": None, "complete": False, "survey": False}
