"""Service requests (permohonan): the clerk's intake with its receipt and promised date.

A request is a record of the service's product type, opened with the requirements checklist,
a tracking code and the promised completion date computed from the service standard in
working days. Its receipt (tanda terima) is rendered and archived in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.calendar_id import add_working_days
from records.exceptions import NotFoundError, ValidationError
from records.models import HariLibur, Layanan, Record, RecordFile
from records.services import persyaratan as syarat
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.issuing import Desk, document_context, officer_block
from records.services.records import new_record
from records.verification import ALPHABET

RECEIPT_TYPE = "tanda_terima_permohonan"


def new_tracking_code() -> str:
    """KB- plus 8 unambiguous characters (40 random bits), e.g. KB-7K2QM9XD."""
    return "KB-" + "".join(secrets.choice(ALPHABET) for _ in range(8))


def promised_date(session: Session, layanan: Layanan, received: dt.date) -> dt.date:
    """Completion date promised by the service standard (working days, holidays skipped)."""
    holidays = set(session.scalars(select(HariLibur.tanggal).where(HariLibur.tanggal >= received)))
    return add_working_days(received, layanan.waktu_hari, holidays)


def take_request(layanan_code: str, *, penduduk_id: int | None, received: list[str],
                 values: dict, actor: Actor, session: Session, desk: Desk,
                 paper: str = "A4", tracking_code: str | None = None,
                 before_commit: Callable[[Record], None] | None = None,
                 berlaku: list[str] | None = None) -> Record:
    """Open a request, render and archive its receipt, commit; returns the record.

    `tracking_code` keeps a code the citizen already holds (their queue ticket's);
    `before_commit(record)` lets the caller add its own rows to the same transaction;
    `berlaku` names the conditional requirements whose condition applies to this applicant
    (the others are not listed as missing).
    """
    desk.require_setup()
    if tracking_code and session.scalar(select(Record.id).where(Record.tracking_code == tracking_code)):
        raise ValidationError(f"Kode lacak {tracking_code} sudah dipakai permohonan lain.")
    layanan = session.get(Layanan, layanan_code)
    if layanan is None:
        raise NotFoundError(f"Layanan '{layanan_code}' tidak dikenal.")
    unknown = (set(received) | set(berlaku or ())) - set(syarat.names(layanan.persyaratan))
    if unknown:
        raise ValidationError("Persyaratan tidak dikenal: " + ", ".join(sorted(unknown)))
    record = new_record(layanan.doctype, values, penduduk_id=penduduk_id, actor=actor,
                        session=session, registry=desk.registry, today=desk.today(),
                        policy=desk.policy)
    now = utc_now()
    record.layanan_code, record.tracking_code = layanan.code, tracking_code or new_tracking_code()
    record.promised_date = promised_date(session, layanan, desk.today())
    record.data = {**record.data,
                   "persyaratan": syarat.checklist(layanan.persyaratan, received, berlaku or ())}
    ref, rendered = _render_receipt(record, layanan, now, paper, session=session, desk=desk)
    try:
        session.add(RecordFile(record_id=record.id, kind="tanda_terima", sha256=ref.sha256,
                               size=ref.size, template_name=rendered.template_name,
                               template_sha256=rendered.template_sha256, signed=False,
                               created_at=now))
        record_event(session, actor, "permohonan.terima", object_type="record",
                     object_id=record.id, desa_code=record.desa_code,
                     detail={"layanan": layanan.code, "tracking": record.tracking_code})
        if before_commit is not None:
            before_commit(record)
        session.commit()
    except Exception:
        session.rollback()
        desk.blobs.delete(ref.sha256)
        raise
    return record


def _render_receipt(record: Record, layanan: Layanan, now: dt.datetime, paper: str, *,
                    session: Session, desk: Desk):
    doctype = desk.registry.document_types[RECEIPT_TYPE]
    context = document_context(record, doctype, desk.today(), session=session, desk=desk)
    context["tracking"] = {
        "code": record.tracking_code, "url": f"{desk.base_url}/lacak/{record.tracking_code}",
        "promised_date": record.promised_date, "received_at": desk.local_time(now),
        "service": layanan.nama,
        "requirements": record.data["persyaratan"],
        "officer": officer_block(session, record.created_by),
        # the free-service notice: where to report a fee or a "thank-you" gift asked for
        "pengaduan_url": f"{desk.base_url}/pengaduan"}
    metadata = desk.metadata_factory(
        title=f"Tanda Terima {record.tracking_code}", author=desk.office["name"],
        subject=doctype.title, document_number=record.tracking_code,
        document_type=doctype.name, issue_date=desk.today(), office=desk.office["name"])
    rendered = desk.renderer.render(doctype.template, context, paper=paper, metadata=metadata)
    return desk.blobs.put(rendered.pdf), rendered


def find_by_tracking(code: str, *, session: Session) -> Record:
    """The request with this tracking code (public tracking shows status and date only)."""
    record = session.scalar(select(Record).where(Record.tracking_code == code.strip().upper()))
    if record is None:
        raise NotFoundError("Kode lacak tidak ditemukan.")
    return record
