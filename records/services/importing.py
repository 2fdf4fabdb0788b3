"""Registry import from CSV and XLSX: all-or-nothing per file with a per-row error report.

Rows are numbered as the clerk sees them in the spreadsheet (header = row 1), so every message
points at a cell they can find. Nothing is written unless every row is valid.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.actor import Actor
from records.exceptions import ImportRejectedError, ValidationError
from records.models import Keluarga, Penduduk
from records.models.outbox import enqueue_residents_by_nik
from records.services.audit import record_event
from records.services.kependudukan import LABELS, REQUIRED, find_or_create_keluarga, validate_penduduk
from records.spreadsheets import SpreadsheetError, first_sheet_grid, open_first_sheet

COLUMNS = tuple(LABELS)
REQUIRED_COLUMNS = tuple(name for name in REQUIRED if name != "desa_code") + ("desa_code",)
ALIASES = {"kode_desa": "desa_code", "desa": "desa_code", "shdk": "hubungan",
           "hubungan_keluarga": "hubungan", "nomor_kk": "no_kk", "no kk": "no_kk"}
ROW = "_baris"  # key carrying the spreadsheet row number of each row dict
EXTRA = "_lebih"  # set when a row has filled cells right of the last header column
DELIMITERS = (";", ",", "\t")
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


@dataclass
class ImportReport:
    """What an accepted import did."""

    created: int = 0
    warnings: list[tuple[int, str]] = field(default_factory=list)


def read_table(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> list[dict]:
    """Parse an uploaded CSV or XLSX into row dicts keyed by our column names.

    Each dict carries its spreadsheet row number under ROW, so blank lines and multi-line
    cells do not shift the numbers in the error report.
    """
    if len(data) > max_bytes:
        raise ImportRejectedError(
            f"Berkas terlalu besar ({len(data) // 1024} KB; maksimal {max_bytes // 1024} KB).", [])
    if not data.strip():
        raise ImportRejectedError("Berkas kosong.", [])
    rows = _read_rows(data, filename.lower(), max_rows)
    return _to_dicts(rows)


@dataclass
class Grid:
    """A sheet as read: non-empty rows (sheet row number, cells) and merged ranges
    (A5:A7, first row, last row); CSV files have no merged ranges."""

    rows: list[tuple[int, list]]
    merged: list[tuple[str, int, int]] = field(default_factory=list)


def read_grid(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Grid:
    """The raw grid of an uploaded CSV or XLSX, for importers that find their own header
    (OpenSID and Dukcapil exports, a daftar arsip with title rows above its table)."""
    if len(data) > max_bytes:
        raise ImportRejectedError(
            f"Berkas terlalu besar ({len(data) // 1024} KB; maksimal {max_bytes // 1024} KB).", [])
    if not data.strip():
        raise ImportRejectedError("Berkas kosong.", [])
    name = filename.lower()
    if name.endswith(".xlsx") and data.startswith(ZIP_MAGIC):
        try:
            rows, merged = first_sheet_grid(data, max_rows)
        except SpreadsheetError:
            raise ImportRejectedError("Berkas XLSX rusak atau bukan berkas Excel.", []) from None
        if len(rows) > max_rows + 1:
            raise _too_many(max_rows)
        return Grid([(n, [_cell_text(c) for c in cells]) for n, cells in rows], merged)
    return Grid([(n, list(cells)) for n, cells in _read_rows(data, name, max_rows)])


def _read_rows(data: bytes, name: str, max_rows: int) -> list[tuple[int, list[str]]]:
    """Dispatch on the file name, but check the content agrees with it."""
    if name.endswith(".xlsx"):
        if not data.startswith(ZIP_MAGIC):
            raise ImportRejectedError(
                "Berkas bukan berkas Excel (.xlsx) yang sah; isinya bukan format XLSX. "
                "Simpan ulang dari Excel sebagai 'Excel Workbook (.xlsx)' atau 'CSV UTF-8'.", [])
        return _read_xlsx(data, max_rows)
    if name.endswith(".csv"):
        if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
            raise ImportRejectedError(
                "Berkas bernama .csv tetapi isinya berkas Excel. Simpan sebagai 'CSV UTF-8' "
                "atau unggah dengan akhiran .xlsx.", [])
        return _read_csv(data, max_rows)
    raise ImportRejectedError("Format berkas harus .csv atau .xlsx.", [])


def _too_many(max_rows: int) -> ImportRejectedError:
    """Raised while reading, so a huge sheet is refused before it is all in memory."""
    return ImportRejectedError(f"Terlalu banyak baris data (lebih dari {max_rows}; maksimal "
                               f"{max_rows} per berkas). Bagi berkas menjadi beberapa bagian.", [])


def _read_csv(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(rows) > max_rows:
                    raise _too_many(max_rows)
                rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRejectedError(f"Berkas CSV rusak pada baris {reader.line_num}: {exc}.",
                                  [(reader.line_num, "", "CSV rusak")]) from None
    return rows


def _decode(data: bytes) -> str:
    """UTF-8 only (with or without BOM): a Latin-1 file would silently mangle names."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportRejectedError(
            f"Berkas CSV bukan UTF-8 (baris {line}). Simpan ulang sebagai 'CSV UTF-8'.",
            [(line, "", "bukan UTF-8")]) from None
    if "\x00" in text:
        raise ImportRejectedError("Berkas CSV berisi karakter NUL; bukan berkas teks CSV.", [])
    return text


