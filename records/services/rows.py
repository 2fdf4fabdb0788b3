"""The row count of a compare-and-set UPDATE run through the Session."""

from __future__ import annotations

from sqlalchemy.engine import CursorResult


def changed_rows(result: object) -> int:
    """How many rows an UPDATE (or DELETE) changed.

    ``Session.execute()`` is typed as returning a ``Result``; for these statements it returns
    a ``CursorResult``, the only kind that carries ``rowcount``.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount
