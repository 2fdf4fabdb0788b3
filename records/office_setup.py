"""Apply the office's saved setup (services.kantor) over the settings of a running app.

The setup may change while the server runs (the Admin's page, or `lemari setup` on the same
database from another process), so the app re-reads it at most every REFRESH_SECONDS, on
its own connection (never inside a request's transaction), and a database without the table
yet (before `lemari init`) simply keeps the config values.
"""

from __future__ import annotations

import base64
import time

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from records.services.kantor import DIRECT_KEYS, LOGO_KEY, LOGO_TYPES, effective

REFRESH_SECONDS = 5.0
#: Settings the saved setup may override; their config values are kept to fall back on.
OVERRIDDEN = ("OFFICE_NAME", "OFFICE_GOVERNMENT", "OFFICE_PLACE", "KECAMATAN", "KABUPATEN",
              "DEMO_MODE", "OFFICE_LOGO", "OFFICE_LOGO_URI", *DIRECT_KEYS)


def read_rows(engine) -> tuple[dict[str, str], str] | None:
    """(key → value, logo file) as saved, or None when the table cannot be read."""
    from records.models import PengaturanKantor

    try:
        with engine.connect() as connection:
            rows = connection.execute(select(PengaturanKantor.kunci, PengaturanKantor.nilai,
                                             PengaturanKantor.berkas)).all()
    except SQLAlchemyError:
        return None
    values = {kunci: nilai for kunci, nilai, _ in rows}
    logo = next((berkas for kunci, _, berkas in rows if kunci == LOGO_KEY), "")
    return values, logo


def logo_uri(berkas: str, settings: dict) -> str:
    """The stored logo as a data: URI the kop can print ("" when its file is missing: the
    shipped lambang is printed and `lemari doctor` reports the lost file)."""
    from records.desk import blob_store

    sha, _, kind = berkas.partition(".")
    try:
        data = blob_store(settings).read_bytes(sha)
    except Exception:  # a missing or unreadable file must not stop every letter
        return ""
    return f"data:{LOGO_TYPES.get(kind, 'image/png')};base64,{base64.b64encode(data).decode()}"


class OfficeSettings:
    """Keeps the config values of the overridden keys and lays the saved setup over them.

    Only keys it set itself are put back when a saved value disappears, so a value set in
    `settings` by other code is left alone; settings reset to their start-up values (the
    marker key is gone) are re-read at once."""

    MARKER = "_OFFICE_SETUP_LOADED"

    def __init__(self, settings: dict):
        self.settings = settings
        self.base = {key: settings.get(key) for key in OVERRIDDEN}
        self.loaded_at = float("-inf")
        self.applied: dict = {}
        self._logo: tuple[str, str] = ("", "")

    def refresh(self, engine, *, force: bool = False) -> None:
        """Re-read the saved setup when it is older than REFRESH_SECONDS (or when forced)."""
        now = time.monotonic()
        if self.MARKER not in self.settings:
            force, self.applied = True, {}
        if not force and now - self.loaded_at < REFRESH_SECONDS:
            return
        found = read_rows(engine)
        self.loaded_at = now
        self.settings[self.MARKER] = True
        if found is None:
            return
        rows, berkas = found
        for key in ("KECAMATAN", "KABUPATEN"):
            if not rows.get(key) and self.base.get(key):
                rows[key] = str(self.base[key])  # LEMARI_KECAMATAN / LEMARI_KABUPATEN
        if berkas != self._logo[0]:
            self._logo = (berkas, logo_uri(berkas, self.settings) if berkas else "")
        wanted = {**effective(self.base, rows, berkas), "OFFICE_LOGO_URI": self._logo[1]}
        for key, value in self.applied.items():
            if key not in wanted and self.settings.get(key) == value:
                self.settings[key] = self.base.get(key)
        self.settings.update(wanted)
        self.applied = wanted
