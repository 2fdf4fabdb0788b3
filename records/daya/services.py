"""Power cuts: each UPS reading moves the office between line power, battery and low battery,
and every outage is recorded once and audited.

`record_reading` is called by every watcher (`lemari serve`, `lemari jobs worker`, `lemari daya
pantau`) after each reading; it answers what the caller must do (`Langkah`). Opening and
closing an outage are compare-and-set UPDATEs of the status row's `padam_id`, so with several
watchers exactly one opens it (and takes the backup) and exactly one closes it.

What a crash does at each point of one call:
* before the commit: nothing was written; the next reading (any watcher) does it again;
* after the commit: the outage row, the status and the audit entry are all there together.
A backup or a shutdown that a crash cut off is not repeated for the same outage: the backup
result is written on the outage row (`cadangan`, `cadangan_galat`) when it ends, so an
outage without either shows it never finished.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.daya.models import STATUS_ID, DayaStatus, Padam
from records.daya.nut import Reading
from records.services.audit import record_event
from records.services.clock import local_day_bounds, local_time
from records.services.rows import changed_rows

SYSTEM = "sistem"
#: A status older than this many poll intervals means no watcher is reading the UPS.
STALE_POLLS = 4
STALE_MIN_SECONDS = 30.0

# What a reading changed (Langkah.event).
PADAM, RENDAH, PULIH, HILANG, KEMBALI = "padam", "rendah", "pulih", "hilang", "kembali"


@dataclass(frozen=True)
class Langkah:
    """What the watcher must do after a reading: `event` (at most one, this watcher won its
    claim), the outage in progress, and `stop`: shut the server down now (low battery)."""

    event: str | None
    padam_id: int | None
    stop: bool = False


@dataclass(frozen=True)
class Keadaan:
    """The power state as every page and gate sees it."""

    dipantau: bool  # a UPS is configured
    terpantau: bool  # … and a watcher read it recently
    baterai: bool  # on battery
    rendah: bool  # low battery
    status: str
    muatan: int | None
    sisa_detik: int | None
    galat: str
    diperbarui: dt.datetime | None
    padam_id: int | None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def status_row(session: Session) -> DayaStatus:
    """The status row, created on first use (a concurrent creator wins; we read its row)."""
    row = session.get(DayaStatus, STATUS_ID)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(DayaStatus(id=STATUS_ID, ups="", status="", terpantau=False, galat=""))
    except IntegrityError:
        pass
    found = session.get(DayaStatus, STATUS_ID)
    assert found is not None
    return found


def record_reading(session: Session, reading: Reading | None, *, ups: str, error: str = "",
                   now: dt.datetime | None = None) -> Langkah:
    """Store one reading (None: the UPS could not be read, `error` says why), open, mark or
    close the outage, audit what changed, commit. Retried once when another watcher won a
    claim in between."""
    for _ in range(2):
        try:
            return _record(session, reading, ups=ups, error=error, now=now or utcnow())
        except _LostClaim:
            session.rollback()
    return Langkah(None, status_row(session).padam_id, stop=bool(reading and reading.low_battery))


class _LostClaim(Exception):
    """Another watcher changed the outage between our read and our UPDATE."""


def _record(session: Session, reading: Reading | None, *, ups: str, error: str,
            now: dt.datetime) -> Langkah:
    row = status_row(session)
    was_watched, had_error, padam_id = row.terpantau, bool(row.galat), row.padam_id
    if reading is None:
        session.execute(update(DayaStatus).where(DayaStatus.id == STATUS_ID).values(
            ups=ups, terpantau=False, galat=error[:255], diperbarui=now))
        event = None
        if was_watched or not had_error:
            record_event(session, SYSTEM, "daya.tidak_terpantau", object_type="ups", object_id=ups,
                         detail={"alasan": error})
            event = HILANG
        session.commit()
        return Langkah(event, padam_id)
    session.execute(update(DayaStatus).where(DayaStatus.id == STATUS_ID).values(
        ups=ups, status=reading.status[:64], terpantau=True, galat="", muatan=reading.charge,
        sisa_detik=reading.runtime, diperbarui=now))
    event = None
    if had_error and not was_watched:
        record_event(session, SYSTEM, "daya.terpantau", object_type="ups", object_id=ups,
                     detail={"status": reading.status})
        event = KEMBALI
    if reading.on_battery:
        if padam_id is None:
            padam_id = _open(session, ups, reading, now)
            event = PADAM
        else:
            event = _mark(session, padam_id, reading, now) or event
    elif padam_id is not None:
        _close(session, padam_id, reading, now)
        event, padam_id = PULIH, None
    session.commit()
    return Langkah(event, padam_id, stop=reading.low_battery)


def _open(session: Session, ups: str, reading: Reading, now: dt.datetime) -> int:
    padam = Padam(ups=ups, mulai=now, muatan_terendah=reading.charge, dimatikan=False,
                  cadangan="", cadangan_galat="")
    session.add(padam)
    session.flush()
    claimed = changed_rows(session.execute(
        update(DayaStatus).where(DayaStatus.id == STATUS_ID, DayaStatus.padam_id.is_(None))
        .values(padam_id=padam.id)))
    if not claimed:
        raise _LostClaim
    record_event(session, SYSTEM, "daya.padam", object_type="daya_padam", object_id=padam.id,
                 detail={"ups": ups, "status": reading.status, "muatan": reading.charge})
    if reading.low_battery:
        _mark(session, padam.id, reading, now)
    return padam.id


def _mark(session: Session, padam_id: int, reading: Reading, now: dt.datetime) -> str | None:
    """The lowest charge seen; the first low-battery reading is stamped (and audited) once."""
    padam = session.get(Padam, padam_id)
    if padam is None:
        return None
    lowest = padam.muatan_terendah
    if reading.charge is not None and (lowest is None or reading.charge < lowest):
        padam.muatan_terendah = reading.charge
    if not reading.low_battery:
        return None
    stamped = changed_rows(session.execute(
        update(Padam).where(Padam.id == padam_id, Padam.baterai_rendah.is_(None))
        .values(baterai_rendah=now, dimatikan=True)))
    if not stamped:
        return None
    record_event(session, SYSTEM, "daya.baterai_rendah", object_type="daya_padam", object_id=padam_id,
                 detail={"status": reading.status, "muatan": reading.charge,
                         "sisa_detik": reading.runtime})
    return RENDAH


def _close(session: Session, padam_id: int, reading: Reading, now: dt.datetime) -> None:
    claimed = changed_rows(session.execute(
        update(DayaStatus).where(DayaStatus.id == STATUS_ID, DayaStatus.padam_id == padam_id)
        .values(padam_id=None)))
    if not claimed:
        raise _LostClaim
    padam = session.get(Padam, padam_id)
    if padam is None:
        return
    padam.selesai = now
    padam.detik_baterai = max(0, round((now - padam.mulai).total_seconds()))
    record_event(session, SYSTEM, "daya.pulih", object_type="daya_padam", object_id=padam_id,
                 detail={"status": reading.status, "detik_baterai": padam.detik_baterai,
                         "baterai_rendah": padam.baterai_rendah is not None})


def record_backup(session: Session, padam_id: int, *, path: str = "", error: str = "") -> None:
    """Write the outcome of the outage's backup on its row, audited."""
    session.execute(update(Padam).where(Padam.id == padam_id).values(
        cadangan=path, cadangan_galat=error))
    record_event(session, SYSTEM, "daya.cadangan", object_type="daya_padam", object_id=padam_id,
                 detail={"lokasi": path} if path else {"galat": error})
    session.commit()