def _delimiter(text: str) -> str:
    """The separator used in the header line: ';' is what Excel writes in Indonesian locale.

    Column names contain none of these characters, so counting them in the header is
    reliable where csv.Sniffer guesses from data full of commas inside addresses.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def _read_xlsx(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    try:
        with open_first_sheet(data) as sheet:
            return _xlsx_rows(sheet, max_rows)
    except SpreadsheetError:
        raise ImportRejectedError("Berkas XLSX rusak atau bukan berkas Excel.", []) from None


def _xlsx_rows(sheet, max_rows: int) -> list[tuple[int, list[str]]]:
    """Non-empty rows with their sheet row numbers; stops early on an oversized sheet."""
    rows: list[tuple[int, list[str]]] = []
    for cells in sheet.iter_rows():
        texts = [_cell_text(c.value) for c in cells]
        if any(t.strip() for t in texts):
            if len(rows) > max_rows:
                raise _too_many(max_rows)
            rows.append((_row_number(cells, len(rows) + 1), texts))
    return rows


def _row_number(cells, fallback: int) -> int:
    """The sheet row of the first real cell (read-only mode pads with row-less EmptyCells)."""
    return next((c.row for c in cells if getattr(c, "row", None)), fallback)


def _cell_text(value: object) -> str:
    """Excel types as the text a clerk typed: dates as ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_dicts(rows: list[tuple[int, list[str]]]) -> list[dict]:
    """First non-empty row is the header; a file without data rows is refused, not 'imported'."""
    if not rows:
        raise ImportRejectedError("Berkas tidak berisi baris judul kolom.", [])
    header_line, names = rows[0]
    header = _header(header_line, names)
    if len(rows) == 1:
        raise ImportRejectedError("Berkas hanya berisi judul kolom; tidak ada data penduduk.", [])
    return [_row_dict(number, header, cells) for number, cells in rows[1:]]


def _header(line: int, names: list[str]) -> list[str]:
    """Map header names to our columns; unknown, repeated or missing columns refuse the file."""
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in names]
    unknown = [names[i].strip() for i, h in enumerate(header) if h and h not in COLUMNS]
    if unknown:
        raise ImportRejectedError(
            f"Kolom tidak dikenal pada baris {line}: " + ", ".join(unknown) +
            ". Kolom yang diterima: " + ", ".join(COLUMNS) + ".",
            [(line, h, "kolom tidak dikenal") for h in unknown])
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise ImportRejectedError(f"Kolom ganda pada baris {line}: " + ", ".join(repeated) + ".",
                                  [(line, h, "kolom ganda") for h in repeated])
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRejectedError(f"Kolom wajib tidak ada pada baris {line}: " + ", ".join(missing) + ".",
                                  [(line, c, "kolom wajib tidak ada") for c in missing])
    return header


def _row_dict(number: int, header: list[str], cells: list[str]) -> dict:
    """Cells by column name; filled cells right of the header are flagged, not dropped."""
    row: dict[str, object] = {header[i]: cell for i, cell in enumerate(cells)
                              if i < len(header) and header[i]}
    extra = [c for c in cells[len(header):] if c.strip()]
    if extra:
        row[EXTRA] = len(header)
    row[ROW] = number
    return row


