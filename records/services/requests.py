"""Service requests (permohonan): the clerk's intake with its receipt and promised date.

A request is a record of the service's product type, opened with the requirements checklist,
a tracking code and the promised completion date computed from the service standard in
working days. Its receipt (tanda terima) is rendered and archived before the request's short
write transaction and linked in it (`take_request`): the request never exists without it.

The service time counts from the day the file is complete (PermenPANRB 15/2014, Lampiran:
"jangka waktu penyelesaian ... sejak diterimanya berkas permohonan yang lengkap"): a request
taken with an applicable requirement missing has no promised date yet; the day the clerk ticks
the last one (`update_requirements`) fixes it, in working days with the office's holidays.
The step its workflow tags `verifies` is refused while an applicable requirement is missing
(`require_complete`, called by services.records.fire_transition for web, REST and CLI alike).

A request is created at most once per idempotency key (services.idempotency), and a second
open request for the same resident and service is refused unless the clerk confirms it
(`DuplicateRequestError` names the open ones).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import not_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from records.actor import Actor
from records.calendar_id import add_working_days
from records.declarations import CLOSED, Registry
from records.exceptions import NotFoundError, ValidationError
from records.models import HariLibur, Layanan, Record, RecordFile
from records.services import idempotency
from records.services import persyaratan as syarat
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.issuing import Desk, document_context, officer_block
from records.services.records import add_record, draft_record, get_record, in_tagged_state
from records.verification import ALPHABET

if TYPE_CHECKING:
    from archive.blobstore.base import BlobRef
    from records.pdf import RenderResult

RECEIPT_TYPE = "tanda_terima_permohonan"
PENDING_DATE = "Janji selesai dihitung sejak berkas lengkap (PermenPANRB 15/2014)."


class DuplicateRequestError(ValidationError):
    """The resident already has an open request for this service; `existing` lists them
    (newest first). The clerk may confirm and take another (`duplicate_ok=True`)."""

    def __init__(self, existing: list[Record]) -> None:
        codes = ", ".join(r.tracking_code or f"#{r.id}" for r in existing)
        message = (f"Pemohon ini masih memiliki permohonan terbuka untuk layanan yang sama "
                   f"({codes}). Buka permohonan itu, atau pilih 'tetap buat' bila memang perlu "
                   "permohonan baru.")
        super().__init__(message, {"duplikat": message})
        self.existing = existing


def new_tracking_code() -> str:
    """KB- plus 8 unambiguous characters (40 random bits), e.g. KB-7K2QM9XD."""
    return "KB-" + "".join(secrets.choice(ALPHABET) for _ in range(8))


def promised_date(session: Session, layanan: Layanan, received: dt.date) -> dt.date:
    """Completion date promised by the service standard (working days, holidays skipped)."""
    holidays = set(session.scalars(select(HariLibur.tanggal).where(HariLibur.tanggal >= received)))
    return add_working_days(received, layanan.waktu_hari, holidays)


def open_requests(session: Session, *, penduduk_id: int | None, layanan_code: str,
                  registry: Registry) -> list[Record]:
    """The resident's requests for this service that are not closed, newest first."""
    if penduduk_id is None:
        return []
    query = (select(Record).where(Record.penduduk_id == penduduk_id,
                                  Record.layanan_code == layanan_code,
                                  not_(in_tagged_state(registry, CLOSED)))
             .order_by(Record.id.desc()))
    return list(session.scalars(query))


