"""Export archived records as a BagIt bag (RFC 8493) for the kabupaten archive or SRIKANDI.

Each record becomes `data/<id>/` with its files (named by kind and version) and a
`metadata.json` with the same classification codes the office uses, so the receiver needs
nothing from Lemari to read it. The `bagit` library writes the SHA-256 manifests.

A selection is `permanen` (records due for transfer, not on legal hold), `id:1,2,3`,
`klasifikasi:400.12` or `tahun:2019`; a transfer marks the records 'diserahkan' and refuses
records on legal hold (a plain export is only a copy and may include them).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import bagit
from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from archive.models import Arsip, ArsipVersi
from archive.services.archiving import SUFFIXES
from records.actor import Actor
from records.exceptions import ValidationError
from records.models import Record, RecordFile
from records.ports import BlobStore
from records.services.audit import record_event
from records.services.records import readable_by

_SELECTION = re.compile(r"(permanen)|id:([0-9,]+)|klasifikasi:([0-9.]+)|tahun:([0-9]{4})")
SUFFIX = {"asli": "", "ocr": ".pdf", "terbit": ".pdf", "tanda_terima": ".pdf"}


def parse_selection(text: str) -> tuple[str, str]:
    """(kind, value) of a selection; a clear error for anything else."""
    match = _SELECTION.fullmatch((text or "").strip())
    if not match:
        raise ValidationError("Pilihan tidak dikenal: tulis permanen, id:1,2,3, "
                              "klasifikasi:400.12 atau tahun:2019.")
    kinds = ("permanen", "id", "klasifikasi", "tahun")
    return next((k, v) for k, v in zip(kinds, match.groups(), strict=True) if v)


def select_records(selection: str, *, actor: Actor, session: Session,
                   today: dt.date | None = None) -> list[Arsip]:
    """Kept archival rows matching the selection, within the actor's scope."""
    kind, value = parse_selection(selection)
    query = select(Arsip).join(Record, Record.id == Arsip.record_id).where(
        Arsip.status == "tersimpan", readable_by(actor))
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(actor.desa_scope))
    if kind == "permanen":  # due for transfer; a record on legal hold stays where it is
        query = query.where(Arsip.nasib_akhir == "permanen", Arsip.legal_hold.is_(False),
                            Arsip.retensi_sampai <= (today or dt.date.today()))
    elif kind == "id":
        query = query.where(Arsip.record_id.in_([int(v) for v in value.split(",") if v]))
    elif kind == "klasifikasi":
        query = query.where((Arsip.klasifikasi == value) | Arsip.klasifikasi.startswith(value + "."))
    else:
        query = query.where(extract("year", Arsip.tanggal_dokumen) == int(value))
    return list(session.scalars(query.order_by(Arsip.record_id)))


def record_metadata(arsip: Arsip) -> dict:
    """The metadata JSON of one record in the bag."""
    record = arsip.record
    return {"id": record.id, "judul": record.title, "nomor": record.number,
            "jenis": arsip.jenis_dokumen or record.doctype, "sumber": arsip.sumber,
            "skema_klasifikasi": arsip.skema_code, "kode_klasifikasi": arsip.klasifikasi,
            "tanggal_dokumen": arsip.tanggal_dokumen.isoformat() if arsip.tanggal_dokumen else None,
            "desa": record.desa_code, "nik_terkait": arsip.niks, "no_kk_terkait": arsip.no_kk,
            "lokasi_fisik": arsip.lokasi, "catatan": arsip.catatan,
            "jra": arsip.jra.jenis_arsip if arsip.jra else None,
            "nasib_akhir": arsip.nasib_akhir, "retensi_sampai":
                arsip.retensi_sampai.isoformat() if arsip.retensi_sampai else None,
            "versi": arsip.versi}


def export_bag(selection: str, dest: Path, *, actor: Actor, session: Session, blobs: BlobStore,
               office: str, transfer: bool = False) -> tuple[Path, int]:
    """Write the bag into dest (new folder); returns its path and the record count.

    With transfer=True (permanen records handed over), the records become 'diserahkan'.
    """
    actor.require("arsip.export")
    rows = select_records(selection, actor=actor, session=session)
    if not rows:
        raise ValidationError("Tidak ada arsip yang cocok dengan pilihan itu.")
    held = [a.record_id for a in rows if a.legal_hold]
    if transfer and held:
        raise ValidationError("Arsip yang ditahan (legal hold) tidak dapat diserahkan: "
                              + ", ".join(f"#{i}" for i in held[:20]))
    dest = Path(dest)
    if dest.exists():
        raise ValidationError(f"Folder {dest} sudah ada; pilih nama baru.")
    dest.mkdir(parents=True)
    try:
        for arsip in rows:
            _write_record(dest / str(arsip.record_id), arsip, session, blobs)
        bagit.make_bag(str(dest), _bag_info(office, selection, len(rows)), checksums=["sha256"])
    except Exception:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    if transfer:
        for arsip in rows:
            arsip.status = "diserahkan"
    record_event(session, actor, "arsip.export_bag", object_type="archive",
                 detail={"selection": selection, "count": len(rows), "transfer": transfer,
                         "records": [a.record_id for a in rows][:200]})
    session.commit()
    return dest, len(rows)


def _write_record(folder: Path, arsip: Arsip, session: Session, blobs: BlobStore) -> None:
    folder.mkdir()
    files = session.scalars(select(RecordFile).where(RecordFile.record_id == arsip.record_id)
                            .order_by(RecordFile.id))
    listed = []
    for n, stored in enumerate(files, start=1):
        name = f"{n:02d}-{stored.kind}{_suffix(stored, session)}"
        with blobs.open(stored.sha256) as src, open(folder / name, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        listed.append({"nama": name, "jenis": stored.kind, "sha256": stored.sha256,
                       "ukuran": stored.size})
    meta = {**record_metadata(arsip), "berkas": listed}
    (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1),
                                          encoding="utf-8")


def _suffix(stored: RecordFile, session: Session) -> str:
    """The file's extension: PDFs for generated files, the scan's own kind for originals."""
    if stored.kind != "asli":
        return SUFFIX.get(stored.kind, "")
    kind = session.scalar(select(ArsipVersi.jenis_berkas).where(ArsipVersi.file_asli_id == stored.id))
    return SUFFIXES.get(kind or "", "")


def _bag_info(office: str, selection: str, count: int) -> dict:
    return {"Source-Organization": office, "External-Description":
            f"Arsip Lemari, pilihan '{selection}', {count} dokumen",
            "Bagging-Date": dt.date.today().isoformat(), "Bag-Software-Agent": "Lemari"}
