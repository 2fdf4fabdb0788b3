"""Old agenda books: a hand-kept buku agenda surat masuk or surat keluar (an Excel list) brought
into Lemari when the office moves in (issue 22, item 3).

A line keeps its original number and dates and is marked "Diimpor dari buku agenda":

- an incoming line becomes a letter of the incoming register (`SuratMasuk`, state
  `diarsipkan`) under its original agenda number; no number is allocated. So that Lemari never
  hands out that number again, a line of a year Lemari numbers (this year, or any year whose
  agenda register already has a sequence) must lie at or below the register's last number:
  the Admin first continues the agenda register from the paper book ("Pindah ke Lemari"),
  exactly as for the outgoing registers. Earlier years are free.
- an outgoing line is kept in `agenda_lama` only. Lemari's outgoing registers
  (`issued_number`) hold what Lemari itself consumed; an old line there would collide with its
  unique (register, year, sequence), or with a paper number linked later, and per-code
  numbering of the 78/2012 years does not fit a single sequence. The buku agenda surat keluar
  (`services.agenda_keluar`) reads both.

Each line has a search entry, a record of the internal type `agenda_lama` written with its
search outbox row in the import's one transaction (a rahasia letter's entry readable only by
the declared holders of `surat_masuk.rahasia`).

The whole file is checked first, every problem with its row and column, in Indonesian:
merged cells, a header that is not an agenda book, a missing or unreadable date or number,
a number Lemari already used. One bad row and nothing is saved. Importing the same book again
updates its lines (known by year and agenda number, or by year and letter number) instead of
adding them twice. A crash before the one commit leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import Registry
from records.exceptions import ImportRejectedError, ValidationError
from records.models import IssuedNumber, NumberSequence, Record, Register
from records.models.outbox import RECORD, enqueue
from records.services import workflow_history
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.importing import read_grid
from records.services.klasifikasi import CURRENT_SCHEME, LEGACY_SCHEME
from records.services.records import set_readers
from records.surat_masuk.models import AgendaLama, SuratMasuk
from records.surat_masuk.services import (
    AGENDA_REGISTER,
    FILED,
    IMPORTED_MARK,
    LETTER,
    OUTGOING_REGISTERS,
    RAHASIA,
    SIFAT,
    duplicate_key,
    readers_of,
)

MASUK, KELUAR = "masuk", "keluar"
JENIS = {MASUK: "Buku agenda surat masuk", KELUAR: "Buku agenda surat keluar"}
DOCTYPE = "agenda_lama"  # the search entry's document type (declared by plugin.py)
STATE = "diimpor"
MARK = IMPORTED_MARK
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
MAX_AGENDA = 99_999

#: The template's columns per book: (our name, header as printed, required).
COLUMNS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    MASUK: (("nomor_agenda", "No. Agenda", True), ("tanggal_terima", "Tanggal Diterima", True),
            ("pengirim", "Pengirim", True), ("nomor_surat", "Nomor Surat", True),
            ("tanggal_surat", "Tanggal Surat", True), ("perihal", "Perihal", True),
            ("sifat", "Sifat", False), ("klasifikasi", "Kode Klasifikasi", False),
            ("keterangan", "Keterangan", False)),
    KELUAR: (("nomor_surat", "Nomor Surat", True), ("tanggal_surat", "Tanggal Surat", True),
             ("tujuan", "Tujuan", True), ("perihal", "Perihal", True),
             ("klasifikasi", "Kode Klasifikasi", False), ("keterangan", "Keterangan", False)),
}
EXAMPLES = {
    MASUK: (12, "2025-03-04", "Dinas Kependudukan dan Pencatatan Sipil", "470/215/Disdukcapil/2025",
            "2025-03-01", "Undangan rapat koordinasi KTP-el", "biasa", "470", ""),
    KELUAR: ("470/0123/Kec.KB/2025", "2025-03-05", "Kepala Desa Loleng",
             "Penyampaian jadwal perekaman KTP-el", "470", ""),
}
#: Header names as offices write them (lower case, punctuation dropped), per column.
ALIASES: dict[str, tuple[str, ...]] = {
    "nomor_agenda": ("no agenda", "nomor agenda", "no urut", "nomor urut", "no", "agenda",
                     "no urut agenda"),
    "tanggal_terima": ("tanggal diterima", "tgl diterima", "tanggal terima", "tgl terima",
                       "diterima tanggal", "tanggal penerimaan"),
    "pengirim": ("pengirim", "asal surat", "dari", "instansi pengirim", "asal", "surat dari"),
    "nomor_surat": ("nomor surat", "no surat", "nomor", "nomor dan tanggal surat"),
    "tanggal_surat": ("tanggal surat", "tgl surat", "tanggal", "tgl"),
    "perihal": ("perihal", "hal", "isi ringkas", "isi singkat", "ringkasan isi", "isi surat",
                "uraian"),
    "sifat": ("sifat", "sifat surat"),
    "klasifikasi": ("kode klasifikasi", "klasifikasi", "kode", "kode surat", "indeks"),
    "keterangan": ("keterangan", "ket", "catatan"),
    "tujuan": ("tujuan", "kepada", "dikirim kepada", "alamat tujuan", "penerima", "tujuan surat"),
}
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")
MAX = {"pengirim": 200, "tujuan": 200, "nomor_surat": 120, "perihal": 500, "keterangan": 2000}
_CODE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){0,4}")


@dataclass
class AgendaReport:
    """What an accepted import did, row by row: (row, what) for each new and updated line."""

    jenis: str
    created: list[tuple[int, str]] = field(default_factory=list)
    updated: list[tuple[int, str]] = field(default_factory=list)


def _labels(jenis: str) -> dict[str, str]:
    return {name: label for name, label, _ in COLUMNS[jenis]}


def _norm(text: object) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


def check_jenis(jenis: str) -> str:
    """'masuk' or 'keluar', else a clear error (the adapters pass what the user chose)."""
    value = (jenis or "").strip().lower()
    if value not in COLUMNS:
        raise ValidationError("Jenis buku agenda harus 'masuk' atau 'keluar'.",
                              {"jenis": "Pilih buku agenda surat masuk atau surat keluar."})
    return value


# --- the template -----------------------------------------------------------------------------

def template_xlsx(jenis: str) -> bytes:
    """An empty agenda book with the expected columns and one example line to overwrite."""
    from records.spreadsheets import workbook_bytes

    jenis = check_jenis(jenis)
    header = [label for _, label, _ in COLUMNS[jenis]]
    return workbook_bytes([(JENIS[jenis], header, [EXAMPLES[jenis]])])


# --- reading ----------------------------------------------------------------------------------

def _header_index(cells: list, jenis: str) -> dict[str, int]:
    wanted = {name for name, _, _ in COLUMNS[jenis]}
    names = {alias: key for key, aliases in ALIASES.items() if key in wanted for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = names.get(_norm(cell))
        if key and key not in found:
            found[key] = index
    return found


def _other_book(cells: list, jenis: str) -> str:
    """A hint when the header is the other book's (a Tujuan column in a surat masuk file)."""
    other = KELUAR if jenis == MASUK else MASUK
    marker = "tujuan" if other == KELUAR else "pengirim"
    if marker in _header_index(cells, other) and marker not in _header_index(cells, jenis):
        return f" Berkas ini tampaknya {JENIS[other].lower()}; pilih jenis '{other}'."
    return ""


