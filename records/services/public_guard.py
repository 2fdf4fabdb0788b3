"""Guards of the public forms (kiosk, complaints, survey) that work with no internet.

* Rate limit per address: accepted submissions are counted per scope under a keyed hash of
  the address (HMAC with the installation's secret), so the table never holds an IP address.
* Anti-spam: the form carries a signed timestamp. A submission sooner than MIN_FORM_SECONDS
  after the page was served (a script), later than MAX_FORM_SECONDS (a stale or replayed
  page) or with a bad signature is refused; a hidden honeypot field that a person never sees
  must stay empty. No CAPTCHA service is needed, so it works when the office is offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from records.exceptions import RecordsError, ValidationError
from records.models.security import PublicHit

MIN_FORM_SECONDS = 3
MAX_FORM_SECONDS = 2 * 3600
KEEP_HITS = dt.timedelta(days=2)


class RateLimitedError(RecordsError):
    """Too many submissions from one address in the window."""

    http_status = 429


def client_key(secret: str, address: str) -> str:
    """A stable pseudonym of an address for counting, not reversible without the secret."""
    return hmac.new(secret.encode(), (address or "?").encode(), hashlib.sha256).hexdigest()


def check_rate(session: Session, scope: str, key: str, *, limit: int, window: dt.timedelta,
               now: dt.datetime, what: str) -> None:
    """Refuse when `key` already made `limit` accepted submissions within `window`."""
    count = session.scalar(select(func.count(PublicHit.id)).where(
        PublicHit.scope == scope, PublicHit.key == key, PublicHit.at > now - window)) or 0
    if count >= limit:
        minutes = int(window.total_seconds() // 60)
        raise RateLimitedError(f"Terlalu banyak {what} dari alamat ini ({limit} dalam {minutes} "
                               "menit). Silakan coba lagi nanti atau datang langsung ke kantor.")


def add_hit(session: Session, scope: str, key: str, now: dt.datetime) -> None:
    """Count one accepted submission (in the caller's transaction) and forget old ones."""
    session.execute(delete(PublicHit).where(PublicHit.at < now - KEEP_HITS))
    session.add(PublicHit(scope=scope, key=key, at=now))


def form_token(secret: str, now: dt.datetime) -> str:
    """The signed issue time a public form carries."""
    stamp = str(int(now.replace(tzinfo=dt.UTC).timestamp()))
    return f"{stamp}.{_sign(secret, stamp)}"


def check_form(secret: str, token: str, honeypot: str, now: dt.datetime) -> None:
    """Refuse a submission that a person filling the form could not have made."""
    stamp, _, signature = (token or "").partition(".")
    if honeypot or not stamp.isascii() or not stamp.isdigit() or \
            not hmac.compare_digest(signature, _sign(secret, stamp)):
        raise ValidationError("Formulir tidak valid. Muat ulang halaman lalu isi kembali.")
    age = now.replace(tzinfo=dt.UTC).timestamp() - int(stamp)
    if age < MIN_FORM_SECONDS:
        raise ValidationError("Formulir dikirim terlalu cepat. Periksa isian lalu kirim kembali.")
    if age > MAX_FORM_SECONDS:
        raise ValidationError("Formulir sudah kedaluwarsa. Muat ulang halaman lalu isi kembali.")


def _sign(secret: str, stamp: str) -> str:
    return hmac.new(secret.encode(), f"form:{stamp}".encode(), hashlib.sha256).hexdigest()[:32]
