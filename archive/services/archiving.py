"""The archive of records: scan ingest, cataloguing issued documents, metadata and corrections.

A scan becomes a record of type `arsip_pindaian` with an `Arsip` row, its original file and
version 1, all in one transaction; the file is written to the content-addressed store before
the commit, so a power cut leaves at worst an orphan file (reported by `lemari doctor`),
never a record without its file. Text from born-digital PDFs is indexed at once; scans get an
OCR job that a background worker runs (archive.services.ocr).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.blobstore.base import CHUNK_SIZE
from archive.models import Arsip, ArsipVersi, OcrJob, PenyusutanItem
from archive.scan_probe import ProbeError, kind_of
from archive.services.retensi import recompute
from records.actor import Actor
from records.declarations import Registry
from records.exceptions import NotFoundError, ValidationError
from records.formats import ukuran
from records.models import IssuedNumber, Record, RecordFile, Wilayah
from records.models.outbox import RECORD, enqueue
from records.nik import NikError, parse_nik, parse_no_kk, restore_masked_numbers
from records.ports import BlobStore, ScanProbe
from records.services.audit import record_event
from records.services.clock import clock, utc_now
from records.services.klasifikasi import CURRENT_SCHEME, check_class
from records.services.personal_data import require_unmaskable_file
from records.services.records import get_record, readable_by
from records.services.workflow_history import remember

SCAN_DOCTYPE = "arsip_pindaian"
ARCHIVED_STATE = "arsip"
# File kinds of an archived record: the scanned original, its searchable PDF/A, issued PDFs.
ORIGINAL, OCR, ISSUED = "asli", "ocr", "terbit"
LOCATION_FIELDS = ("lemari", "rak", "boks", "map")
MAX_TITLE, MAX_NOTE, MAX_LOCATION = 200, 2000, 40
IMPORTED, DUPLICATE, FAILED = "diimpor", "duplikat", "gagal"
_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class IngestResult:
    """What happened to one file: diimpor, duplikat or gagal, with the reason."""

    name: str
    status: str
    reason: str = ""
    record_id: int | None = None
    sha256: str = ""
    ocr_job_id: int | None = None
    detail: str = ""  # what a library said, for the Admin's "detail teknis"


@dataclass
class ArchiveDesk:
    """What ingest needs besides the database: the blob store, the probe and the job queue."""

    blobs: BlobStore
    probe: ScanProbe
    registry: Registry
    max_bytes: int
    enqueue_ocr: Callable[[int], None] = field(default=lambda job_id: None)
    tz: str = "Asia/Makassar"  # the office's zone: "today" is its date, not the server's


# --- metadata -----------------------------------------------------------------------------

def clean_metadata(values: dict, *, session: Session, registry: Registry,
                   today: dt.date | None = None) -> dict:
    """Validate archival metadata from a form, the API or a CSV row; all errors at once."""
    errors: dict[str, str] = {}
    out: dict[str, object] = {"judul": _text(values, "judul", MAX_TITLE, errors),
                              "catatan": _text(values, "catatan", MAX_NOTE, errors)}
    out["jenis_dokumen"] = jenis = _jenis(values, registry, errors)
    # The series the JRA matches with the class (a domisili scan is not a KTP-el/KK file).
    spec = registry.document_types.get(jenis) if jenis else None
    out["seri"] = spec.retention_class if spec else ""
    out["skema_code"] = str(values.get("skema") or CURRENT_SCHEME).strip()
    out["klasifikasi"] = _klasifikasi(values, out, session, registry, errors)
    out["tanggal_dokumen"] = _date(values.get("tanggal"), today or dt.date.today(), errors)
    out["desa_code"] = _desa(values.get("desa"), session, errors)
    out["niks"] = _identifiers(values.get("nik"), parse_nik, "nik", errors)
    out["no_kk"] = _identifiers(values.get("no_kk"), parse_no_kk, "no_kk", errors)
    for name in LOCATION_FIELDS:
        out[name] = _text(values, name, MAX_LOCATION, errors)
    if errors:
        raise ValidationError("Metadata arsip belum benar: " + "; ".join(errors.values()), errors)
    return out


def _text(values: dict, name: str, limit: int, errors: dict) -> str:
    value = str(values.get(name) or "").strip()
    if "\x00" in value:
        errors[name] = "Teks berisi karakter NUL."
    elif len(value) > limit:
        errors[name] = f"Paling banyak {limit} karakter."
    return value


def _jenis(values: dict, registry: Registry, errors: dict) -> str:
    name = str(values.get("jenis") or "").strip()
    if name and name not in registry.document_types:
        errors["jenis"] = f"Jenis dokumen '{name[:40]}' tidak dikenal."
    return name


def _klasifikasi(values: dict, out: dict, session: Session, registry: Registry,
                 errors: dict) -> str:
    """The code given, else the document type's default; checked against the scheme."""
    code = str(values.get("klasifikasi") or "").strip()
    if not code and out["jenis_dokumen"] in registry.document_types:
        code = registry.document_types[out["jenis_dokumen"]].klasifikasi
    if not code:
        return ""
    try:
        return check_class(session, out["skema_code"], code)
    except ValidationError as exc:
        errors.update(exc.errors)
        return ""


DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


def _date(raw, today: dt.date, errors: dict) -> dt.date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if day > today:
            errors["tanggal"] = "Tanggal dokumen belum terjadi."
        elif day.year < 1900:
            errors["tanggal"] = "Tanggal dokumen sebelum tahun 1900."
        return day
    errors["tanggal"] = "Tanggal tidak dikenal; tulis 2019-08-17 atau 17-08-2019."
    return None


def _desa(raw, session: Session, errors: dict) -> str | None:
    """A desa given by its Kemendagri code or its name."""
    text = str(raw or "").strip()
    if not text:
        return None
    query = select(Wilayah.code).where(Wilayah.level == "desa")
    found = session.scalar(query.where(Wilayah.code == text)) or session.scalar(
        query.where(func.lower(Wilayah.name) == text.lower()).order_by(Wilayah.code.desc()))
    if found is None:
        errors["desa"] = f"Desa '{text[:40]}' tidak dikenal."
    return found


def _identifiers(raw, parse, name: str, errors: dict) -> list[str]:
    values = raw if isinstance(raw, list) else _SPLIT.split(str(raw or ""))
    found = []
    for value in (str(v).strip() for v in values):
        if not value:
            continue
        try:
            found.append(parse(value).nik if parse is parse_nik else parse(value).no_kk)
        except NikError as exc:
            label = "NIK" if name == "nik" else "No. KK"
            errors[name] = f"{label} {value[:20]}: {exc}"
    return list(dict.fromkeys(found))


# --- ingest -------------------------------------------------------------------------------

def ingest_file(path: Path, name: str, values: dict, *, actor: Actor, session: Session,
                desk: ArchiveDesk, then: Callable[[Record], None] | None = None,
                permission: str = "arsip.write") -> IngestResult:
    """Archive one scan file; never raises for a bad file, it reports why instead.

    Order: cheap checks (size, kind), hash, duplicate lookup, metadata, the sandboxed probe,
    then store and record in one transaction. Nothing already archived is touched.

    `then(record)` adds what another feature keeps about the scan (a letter in the buku
    agenda, its readers) to the same transaction, before its one commit; if it raises, nothing
    is kept (the stored file is removed). `permission` is the one the caller's feature
    requires to file a scan (an incoming letter: `surat_masuk.register`).
    """
    actor.require(permission)
    try:
        meta = clean_metadata(values, session=session, registry=desk.registry,
                              today=clock(desk.tz)[1])
        if meta["desa_code"]:
            actor.require_desa(meta["desa_code"])
        checked = _check_file(path, name, desk.max_bytes)
        sha256 = hash_file(path)
        duplicate = find_duplicate(session, sha256)
        if duplicate is not None:
            return IngestResult(name, DUPLICATE, duplicate, sha256=sha256)
        report = desk.probe.probe(path, checked)
    except (ValidationError, ProbeError, NotFoundError) as exc:
        session.rollback()
        return IngestResult(name, FAILED, str(exc), detail=getattr(exc, "detail", ""))
    return _store(path, name, checked, sha256, report, meta, actor=actor, session=session,
                  desk=desk, then=then)