def read_agenda(data: bytes, filename: str, jenis: str) -> list[dict]:
    """Rows of an agenda book (XLSX or CSV) keyed by our column names, each with `_baris` (the
    sheet's own row number). Title rows above the table are skipped; the header is the first
    of the first 15 rows naming a Perihal and a Nomor Surat column."""
    jenis = check_jenis(jenis)
    grid = read_grid(data, filename, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    header_at = next((i for i, (_, cells) in enumerate(grid.rows[:15])
                      if {"perihal", "nomor_surat"} <= set(_header_index(cells, jenis))), None)
    if header_at is None:
        hint = next((h for _, cells in grid.rows[:15] if (h := _other_book(cells, jenis))), "")
        expected = ", ".join(label for _, label, _ in COLUMNS[jenis])
        raise ImportRejectedError(
            f"Susunan kolom tidak dikenal: judul kolom {JENIS[jenis].lower()} tidak ditemukan pada "
            f"15 baris pertama. Kolom yang diharapkan: {expected} (unduh templatnya).{hint}", [])
    header_row, header_cells = grid.rows[header_at]
    index = _header_index(header_cells, jenis)
    labels = _labels(jenis)
    missing = [name for name, _, required in COLUMNS[jenis] if required and name not in index]
    if missing:
        raise ImportRejectedError(
            f"Kolom wajib tidak ada pada baris {header_row}: "
            + ", ".join(labels[m] for m in missing) + ". Unduh templat buku agenda."
            + _other_book(header_cells, jenis),
            [(header_row, labels[m], "kolom wajib tidak ada") for m in missing])
    merged = [(coord, first, last) for coord, first, last in grid.merged if last >= header_row]
    if merged:
        raise ImportRejectedError(
            "Berkas berisi sel gabungan (merge cells) di tabel: "
            + ", ".join(coord for coord, _, _ in merged) + ". Pisahkan sel gabungan dan isi "
            "setiap baris, lalu impor lagi; tidak ada yang disimpan.",
            [(first, coord, f"sel gabungan baris {first}–{last}") for coord, first, last in merged])
    rows = []
    for number, cells in grid.rows[header_at + 1:]:
        row: dict[str, Any] = {key: " ".join(str(cells[i] or "").split()) if i < len(cells) else ""
                               for key, i in index.items()}
        if not any(row.values()):
            continue
        row["_baris"] = number
        rows.append(row)
    if not rows:
        raise ImportRejectedError(f"{JENIS[jenis]} tidak berisi baris data.", [])
    return rows


# --- checking ---------------------------------------------------------------------------------

def _date(raw: str, label: str, today: dt.date, errors: list) -> dt.date | None:
    if not raw:
        errors.append((label, f"{label} wajib diisi."))
        return None
    text = raw.split(" ")[0]  # '2025-03-04 00:00:00' of a datetime cell
    for fmt in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if day > today:
            errors.append((label, f"{label} {raw[:20]} belum terjadi."))
        elif day.year < 1900:
            errors.append((label, f"{label} {raw[:20]} sebelum tahun 1900."))
        return day
    errors.append((label, f"{label} '{raw[:40]}' tidak dikenal; tulis 2025-03-04 atau "
                   "04-03-2025."))
    return None


def _code(raw: str, label: str, errors: list) -> str:
    """A klasifikasi code as written ('45' read back by Excel is '045'); only its shape is
    checked: old books carry codes of the revoked 78/2012 list and local variants."""
    code = raw.strip().rstrip(".")
    if not code:
        return ""
    head, _, rest = code.partition(".")
    if head.isdigit() and len(head) < 3:
        code = head.zfill(3) + ("." + rest if rest else "")
    if not _CODE.fullmatch(code):
        errors.append((label, f"Kode klasifikasi '{raw[:40]}' tidak berbentuk kode (contoh: 470 "
                       "atau 400.12.2.1)."))
        return ""
    return code


def _clean_row(row: dict, jenis: str, today: dt.date) -> tuple[dict, list[tuple[str, str]]]:
    """One line's values, trimmed and checked; (values, [(column label, message)])."""
    labels = _labels(jenis)
    errors: list[tuple[str, str]] = []
    out: dict[str, Any] = {name: str(row.get(name) or "").strip() for name in labels}
    for name, label, required in COLUMNS[jenis]:
        text = out[name]
        if "\x00" in text:
            errors.append((label, "Teks berisi karakter yang tidak sah."))
        elif name in MAX and len(text) > MAX[name]:
            errors.append((label, f"{label} terlalu panjang (maksimal {MAX[name]} karakter)."))
        elif required and not text and not name.startswith("tanggal") and name != "nomor_agenda":
            errors.append((label, f"{label} wajib diisi."))
    out["tanggal_surat"] = _date(out["tanggal_surat"], labels["tanggal_surat"], today, errors)
    out["klasifikasi"] = _code(out["klasifikasi"], labels["klasifikasi"], errors)
    out["pihak"] = out.pop("pengirim" if jenis == MASUK else "tujuan")
    if jenis == KELUAR:
        out["tanggal"] = out["tanggal_surat"]
        out["kunci"] = _number_key(out["nomor_surat"])
        return out, errors
    raw = out["nomor_agenda"]
    out["nomor_agenda"] = None
    if not raw:
        errors.append((labels["nomor_agenda"], "No. Agenda wajib diisi."))
    elif not raw.isdigit() or not 1 <= int(raw) <= MAX_AGENDA:
        errors.append((labels["nomor_agenda"], f"No. Agenda '{raw[:20]}' harus angka 1–{MAX_AGENDA}."))
    else:
        out["nomor_agenda"] = int(raw)
    out["tanggal"] = _date(out["tanggal_terima"], labels["tanggal_terima"], today, errors)
    if out["tanggal"] and out["tanggal_surat"] and out["tanggal"] < out["tanggal_surat"]:
        errors.append((labels["tanggal_terima"], "Tanggal diterima sebelum tanggal surat."))
    sifat = (out["sifat"] or "biasa").lower().replace(" ", "_")
    if sifat not in SIFAT:
        errors.append((labels["sifat"], f"Sifat '{out['sifat'][:20]}' tidak dikenal; tulis biasa, "
                       "segera, sangat segera atau rahasia."))
    out["sifat"] = sifat
    out["kunci"] = str(out["nomor_agenda"] or "")
    return out, errors


def _number_key(nomor: str) -> str:
    """A letter number compared without case, spaces or punctuation around it."""
    return re.sub(r"\s+", "", nomor.lower()).strip(".,")[:160]


# --- importing --------------------------------------------------------------------------------

def import_agenda(rows: list[dict], jenis: str, *, actor: Actor, session: Session,
                  registry: Registry, source: str, today: dt.date) -> AgendaReport:
    """Check every line, then write them all in one transaction (or nothing); commit."""
    actor.require("surat_masuk.impor")
    jenis = check_jenis(jenis)
    problems: list[tuple[int, str, str]] = []
    clean: list[dict] = []
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        number = int(row["_baris"])
        values, errors = _clean_row(row, jenis, today)
        if values["tanggal"] is not None and values["kunci"]:
            key = (values["tanggal"].year, values["kunci"])
            if key in seen:
                what = "No. Agenda" if jenis == MASUK else "Nomor Surat"
                errors.append((what, f"Sama dengan baris {seen[key]} (tahun {key[0]})."))
            seen.setdefault(key, number)
        problems += [(number, label, message) for label, message in errors]
        values["baris"] = number
        clean.append(values)
    if not problems:
        problems = (_check_incoming(session, clean, today) if jenis == MASUK
                    else _check_outgoing(session, clean))
    if problems:
        raise ImportRejectedError(
            f"Impor {JENIS[jenis].lower()} dibatalkan: {len(problems)} kesalahan; tidak ada yang "
            "disimpan.", problems)
    report = AgendaReport(jenis)
    known = _imported(session, jenis)
    for values in clean:
        line = known.get((values["tanggal"].year, values["kunci"]))
        label = (f"agenda {values['nomor_agenda']}/{values['tanggal'].year}" if jenis == MASUK
                 else values["nomor_surat"])
        if line is None:
            _create(session, values, jenis, actor=actor, registry=registry, source=source)
            report.created.append((values["baris"], label))
        else:
            _update(session, line, values, jenis, actor=actor, registry=registry, source=source)
            report.updated.append((values["baris"], label))
    record_event(session, actor, "surat_masuk.impor_agenda", object_type="agenda_lama",
                 detail={"jenis": jenis, "source": source[:200], "created": len(report.created),
                         "updated": len(report.updated)})
    session.commit()
    return report


def _imported(session: Session, jenis: str) -> dict[tuple[int, str], AgendaLama]:
    return {(line.tahun, line.kunci): line
            for line in session.scalars(select(AgendaLama).where(AgendaLama.jenis == jenis))}


def _check_incoming(session: Session, lines: list[dict], today: dt.date) -> list[tuple[int, str, str]]:
    """Agenda numbers Lemari used, or may still hand out, refuse their lines."""
    problems: list[tuple[int, str, str]] = []
    register = session.scalar(select(Register).where(Register.name == AGENDA_REGISTER["name"]))
    imported = set(session.scalars(select(AgendaLama.surat_masuk_id).where(
        AgendaLama.surat_masuk_id.is_not(None))))
    years = {line["tanggal"].year for line in lines}
    last: dict[int, int] = {}
    if register is not None:
        last = dict(session.execute(select(NumberSequence.year, NumberSequence.last).where(
            NumberSequence.register_id == register.id, NumberSequence.year.in_(years))).all())
    title = register.title if register is not None else AGENDA_REGISTER["title"]
    taken = {(s.tahun, s.nomor_agenda): s for s in session.scalars(select(SuratMasuk).where(
        SuratMasuk.tahun.in_(years)))}
    reported_years: set[int] = set()
    for line in lines:
        year, number, row = line["tanggal"].year, line["nomor_agenda"], line["baris"]
        other = taken.get((year, number))
        if other is not None and other.id not in imported:
            problems.append((row, "No. Agenda", (
                f"Nomor agenda {number}/{year} sudah dipakai surat yang dicatat di Lemari "
                f"(dari {other.pengirim[:60]}); baris buku lama tidak boleh menimpanya.")))
        elif year in last and number > last[year]:
            problems.append((row, "No. Agenda", (
                f"Nomor agenda {number}/{year} di atas nomor terakhir register {title} tahun "
                f"{year} ({last[year]}); Lemari akan memberikan nomor itu. Lanjutkan dulu "
                "register itu dari nomor terakhir di buku kertas (Pindah ke Lemari).")))
        elif year not in last and year >= today.year and year not in reported_years:
            reported_years.add(year)
            count = sum(1 for x in lines if x["tanggal"].year == year)
            problems.append((row, "Tanggal Diterima", (
                f"{count} baris tahun {year} (tahun berjalan): lanjutkan dulu register {title} "
                f"tahun {year} dari nomor terakhir di buku kertas (Pindah ke Lemari), agar Lemari "
                "tidak memberikan nomor agenda yang sama lagi.")))
    return problems


def _check_outgoing(session: Session, lines: list[dict]) -> list[tuple[int, str, str]]:
    """A number Lemari itself issued is not an old book's line."""
    numbers = {line["nomor_surat"] for line in lines}
    issued = set(session.scalars(
        select(IssuedNumber.number).join(Register, Register.id == IssuedNumber.register_id)
        .where(Register.name.in_(OUTGOING_REGISTERS), IssuedNumber.number.in_(numbers),
               IssuedNumber.kind != "kertas")))
    return [(line["baris"], "Nomor Surat",
             f"Nomor surat {line['nomor_surat']} sudah diterbitkan oleh Lemari; baris buku lama "
             "tidak boleh menyamainya.") for line in lines if line["nomor_surat"] in issued]


def _entry_data(values: dict, jenis: str, source: str) -> dict:
    """The search entry's fields (declared by the `agenda_lama` document type)."""
    return {"buku": JENIS[jenis],
            "nomor_agenda": str(values.get("nomor_agenda") or ""),
            "pihak": values["pihak"], "nomor_surat": values["nomor_surat"],
            "tanggal_surat": values["tanggal_surat"].strftime("%d-%m-%Y"),
            "tanggal": values["tanggal"].strftime("%d-%m-%Y"),
            "perihal": values["perihal"], "keterangan": values["keterangan"],
            "sumber": f"{MARK} ({source[:120]}, baris {values['baris']})",
            "klasifikasi": values["klasifikasi"]}


def _title(values: dict, jenis: str) -> str:
    if jenis == MASUK and values["sifat"] == RAHASIA:
        return f"Surat masuk (rahasia) agenda {values['nomor_agenda']}/{values['tanggal'].year}"
    word = "Surat masuk dari" if jenis == MASUK else "Surat keluar kepada"
    return f"{word} {values['pihak']}: {values['perihal']}"[:200]


def _scheme(session: Session, code: str) -> str:
    if not code:
        return CURRENT_SCHEME
    from records.models import Klasifikasi

    found = set(session.scalars(select(Klasifikasi.skema_code).where(Klasifikasi.code == code)))
    return CURRENT_SCHEME if CURRENT_SCHEME in found or LEGACY_SCHEME not in found else LEGACY_SCHEME


def _create(session: Session, values: dict, jenis: str, *, actor: Actor, registry: Registry,
            source: str) -> AgendaLama:
    now = utc_now()
    note = f"{MARK} {source[:120]} baris {values['baris']}"
    record = Record(doctype=DOCTYPE, state=STATE, title=_title(values, jenis), desa_code=None,
                    created_by=actor.username, number=values["nomor_surat"][:120],
                    data=_entry_data(values, jenis, source))
    session.add(record)
    session.flush()
    workflow_history.remember(session, RECORD, record.id, "impor", None, STATE, actor.username,
                              note, at=now)
    surat = None
    if jenis == MASUK:
        surat = SuratMasuk(
            tahun=values["tanggal"].year, nomor_agenda=values["nomor_agenda"],
            pengirim=values["pihak"], nomor_surat=values["nomor_surat"],
            kunci_duplikat=duplicate_key(values["pihak"], values["nomor_surat"]),
            tanggal_surat=values["tanggal_surat"], perihal=values["perihal"],
            sifat=values["sifat"], skema_code=_scheme(session, values["klasifikasi"]),
            klasifikasi=values["klasifikasi"], lampiran="", tanggal_terima=values["tanggal"],
            catatan=values["keterangan"], duplikat_dari=None, state=FILED, record_id=None,
            dicatat_oleh=actor.username, dicatat_pada=now)
        session.add(surat)
        session.flush()
        workflow_history.remember(session, LETTER, surat.id, "impor", None, FILED,
                                  actor.username, note, at=now)
    line = AgendaLama(jenis=jenis, tahun=values["tanggal"].year, kunci=values["kunci"],
                      surat_masuk_id=surat.id if surat else None, record_id=record.id,
                      diimpor_oleh=actor.username, diimpor_pada=now)
    _fill(line, values, source)
    session.add(line)
    _readers(session, record, surat, registry)
    enqueue(session, RECORD, record.id)
    return line


def _fill(line: AgendaLama, values: dict, source: str) -> None:
    line.nomor_agenda = values.get("nomor_agenda")
    line.nomor_surat, line.tanggal = values["nomor_surat"], values["tanggal"]
    line.tanggal_surat, line.pihak = values["tanggal_surat"], values["pihak"]
    line.perihal, line.klasifikasi = values["perihal"], values["klasifikasi"]
    line.keterangan, line.berkas, line.baris = values["keterangan"], source[:200], values["baris"]


def _update(session: Session, line: AgendaLama, values: dict, jenis: str, *, actor: Actor,
            registry: Registry, source: str) -> None:
    """The same line imported again: its fields follow the book; no second entry."""
    _fill(line, values, source)
    record = line.record
    record.title, record.number = _title(values, jenis), values["nomor_surat"][:120]
    record.data = _entry_data(values, jenis, source)
    surat = line.surat
    if surat is not None:
        surat.pengirim, surat.nomor_surat = values["pihak"], values["nomor_surat"]
        surat.kunci_duplikat = duplicate_key(values["pihak"], values["nomor_surat"])
        surat.tanggal_surat, surat.perihal = values["tanggal_surat"], values["perihal"]
        surat.sifat, surat.klasifikasi = values["sifat"], values["klasifikasi"]
        surat.skema_code = _scheme(session, values["klasifikasi"])
        surat.catatan = values["keterangan"]
    _readers(session, record, surat, registry)
    enqueue(session, RECORD, record.id)


def _readers(session: Session, record: Record, surat: SuratMasuk | None,
             registry: Registry) -> None:
    """A rahasia letter's entry is readable by the declared holders only; others by all."""
    restricted = surat is not None and surat.sifat == RAHASIA
    if restricted or record.readers:
        set_readers(session, record.id, readers_of(surat, registry) if restricted and surat
                    else set())


# --- reading back -----------------------------------------------------------------------------

def imported_letter_ids(session: Session, ids: Iterable[int]) -> set[int]:
    """Which of these incoming letters came from an old agenda book (for the 'diimpor' mark)."""
    wanted = [i for i in ids if i]
    if not wanted:
        return set()
    return set(session.scalars(select(AgendaLama.surat_masuk_id).where(
        AgendaLama.surat_masuk_id.in_(wanted))))


def outgoing_lines(session: Session, first: dt.date, last: dt.date) -> list[AgendaLama]:
    """Imported outgoing lines sent in the period, in date order."""
    return list(session.scalars(select(AgendaLama).where(
        AgendaLama.jenis == KELUAR, AgendaLama.tanggal.between(first, last))
        .order_by(AgendaLama.tanggal, AgendaLama.id)))


def summary(session: Session) -> list[tuple[str, int, int, dt.date, dt.date]]:
    """(jenis, year, lines, first date, last date) of everything imported, for the pages."""
    rows = session.execute(select(AgendaLama.jenis, AgendaLama.tahun, func.count(),
                                  func.min(AgendaLama.tanggal), func.max(AgendaLama.tanggal))
                           .group_by(AgendaLama.jenis, AgendaLama.tahun)
                           .order_by(AgendaLama.jenis.desc(), AgendaLama.tahun)).all()
    return [(j, t, n, a, b) for j, t, n, a, b in rows]
