"""Rules a document must satisfy before it may exist, each with its legal basis as data.

A document type lists its rules (`DocumentType.aturan`); `services.drafting` runs them when a
record is drafted, after its declared fields are cleaned, with the office's date (WITA) and
the office's policy settings. A rule returns {field: Indonesian message}; any message refuses
the draft and nothing is saved. docs/documents.md lists every rule with its source.

Rules that only keep the input sensible (a validity of 0 months) say so in `dasar_hukum`
instead of inventing a regulation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from records.nik import NikError, parse_nik

#: What a rule is given besides the cleaned values: the office's date and policy settings.
Check = Callable[[dict, dt.date, Mapping[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class Aturan:
    """One rule: what it requires, the regulation (and article) it follows, and its check."""

    kode: str
    uraian: str
    dasar_hukum: str
    periksa: Check


def _date(value: object) -> dt.date | None:
    """A cleaned date field (ISO text) as a date; None when empty."""
    return dt.date.fromisoformat(str(value)) if value else None


def _tgl(day: dt.date) -> str:
    """DD-MM-TTTT, the way the form's messages show a date."""
    return day.strftime("%d-%m-%Y")


# --- Event dates ---------------------------------------------------------------------------

def tanggal_akan_datang(mulai: str, selesai: str = "", *, kode: str, uraian: str,
                        dasar_hukum: str) -> Aturan:
    """The event starts after today (office date) and, when an end is given, does not end
    before it starts: a recommendation or permit for a past event has nothing to allow."""
    def periksa(data: dict, today: dt.date, policy: Mapping[str, Any]) -> dict[str, str]:
        errors = {}
        start, end = _date(data.get(mulai)), _date(data.get(selesai)) if selesai else None
        if start is not None and start <= today:
            errors[mulai] = (f"Tanggal {_tgl(start)} sudah lewat atau hari ini; rekomendasi hanya "
                             f"untuk kegiatan yang akan datang (setelah {_tgl(today)}).")
        if start is not None and end is not None and end < start:
            errors[selesai] = (f"Tanggal selesai ({_tgl(end)}) tidak boleh sebelum tanggal mulai "
                               f"({_tgl(start)}).")
        return errors

    return Aturan(kode, uraian, dasar_hukum, periksa)


def urutan_tanggal(mulai: str, selesai: str, *, kode: str) -> Aturan:
    """An end date never before its start date (a period that ends before it starts)."""
    def periksa(data: dict, today: dt.date, policy: Mapping[str, Any]) -> dict[str, str]:
        start, end = _date(data.get(mulai)), _date(data.get(selesai))
        if start and end and end < start:
            return {selesai: f"Tanggal selesai ({_tgl(end)}) tidak boleh sebelum tanggal mulai "
                             f"({_tgl(start)})."}
        return {}

    return Aturan(kode, "Tanggal selesai tidak sebelum tanggal mulai.",
                  "Validasi isian (bukan ketentuan peraturan): periode harus berurutan.", periksa)


def tanggal_lampau(name: str, *, kode: str, label: str) -> Aturan:
    """A date that must already have happened (a birth date, the date of a desa's letter)."""
    def periksa(data: dict, today: dt.date, policy: Mapping[str, Any]) -> dict[str, str]:
        day = _date(data.get(name))
        if day is not None and day > today:
            return {name: f"{label} ({_tgl(day)}) belum terjadi."}
        return {}

    return Aturan(kode, f"{label} tidak boleh di masa depan.",
                  "Validasi isian (bukan ketentuan peraturan).", periksa)


def tanggal_tidak_lampau(name: str, *, kode: str, label: str) -> Aturan:
    """A date that may be today but not before it (an invitation to an event already held,
    dated before the letter that announces it)."""
    def periksa(data: dict, today: dt.date, policy: Mapping[str, Any]) -> dict[str, str]:
        day = _date(data.get(name))
        if day is not None and day < today:
            return {name: f"{label} ({_tgl(day)}) sudah lewat; tanggal surat adalah {_tgl(today)}."}
        return {}

    return Aturan(kode, f"{label} tidak sebelum tanggal surat.",
                  "Validasi isian (bukan ketentuan peraturan): acara tidak mendahului suratnya.",
                  periksa)


# --- Validity -------------------------------------------------------------------------------

def bulan_positif(name: str = "masa_berlaku_bulan", *, kode: str = "masa_berlaku_positif",
                  maksimum: int = 60) -> Aturan:
    """A validity in months is at least 1 (0 or negative would print a letter valid for
    nothing) and at most `maksimum` (a typo of 600 would print a letter valid for 50 years)."""
    def periksa(data: dict, today: dt.date, policy: Mapping[str, Any]) -> dict[str, str]:
        months = data.get(name)
        if months is not None and not 1 <= int(months) <= maksimum:
            return {name: f"Masa berlaku harus antara 1 dan {maksimum} bulan."}
        return {}

    return Aturan(kode, f"Masa berlaku 1–{maksimum} bulan sejak tanggal surat.",
                  "Validasi isian (bukan ketentuan peraturan): masa berlaku dihitung dalam bulan "
                  "sejak tanggal surat.", periksa)


