"""Validate the values of a document type's declared fields (Indonesian messages).

Values arrive from HTML forms (always text) and from JSON (any type), so every value is checked
for what it is, not what the form widget suggests; the messages go straight to the clerk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from records.declarations import Field
from records.exceptions import ValidationError
from records.nik import NikError, parse_nik

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Control characters other than tab and newlines: invisible on paper, refused by PostgreSQL text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_fields(fields: Iterable[Field], data: dict) -> dict:
    """Return cleaned values for the declared fields; unknown keys are dropped."""
    cleaned, errors = {}, {}
    for field in fields:
        raw = data.get(field.name)
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in (None, ""):
            if field.required:
                errors[field.name] = f"{field.label} wajib diisi."
            continue
        try:
            cleaned[field.name] = _clean_value(field, raw)
        except ValueError as exc:
            errors[field.name] = f"{field.label}: {exc}"
    if errors:
        raise ValidationError("Periksa kembali isian formulir.", errors)
    return cleaned


def _clean_value(field: Field, raw: object) -> object:
    """One value, converted to what the JSON column stores."""
    if isinstance(raw, (dict, list, bool, float)):
        raise ValueError("harus berupa teks atau angka bulat")
    text = str(raw)
    if len(text) > field.max_length:
        raise ValueError(f"terlalu panjang (maksimal {field.max_length} karakter)")
    if _CONTROL.search(text):
        raise ValueError("mengandung karakter kendali yang tidak diizinkan")
    if field.kind == "integer":
        if not _INTEGER.fullmatch(text):
            raise ValueError("harus berupa angka bulat")
        return int(text)
    if field.kind == "date":
        return _clean_date(text)
    if field.kind == "choice" and text not in field.choices:
        raise ValueError("pilihan tidak dikenal")
    if field.kind == "nik":
        try:
            return parse_nik(text).nik
        except NikError as exc:
            raise ValueError(str(exc)) from None
    return text


def _clean_date(text: str) -> str:
    """Only TTTT-BB-HH: fromisoformat alone would also take '20260101' and ISO week dates."""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError("tanggal tidak valid (format TTTT-BB-HH)") from None
