"""The paper archive's finding aid: a daftar arsip spreadsheet becomes archive records without
scans (issue 22, item 4), each attachable to its scan later (`archiving.replace_file`).

A row is one berkas in the iron cabinets: nomor berkas, kode klasifikasi, uraian, kurun waktu,
jumlah, tingkat perkembangan, keterangan and where it lies (lemari, rak, boks, map). Columns
are found by their header names (aliases below), on the first row that names an uraian
column, so title rows above the table ("DAFTAR ARSIP INAKTIF …") are skipped.

A code of the revoked Permendagri 78/2012 scheme is kept as written on the folder ("melekat
dan tidak berubah", OpenSID/OpenSID#6116) and retention follows the 83/2022 class it maps to
(records/data/klasifikasi.json, `maps_to`, with its source); a code of 83/2022 is taken as
is; any other code is reported on its row with the nearest known parent code. The whole file
is checked first: one bad row and nothing is saved. Re-importing the same list adds only the
rows not yet recorded (a row is known by nomor berkas, kode and uraian).

A crash before the one commit leaves nothing; after it every row is recorded with its audit
entry and search outbox rows (a later drain indexes them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Arsip, ArsipVersi
from archive.services.archiving import ARCHIVED_STATE, SCAN_DOCTYPE
from archive.services.retensi import recompute
from records.actor import Actor
from records.exceptions import ImportRejectedError
from records.models import Klasifikasi, Record
from records.models.outbox import RECORD, enqueue
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.importing import read_grid
from records.services.klasifikasi import CURRENT_SCHEME, LEGACY_SCHEME
from records.services.workflow_history import remember

PAPER_ONLY = "kertas"  # Arsip.sumber of a berkas known only from the daftar arsip
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024

#: Header names of a daftar arsip as offices write them (lower case, punctuation dropped).
#: The columns follow the usual daftar arsip inaktif (No, Kode Klasifikasi, Uraian Informasi
#: Berkas, Kurun Waktu, Tingkat Perkembangan, Jumlah, Keterangan, Nomor Boks/Folder, Lokasi
#: Simpan) [I: confirm against the office's own list]; see docs/operations.md "Moving in".
ALIASES: dict[str, tuple[str, ...]] = {
    "nomor_berkas": ("no", "nomor", "no berkas", "nomor berkas", "no urut", "nomor urut"),
    "klasifikasi": ("kode klasifikasi", "klasifikasi", "kode", "kode arsip"),
    "uraian": ("uraian", "uraian masalah", "uraian berkas", "uraian informasi berkas",
               "uraian informasi arsip", "uraian informasi", "isi berkas"),
    "kurun_waktu": ("kurun waktu", "kurun", "tahun", "kurun waktu tahun"),
    "jumlah": ("jumlah", "jumlah berkas", "volume", "banyaknya"),
    "tingkat_perkembangan": ("tingkat perkembangan", "tk perkembangan"),
    "keterangan": ("keterangan", "ket"),
    "lemari": ("lemari", "no lemari", "nomor lemari", "filing cabinet"),
    "rak": ("rak", "no rak", "nomor rak"),
    "boks": ("boks", "box", "no boks", "nomor boks", "no box", "nomor box"),
    "map": ("map", "folder", "no map", "nomor map", "no folder", "nomor folder", "sampul"),
    "lokasi": ("lokasi", "lokasi simpan", "lokasi penyimpanan"),
}
LABELS = {"nomor_berkas": "Nomor berkas", "klasifikasi": "Kode klasifikasi", "uraian": "Uraian",
          "kurun_waktu": "Kurun waktu", "jumlah": "Jumlah", "lemari": "Lemari", "rak": "Rak",
          "boks": "Boks", "map": "Map", "lokasi": "Lokasi", "keterangan": "Keterangan",
          "tingkat_perkembangan": "Tingkat perkembangan"}
REQUIRED = ("klasifikasi", "uraian", "kurun_waktu")
_LOCATION = re.compile(r"(lemari|rak|boks|box|map|folder)\s*[:.]?\s*([0-9A-Za-z.\-]+)", re.I)
_YEAR = re.compile(r"(?<![0-9])(1[89][0-9]{2}|20[0-9]{2})(?![0-9])")
_CODE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){0,4}")


@dataclass
class DaftarReport:
    """What an accepted import did, row by row."""

    created: list[tuple[int, int, str]] = field(default_factory=list)  # (row, record id, code)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # rows already recorded
    mapped: list[tuple[int, str]] = field(default_factory=list)  # old code → new, per row


def _norm(text: object) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


def _header_index(cells: list) -> dict[str, int]:
    names = {alias: key for key, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = names.get(_norm(cell))
        if key and key not in found:
            found[key] = index
    return found


def read_daftar(data: bytes, filename: str) -> list[dict]:
    """Rows of a daftar arsip (XLSX or CSV) keyed by our column names, each with `_baris`."""
    grid = read_grid(data, filename, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    header_at = next((i for i, (_, cells) in enumerate(grid.rows[:15])
                      if "uraian" in _header_index(cells)), None)
    if header_at is None:
        raise ImportRejectedError(
            "Judul kolom daftar arsip tidak ditemukan pada 15 baris pertama: perlu kolom "
            "'Uraian', 'Kode Klasifikasi' dan 'Kurun Waktu'.", [])
    header_row, header_cells = grid.rows[header_at]
    index = _header_index(header_cells)
    missing = [LABELS[k] for k in REQUIRED if k not in index]
    if missing:
        raise ImportRejectedError(f"Kolom wajib tidak ada pada baris {header_row}: "
                                  + ", ".join(missing) + ".",
                                  [(header_row, m, "kolom wajib tidak ada") for m in missing])
    merged = [(coord, first, last) for coord, first, last in grid.merged if last >= header_row]
    if merged:
        raise ImportRejectedError(
            "Berkas berisi sel gabungan (merge cells) di tabel: " + ", ".join(c for c, _, _ in merged)
            + ". Pisahkan sel gabungan dan isi setiap baris, lalu impor lagi; tidak ada yang "
            "disimpan.", [(first, coord, "sel gabungan") for coord, first, _ in merged])
    rows = []
    for number, cells in grid.rows[header_at + 1:]:
        row: dict[str, object] = {key: _cell(cells[i]) if i < len(cells) else ""
                                  for key, i in index.items()}
        if not any(row.values()):
            continue
        row["_baris"] = number
        rows.append(row)
    if not rows:
        raise ImportRejectedError("Daftar arsip tidak berisi baris data.", [])
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def import_daftar_arsip(rows: list[dict], *, actor: Actor, session: Session, source: str,
                        today: dt.date | None = None) -> DaftarReport:
    """Check every row, then record all new berkas in one transaction (or nothing)."""
    actor.require("arsip.write")
    today = today or dt.date.today()
    codes = _known_codes(session)
    known = _recorded_keys(session)
    problems: list[tuple[int, str, str]] = []
    clean: list[dict] = []
    report = DaftarReport()
    seen: dict[str, int] = {}
    for row in rows:
        number = int(row["_baris"])
        errors: list[tuple[str, str]] = []
        values = _clean_row(row, codes, today, errors)
        key = "|".join((values["nomor_berkas"], values["kode"], values["uraian"].lower()))
        if key in seen:
            errors.append(("Uraian", f"Berkas yang sama dengan baris {seen[key]}."))
        seen.setdefault(key, number)
        problems += [(number, label, message) for label, message in errors]
        if errors:
            continue
        if key in known:
            report.skipped.append((number, f"sudah tercatat sebagai dokumen #{known[key]}"))
            continue
        values["kunci"], values["baris"] = key, number
        clean.append(values)
    if problems:
        raise ImportRejectedError(
            f"Impor daftar arsip dibatalkan: {len(problems)} kesalahan; tidak ada yang disimpan.",
            problems)
    for values in clean:
        record = _record(session, values, actor, source)
        report.created.append((values["baris"], record.id, values["kode"]))
        if values["skema"] == LEGACY_SCHEME:
            report.mapped.append((values["baris"], f"{values['kode']} (Permendagri 78/2012) → "
                                  f"{values['kode_baru']} (Permendagri 83/2022)"))
    record_event(session, actor, "arsip.daftar_impor", object_type="record",
                 detail={"source": source[:200], "created": len(report.created),
                         "skipped": len(report.skipped),
                         "ids": [rid for _, rid, _ in report.created][:500]})
    session.commit()
    return report


def _known_codes(session: Session) -> dict[tuple[str, str], str]:
    """(scheme, code) → the 83/2022 code it stands for."""
    rows = session.execute(select(Klasifikasi.skema_code, Klasifikasi.code, Klasifikasi.maps_to)
                           .where(Klasifikasi.skema_code.in_((CURRENT_SCHEME, LEGACY_SCHEME))))
    return {(skema, code): (maps_to if skema == LEGACY_SCHEME else code)
            for skema, code, maps_to in rows}


def _recorded_keys(session: Session) -> dict[str, int]:
    """The key of every berkas already recorded from a daftar arsip → its record id."""
    found: dict[str, int] = {}
    query = select(Record.id, Record.data).join(Arsip, Arsip.record_id == Record.id)
    for record_id, data in session.execute(query.where(Arsip.sumber.in_((PAPER_ONLY, "pindaian")))):
        key = ((data or {}).get("daftar_arsip") or {}).get("kunci")
        if key:
            found[key] = record_id
    return found


def _clean_row(row: dict, codes: dict, today: dt.date, errors: list) -> dict:
    out: dict[str, Any] = {name: str(row.get(name) or "").strip() for name in LABELS}
    if not out["uraian"]:
        errors.append(("Uraian", "Uraian wajib diisi."))
    elif len(out["uraian"]) > 2000:
        errors.append(("Uraian", "Uraian terlalu panjang (maksimal 2000 karakter)."))
    for name in ("nomor_berkas", "jumlah", "tingkat_perkembangan", "lemari", "rak", "boks", "map"):
        if len(out[name]) > 40:
            errors.append((LABELS[name], f"{LABELS[name]} terlalu panjang (maksimal 40 karakter)."))
    out["kode"], out["skema"], out["kode_baru"] = _code(out["klasifikasi"], codes, errors)
    out["tanggal"] = _period_end(out["kurun_waktu"], today, errors)
    if out["lokasi"]:
        for word, value in _LOCATION.findall(out["lokasi"]):
            slot = {"box": "boks", "folder": "map"}.get(word.lower(), word.lower())
            out[slot] = out[slot] or value[:40]
    return out


def _code(raw: str, codes: dict, errors: list) -> tuple[str, str, str]:
    """(code as written, its scheme, the 83/2022 code); '45' read back by Excel is '045'."""
    code = raw.strip().rstrip(".")
    if not code:
        errors.append(("Kode klasifikasi", "Kode klasifikasi wajib diisi."))
        return "", "", ""
    head, _, rest = code.partition(".")
    if head.isdigit() and len(head) < 3:
        code = head.zfill(3) + ("." + rest if rest else "")
    if not _CODE.fullmatch(code):
        errors.append(("Kode klasifikasi", f"Kode klasifikasi '{raw[:40]}' tidak berbentuk kode "
                       "(contoh: 471.13 atau 400.12.2.1)."))
        return "", "", ""
    for skema in (LEGACY_SCHEME, CURRENT_SCHEME):
        if (skema, code) in codes:
            return code, skema, codes[(skema, code)]
    parents = [".".join(code.split(".")[:n]) for n in range(code.count("."), 0, -1)]
    near = next((p for p in parents if (LEGACY_SCHEME, p) in codes or (CURRENT_SCHEME, p) in codes), "")
    hint = f" Kode induk terdekat yang dikenal: {near}." if near else ""
    errors.append(("Kode klasifikasi", f"Kode {code} tidak dikenal dalam Permendagri 78/2012 "
                   f"maupun 83/2022 yang dimuat Lemari.{hint}"))
    return "", "", ""


def _period_end(raw: str, today: dt.date, errors: list) -> dt.date | None:
    """The last day of the kurun waktu ('2015', '2015-2017', 'Jan s.d. Des 2016', '17-08-2019')."""
    if not raw:
        errors.append(("Kurun waktu", "Kurun waktu wajib diisi."))
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if day > today:
            errors.append(("Kurun waktu", f"Kurun waktu '{raw}' belum terjadi."))
        return day
    years = [int(y) for y in _YEAR.findall(raw)]
    if not years:
        errors.append(("Kurun waktu", f"Kurun waktu '{raw[:40]}' tidak dikenal; tulis tahun, "
                       "misalnya 2015 atau 2015-2017."))
        return None
    if max(years) > today.year:
        errors.append(("Kurun waktu", f"Kurun waktu '{raw[:40]}' belum terjadi."))
        return None
    return min(dt.date(max(years), 12, 31), today)


def _record(session: Session, values: dict, actor: Actor, source: str) -> Record:
    now = utc_now()
    info = {k: values[k] for k in ("nomor_berkas", "kurun_waktu", "jumlah",
                                   "tingkat_perkembangan", "kunci", "baris")}
    info["berkas"] = source[:200]
    record = Record(doctype=SCAN_DOCTYPE, state=ARCHIVED_STATE, title=values["uraian"][:200],
                    desa_code=None, created_by=actor.username,
                    data={"klasifikasi": values["kode"], "klasifikasi_baru": values["kode_baru"],
                          "daftar_arsip": info})
    session.add(record)
    session.flush()
    note = "; ".join(filter(None, (values["keterangan"],
                                   f"Jumlah: {values['jumlah']}" if values["jumlah"] else "")))
    arsip = Arsip(record_id=record.id, sumber=PAPER_ONLY, skema_code=values["skema"],
                  klasifikasi=values["kode"], tanggal_dokumen=values["tanggal"],
                  lemari=values["lemari"], rak=values["rak"], boks=values["boks"], map=values["map"],
                  catatan=note[:2000], niks=[], no_kk=[], halaman=0, ocr_status="", versi=1)
    session.add(arsip)
    snapshot = {"judul": values["uraian"][:200], "skema_code": values["skema"],
                "klasifikasi": values["kode"], "tanggal_dokumen": (values["tanggal"].isoformat()
                                                                   if values["tanggal"] else None),
                "lemari": values["lemari"], "rak": values["rak"], "boks": values["boks"],
                "map": values["map"], "catatan": note[:2000], "jenis_dokumen": "", "seri": "",
                "desa_code": None, "niks": [], "no_kk": []}
    session.add(ArsipVersi(record_id=record.id, versi=1, metadata_json=snapshot,
                           alasan=f"Dicatat dari daftar arsip {source[:120]} baris {values['baris']}",
                           dibuat_oleh=actor.username, dibuat_pada=now))
    remember(session, RECORD, record.id, "arsipkan", None, ARCHIVED_STATE, actor.username,
             f"Daftar arsip {source[:120]} baris {values['baris']}", at=now)
    session.flush()
    recompute(session, arsip)
    enqueue(session, RECORD, record.id)
    return record


def paper_status(session: Session) -> tuple[int, int]:
    """(berkas known from a daftar arsip, how many of them have their scan since)."""
    total = scanned = 0
    query = select(Record.data, Arsip.sumber).join(Arsip, Arsip.record_id == Record.id)
    for data, sumber in session.execute(query.where(Arsip.sumber.in_((PAPER_ONLY, "pindaian")))):
        if (data or {}).get("daftar_arsip"):
            total += 1
            scanned += sumber != PAPER_ONLY
    return total, scanned