def umur_surat_desa(name: str, *, kode: str, setting: str, default_days: int,
                    dasar_hukum: str) -> Aturan:
    """The desa's letter is not dated in the future nor older than the office's limit (the
    number of days is the setting `setting`, default `default_days`; its basis is the
    setting `<setting>_DASAR` when the office has one)."""
    def periksa(data: dict, today: dt.date, policy: Mapping[str, Any]) -> dict[str, str]:
        day = _date(data.get(name))
        if day is None:
            return {}
        limit = int(policy.get(setting, default_days))
        if day > today:
            return {name: f"Tanggal surat desa ({_tgl(day)}) belum terjadi."}
        age = (today - day).days
        if age > limit:
            return {name: f"Surat desa bertanggal {_tgl(day)} sudah {age} hari; batas yang "
                          f"berlaku {limit} hari. Mintalah surat desa yang baru."}
        return {}

    return Aturan(kode, f"Surat desa paling lama {default_days} hari (dapat diatur: {setting}).",
                  dasar_hukum, periksa)


# --- Lists of a berita acara -----------------------------------------------------------------

@dataclass(frozen=True)
class Kolom:
    """One column of a list typed one row per line, columns separated by '|'."""

    name: str
    label: str
    kind: str = "text"  # text | nik | no_kk | date | integer
    required: bool = True


def parse_daftar(text: str, columns: tuple[Kolom, ...], today: dt.date) -> tuple[list[dict], list[str]]:
    """Rows of a typed list as dicts, and the Indonesian message of every bad line."""
    rows, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > len(columns):
            problems.append(f"baris {number}: terlalu banyak kolom (paling banyak {len(columns)})")
            continue
        cells += [""] * (len(columns) - len(cells))
        row, bad = {}, []
        for column, cell in zip(columns, cells, strict=True):
            try:
                value = _cell(column, cell, today)
            except ValueError as exc:
                bad.append(f"{column.label} {exc}")
                continue
            if value is not None:
                row[column.name] = value
        if bad:
            problems.append(f"baris {number}: " + "; ".join(bad))
        else:
            rows.append(row)
    return rows, problems


def _cell(column: Kolom, cell: str, today: dt.date) -> object:
    """One cell, checked for its kind; None when empty and optional."""
    if not cell:
        if column.required:
            raise ValueError("wajib diisi")
        return None
    if column.kind == "nik":
        try:
            return parse_nik(cell, ref_date=today).nik
        except NikError as exc:
            raise ValueError(f"tidak valid ({exc})") from None
    if column.kind == "no_kk":
        digits = cell.replace(" ", "")
        if not (digits.isascii() and digits.isdigit() and len(digits) == 16):
            raise ValueError("harus 16 angka")
        return digits
    if column.kind == "date":
        try:
            return dt.date.fromisoformat(cell).isoformat()
        except ValueError:
            raise ValueError("bukan tanggal TTTT-BB-HH") from None
    if column.kind == "integer":
        if not (cell.isascii() and cell.isdigit() and int(cell) > 0):
            raise ValueError("harus angka bulat lebih dari 0")
        return int(cell)
    return cell


def daftar_berkas(field: str, columns: tuple[Kolom, ...], *, kode: str, uraian: str,
                  dasar_hukum: str) -> Aturan:
    """The list typed in `field` has at least one valid row; the rows become the record's
    `items` (what the berita acara prints and counts). A berita acara that hands over nothing
    records nothing: "Jumlah: 0" is refused."""
    def periksa(data: dict, today: dt.date, policy: Mapping[str, Any]) -> dict[str, str]:
        rows, problems = parse_daftar(str(data.get(field) or ""), columns, today)
        if problems:
            return {field: "Periksa daftar: " + " · ".join(problems[:5])
                    + (f" (dan {len(problems) - 5} baris lain)" if len(problems) > 5 else "")}
        if not rows:
            return {field: "Berita acara harus memuat paling sedikit satu berkas yang diserahkan."}
        data["items"] = rows
        return {}

    return Aturan(kode, uraian, dasar_hukum, periksa)


def run_rules(rules: tuple[Aturan, ...], data: dict, today: dt.date,
              policy: Mapping[str, Any]) -> dict[str, str]:
    """Every rule's messages for these cleaned values (a rule may add derived values, such
    as the parsed `items` of a list, to `data`)."""
    errors: dict[str, str] = {}
    for rule in rules:
        for name, message in rule.periksa(data, today, policy).items():
            errors.setdefault(name, message)
    return errors