def import_penduduk(rows: list[dict], *, actor: Actor, session: Session,
                    source: str) -> ImportReport:
    """Validate every row, then insert all of them in one transaction (or none)."""
    actor.require("penduduk.import")
    if not rows:
        raise ImportRejectedError("Berkas tidak berisi data penduduk.", [])
    check = _RowChecker(actor, session)
    for index, row in enumerate(rows, start=2):
        check.row(row.get(ROW, index), row)
    if check.problems:
        raise ImportRejectedError(
            f"Impor dibatalkan: {len(check.problems)} kesalahan; tidak ada data yang disimpan.",
            check.problems)
    _insert(check.cleaned, actor=actor, session=session)
    enqueue_residents_by_nik(session, [clean["nik"] for clean in check.cleaned])  # search index
    record_event(session, actor, "penduduk.import", object_type="penduduk",
                 detail={"source": source[:200], "rows": len(check.cleaned)})
    session.commit()
    return ImportReport(created=len(check.cleaned), warnings=check.warnings)


class _RowChecker:
    """Collects every problem of a file: per-row rules plus duplicates and family clashes."""

    def __init__(self, actor: Actor, session: Session):
        self.actor, self.session = actor, session
        self.problems: list[tuple[int, str, str]] = []
        self.cleaned: list[dict] = []
        self.warnings: list[tuple[int, str]] = []
        self.nik_rows: dict[str, int] = {}
        self.kk_rows: dict[str, tuple[int, str]] = {}

    def row(self, number: int, row: dict) -> None:
        """Check one row; a valid row is kept for insertion, problems are collected."""
        if row.get(EXTRA):
            self.problems.append((number, "", f"Baris berisi sel di luar {row[EXTRA]} kolom judul."))
        try:
            clean, warnings = validate_penduduk(row, actor=self.actor, session=self.session)
        except ValidationError as exc:
            self.problems += [(number, LABELS.get(k, k), msg) for k, msg in exc.errors.items()]
            return
        self._duplicate_nik(number, clean["nik"])
        if clean.get("no_kk"):
            self._family(number, clean)
        self.warnings += [(number, w) for w in warnings]
        self.cleaned.append(clean)

    def _duplicate_nik(self, number: int, nik: str) -> None:
        if nik in self.nik_rows:
            self.problems.append((number, "NIK", f"NIK {nik} sama dengan baris {self.nik_rows[nik]}."))
        self.nik_rows.setdefault(nik, number)

    def _family(self, number: int, clean: dict) -> None:
        """All members of one No. KK live in one desa the actor may manage."""
        no_kk, desa = clean["no_kk"], clean["desa_code"]
        first = self.kk_rows.setdefault(no_kk, (number, desa))
        if first[1] != desa:
            self.problems.append((number, "No. KK", f"No. KK {no_kk} pada baris {first[0]} "
                                  f"berada di desa {first[1]}, bukan {desa}."))
            return
        with self.session.no_autoflush:
            known = self.session.scalar(select(Keluarga).where(Keluarga.no_kk == no_kk))
        if known is not None and not self.actor.sees_desa(known.desa_code):
            # the same words as any taken No. KK: which desa holds it is not the operator's
            self.problems.append((number, "No. KK", f"No. KK {no_kk} sudah terdaftar."))
        elif known is not None and known.desa_code != desa:
            self.problems.append((number, "No. KK", f"No. KK {no_kk} terdaftar di desa "
                                  f"{known.desa_code}, bukan {desa}."))
        elif known is None and not self.actor.can("keluarga.write"):
            self.problems.append((number, "No. KK", f"No. KK {no_kk} belum terdaftar dan Anda "
                                  "tidak berwenang membuat keluarga baru."))


def _insert(cleaned: list[dict], *, actor: Actor, session: Session) -> None:
    """Add every resident (and new families) in the open transaction; any failure undoes all."""
    try:
        for clean in cleaned:
            no_kk = clean.pop("no_kk", "")
            person = Penduduk(**clean)
            if no_kk:
                person.keluarga = find_or_create_keluarga({**clean, "no_kk": no_kk},
                                                          actor=actor, session=session)
            session.add(person)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ImportRejectedError("Impor dibatalkan: data bentrok dengan data yang baru saja "
                                  "disimpan pengguna lain; tidak ada data yang disimpan. "
                                  "Coba impor lagi.", []) from None
    except Exception:
        session.rollback()
        raise