def take_request(layanan_code: str, *, penduduk_id: int | None, received: list[str],
                 values: dict, actor: Actor, session: Session, desk: Desk,
                 paper: str = "A4", tracking_code: str | None = None,
                 before_commit: Callable[[Record], None] | None = None,
                 berlaku: list[str] | None = None, idempotency_key: str | None = None,
                 duplicate_ok: bool = False) -> Record:
    """Open a request with its archived receipt in one commit; returns the record.

    `tracking_code` keeps a code the citizen already holds (their queue ticket's);
    `before_commit(record)` lets the caller add its own rows to the same transaction;
    `berlaku` names the conditional requirements whose condition applies to this applicant
    (the others are not listed as missing). `idempotency_key` (a form's one-time token, a REST
    `Idempotency-Key`): a second call with the same key returns the first call's record and
    writes nothing. An open request of the same resident for the same service raises
    `DuplicateRequestError` unless `duplicate_ok`.

    The receipt is rendered *before* the write transaction opens (issue 17): on SQLite a write
    transaction locks the whole database, and a render inside it made the counters' call-next
    wait for seconds (up to the busy timeout). Everything the receipt prints (tracking code,
    requirements, promised date, officer, time received) is known before anything is written,
    so the record is drafted in memory, its receipt rendered and archived, and then one short
    transaction repeats the checks, writes the record, links the receipt and commits.

    A crash or a refusal at each point: during the render, nothing is written; after the
    file is archived and before the commit, the transaction is lost and the file is an
    orphan that the archive's fixity check (`lemari doctor`, `lemari arsip fixity
    --hapus-yatim`) reports and removes; after the commit, the request and its receipt exist
    together. A request without its receipt cannot result (`lemari doctor` checks it:
    doctor.check_requests_have_receipts). A resubmission or a duplicate found only in the
    transaction (another clerk was faster) rolls back and deletes the file just archived.
    """
    desk.require_setup()
    first = idempotency.peek(idempotency_key, actor=actor, session=session)
    if first is not None:  # a resubmission: nothing to render
        return get_record(first, actor=actor, session=session)
    layanan = session.get(Layanan, layanan_code)
    if layanan is None:
        raise NotFoundError(f"Layanan '{layanan_code}' tidak dikenal.")
    unknown = (set(received) | set(berlaku or ())) - set(syarat.names(layanan.persyaratan))
    if unknown:
        raise ValidationError("Persyaratan tidak dikenal: " + ", ".join(sorted(unknown)))
    _refuse_taken(layanan, penduduk_id, tracking_code, duplicate_ok, session=session, desk=desk)
    record = draft_record(layanan.doctype, values, penduduk_id=penduduk_id, actor=actor,
                          session=session, registry=desk.registry, today=desk.today(),
                          policy=desk.policy)
    now = utc_now()
    record.layanan_code, record.tracking_code = layanan.code, tracking_code or new_tracking_code()
    record.data = {**record.data, "persyaratan": syarat.checklist(layanan.persyaratan, received,
                                                                  berlaku or ())}
    _date_if_complete(record, layanan, session=session, today=desk.today())
    ref, rendered = _render_receipt(record, layanan, now, paper, session=session, desk=desk)
    try:
        written, linked = _write_request(
            record, layanan, ref, rendered, now, actor=actor, session=session, desk=desk,
            tracking_code=tracking_code, duplicate_ok=duplicate_ok,
            idempotency_key=idempotency_key, before_commit=before_commit)
    except Exception:
        session.rollback()
        desk.blobs.delete(ref.sha256)
        raise
    if not linked:  # the key's first use won meanwhile: its record, not this receipt
        desk.blobs.delete(ref.sha256)
    return written


def _refuse_taken(layanan: Layanan, penduduk_id: int | None, tracking_code: str | None,
                  duplicate_ok: bool, *, session: Session, desk: Desk) -> None:
    """Refuse a tracking code already used and, unless confirmed, a second open request of
    the same resident for the same service (checked before the render and again inside the
    transaction: another clerk may have taken it meanwhile)."""
    if tracking_code and session.scalar(select(Record.id).where(Record.tracking_code == tracking_code)):
        raise ValidationError(f"Kode lacak {tracking_code} sudah dipakai permohonan lain.")
    if not duplicate_ok:
        existing = open_requests(session, penduduk_id=penduduk_id, layanan_code=layanan.code,
                                 registry=desk.registry)
        if existing:
            raise DuplicateRequestError(existing)