def _check_file(path: Path, name: str, max_bytes: int) -> str:
    """The file's kind, after the checks that need no parsing (size first: a 2 GB file is
    refused without being read)."""
    check_name(name)
    size = path.stat().st_size
    if size == 0:
        raise ProbeError("Berkas kosong (0 byte).")
    if size > max_bytes:
        raise ProbeError(f"Berkas {ukuran(size)} melebihi batas {ukuran(max_bytes)}.")
    return kind_of(path, name)


def check_name(name: str) -> str:
    """Refuse names that could escape a folder or break a report: ../, NUL, control chars."""
    if not name or "\x00" in name:
        raise ProbeError("Nama berkas kosong atau berisi karakter NUL.")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ProbeError("Nama berkas tidak boleh berisi '/', '\\' atau '..'.")
    if any(ord(ch) < 32 or "\udc80" <= ch <= "\udcff" for ch in name):
        raise ProbeError("Nama berkas berisi karakter yang tidak sah (bukan UTF-8).")
    return name


def hash_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks (never whole in memory)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            hasher.update(chunk)
    return hasher.hexdigest()


def find_duplicate(session: Session, sha256: str) -> str | None:
    """Why a file with this hash is not stored again (already archived, or destroyed)."""
    found = session.scalar(select(RecordFile).where(RecordFile.sha256 == sha256).limit(1))
    if found is None:
        return None
    record = session.get(Record, found.record_id)
    if record is not None and record.state == "musnah":
        return f"Berkas yang sama pernah dimusnahkan (dokumen #{record.id})."
    return f"Sudah diarsipkan sebagai dokumen #{found.record_id}."


def _store(path: Path, name: str, kind: str, sha256: str, report: dict, meta: dict, *,
           actor: Actor, session: Session, desk: ArchiveDesk,
           then: Callable[[Record], None] | None = None) -> IngestResult:
    with open(path, "rb") as fh:
        ref = desk.blobs.put(fh)
    if ref.sha256 != sha256:
        desk.blobs.delete(ref.sha256)
        return IngestResult(name, FAILED, "Berkas berubah selama diimpor; ulangi impor.")
    try:
        record, job = _record_scan(name, kind, ref, report, meta, actor=actor, session=session,
                                   then=then)
    except Exception:
        session.rollback()
        if session.scalar(select(RecordFile.id).where(RecordFile.sha256 == ref.sha256)) is None:
            desk.blobs.delete(ref.sha256)
        raise
    if job is not None:
        desk.enqueue_ocr(job.id)
    return IngestResult(name, IMPORTED, record_id=record.id, sha256=sha256,
                        ocr_job_id=job.id if job else None)


def _record_scan(name: str, kind: str, ref, report: dict, meta: dict, *, actor: Actor,
                 session: Session, then: Callable[[Record], None] | None = None):
    """Record, archival row, file, version 1, OCR job, audit and outbox; one commit."""
    now = utc_now()
    title = meta["judul"] or Path(name).stem[:MAX_TITLE] or "Arsip pindaian"
    record = Record(doctype=SCAN_DOCTYPE, state=ARCHIVED_STATE, title=title,
                    desa_code=meta["desa_code"], data={"nama_berkas": name},
                    created_by=actor.username)
    session.add(record)
    session.flush()
    stored = RecordFile(record_id=record.id, kind=ORIGINAL, sha256=ref.sha256, size=ref.size,
                        created_at=now)
    session.add(stored)
    session.flush()
    needs_ocr = not report["has_text"]
    arsip = Arsip(record_id=record.id, sumber="pindaian", halaman=report["pages"],
                  teks="" if needs_ocr else report["text"],
                  ocr_status="antri" if needs_ocr else "teks_asli", versi=1,
                  **_arsip_fields(meta))
    session.add(arsip)
    session.add(ArsipVersi(record_id=record.id, versi=1, alasan="Pindaian pertama",
                           file_asli_id=stored.id, nama_berkas=name[:255], jenis_berkas=kind,
                           metadata_json=_snapshot(meta), dibuat_oleh=actor.username,
                           dibuat_pada=now))
    remember(session, RECORD, record.id, "arsipkan", None, ARCHIVED_STATE, actor.username,
             f"Pindaian {name[:200]}", at=now)
    session.flush()
    recompute(session, arsip)
    job = _new_job(session, record.id, 1, report["pages"]) if needs_ocr else None
    record_event(session, actor, "arsip.ingest", object_type="record", object_id=record.id,
                 desa_code=record.desa_code,
                 detail={"file": name[:200], "sha256": ref.sha256, "size": ref.size,
                         "pages": report["pages"], "ocr": needs_ocr})
    enqueue(session, RECORD, record.id)
    if then is not None:
        then(record)
    session.commit()
    return record, job


