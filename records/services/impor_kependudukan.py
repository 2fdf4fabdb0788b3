"""Residents from where they are (issue 22, item 2): a desa's OpenSID export or the Dinas's
DKB/BIP spreadsheet, imported per desa, repeatable, all rows or none.

The columns and code lists of each format are data with their source
(records/data/impor_penduduk.json); codes become the Dukcapil labels of records/codes.py and
every row then passes the same checks as a resident typed by hand
(`kependudukan.validate_penduduk`: NIK and No. KK rules, code lists, desa scope).

Repeatable: a NIK already in this desa is updated, not duplicated; a No. KK already in this
desa keeps its family. A NIK or No. KK registered in ANOTHER desa refuses the row (a resident
is moved by hand, never silently by an import), and so does a row of the Dinas file that
names another desa. Rows whose OpenSID status is not HIDUP are skipped and reported. One bad
row and nothing is saved; a crash before the one commit leaves nothing either.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records import codes
from records.actor import Actor
from records.exceptions import ImportRejectedError, ValidationError
from records.models import Keluarga, Penduduk, Wilayah
from records.models.outbox import enqueue_residents_by_nik
from records.services.audit import record_event
from records.services.importing import read_grid
from records.services.kependudukan import LABELS, validate_penduduk

FORMATS = ("opensid", "dkb")
#: Fields whose source codes are the Dukcapil codes of records/codes.py.
SAME_CODES = {"agama": codes.AGAMA, "pendidikan": codes.PENDIDIKAN, "pekerjaan": codes.PEKERJAAN,
              "hubungan": codes.SHDK, "golongan_darah": codes.GOLONGAN_DARAH,
              "kewarganegaraan": codes.KEWARGANEGARAAN, "jenis_kelamin": codes.JENIS_KELAMIN,
              "status_perkawinan": codes.STATUS_PERKAWINAN}
CODED = ("jenis_kelamin", "agama", "pendidikan", "pekerjaan", "status_perkawinan", "hubungan",
         "golongan_darah", "kewarganegaraan")
ALIVE = "HIDUP"


def mapping() -> dict:
    """The shipped formats and code maps (records/data/impor_penduduk.json)."""
    return json.loads(files("records").joinpath("data/impor_penduduk.json").read_text("utf-8"))


@dataclass
class SourceReport:
    """What an accepted import did, row by row."""

    created: int = 0
    updated: int = 0
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, status, message)


def read_source(data: bytes, filename: str, fmt: str, *, max_bytes: int,
                max_rows: int) -> list[dict]:
    """Rows of an OpenSID or DKB file keyed by Lemari's field names, each with `_baris`."""
    if fmt not in FORMATS:
        raise ImportRejectedError(f"Format '{fmt}' tidak dikenal; pilih: {', '.join(FORMATS)}.", [])
    spec = mapping()["format"][fmt]
    grid = read_grid(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    wanted = spec["baris_judul"].lower()
    at = next((i for i, (_, cells) in enumerate(grid.rows[:5])
               if wanted in [str(c).strip().lower() for c in cells]), None)
    if at is None:
        raise ImportRejectedError(
            f"Berkas ini bukan berkas {spec['judul']}: judul kolom '{spec['baris_judul']}' tidak "
            "ditemukan pada lima baris pertama.", [])
    header_row, names = grid.rows[at]
    by_name = {str(n).strip().lower(): i for i, n in enumerate(names) if str(n).strip()}
    missing = [c for c in spec["wajib"] if c.lower() not in by_name]
    if missing:
        raise ImportRejectedError(
            f"Berkas {spec['judul']} versi lama atau berbeda: kolom " + ", ".join(missing)
            + f" tidak ada pada baris {header_row}. Ekspor ulang dengan format terbaru.",
            [(header_row, c, "kolom wajib tidak ada") for c in missing])
    merged = [(coord, first) for coord, first, last in grid.merged if last >= header_row]
    if merged:
        raise ImportRejectedError(
            "Berkas berisi sel gabungan (merge cells): " + ", ".join(c for c, _ in merged)
            + ". Pisahkan sel gabungan dan isi setiap baris; tidak ada yang disimpan.",
            [(first, coord, "sel gabungan") for coord, first in merged])
    columns = {name.lower(): target for name, target in spec["kolom"].items()}
    rows = []
    for number, cells in grid.rows[at + 1:]:
        row: dict[str, object] = {target: str(cells[by_name[name]]).strip()
                                  if by_name.get(name) is not None and by_name[name] < len(cells)
                                  else "" for name, target in columns.items()}
        row["_baris"] = number
        rows.append(row)
    if not rows:
        raise ImportRejectedError("Berkas hanya berisi judul kolom; tidak ada data penduduk.", [])
    return rows


def _label(value: str) -> str:
    """Upper case with OpenSID's spacing around '/' removed ('TIDAK / BELUM SEKOLAH')."""
    return re.sub(r"\s*/\s*", "/", " ".join(value.upper().split()))


def translate(row: dict, fmt: str, desa_code: str, maps: dict,
              errors: dict[str, str]) -> tuple[dict, str]:
    """The row as Lemari's resident values, and its status dasar (HIDUP unless told)."""
    values = {k: v for k, v in row.items() if k in LABELS}
    for name in ("nik", "no_kk"):
        values[name] = re.sub(r"[\s'`]", "", str(values.get(name) or ""))
    for name in CODED:
        raw = str(values.get(name) or "").strip()
        if not raw or raw == "-":
            values[name] = ""
            continue
        extra = maps.get(name, {}).get("nilai", {})
        key = _label(raw)
        if key in extra:
            values[name] = extra[key]
        elif raw.isdigit():
            try:
                values[name] = codes.label_of(SAME_CODES[name], int(raw))
            except KeyError:
                highest = max(n for n, _ in SAME_CODES[name])
                errors[name] = (f"Kode {LABELS[name].lower()} '{raw}' tidak dikenal "
                                f"(kode Dukcapil 1–{highest}).")
        else:
            values[name] = key
    status = str(row.get("status_dasar") or "").strip()
    status = maps["status_dasar"]["nilai"].get(_label(status), _label(status)) if status else ALIVE
    alamat = str(values.get("alamat") or "").strip()
    dusun = str(row.get("dusun") or "").strip()
    values["alamat"] = alamat or (f"DUSUN {dusun.upper()}" if dusun else "")
    values["desa_code"] = desa_code
    if fmt == "dkb":
        parts = [str(row.get(k) or "").strip() for k in ("no_prop", "no_kab", "no_kec", "no_kel")]
        named = ".".join(p.zfill(n) for p, n in zip(parts, (2, 2, 2, 4), strict=True))
        if named != desa_code:
            errors["desa_code"] = (f"Baris ini dari wilayah {named}, bukan desa yang dipilih "
                                   f"({desa_code}).")
    return values, status


def import_from_source(rows: list[dict], fmt: str, *, desa_code: str, actor: Actor,
                       session: Session, source: str) -> SourceReport:
    """Check every row, then create or update all residents of one desa (or nothing)."""
    actor.require("penduduk.import")
    desa = session.get(Wilayah, desa_code)
    if desa is None or desa.level != "desa":
        raise ImportRejectedError(f"Kode desa '{desa_code}' tidak dikenal.", [])
    if not actor.sees_desa(desa_code):
        raise ImportRejectedError("Anda hanya dapat mengimpor penduduk desa Anda sendiri.", [])
    maps = mapping()["kode"]
    check = _Checker(actor, session, desa)
    for row in rows:
        check.row(int(row["_baris"]), row, fmt, maps)
    check.foreign_kecamatan()
    if check.problems:
        raise ImportRejectedError(
            f"Impor dibatalkan: {len(check.problems)} kesalahan; tidak ada data yang disimpan.",
            check.problems)
    report = _write(check, actor=actor, session=session)
    enqueue_residents_by_nik(session, [clean["nik"] for _, clean, _ in check.cleaned])
    record_event(session, actor, "penduduk.import", object_type="penduduk", desa_code=desa_code,
                 detail={"source": source[:200], "format": fmt, "created": report.created,
                         "updated": report.updated, "skipped": len(check.skipped)})
    session.commit()
    report.rows = sorted(report.rows + check.skipped + check.warnings)
    return report


class _Checker:
    """Every problem of a file: per-row rules, duplicates in the file and across desa."""

    def __init__(self, actor: Actor, session: Session, desa: Wilayah):
        self.actor, self.session, self.desa = actor, session, desa
        self.problems: list[tuple[int, str, str]] = []
        self.cleaned: list[tuple[int, dict, Penduduk | None]] = []
        self.skipped: list[tuple[int, str, str]] = []
        self.warnings: list[tuple[int, str, str]] = []
        self.niks: dict[str, int] = {}
        self.kk_prefixes: list[str] = []

    def row(self, number: int, row: dict, fmt: str, maps: dict) -> None:
        errors: dict[str, str] = {}
        values, status = translate(row, fmt, self.desa.code, maps, errors)
        if status != ALIVE:
            self.skipped.append((number, "dilewati", f"status dasar {status}: tidak diimpor"))
            return
        existing, elsewhere = self._existing(number, values.get("nik", ""))
        try:
            clean, warnings = validate_penduduk(values, actor=self.actor, session=self.session,
                                                current_id=existing.id if existing else None)
        except ValidationError as exc:
            found = {k: m for k, m in exc.errors.items() if not (elsewhere and k == "nik")}
            errors = {**found, **errors}
        if elsewhere:
            return
        if errors:
            self.problems += [(number, LABELS.get(k, k), m) for k, m in errors.items()]
            return
        if clean["nik"] in self.niks:
            self.problems.append((number, "NIK", f"NIK {clean['nik']} sama dengan baris "
                                  f"{self.niks[clean['nik']]}."))
            return
        self.niks[clean["nik"]] = number
        self._family(number, clean)
        self.kk_prefixes.append(clean.get("no_kk", "")[:6])
        self.warnings += [(number, "peringatan", w) for w in warnings]
        self.cleaned.append((number, clean, existing))

    def _existing(self, number: int, nik: str) -> tuple[Penduduk | None, bool]:
        """The resident of this NIK in this desa; one in another desa is a problem (True)."""
        with self.session.no_autoflush:
            found = self.session.scalar(select(Penduduk).where(Penduduk.nik == nik)) if nik else None
        if found is None or found.desa_code == self.desa.code:
            return found, False
        where = (f"desa {found.desa.name if found.desa else found.desa_code}"
                 if self.actor.sees_desa(found.desa_code) else "desa lain")
        self.problems.append((number, "NIK", f"NIK {nik} sudah terdaftar di {where}; pindahkan "
                              "penduduk itu melalui Data Penduduk lebih dulu."))
        return None, True

    def _family(self, number: int, clean: dict) -> None:
        no_kk = clean.get("no_kk")
        if not no_kk:
            return
        with self.session.no_autoflush:
            known = self.session.scalar(select(Keluarga).where(Keluarga.no_kk == no_kk))
        if known is not None and known.desa_code != self.desa.code:
            self.problems.append((number, "No. KK", f"No. KK {no_kk} sudah terdaftar di desa lain "
                                  f"({known.desa_code if self.actor.sees_desa(known.desa_code) else '-'})."))
        elif known is None and not self.actor.can("keluarga.write"):
            self.problems.append((number, "No. KK", f"No. KK {no_kk} belum terdaftar dan Anda "
                                  "tidak berwenang membuat keluarga baru."))

    def foreign_kecamatan(self) -> None:
        """A file whose families mostly hold No. KK of another kecamatan is another office's."""
        ours = self.desa.code[:8].replace(".", "")
        foreign = [p for p in self.kk_prefixes if p and p != ours]
        if self.kk_prefixes and len(foreign) * 2 > len(self.kk_prefixes):
            self.problems.append((0, "No. KK", f"{len(foreign)} dari {len(self.kk_prefixes)} "
                                  f"No. KK bukan dari kecamatan ini ({ours}); berkas ini tampaknya "
                                  f"dari desa kecamatan lain, bukan {self.desa.name}."))


def _write(check: _Checker, *, actor: Actor, session: Session) -> SourceReport:
    """Create new residents and families, update known ones, in the open transaction."""
    report = SourceReport()
    families: dict[str, Keluarga] = {}
    try:
        for number, clean, existing in check.cleaned:
            no_kk = clean.pop("no_kk", "")
            person = existing or Penduduk()
            for name, value in clean.items():
                setattr(person, name, value)
            if no_kk:
                person.keluarga = _keluarga(session, families, no_kk, clean)
            session.add(person)
            if existing is None:
                report.created += 1
                report.rows.append((number, "dibuat", clean["nama"]))
            else:
                report.updated += 1
                report.rows.append((number, "diperbarui", clean["nama"]))
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ImportRejectedError("Impor dibatalkan: data bentrok dengan data yang baru saja "
                                  "disimpan pengguna lain; tidak ada data yang disimpan. "
                                  "Coba impor lagi.", []) from None
    except Exception:
        session.rollback()
        raise
    return report


def _keluarga(session: Session, families: dict[str, Keluarga], no_kk: str, clean: dict) -> Keluarga:
    """The family of a No. KK (same desa, checked), created once; the head's address wins."""
    family = families.get(no_kk)
    if family is None:
        with session.no_autoflush:
            family = session.scalar(select(Keluarga).where(Keluarga.no_kk == no_kk))
        if family is None:
            family = Keluarga(no_kk=no_kk, desa_code=clean["desa_code"], alamat=clean["alamat"],
                              rt=clean.get("rt", ""), rw=clean.get("rw", ""))
            session.add(family)
        families[no_kk] = family
    if clean.get("hubungan") == "KEPALA KELUARGA":
        family.alamat, family.rt, family.rw = clean["alamat"], clean.get("rt", ""), clean.get("rw", "")
    return family