def _write_request(record: Record, layanan: Layanan, ref: BlobRef, rendered: RenderResult,
                   now: dt.datetime, *, actor: Actor, session: Session, desk: Desk,
                   tracking_code: str | None, duplicate_ok: bool, idempotency_key: str | None,
                   before_commit: Callable[[Record], None] | None) -> tuple[Record, bool]:
    """The short write transaction: claim the key, check again, write the record, its
    receipt's row and the audit entry, the caller's rows; commit. (record, True); a key used
    meanwhile (a double click that rendered too): (the first use's record, False)."""
    first = idempotency.claim(idempotency_key, actor=actor, session=session)
    if first is not None:
        return get_record(first, actor=actor, session=session), False
    _refuse_taken(layanan, penduduk_id=record.penduduk_id, tracking_code=tracking_code,
                  duplicate_ok=duplicate_ok, session=session, desk=desk)
    add_record(record, actor=actor, session=session, registry=desk.registry)
    idempotency.bind(idempotency_key, record, session=session)
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
    return record, True


def _render_receipt(record: Record, layanan: Layanan, now: dt.datetime, paper: str, *,
                    session: Session, desk: Desk) -> tuple[BlobRef, RenderResult]:
    """Render the receipt of a drafted request (not yet written) and archive the PDF."""
    doctype = desk.registry.document_types[RECEIPT_TYPE]
    context = document_context(record, doctype, desk.today(), session=session, desk=desk)
    context["tracking"] = {
        "code": record.tracking_code, "url": f"{desk.base_url}/lacak/{record.tracking_code}",
        "promised_date": record.promised_date, "received_at": desk.local_time(now),
        "waktu_hari": layanan.waktu_hari,
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


def _date_if_complete(record: Record, layanan: Layanan, *, session: Session,
                      today: dt.date) -> bool:
    """Fix the promised date the first time the file is complete (counted from `today`, the
    day it became complete); a date already promised never moves. True when complete."""
    complete = not syarat.missing(record.data.get("persyaratan") or [])
    if complete and record.promised_date is None:
        record.promised_date = promised_date(session, layanan, today)
        record.data = {**record.data, "berkas_lengkap": today.isoformat()}
    return complete


def update_requirements(record_id: int, *, received: list[str], berlaku: list[str] | None = None,
                        actor: Actor, session: Session, registry: Registry,
                        today: dt.date) -> Record:
    """Tick the requirements handed in since intake (the whole list as the clerk sees it now);
    the day the last applicable one is ticked fixes the promised date. Commits.

    Only before the step its workflow tags `verifies`: a verified file is not re-opened here."""
    actor.require("record.create")
    record = get_record(record_id, actor=actor, session=session)
    layanan = record.layanan
    if layanan is None or "persyaratan" not in (record.data or {}):
        raise ValidationError("Dokumen ini bukan permohonan dengan daftar persyaratan.")
    workflow = registry.workflow_of(record.doctype)
    if workflow is None or record.state != workflow.initial:
        raise ValidationError("Persyaratan hanya dapat diubah sebelum berkas diverifikasi.")
    unknown = (set(received) | set(berlaku or ())) - set(syarat.names(layanan.persyaratan))
    if unknown:
        raise ValidationError("Persyaratan tidak dikenal: " + ", ".join(sorted(unknown)))
    before = {row["name"] for row in record.data["persyaratan"] if row.get("received")}
    rows = syarat.checklist(layanan.persyaratan, received, berlaku or ())
    record.data = {**record.data, "persyaratan": rows}
    flag_modified(record, "data")
    complete = _date_if_complete(record, layanan, session=session, today=today)
    record_event(session, actor, "permohonan.persyaratan", object_type="record",
                 object_id=record.id, desa_code=record.desa_code,
                 detail={"diterima": sorted(set(received) - before),
                         "dibatalkan": sorted(before - set(received)), "lengkap": complete,
                         "janji_selesai": record.promised_date.isoformat()
                         if record.promised_date else None})
    session.commit()
    return record


def find_by_tracking(code: str, *, session: Session) -> Record:
    """The request with this tracking code (public tracking shows status and date only)."""
    record = session.scalar(select(Record).where(Record.tracking_code == code.strip().upper()))
    if record is None:
        raise NotFoundError("Kode lacak tidak ditemukan.")
    return record