def _arsip_fields(meta: dict) -> dict:
    keys = ("jenis_dokumen", "seri", "skema_code", "klasifikasi", "tanggal_dokumen", "niks", "no_kk",
            "catatan", *LOCATION_FIELDS)
    return {key: meta[key] for key in keys}


def _snapshot(meta: dict) -> dict:
    """Metadata as JSON (dates as ISO strings) for the version history."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in meta.items()}


def _new_job(session: Session, record_id: int, versi: int, pages: int) -> OcrJob:
    job = OcrJob(record_id=record_id, versi=versi, status="antri", halaman=pages,
                 dibuat_pada=utc_now())
    session.add(job)
    session.flush()
    return job


# --- issued documents join the archive ----------------------------------------------------

def catalogue_records(session: Session, registry: Registry, limit: int = 5000) -> int:
    """Give every record that has archived files but no archival row one, with retention
    computed from its document type's class and series; returns how many were added.

    Issuing already stores the PDF in its own transaction; this only adds the archival view,
    so it may run any time (before lists, in the nightly job) and is safe to repeat.
    """
    missing = session.scalars(
        select(Record).where(Record.id.in_(select(RecordFile.record_id)),
                             ~Record.id.in_(select(Arsip.record_id)))
        .order_by(Record.id).limit(limit)).all()
    for record in missing:
        session.add(_issued_arsip(session, registry, record))
    if missing:
        session.flush()
        for arsip in session.scalars(select(Arsip).where(
                Arsip.record_id.in_([r.id for r in missing]))):
            recompute(session, arsip)
        session.commit()
    return len(missing)


def _issued_arsip(session: Session, registry: Registry, record: Record) -> Arsip:
    spec = registry.document_types.get(record.doctype)
    number = session.scalar(select(IssuedNumber).where(IssuedNumber.record_id == record.id))
    code = number.klasifikasi if number else (spec.klasifikasi if spec else "")
    scheme = number.scheme if number else CURRENT_SCHEME
    when = record.issued_at or record.created_on
    holder = record.penduduk
    return Arsip(record_id=record.id, sumber="terbit", jenis_dokumen=record.doctype,
                 seri=spec.retention_class if spec else "", skema_code=scheme, klasifikasi=code,
                 tanggal_dokumen=when.date() if when else None,
                 niks=[holder.nik] if holder else [],
                 no_kk=[holder.keluarga.no_kk] if holder and holder.keluarga else [],
                 halaman=0, ocr_status="terbit", versi=0)


# --- reading ------------------------------------------------------------------------------

def get_arsip(record_id: int, *, actor: Actor, session: Session) -> Arsip:
    """The archival row of a record the actor may see (desa scope applies)."""
    actor.require("arsip.read")
    record = get_record(record_id, actor=actor, session=session)
    if record.arsip is None:
        raise NotFoundError("Dokumen ini belum tercatat di arsip.")
    return record.arsip


ARCHIVE_FILTERS = ("semua", "pindaian", "terbit", "jatuh_tempo", "belum_klasifikasi",
                   "ocr_gagal", "legal_hold", "musnah")


def list_arsip(*, actor: Actor, session: Session, registry: Registry, filter_: str = "semua",
               klasifikasi: str = "", limit: int = 50, offset: int = 0,
               today: dt.date | None = None) -> tuple[list[Arsip], int]:
    """Archived records within the actor's desa scope, newest first, with the total."""
    actor.require("arsip.read")
    catalogue_records(session, registry)
    query = select(Arsip).join(Record, Record.id == Arsip.record_id).where(readable_by(actor))
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(actor.desa_scope))
    query = _filtered(query, filter_, today or dt.date.today())
    if klasifikasi:
        query = query.where((Arsip.klasifikasi == klasifikasi)
                            | Arsip.klasifikasi.startswith(klasifikasi + "."))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    offset = min(max(offset, 0), 2**31 - 1)
    rows = session.scalars(query.order_by(Arsip.record_id.desc()).limit(limit).offset(offset))
    return list(rows), total


