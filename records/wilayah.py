"""Versioned Kemendagri region table (wilayah) used to resolve NIK, No. KK and desa codes.

Region codes are Kemendagri/Dukcapil codes, not BPS codes: Kutai Kartanegara is 64.02
here (BPS 6403). A NIK keeps the region where it was first registered, so codes that
were retired by a later decree must still resolve; every row therefore carries a
validity interval and the decree it comes from (see ``records/data/wilayah.csv``).

Interval convention: ``valid_from`` is the first day a row applies and ``valid_to`` the
first day it no longer applies (exclusive). An empty bound means "open": the row was
already in force before the oldest version tracked here, or is still in force.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

DEFAULT_CSV = Path(__file__).parent / "data" / "wilayah.csv"

LEVELS = ("provinsi", "kabkota", "kecamatan", "desa")

# Digit groups of each level: PP, PP.KK, PP.KK.CC, PP.KK.CC.NNNN.
_GROUPS = (2, 2, 2, 4)
_PLAIN_LENGTHS = {2: 1, 4: 2, 6: 3, 10: 4}
_DOTTED = re.compile(r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?")


def dotted(code: str) -> str:
    """Return ``code`` in dotted Kemendagri form ("6402082004" -> "64.02.08.2004").

    Accepts codes with or without dots so callers can pass a NIK prefix directly.
    Raises ``ValueError`` for anything that is not a 2, 4, 6 or 10 digit region code.
    """
    text = str(code).strip()
    if "." in text:
        if not _DOTTED.fullmatch(text):
            raise ValueError(f"Kode wilayah tidak valid: {code!r}")
        return text
    if not re.fullmatch(r"[0-9]+", text) or len(text) not in _PLAIN_LENGTHS:
        raise ValueError(f"Kode wilayah tidak valid: {code!r}")
    parts, start = [], 0
    for size in _GROUPS[: _PLAIN_LENGTHS[len(text)]]:
        parts.append(text[start : start + size])
        start += size
    return ".".join(parts)


def level_of(code: str) -> str:
    """Return the administrative level implied by the code's shape."""
    return LEVELS[dotted(code).count(".")]


@dataclass(frozen=True)
class Region:
    """One version of one region code, as published by one decree."""

    code: str
    name: str
    level: str
    valid_from: date | None
    valid_to: date | None
    source: str

    def valid_on(self, on: date) -> bool:
        """True when this version applies on ``on`` (``valid_to`` is exclusive)."""
        started = self.valid_from is None or self.valid_from <= on
        ended = self.valid_to is not None and self.valid_to <= on
        return started and not ended

    @property
    def is_current(self) -> bool:
        """True when no decree has retired this version."""
        return self.valid_to is None


def _parse_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _region_from_row(row: dict[str, str]) -> Region:
    code = dotted(row["code"])
    level = row["level"].strip()
    if level != level_of(code):
        raise ValueError(f"Level {level!r} tidak cocok dengan kode {code}")
    return Region(
        code=code,
        name=row["name"].strip(),
        level=level,
        valid_from=_parse_date(row["valid_from"].strip()),
        valid_to=_parse_date(row["valid_to"].strip()),
        source=row["source"].strip(),
    )


class Wilayah:
    """All known versions of all region codes, with date-aware lookups."""

    def __init__(self, regions: Iterable[Region]):
        versions: dict[str, list[Region]] = {}
        for region in regions:
            versions.setdefault(region.code, []).append(region)
        self._versions = {code: tuple(rows) for code, rows in versions.items()}

    @classmethod
    def from_csv(cls, path: Path | str = DEFAULT_CSV) -> Wilayah:
        """Read the table from a CSV with columns code,name,level,valid_from,valid_to,source."""
        with open(path, newline="", encoding="utf-8") as handle:
            return cls(_region_from_row(row) for row in csv.DictReader(handle))

    def versions(self, code: str) -> tuple[Region, ...]:
        """Every version of ``code``; empty when the code never existed in the table."""
        return self._versions.get(dotted(code), ())

    def get(self, code: str, on: date | None = None) -> Region | None:
        """The version of ``code`` in force on ``on``; without a date, the current one.

        Without a date a retired code still resolves to its last version, because old
        NIK and KK numbers keep referring to it.
        """
        versions = self.versions(code)
        if on is not None:
            return next((v for v in versions if v.valid_on(on)), None)
        current = [v for v in versions if v.is_current]
        if current:
            return current[0]
        return max(versions, key=lambda v: v.valid_to, default=None)

    def name(self, code: str, on: date | None = None) -> str | None:
        """Region name in force on ``on`` (or the current/last name), else None."""
        region = self.get(code, on)
        return region.name if region else None

    def is_known(self, code: str) -> bool:
        """True when ``code`` appears in any version of the table."""
        try:
            return bool(self.versions(code))
        except ValueError:
            return False

    def is_current(self, code: str, on: date | None = None) -> bool:
        """True when ``code`` is in force on ``on`` (today's table when no date)."""
        if on is None:
            return any(v.is_current for v in self.versions(code))
        return self.get(code, on) is not None

    def codes(self, level: str) -> frozenset[str]:
        """All codes of one level, any version."""
        if level not in LEVELS:
            raise ValueError(f"Level wilayah tidak dikenal: {level!r}")
        return frozenset(c for c, vs in self._versions.items() if vs[0].level == level)

    def province_codes(self) -> frozenset[str]:
        return self.codes("provinsi")

    def kabkota_codes(self) -> frozenset[str]:
        return self.codes("kabkota")

    def kecamatan_codes(self) -> frozenset[str]:
        return self.codes("kecamatan")

    def children(self, code: str, on: date | None = None) -> list[Region]:
        """Direct sub-regions of ``code`` in force on ``on`` (current when no date)."""
        parent = dotted(code)
        depth = parent.count(".") + 1
        found = []
        for child_code in sorted(self._versions):
            if child_code.startswith(parent + ".") and child_code.count(".") == depth:
                region = self.get(child_code, on) if on else self._current(child_code)
                if region is not None:
                    found.append(region)
        return found

    def desa_of(self, kecamatan_code: str, on: date | None = None) -> list[Region]:
        """Desa/kelurahan of a kecamatan in force on ``on`` (the current list by default)."""
        if level_of(kecamatan_code) != "kecamatan":
            raise ValueError(f"Bukan kode kecamatan: {kecamatan_code!r}")
        return self.children(kecamatan_code, on)

    def _current(self, code: str) -> Region | None:
        return next((v for v in self._versions[code] if v.is_current), None)

    def __len__(self) -> int:
        return sum(len(vs) for vs in self._versions.values())


@lru_cache(maxsize=4)
def load_wilayah(path: Path | str = DEFAULT_CSV) -> Wilayah:
    """Load and cache the shipped table; read lazily so importing stays cheap."""
    return Wilayah.from_csv(path)
