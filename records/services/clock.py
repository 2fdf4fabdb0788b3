"""The office's clock: timestamps are stored as naive UTC, days are the office's local date
(Asia/Makassar for Kota Bangun), so "today" at the counter is the day the citizen sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from records.exceptions import ValidationError


# The one source of "now" for every service. Replaced only by `frozen` (tests, drills, the
# fixture builder that must write a release's database on a fixed day).
def _system_time() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_source: Callable[[], dt.datetime] = _system_time


def utc_now() -> dt.datetime:
    """Now as naive UTC, the way the database stores every timestamp."""
    return _source().astimezone(dt.UTC).replace(tzinfo=None)


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Every service sees `at` (aware, or naive UTC) as now until the block ends."""
    global _source
    fixed = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    previous, _source = _source, (lambda: fixed)
    try:
        yield
    finally:
        _source = previous


def clock(tz: str, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.date]:
    """(now as naive UTC, the office's local date); `now` lets tests and benchmarks set time."""
    now = now or utc_now()  # `frozen` reaches the web pages' "today" too
    return now, local_time(tz, now).date()


def local_time(tz: str, utc_naive: dt.datetime) -> dt.datetime:
    """A stored UTC timestamp as the office's wall-clock time."""
    return utc_naive.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz))


#: Indonesia's three time zones as people name them (UU: Keppres 41/1987).
ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
               "Asia/Jayapura": "WIT"}


def zone_label(tz: str) -> str:
    """WIB, WITA or WIT for the office's zone (the zone's name elsewhere)."""
    return ZONE_LABELS.get(tz, tz)


def format_local(utc_naive: dt.datetime | None, tz: str, *, seconds: bool = False) -> str:
    """A stored timestamp as the office reads it: "04-12-2026 21.58 WITA" (a dash when empty).

    Stored times are UTC; a screen that printed them raw showed 13.58 to a clerk whose clock
    said 21.58. Indonesian writes hours and minutes with a full stop."""
    if utc_naive is None:
        return "—"
    pattern = "%d-%m-%Y %H.%M.%S" if seconds else "%d-%m-%Y %H.%M"
    return f"{local_time(tz, utc_naive).strftime(pattern)} {zone_label(tz)}"


def local_day_bounds(tz: str, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Naive-UTC [start, end) covering the local days first … last."""
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last day of a month; a bad month is a clear error."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError("Bulan laporan tidak valid.")
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)