def _filtered(query, filter_: str, today: dt.date):
    conditions = {
        "pindaian": Arsip.sumber == "pindaian", "terbit": Arsip.sumber == "terbit",
        "jatuh_tempo": (Arsip.retensi_sampai <= today) & (Arsip.status == "tersimpan"),
        "belum_klasifikasi": Arsip.klasifikasi == "", "ocr_gagal": Arsip.ocr_status == "gagal",
        "legal_hold": Arsip.legal_hold.is_(True), "musnah": Arsip.status == "musnah",
    }
    return query.where(conditions[filter_]) if filter_ in conditions else query


def versions(record_id: int, *, session: Session) -> list[ArsipVersi]:
    """Every version of an archived record, oldest first (call after get_arsip)."""
    return list(session.scalars(select(ArsipVersi).where(ArsipVersi.record_id == record_id)
                                .order_by(ArsipVersi.versi)))


def tombstone_of(record_id: int, *, session: Session) -> PenyusutanItem | None:
    """The destruction entry of a destroyed record (call after get_arsip)."""
    return session.scalar(select(PenyusutanItem).where(PenyusutanItem.record_id == record_id,
                                                       PenyusutanItem.tombstone != {})
                          .order_by(PenyusutanItem.id.desc()).limit(1))


# --- changes ------------------------------------------------------------------------------

def update_metadata(record_id: int, values: dict, reason: str, *, actor: Actor,
                    session: Session, registry: Registry, today: dt.date | None = None) -> Arsip:
    """Correct the metadata of a kept record: a new version with the reason, old one kept."""
    actor.require("arsip.write")
    arsip = _kept(record_id, actor=actor, session=session)
    reason = _reason(reason)
    if not actor.can("penduduk.view_nik"):  # the form showed these texts masked
        values = _unmasked(values, {"judul": arsip.record.title, "catatan": arsip.catatan})
    meta = clean_metadata(values, session=session, registry=registry, today=today)
    if meta["desa_code"]:
        actor.require_desa(meta["desa_code"])
    # Numbers not sent are kept: a form for a role without view_nik leaves them out.
    meta["niks"] = meta["niks"] if "nik" in values else list(arsip.niks or [])
    meta["no_kk"] = meta["no_kk"] if "no_kk" in values else list(arsip.no_kk or [])
    history = versions(record_id, session=session)
    current = history[-1] if history else None
    kept_seri = arsip.seri
    for key, value in _arsip_fields(meta).items():
        setattr(arsip, key, value)
    if arsip.sumber != "pindaian":  # an issued document's series is its document type's
        arsip.seri = kept_seri
    record = arsip.record
    if arsip.sumber == "pindaian":  # an issued document keeps its own title and desa
        record.title = meta["judul"] or record.title
        record.desa_code = meta["desa_code"]
    _add_version(session, arsip, reason, actor, meta,
                 file_asli_id=current.file_asli_id if current else None,
                 file_ocr_id=current.file_ocr_id if current else None,
                 name=current.nama_berkas if current else "",
                 kind=current.jenis_berkas if current else "")
    recompute(session, arsip)
    record_event(session, actor, "arsip.correct", object_type="record", object_id=record_id,
                 desa_code=record.desa_code,
                 detail={"reason": reason, "versi": arsip.versi, "metadata": _snapshot(meta)})
    enqueue(session, RECORD, record_id)
    session.commit()
    return arsip


