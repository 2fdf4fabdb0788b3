"""Working days for promised completion dates: weekends and office holidays are skipped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection


def add_working_days(start: dt.date, days: int, holidays: Collection[dt.date]) -> dt.date:
    """The date `days` working days after `start` (0 days = today if a working day, else next)."""
    current = start
    while not is_working_day(current, holidays):
        current += dt.timedelta(days=1)
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, holidays):
            remaining -= 1
    return current


def is_working_day(day: dt.date, holidays: Collection[dt.date]) -> bool:
    """Monday–Friday and not an office holiday."""
    return day.weekday() < 5 and day not in holidays
