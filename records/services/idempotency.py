"""Create a record at most once per key: a form's hidden one-time token or a REST call's
`Idempotency-Key` header.

`claim` runs first in the creating transaction. It inserts the key's row and flushes, so the
database's primary key decides: a second use, even at the same instant from a double click,
either finds the committed row or fails on the key, rolls back and returns the record the first
use made. Nothing else of the second request is written. A crash before the commit loses the
key with everything else (the resubmit then creates the record, once); after the commit the
key names the record for good.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from records.actor import Actor
from records.exceptions import ValidationError
from records.models import IdempotencyKey, Record
from records.services.clock import utc_now

#: Printable ASCII without spaces, 8–80 characters (a token_urlsafe or a UUID fits).
_KEY = re.compile(r"[!-~]{8,80}")
BAD_KEY = "Kunci idempotensi tidak sah (8–80 karakter tanpa spasi)."
OTHER_USER = "Kunci idempotensi ini sudah dipakai oleh pengguna lain; muat ulang formulir."
IN_PROGRESS = ("Permohonan yang sama sedang diproses (klik ganda?); muat ulang halaman untuk "
               "melihat hasilnya.")
BUSY = ("Basis data sedang sibuk menyimpan pekerjaan lain dan permohonan ini belum tersimpan; "
        "kirim ulang formulir ini (tidak akan tercatat dua kali).")


def clean_key(key: str | None) -> str | None:
    """The key as stored, None when none was given; a malformed key is refused."""
    if key is None or not str(key).strip():
        return None
    key = str(key).strip()
    if not _KEY.fullmatch(key):
        raise ValidationError(BAD_KEY, {"idempotency_key": BAD_KEY})
    return key


def claim(key: str | None, *, actor: Actor, session: Session) -> int | None:
    """None when `key` is new (its row is flushed in the open transaction: bind it with
    `bind` before the commit) or absent; else the id of the record its first use created
    (the caller reads it with its own scope check).

    The caller must not have written anything yet in this transaction: a duplicate rolls it
    back."""
    key = clean_key(key)
    if key is None:
        return None
    found = session.get(IdempotencyKey, key)
    if found is None:
        session.add(IdempotencyKey(key=key, username=actor.username, created_at=utc_now()))
        try:
            session.flush()
            return None
        except IntegrityError:  # a simultaneous first use won
            session.rollback()
            found = session.get(IdempotencyKey, key)
            if found is None:
                raise ValidationError(IN_PROGRESS) from None
        except OperationalError:  # SQLite's write lock not free within the busy timeout
            session.rollback()  # not a double click: say so (the same token may be resent)
            raise ValidationError(BUSY) from None
    return _first_use(found, actor)


def peek(key: str | None, *, actor: Actor, session: Session) -> int | None:
    """`claim` without writing: the id of the record the key's first use created, None when
    the key is new or absent; the same refusals. Lets a caller skip slow work (intake's
    receipt render) for a resubmission before its write transaction; `claim` still decides."""
    key = clean_key(key)
    found = session.get(IdempotencyKey, key) if key is not None else None
    return None if found is None else _first_use(found, actor)


def _first_use(found: IdempotencyKey, actor: Actor) -> int:
    """The record a used key names, or why it cannot be returned to this actor now."""
    if found.username != actor.username:
        raise ValidationError(OTHER_USER, {"idempotency_key": OTHER_USER})
    if found.record_id is None:
        raise ValidationError(IN_PROGRESS)
    return found.record_id


def bind(key: str | None, record: Record, *, session: Session) -> None:
    """Name the record the claimed key created (same transaction as the record)."""
    key = clean_key(key)
    if key is not None:
        row = session.get(IdempotencyKey, key)
        if row is not None:
            row.record_id = record.id