def _unmasked(values: dict, stored: dict[str, str]) -> dict:
    """Form values with the numbers a masked form showed as 640208●●●●●●0001 put back as
    they stand in the stored texts, so a correction by a role without the full-NIK right
    keeps them."""
    return {**values, **{name: restore_masked_numbers(str(values[name]), stored[name] or "")
                         for name in stored if isinstance(values.get(name), str)}}


def replace_file(record_id: int, path: Path, name: str, reason: str, *, actor: Actor,
                 session: Session, desk: ArchiveDesk) -> IngestResult:
    """Correct a scan with a new file (a better scan, a missing page): a new version whose
    OCR runs again; the earlier files stay in the archive and in the history."""
    actor.require("arsip.write")
    arsip = _kept(record_id, actor=actor, session=session)
    if arsip.sumber not in ("pindaian", "kertas"):  # kertas: known from a daftar arsip only
        raise ValidationError("Dokumen terbit tidak dapat diganti berkasnya; cabut dan terbitkan "
                              "ulang melalui layanan.")
    reason = _reason(reason)
    try:
        kind = _check_file(path, name, desk.max_bytes)
        sha256 = hash_file(path)
        duplicate = find_duplicate(session, sha256)
        if duplicate:
            raise ProbeError(duplicate)
        report = desk.probe.probe(path, kind)
    except ProbeError as exc:
        return IngestResult(name, FAILED, str(exc), detail=exc.detail)
    with open(path, "rb") as fh:
        ref = desk.blobs.put(fh)
    job = _record_replacement(arsip, name, kind, ref, report, reason, actor=actor,
                              session=session)
    if job is not None:
        desk.enqueue_ocr(job.id)
    return IngestResult(name, IMPORTED, record_id=record_id, sha256=ref.sha256,
                        ocr_job_id=job.id if job else None)


def _record_replacement(arsip: Arsip, name: str, kind: str, ref, report: dict, reason: str, *,
                        actor: Actor, session: Session) -> OcrJob | None:
    stored = RecordFile(record_id=arsip.record_id, kind=ORIGINAL, sha256=ref.sha256,
                        size=ref.size, created_at=utc_now())
    session.add(stored)
    session.flush()
    meta = versions(arsip.record_id, session=session)[-1].metadata_json
    _add_version(session, arsip, reason, actor, meta, file_asli_id=stored.id, file_ocr_id=None,
                 name=name, kind=kind)
    needs_ocr = not report["has_text"]
    arsip.sumber = "pindaian"  # a berkas from the daftar arsip now has its scan
    arsip.halaman = report["pages"]
    arsip.teks = "" if needs_ocr else report["text"]
    arsip.ocr_status = "antri" if needs_ocr else "teks_asli"
    job = _new_job(session, arsip.record_id, arsip.versi, report["pages"]) if needs_ocr else None
    record_event(session, actor, "arsip.replace_file", object_type="record",
                 object_id=arsip.record_id, desa_code=arsip.record.desa_code,
                 detail={"reason": reason, "versi": arsip.versi, "sha256": ref.sha256,
                         "file": name[:200]})
    enqueue(session, RECORD, arsip.record_id)
    session.commit()
    return job


def _add_version(session: Session, arsip: Arsip, reason: str, actor: Actor, meta: dict, *,
                 file_asli_id, file_ocr_id, name: str, kind: str) -> None:
    arsip.versi = (arsip.versi or 0) + 1
    session.add(ArsipVersi(record_id=arsip.record_id, versi=arsip.versi, alasan=reason,
                           file_asli_id=file_asli_id, file_ocr_id=file_ocr_id, nama_berkas=name,
                           jenis_berkas=kind, metadata_json=_snapshot(meta),
                           dibuat_oleh=actor.username, dibuat_pada=utc_now()))