def current(session: Session, *, configured: bool, poll_seconds: float,
            now: dt.datetime | None = None) -> Keadaan:
    """The power state now. A reading older than a few polls counts as unwatched (the
    watcher stopped), and then no battery banner is shown either."""
    row = session.get(DayaStatus, STATUS_ID)
    now = now or utcnow()
    if row is None:
        return Keadaan(configured, False, False, False, "", None, None,
                       "" if not configured else "belum ada pembacaan UPS", None, None)
    stale_after = dt.timedelta(seconds=max(STALE_MIN_SECONDS, STALE_POLLS * poll_seconds))
    fresh = row.diperbarui is not None and now - row.diperbarui <= stale_after
    watched = configured and row.terpantau and fresh
    flags = set(row.status.split())
    battery = watched and "OB" in flags
    galat = row.galat or ("" if fresh or not configured else "tidak ada pembacaan UPS terbaru")
    return Keadaan(configured, watched, battery, battery and bool(flags & {"LB", "FSD"}),
                   row.status, row.muatan, row.sisa_detik, galat, row.diperbarui, row.padam_id)


def held_reason(session: Session, *, poll_seconds: float) -> str | None:
    """Why long jobs wait now (the office runs on battery), or None."""
    state = current(session, configured=True, poll_seconds=poll_seconds)
    if state.baterai:
        return f"listrik padam, berjalan dengan baterai UPS ({state.status})"
    return None


def outages(session: Session, *, limit: int = 20) -> list[Padam]:
    """The latest outages, newest first."""
    return list(session.scalars(select(Padam).order_by(Padam.mulai.desc()).limit(limit)))


def outages_by_day(session: Session, first: dt.date, last: dt.date, tz: str,
                   now: dt.datetime | None = None) -> dict[dt.date, list[dict]]:
    """{office-local day: [outage summaries]} of the outages that touched days first … last
    (an outage over midnight appears on both days)."""
    start, end = local_day_bounds(tz, first, last)
    now = now or utcnow()
    rows = session.scalars(select(Padam).where(Padam.mulai < end)
                           .where((Padam.selesai.is_(None)) | (Padam.selesai >= start))
                           .order_by(Padam.mulai))
    found: dict[dt.date, list[dict]] = {}
    for padam in rows:
        began, ended = local_time(tz, padam.mulai), local_time(tz, padam.selesai or now)
        day = max(began.date(), first)
        while day <= min(ended.date(), last):
            found.setdefault(day, []).append({
                "id": padam.id, "mulai": began,
                "selesai": local_time(tz, padam.selesai) if padam.selesai else None,
                "menit": round(((padam.selesai or now) - padam.mulai).total_seconds() / 60),
                "baterai_rendah": padam.baterai_rendah is not None})
            day += dt.timedelta(days=1)
    return found
