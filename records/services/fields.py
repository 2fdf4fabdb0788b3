"""Validate the values of a document type's declared fields (Indonesian messages)."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from ..declarations import Field
from ..exceptions import ValidationError
from ..nik import NikError, parse_nik


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
    text = str(raw)
    if len(text) > field.max_length:
        raise ValueError(f"terlalu panjang (maksimal {field.max_length} karakter)")
    if field.kind == "integer":
        if not text.isascii() or not text.lstrip("-").isdigit():
            raise ValueError("harus berupa angka")
        return int(text)
    if field.kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("tanggal tidak valid (format TTTT-BB-HH)") from None
    if field.kind == "choice" and text not in field.choices:
        raise ValueError("pilihan tidak dikenal")
    if field.kind == "nik":
        try:
            return parse_nik(text).nik
        except NikError as exc:
            raise ValueError(str(exc)) from None
    return text