def _kept(record_id: int, *, actor: Actor, session: Session) -> Arsip:
    arsip = get_arsip(record_id, actor=actor, session=session)
    if arsip.status in ("musnah", "diserahkan"):
        raise ValidationError("Arsip ini sudah dimusnahkan atau diserahkan; tidak dapat diubah.")
    if arsip.status == "diusulkan":
        raise ValidationError("Arsip ini sedang diusulkan untuk dimusnahkan; tolak usulan dulu.")
    return arsip


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Alasan perubahan wajib diisi.", {"alasan": "Alasan wajib diisi."})
    if len(reason) > MAX_NOTE:
        raise ValidationError("Alasan terlalu panjang.", {"alasan": "Alasan terlalu panjang."})
    return reason


def set_legal_hold(record_id: int, hold: bool, reason: str, *, actor: Actor,
                   session: Session) -> Arsip:
    """Put a record on (or release it from) legal hold: a held record cannot be destroyed."""
    actor.require("arsip.hold")
    arsip = get_arsip(record_id, actor=actor, session=session)
    reason = _reason(reason)
    arsip.legal_hold, arsip.legal_hold_alasan = hold, reason if hold else ""
    record_event(session, actor, "arsip.hold" if hold else "arsip.release", object_type="record",
                 object_id=record_id, desa_code=arsip.record.desa_code, detail={"reason": reason})
    session.commit()
    return arsip


def close_file(record_id: int, closed_on: dt.date, *, actor: Actor, session: Session,
               today: dt.date | None = None) -> Arsip:
    """Declare the file closed (or no longer in force): the retention clock starts then.
    ``today`` is the office's date (the server's, when not given)."""
    actor.require("arsip.write")
    arsip = _kept(record_id, actor=actor, session=session)
    if closed_on > (today or dt.date.today()):
        raise ValidationError("Tanggal penutupan berkas belum terjadi.")
    arsip.ditutup_pada = closed_on
    recompute(session, arsip)
    record_event(session, actor, "arsip.close", object_type="record", object_id=record_id,
                 desa_code=arsip.record.desa_code, detail={"closed_on": closed_on.isoformat()})
    session.commit()
    return arsip


def reappraise(record_id: int, nasib: str, reason: str, *, actor: Actor,
               session: Session) -> Arsip:
    """Decide a "dinilai kembali" record: musnah or permanen, with the reason recorded."""
    actor.require("arsip.propose")
    arsip = _kept(record_id, actor=actor, session=session)
    if nasib not in ("musnah", "permanen"):
        raise ValidationError("Pilih Musnah atau Permanen.")
    reason = _reason(reason)
    before = arsip.nasib_akhir
    arsip.nasib_ditetapkan = arsip.nasib_akhir = nasib
    record_event(session, actor, "arsip.reappraise", object_type="record", object_id=record_id,
                 desa_code=arsip.record.desa_code,
                 detail={"from": before, "to": nasib, "reason": reason})
    session.commit()
    return arsip


MIMETYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png",
             "tiff": "image/tiff"}
SUFFIXES = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png", "tiff": ".tif"}


def read_archive_file(record_id: int, file_id: int, *, actor: Actor, session: Session,
                      blobs: BlobStore) -> tuple[object, str, str]:
    """A checked stream, MIME type and download name of one file of an archived record."""
    arsip = get_arsip(record_id, actor=actor, session=session)
    found = session.get(RecordFile, file_id)
    if found is None or found.record_id != record_id or arsip.status == "musnah":
        raise NotFoundError("Berkas tidak ditemukan.")
    require_unmaskable_file(actor, found.kind)  # full numbers that no mask can reach
    kind = "pdf"
    if found.kind == ORIGINAL:
        version = session.scalar(select(ArsipVersi).where(ArsipVersi.file_asli_id == file_id))
        kind = version.jenis_berkas if version else "pdf"
    if not blobs.verify(found.sha256):
        raise NotFoundError("Berkas arsip rusak (tidak sesuai hash); pulihkan dari cadangan.")
    record_event(session, actor, "arsip.download", object_type="record", object_id=record_id,
                 desa_code=arsip.record.desa_code, detail={"file": found.kind,
                                                           "sha256": found.sha256})
    session.commit()
    name = f"arsip-{record_id}-{found.kind}{SUFFIXES.get(kind, '')}"
    return blobs.open(found.sha256), MIMETYPES.get(kind, "application/octet-stream"), name
