"""The queue's fairness rule, pure: which lane a counter calls from next.

Two lanes wait for each counter: *prioritas* (lansia ≥ 60, disabilitas, ibu hamil) and *umum*.
The rule (docs/decisions.md, "Queue fairness"): a waiting priority ticket is called first,
but a counter makes at most MAX_PRIORITY_STREAK priority calls in a row while a regular ticket
it could call is waiting; the next call then goes to the regular lane. So when both lanes are
busy the calls run P P U P P U …: a priority citizen waits at most one regular call, and a
regular citizen gets at least every third call. Within a lane the order is first come, first
served. Only calls that passed over a waiting regular ticket count towards the streak.
"""

from __future__ import annotations

from collections.abc import Iterable

PRIORITY, REGULAR = "prioritas", "umum"
MAX_PRIORITY_STREAK = 2
PRIORITY_REASONS = {"lansia": "Lansia (60 tahun ke atas)", "disabilitas": "Penyandang disabilitas",
                    "hamil": "Ibu hamil"}


def priority_streak(calls: Iterable[tuple[str, bool]]) -> int:
    """Consecutive priority calls that passed over a regular ticket, newest first.

    `calls` are (lane, regular_was_waiting) of one counter's calls today, newest first; the
    streak ends at the first regular call or priority call made while no regular waited.
    """
    streak = 0
    for lane, regular_waiting in calls:
        if lane != PRIORITY or not regular_waiting:
            break
        streak += 1
    return streak


def choose_lane(streak: int, priority_waiting: bool, regular_waiting: bool) -> str | None:
    """The lane of the next call, or None when nobody waits for this counter."""
    if priority_waiting and (not regular_waiting or streak < MAX_PRIORITY_STREAK):
        return PRIORITY
    if regular_waiting:
        return REGULAR
    return None
