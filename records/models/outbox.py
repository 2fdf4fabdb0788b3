"""The search outbox: index changes written in the same transaction as the change they follow.

The database is the source of truth and the index a cache. A service that changes a record or
a resident adds a row here before its commit, so the change and the note "re-index this" commit
or roll back together; `records.indexing.apply_outbox` later turns rows into index writes and
deletes them. A crash between the commit and the index write only leaves rows for next time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask_appbuilder import Model
from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.models.kependudukan import Penduduk

RECORD, PENDUDUK = "record", "penduduk"
UPSERT, DELETE = "upsert", "delete"
# Session.info key set by enqueue; the web hook drains only after requests that wrote rows.
PENDING = "lemari_search_pending"
_NIK_CHUNK = 500


class SearchOutbox(Model):
    """One pending index change, applied in id order."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(8), default=UPSERT)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


def enqueue(session: Session, kind: str, object_id: int | None, op: str = UPSERT) -> None:
    """Add one outbox row to the open transaction (nothing is flushed or committed here)."""
    if object_id is None:
        return
    if kind not in (RECORD, PENDUDUK) or op not in (UPSERT, DELETE):
        raise ValueError(f"outbox: unknown kind/op {kind!r}/{op!r}")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.add(SearchOutbox(kind=kind, object_id=object_id, op=op, created_at=now))
    session.info[PENDING] = True


def enqueue_many(session: Session, kind: str, ids: Iterable[int | None], op: str = UPSERT) -> None:
    """enqueue for several objects (e.g. every member of a family whose No. KK changed)."""
    for object_id in ids:
        enqueue(session, kind, object_id, op)


def enqueue_residents_by_nik(session: Session, niks: Iterable[str]) -> None:
    """Enqueue freshly inserted residents by NIK, for bulk paths that do not keep the objects
    (the import); must run after their flush so they have ids."""
    niks = list(niks)
    for start in range(0, len(niks), _NIK_CHUNK):
        chunk = niks[start : start + _NIK_CHUNK]
        ids = session.scalars(select(Penduduk.id).where(Penduduk.nik.in_(chunk)))
        enqueue_many(session, PENDUDUK, list(ids))


def enqueue_saved(session: Session, kind: str, item) -> None:
    """Enqueue what a saved resident or family changes in the index: the resident itself, or
    every member of the family (their No. KK is indexed)."""
    if kind == PENDUDUK:
        enqueue(session, PENDUDUK, item.id)
    elif kind == "keluarga":
        enqueue_many(session, PENDUDUK, [member.id for member in item.anggota])
