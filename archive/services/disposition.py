"""Disposition (penyusutan): records due, the Arsiparis's proposal, the Camat's decision.

Destruction follows UU 43/2009 Pasal 51–52 and Perka ANRI 25/2012: only records whose JRA
says *musnah*, whose retention is over and that are not on legal hold; series kept ten years
or more need the Kepala ANRI's approval reference first. The Camat's approval destroys in one
transaction: each record keeps a tombstone (metadata, hashes, who approved), becomes
'musnah', and a berita acara pemusnahan arsip is issued as an archived record of its own.
The files are deleted after the commit; a cut-off deletion leaves orphans that
`lemari doctor` reports and `lemari fixity --hapus-yatim` removes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Arsip, Penyusutan, PenyusutanItem
from archive.services.retensi import is_destroyable, needs_anri, phase
from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.models import Record, RecordFile, RecordTransition
from records.models.outbox import RECORD, enqueue
from records.ports import BlobStore
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.issuing import Desk
from records.services.klasifikasi import NASIB_LABELS
from records.services.numbering import allocate

BERITA_ACARA_DOCTYPE = "berita_acara_pemusnahan_arsip"
BERITA_ACARA_TEMPLATE = "berita_acara_pemusnahan/document.html"
BERITA_ACARA_CODE = "000.5.6.2"
DESTROYED = "musnah"
MAX_BATCH = 1000


def due_list(*, actor: Actor, session: Session, registry, today: dt.date | None = None) -> dict:
    """Records whose retention has passed, grouped by what happens next."""
    from archive.services.archiving import catalogue_records

    actor.require("arsip.read")
    catalogue_records(session, registry)
    today = today or dt.date.today()
    query = select(Arsip).join(Record, Record.id == Arsip.record_id).where(
        Arsip.status == "tersimpan", Arsip.retensi_sampai.is_not(None),
        Arsip.retensi_sampai <= today)
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(actor.desa_scope))
    groups: dict[str, list[Arsip]] = {"musnah": [], "permanen": [], "dinilai_kembali": [],
                                      "ditahan": []}
    for arsip in session.scalars(query.order_by(Arsip.retensi_sampai, Arsip.record_id)):
        key = "ditahan" if arsip.legal_hold else (arsip.nasib_akhir or "dinilai_kembali")
        groups.setdefault(key, []).append(arsip)
    return groups


def propose(record_ids: list[int], note: str, *, actor: Actor, session: Session,
            today: dt.date | None = None) -> Penyusutan:
    """The Arsiparis proposes destroying due *musnah* records; they are locked in the batch."""
    actor.require("arsip.propose")
    ids = sorted(set(record_ids))
    if not ids:
        raise ValidationError("Pilih arsip yang diusulkan untuk dimusnahkan.")
    if len(ids) > MAX_BATCH:
        raise ValidationError(f"Paling banyak {MAX_BATCH} arsip per usulan.")
    today = today or dt.date.today()
    batch = Penyusutan(status="diusulkan", catatan=(note or "").strip()[:2000],
                       diusulkan_oleh=actor.username, diusulkan_pada=utc_now())
    for arsip in _destroyable(ids, today, actor=actor, session=session):
        arsip.status = "diusulkan"
        batch.items.append(PenyusutanItem(record_id=arsip.record_id))
    session.add(batch)
    session.flush()
    record_event(session, actor, "arsip.dispose.propose", object_type="arsip_penyusutan",
                 object_id=batch.id, detail={"records": ids[:200], "count": len(ids)})
    session.commit()
    return batch


def _destroyable(ids: list[int], today: dt.date, *, actor: Actor,
                 session: Session) -> list[Arsip]:
    """The archival rows, refusing the whole proposal with every reason if one may not go."""
    rows = {a.record_id: a for a in session.scalars(select(Arsip).where(Arsip.record_id.in_(ids)))}
    problems = []
    for record_id in ids:
        arsip = rows.get(record_id)
        if arsip is None or not actor.sees_desa(arsip.record.desa_code):
            problems.append(f"#{record_id}: tidak ditemukan di arsip")
        elif arsip.legal_hold:
            problems.append(f"#{record_id}: ditahan (legal hold): {arsip.legal_hold_alasan}")
        elif not is_destroyable(arsip):
            nasib = NASIB_LABELS.get(arsip.nasib_akhir, "belum ditentukan")
            problems.append(f"#{record_id}: menurut JRA {nasib} atau sudah dalam proses penyusutan")
        elif arsip.retensi_sampai is not None and arsip.retensi_sampai > today:
            problems.append(f"#{record_id}: retensi baru berakhir {arsip.retensi_sampai:%d-%m-%Y}")
    if problems:
        raise ValidationError("Usulan pemusnahan ditolak: " + "; ".join(problems[:20]))
    return [rows[i] for i in ids]


def get_batch(batch_id: int, *, actor: Actor, session: Session) -> Penyusutan:
    """A disposal batch (office-wide roles only: it spans desa)."""
    actor.require("arsip.read")
    batch = session.get(Penyusutan, batch_id) if isinstance(batch_id, int) else None
    if batch is None or actor.desa_scope is not None:
        raise NotFoundError("Usulan penyusutan tidak ditemukan.")
    return batch


def list_batches(*, actor: Actor, session: Session, limit: int = 50) -> list[Penyusutan]:
    """Latest disposal batches (office-wide roles only)."""
    actor.require("arsip.read")
    if actor.desa_scope is not None:
        return []
    return list(session.scalars(select(Penyusutan).order_by(Penyusutan.id.desc()).limit(limit)))


def needs_anri_approval(batch: Penyusutan) -> bool:
    """Whether any record of the batch belongs to a series retained ten years or more."""
    return any(needs_anri(item.record.arsip) for item in batch.items)


def reject(batch_id: int, reason: str, *, actor: Actor, session: Session) -> Penyusutan:
    """The Camat refuses the proposal; its records are kept and may be proposed again."""
    actor.require("arsip.approve")
    batch = _open_batch(batch_id, actor=actor, session=session)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Alasan penolakan wajib diisi.", {"alasan": "Wajib diisi."})
    batch.status, batch.alasan_tolak = "ditolak", reason[:2000]
    batch.diputus_oleh, batch.diputus_pada = actor.username, utc_now()
    for item in batch.items:
        item.record.arsip.status = "tersimpan"
    record_event(session, actor, "arsip.dispose.reject", object_type="arsip_penyusutan",
                 object_id=batch.id, detail={"reason": batch.alasan_tolak})
    session.commit()
    return batch


def _open_batch(batch_id: int, *, actor: Actor, session: Session) -> Penyusutan:
    batch = get_batch(batch_id, actor=actor, session=session)
    if batch.status != "diusulkan":
        raise ValidationError("Usulan ini sudah diputuskan.")
    return batch


def approve(batch_id: int, values: dict, *, actor: Actor, session: Session, desk: Desk,
            today: dt.date | None = None) -> Penyusutan:
    """The Camat approves: tombstones, records destroyed, berita acara issued; one commit.

    `desk` is the issuing desk (renderer, blob store, signer, office). Files are deleted after
    the commit, and only those no kept record still points to.
    """
    actor.require("arsip.approve")
    batch = _open_batch(batch_id, actor=actor, session=session)
    today = today or desk.today()
    _take_approval_refs(batch, values)
    held = [i.record_id for i in batch.items if i.record.arsip.legal_hold]
    if held:
        raise ValidationError("Arsip berikut ditahan (legal hold) sejak diusulkan: "
                              + ", ".join(f"#{i}" for i in held) + ". Tolak usulan ini.")
    shas = _destroy_items(batch, actor=actor, session=session)
    berita = _berita_acara(batch, today, actor=actor, session=session, desk=desk)
    batch.status, batch.diputus_oleh, batch.diputus_pada = "dilaksanakan", actor.username, utc_now()
    batch.berita_acara_id = berita.id
    record_event(session, actor, "arsip.dispose.approve", object_type="arsip_penyusutan",
                 object_id=batch.id,
                 detail={"records": [i.record_id for i in batch.items][:200],
                         "anri": batch.persetujuan_anri, "berita_acara": berita.id,
                         "number": berita.number})
    session.commit()
    _delete_unreferenced(session, desk.blobs, shas)
    return batch


def _take_approval_refs(batch: Penyusutan, values: dict) -> None:
    batch.metode = str(values.get("metode") or "Pencacahan").strip()[:120]
    batch.tempat = str(values.get("tempat") or "").strip()[:200]
    batch.persetujuan_anri = str(values.get("persetujuan_anri") or "").strip()[:200]
    batch.persetujuan_kepala_daerah = str(values.get("persetujuan_kepala_daerah") or "").strip()[:200]
    if needs_anri_approval(batch) and not batch.persetujuan_anri:
        raise ValidationError(
            "Usulan ini memuat arsip dengan retensi 10 tahun atau lebih: isi nomor dan tanggal "
            "persetujuan Kepala ANRI sebelum pemusnahan.",
            {"persetujuan_anri": "Wajib untuk retensi ≥ 10 tahun."})
    if not batch.tempat:
        raise ValidationError("Tempat pemusnahan wajib diisi.", {"tempat": "Wajib diisi."})


def _destroy_items(batch: Penyusutan, *, actor: Actor, session: Session) -> set[str]:
    """Tombstone each record and mark it destroyed; returns the hashes to delete."""
    shas: set[str] = set()
    for item in batch.items:
        record, arsip = item.record, item.record.arsip
        files = list(session.scalars(select(RecordFile).where(RecordFile.record_id == record.id)))
        item.tombstone = tombstone(record, arsip, files, batch, actor)
        shas |= {f.sha256 for f in files}
        session.add(RecordTransition(record_id=record.id, transition="musnahkan",
                                     from_state=record.state, to_state=DESTROYED,
                                     actor=actor.username, at=utc_now(),
                                     note=f"Penyusutan #{batch.id}"))
        record.state, arsip.status = DESTROYED, DESTROYED
        arsip.teks = ""
        record.data = {"dimusnahkan": True}
        enqueue(session, RECORD, record.id)  # the index drops destroyed records
    return shas


def tombstone(record: Record, arsip: Arsip, files, batch: Penyusutan, actor: Actor) -> dict:
    """What stays of a destroyed record: its identity, class, dates, hashes and approval."""
    return {"record_id": record.id, "title": record.title, "number": record.number,
            "doctype": record.doctype, "desa_code": record.desa_code,
            "skema": arsip.skema_code, "klasifikasi": arsip.klasifikasi,
            "tanggal_dokumen": arsip.tanggal_dokumen.isoformat() if arsip.tanggal_dokumen else None,
            "retensi_sampai": arsip.retensi_sampai.isoformat() if arsip.retensi_sampai else None,
            "retensi_tahun": arsip.retensi_tahun,
            "jra": arsip.jra.jenis_arsip if arsip.jra else "", "lokasi": arsip.lokasi,
            "files": [{"kind": f.kind, "sha256": f.sha256, "size": f.size} for f in files],
            "proposed_by": batch.diusulkan_oleh, "approved_by": actor.username,
            "anri": batch.persetujuan_anri, "destroyed_at": utc_now().isoformat(timespec="seconds")}


def _berita_acara(batch: Penyusutan, today: dt.date, *, actor: Actor, session: Session,
                  desk: Desk) -> Record:
    """Issue the berita acara as a record of its own: numbered, rendered, archived."""
    from archive.services.archiving import ARCHIVED_STATE
    from archive.services.retensi import recompute
    from records.services.klasifikasi import CURRENT_SCHEME

    record = Record(doctype=BERITA_ACARA_DOCTYPE, state=ARCHIVED_STATE,
                    title=f"Berita Acara Pemusnahan Arsip (penyusutan #{batch.id})",
                    data={"penyusutan_id": batch.id}, created_by=actor.username)
    session.add(record)
    session.flush()
    number = allocate(session, "surat_keluar", kode=BERITA_ACARA_CODE, on=today, actor=actor,
                      record_id=record.id)
    record.number, record.issued_at = number.number, utc_now()
    pdf = render_berita_acara(batch, record.number, today, actor=actor, session=session, desk=desk)
    ref = desk.blobs.put(pdf)
    session.add(RecordFile(record_id=record.id, kind="terbit", sha256=ref.sha256, size=ref.size,
                           template_name=BERITA_ACARA_TEMPLATE, signed=desk.signer is not None,
                           created_at=utc_now()))
    session.add(RecordTransition(record_id=record.id, transition="arsipkan", from_state=None,
                                 to_state=ARCHIVED_STATE, actor=actor.username, at=utc_now(),
                                 note=f"Nomor {record.number}"))
    arsip = Arsip(record_id=record.id, sumber="terbit", jenis_dokumen=BERITA_ACARA_DOCTYPE,
                  seri="berita_acara_pemusnahan", skema_code=CURRENT_SCHEME,
                  klasifikasi=BERITA_ACARA_CODE, tanggal_dokumen=today, versi=0,
                  ocr_status="terbit")
    session.add(arsip)
    session.flush()
    recompute(session, arsip)
    enqueue(session, RECORD, record.id)
    return record


def render_berita_acara(batch: Penyusutan, number: str, today: dt.date, *, actor: Actor,
                        session: Session, desk: Desk) -> bytes:
    """The berita acara PDF through the shared renderer (and the office signer, if any)."""
    context = berita_acara_context(batch, number, today, actor=actor, session=session, desk=desk)
    metadata = desk.metadata_factory(
        title=f"Berita Acara Pemusnahan Arsip {number}", author=desk.office["name"],
        subject="Berita Acara Pemusnahan Arsip", document_number=number,
        document_type=BERITA_ACARA_DOCTYPE, issue_date=today, office=desk.office["name"])
    pdf = desk.renderer.render(BERITA_ACARA_TEMPLATE, context, paper="F4", metadata=metadata).pdf
    if desk.signer is None:
        return pdf
    signer = context["signer"]
    return desk.signer.sign(pdf, reason=f"Berita acara pemusnahan arsip {number}",
                            location=desk.office.get("place", ""),
                            name=signer["nama"] if signer else None)


def berita_acara_context(batch: Penyusutan, number: str, today: dt.date, *, actor: Actor,
                         session: Session, desk: Desk) -> dict[str, Any]:
    """What templates_pdf/berita_acara_pemusnahan/document.html prints (Perka ANRI 25/2012:
    place, day and date, method, officials, the list with retention and JRA, the approval)."""
    from records.models import Pejabat

    def official(username: str):
        found = session.scalar(select(Pejabat).where(Pejabat.username == username))
        return found.signature_block() if found else None

    pejabat = official(actor.username)
    items = [{"no": n, "judul": i.tombstone["title"], "nomor": i.tombstone["number"] or "-",
              "klasifikasi": i.tombstone["klasifikasi"] or "-",
              "tanggal": i.tombstone["tanggal_dokumen"] or "-",
              "retensi": i.tombstone["retensi_tahun"], "jra": i.tombstone["jra"] or "-",
              "sha256": (i.tombstone["files"][0]["sha256"] if i.tombstone["files"] else "")}
             for n, i in enumerate(batch.items, start=1)]
    return {"office": desk.office, "place": desk.office.get("place", ""), "issued_on": today,
            "nomor": number, "title": "Berita Acara Pemusnahan Arsip",
            "signer": pejabat, "proposer_signer": official(batch.diusulkan_oleh),
            "approver": actor.username, "proposer": batch.diusulkan_oleh,
            "data": {"metode": batch.metode, "tempat": batch.tempat,
                     "persetujuan_anri": batch.persetujuan_anri,
                     "persetujuan_kepala_daerah": batch.persetujuan_kepala_daerah,
                     "penyusutan_id": batch.id, "catatan": batch.catatan},
            "items": items}


def _delete_unreferenced(session: Session, blobs: BlobStore, shas: set[str]) -> None:
    """Delete destroyed content that no kept record shares (the same scan may be both)."""
    for sha256 in sorted(shas):
        kept = session.scalar(select(RecordFile.id).join(Record, Record.id == RecordFile.record_id)
                              .where(RecordFile.sha256 == sha256, Record.state != DESTROYED)
                              .limit(1))
        if kept is None and blobs.exists(sha256):
            blobs.delete(sha256)


def transfer_candidates(*, actor: Actor, session: Session, registry,
                        today: dt.date | None = None) -> list[Arsip]:
    """Permanen records whose retention has passed: offered for transfer as a package."""
    return due_list(actor=actor, session=session, registry=registry, today=today)["permanen"]


def phase_label(arsip: Arsip, today: dt.date | None = None) -> str:
    """The record's retention phase for display."""
    return phase(arsip, today or dt.date.today())
