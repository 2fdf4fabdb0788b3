"""Letter numbers per Tata Naskah Dinas: a format template per register, filled with tokens.

Tokens: {kode} classification code, {urut} yearly sequence (zero-padding as `{urut:04}`),
{unit} the office's unit code, {bulan_romawi} I–XII, {bulan2} 01–12, {tahun} four digits,
{kode_desa} the 10-digit desa code. Attribute and index access inside a token are refused,
so a format typed by an administrator cannot reach into Python objects.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass

TOKENS = frozenset({"kode", "urut", "unit", "bulan_romawi", "bulan2", "tahun", "kode_desa"})
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
LEGACY_FORMAT = "{kode}/{urut:04}/{unit}/{bulan_romawi}/{tahun}"
PERMENDAGRI_83_FORMAT = "{kode}/{urut:04}/{unit}/{tahun}"


class NumberFormatError(ValueError):
    """A register's number format is unusable (the message says why, in Indonesian)."""


@dataclass(frozen=True)
class NumberParts:
    """The values a number is built from."""

    kode: str
    urut: int
    unit: str
    on: dt.date
    kode_desa: str = ""

    def tokens(self) -> dict[str, object]:
        return {"kode": self.kode, "urut": self.urut, "unit": self.unit,
                "bulan_romawi": ROMAN_MONTHS[self.on.month - 1],
                "bulan2": f"{self.on.month:02d}", "tahun": str(self.on.year),
                "kode_desa": self.kode_desa.replace(".", "")}


def check_format(template: str) -> None:
    """Refuse unknown tokens, attribute/index access and formats without {urut}."""
    fields = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise NumberFormatError(f"Format nomor tidak valid: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TOKENS:
            raise NumberFormatError(f"Token {{{name}}} tidak dikenal. Token yang tersedia: "
                                    + ", ".join(sorted(TOKENS)))
        if conversion or (spec and name != "urut"):
            raise NumberFormatError(f"Token {{{name}}} tidak boleh memakai format tambahan.")
        fields.append(name)
    if "urut" not in fields:
        raise NumberFormatError("Format nomor wajib memuat {urut}.")


def format_number(template: str, parts: NumberParts) -> str:
    """The letter number for these parts, e.g. 470/0123/KB/XI/2026."""
    check_format(template)
    return template.format_map(parts.tokens())
