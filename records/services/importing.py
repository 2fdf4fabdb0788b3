"""Registry import from CSV and XLSX: all-or-nothing per file with a per-row error report.

Rows are numbered as the clerk sees them in the spreadsheet (header = row 1), so every message
points at a cell they can find. Nothing is written unless every row is valid.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..actor import Actor
from ..exceptions import ImportRejectedError, ValidationError
from ..models import Penduduk
from .audit import record_event
from .registry import LABELS, find_or_create_keluarga, validate_penduduk

COLUMNS = tuple(LABELS)
ALIASES = {"kode_desa": "desa_code", "desa": "desa_code", "shdk": "hubungan",
           "hubungan_keluarga": "hubungan", "nomor_kk": "no_kk", "no kk": "no_kk"}


@dataclass
class ImportReport:
    """What an accepted import did."""

    created: int = 0
    warnings: list[tuple[int, str]] = field(default_factory=list)


def read_table(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> list[dict]:
    """Parse an uploaded CSV or XLSX into row dicts keyed by our column names."""
    if len(data) > max_bytes:
        raise ImportRejectedError(
            f"Berkas terlalu besar ({len(data) // 1024} KB; maksimal {max_bytes // 1024} KB).", [])
    if not data:
        raise ImportRejectedError("Berkas kosong.", [])
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _read_xlsx(data)
    elif name.endswith(".csv"):
        rows = _read_csv(data)
    else:
        raise ImportRejectedError("Format berkas harus .csv atau .xlsx.", [])
    if len(rows) - 1 > max_rows:
        raise ImportRejectedError(f"Terlalu banyak baris ({len(rows) - 1}; maksimal {max_rows}).", [])
    return _to_dicts(rows)


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportRejectedError(
            f"Berkas CSV bukan UTF-8 (baris {line}). Simpan ulang sebagai 'CSV UTF-8'.",
            [(line, "", "bukan UTF-8")]) from None
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        pass
    return [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # openpyxl raises many types on a damaged or disguised file
        raise ImportRejectedError("Berkas XLSX rusak atau bukan berkas Excel.", []) from None
    rows = []
    for values in sheet.iter_rows(values_only=True):
        cells = ["" if v is None else str(v) for v in values]
        if any(c.strip() for c in cells):
            rows.append(cells)
    return rows


def _to_dicts(rows: list[list[str]]) -> list[dict]:
    if not rows:
        raise ImportRejectedError("Berkas tidak berisi baris judul kolom.", [])
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in rows[0]]
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportRejectedError(
            "Kolom tidak dikenal pada baris 1: " + ", ".join(unknown) +
            ". Kolom yang diterima: " + ", ".join(COLUMNS) + ".",
            [(1, h, "kolom tidak dikenal") for h in unknown])
    return [{header[i]: cell for i, cell in enumerate(row) if i < len(header) and header[i]}
            for row in rows[1:]]


def import_penduduk(rows: list[dict], *, actor: Actor, session: Session,
                    source: str) -> ImportReport:
    """Validate every row, then insert all of them in one transaction (or none)."""
    actor.require("penduduk.import")
    problems, cleaned, report, seen = [], [], ImportReport(), {}
    for number, row in enumerate(rows, start=2):
        try:
            clean, warnings = validate_penduduk(row, actor=actor, session=session)
        except ValidationError as exc:
            problems += [(number, LABELS.get(k, k), msg) for k, msg in exc.errors.items()]
            continue
        if clean["nik"] in seen:
            problems.append((number, "NIK", f"NIK sama dengan baris {seen[clean['nik']]}."))
        seen.setdefault(clean["nik"], number)
        report.warnings += [(number, w) for w in warnings]
        cleaned.append(clean)
    if problems:
        raise ImportRejectedError(
            f"Impor dibatalkan: {len(problems)} kesalahan; tidak ada data yang disimpan.", problems)
    _insert(cleaned, actor=actor, session=session)
    report.created = len(cleaned)
    record_event(session, actor, "penduduk.import", object_type="penduduk",
                 detail={"source": source[:200], "rows": report.created})
    session.commit()
    return report


def _insert(cleaned: list[dict], *, actor: Actor, session: Session) -> None:
    try:
        for clean in cleaned:
            no_kk = clean.pop("no_kk", "")
            person = Penduduk(**clean)
            if no_kk:
                person.keluarga = find_or_create_keluarga({**clean, "no_kk": no_kk},
                                                          actor=actor, session=session)
            session.add(person)
        session.flush()
    except Exception:
        session.rollback()
        raise
