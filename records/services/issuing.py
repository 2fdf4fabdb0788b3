"""Issue a signed document: number, render, sign, archive and record it in one transaction.

The write order makes a power cut harmless: the number is taken inside the transaction, the
PDF is rendered and signed, its file is written atomically to the archive, and only then does
the commit mark the record issued. A crash before the commit leaves no number consumed and at
worst an orphan file, which `lemari doctor` reports and removes; never an issued record
without its file.

Rendering and signing take seconds, and no lock is held meanwhile: on SQLite a write
transaction locks the whole database, so the counters' call-next would wait behind every
letter (issue 17). The PDF is made first with the number that is next *now* (read, not
taken), then one short transaction claims the record and takes the number; when another
issuer took that number meanwhile, it rolls back and renders again with the new one. After
`OPTIMISTIC_TRIES` such races, or when the render workers are busy, it claims first and
renders inside the transaction as before (always progresses). Issuers still go one at a time
(`Desk.serial`: a file lock of the installation, not a database lock), so a double click
renders once and renders queue as they did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import (
    ISSUED,
    ISSUES,
    SIGNS,
    VERIFIES,
    DocumentType,
    Registry,
    Transition,
    Workflow,
)
from records.exceptions import DocumentProductionError, InvalidTransitionError, NotFoundError, ValidationError
from records.models import Pejabat, Record, RecordFile
from records.models.outbox import RECORD, enqueue
from records.ports import BlobStore, DocumentSigner, Renderer
from records.sandbox import WorkerBusyError
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.kantor import require_setup
from records.services.numbering import allocate, peek_number
from records.services.penandatangan import signer_on
from records.services.records import get_record
from records.services.rows import changed_rows
from records.services.workflow_history import remember
from records.verification import new_code
from records.workflow import check_transition

if TYPE_CHECKING:
    from archive.blobstore.base import BlobRef
    from records.pdf import PdfMetadata, RenderResult

@dataclass
class Desk:
    """What issuing needs besides the database: renderer, archive, signer and office data."""

    renderer: Renderer
    blobs: BlobStore
    signer: DocumentSigner | None  # None: documents are issued unsigned
    office: dict
    base_url: str
    registry: Registry
    metadata_factory: Callable[..., PdfMetadata]
    pdf_context_hook: Callable[..., list] | None = None
    trust_roots: list[bytes] = field(default_factory=list)  # CA PEMs verification trusts
    timezone: str = "Asia/Makassar"
    policy: dict = field(default_factory=dict)  # settings the document rules read (drafting)
    demo_mode: bool = False  # a demo office may print its loopback address
    #: One issuance at a time in the installation, held while rendering (records.desk: a file
    #: lock), so renders queue as they did behind the database lock; no database lock is held.
    serial: Callable[[], AbstractContextManager] = nullcontext

    def require_setup(self) -> None:
        """Refuse to print a QR code or link residents cannot open (services.kantor)."""
        require_setup({"PUBLIC_BASE_URL": self.base_url, "DEMO_MODE": self.demo_mode})

    def today(self) -> dt.date:
        """Today's date at the office (documents are dated in local time, not UTC)."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def local_time(self, utc_naive: dt.datetime) -> dt.datetime:
        """A stored (naive UTC) timestamp as the office's wall-clock time, for printing."""
        return utc_naive.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(self.timezone))


#: Renders made ahead of the transaction before one is made inside it (see the module docstring).
OPTIMISTIC_TRIES = 2


@dataclass(frozen=True)
class _Ahead:
    """A PDF rendered, signed and archived before its number was taken."""

    number: str
    verify_code: str
    issued_at: dt.datetime
    ref: BlobRef
    rendered: RenderResult


def issue(record_id: int, *, paper: str = "F4", actor: Actor, session: Session,
          desk: Desk) -> Record:
    """Issue a signed record; a second call on an issued record returns it unchanged.

    The step fired is the one its workflow tags `issues`, whatever its name."""
    record = get_record(record_id, actor=actor, session=session)
    registry = desk.registry
    if record.number and registry.state_is(record.doctype, record.state, ISSUED):
        return record
    doctype = registry.document_types[record.doctype]
    if doctype.legacy:  # e.g. an IUMK drafted before it was closed: never numbered now
        raise ValidationError(f"{doctype.title} tidak lagi diterbitkan. {doctype.description}")
    workflow = registry.workflows[doctype.workflow]
    transition = check_transition(workflow, record.state, _issuing_step(workflow).name,
                                  actor.roles)
    desk.require_setup()
    checked = record.state
    session.rollback()  # no snapshot kept while waiting for the issuance before this one
    with desk.serial():
        return _issue_serially(record_id, checked, doctype, transition, paper, actor=actor,
                               session=session, desk=desk)


def _issue_serially(record_id: int, checked: str, doctype: DocumentType, transition, paper: str, *,
                    actor: Actor, session: Session, desk: Desk) -> Record:
    """Render ahead and take the number in a short transaction (twice at most), then as before:
    claim, number, render and sign inside the transaction."""
    registry = desk.registry
    for _ in range(OPTIMISTIC_TRIES):
        record = get_record(record_id, actor=actor, session=session)
        if record.number or record.state != checked:  # issued (a double click) or moved meanwhile
            return _issued_meanwhile(record_id, actor=actor, session=session, registry=registry)
        try:
            ahead = _render_ahead(record, doctype, paper, session=session, desk=desk)
        except WorkerBusyError:
            break
        record = get_record(record_id, actor=actor, session=session)
        if record.number or record.state != checked:
            desk.blobs.delete(ahead.ref.sha256)
            return _issued_meanwhile(record_id, actor=actor, session=session, registry=registry)
        if _take_ahead(record, doctype, transition, ahead, actor=actor, session=session, desk=desk):
            return record
    record = get_record(record_id, actor=actor, session=session)
    if not _claim(session, record):
        return _issued_meanwhile(record_id, actor=actor, session=session, registry=registry)
    try:
        ref, rendered = _number_and_render(record, doctype, paper, actor=actor, session=session,
                                           desk=desk)
    except DocumentProductionError as error:
        session.rollback()  # gives the number back: nothing was issued
        raise DocumentProductionError(
            f"Dokumen belum diterbitkan dan tidak ada nomor yang terpakai. {error}") from error
    except Exception:
        session.rollback()
        raise
    try:
        _finish(record, doctype, transition, ref, rendered, actor=actor, session=session)
    except Exception:
        session.rollback()
        desk.blobs.delete(ref.sha256)
        raise
    return record


def _render_ahead(record: Record, doctype: DocumentType, paper: str, *, session: Session,
                  desk: Desk) -> _Ahead:
    """Render, sign and archive with the number that is next now, writing nothing to the
    database; the read transaction ends before returning, so no lock or snapshot is kept."""
    today = desk.today()
    kode = (record.data or {}).get("klasifikasi") or doctype.klasifikasi
    try:
        with session.no_autoflush:
            number = peek_number(session, doctype.register, kode=kode, on=today,
                                 kode_desa=record.desa_code or "")
            record.number, record.verify_code, record.issued_at = number, new_code(), utc_now()
            ahead = (record.number, record.verify_code, record.issued_at)
            pdf, rendered = _render_signed(record, doctype, today, paper, session=session, desk=desk)
    except DocumentProductionError as error:
        raise DocumentProductionError(
            f"Dokumen belum diterbitkan dan tidak ada nomor yang terpakai. {error}") from error
    finally:
        session.rollback()  # drops the in-memory number: nothing was written
    return _Ahead(*ahead, desk.blobs.put(pdf), rendered)


def _take_ahead(record: Record, doctype: DocumentType, transition, ahead: _Ahead, *, actor: Actor,
                session: Session, desk: Desk) -> bool:
    """One short transaction: claim the record, take the number and finish, when the number
    taken is the one printed; otherwise roll back, drop the file and say so (False)."""
    try:
        if not _claim(session, record):
            session.rollback()
            desk.blobs.delete(ahead.ref.sha256)
            return False
        kode = (record.data or {}).get("klasifikasi") or doctype.klasifikasi
        number = allocate(session, doctype.register, kode=kode, on=desk.today(), actor=actor,
                          record_id=record.id, kode_desa=record.desa_code or "")
        if number.number != ahead.number:
            session.rollback()
            desk.blobs.delete(ahead.ref.sha256)
            return False
        record.number, record.verify_code, record.issued_at = ahead.number, ahead.verify_code, ahead.issued_at
        _finish(record, doctype, transition, ahead.ref, ahead.rendered, actor=actor, session=session)
    except Exception:
        session.rollback()
        desk.blobs.delete(ahead.ref.sha256)
        raise
    return True


def _issuing_step(workflow: Workflow) -> Transition:
    """The workflow's transition tagged `issues`; refused when it has none."""
    step = workflow.transition_tagged(ISSUES)
    if step is None:
        raise InvalidTransitionError(f"Alur '{workflow.title}' tidak memiliki langkah penerbitan.")
    return step


def is_issuing_step(record: Record, name: str, registry: Registry) -> bool:
    """Whether `name` is the issuing step of the record's workflow."""
    workflow = registry.workflow_of(record.doctype)
    return workflow is not None and workflow.means(name, ISSUES)


def steps_to_issue(doctype_name: str, registry: Registry) -> tuple[Transition, ...]:
    """The transitions that take a new record of this type to issued, the issuing one last
    (the workflow's shortest path, from its declaration)."""
    workflow = registry.workflow_of(doctype_name)
    if workflow is None:
        raise NotFoundError(f"Jenis dokumen '{doctype_name}' tidak dikenal.")
    steps = workflow.path_to(ISSUES)
    if not steps:
        raise ValidationError(f"Alur '{workflow.name}' tidak sampai ke penerbitan.")
    return steps


def _claim(session: Session, record: Record) -> bool:
    """Take the record's write lock while it is still in the state we checked: a conditional
    UPDATE that a second, simultaneous issuer can only pass after the first has committed,
    and then no longer matches. Without it both would take a number."""
    claimed = session.execute(
        update(Record).where(Record.id == record.id, Record.state == record.state,
                             Record.number.is_(None))
        .values(state=record.state).execution_options(synchronize_session=False))
    return changed_rows(claimed) == 1


def _issued_meanwhile(record_id: int, *, actor: Actor, session: Session,
                     registry: Registry) -> Record:
    """Another issuer won the race: return its result, or say why this step cannot run now."""
    session.rollback()
    record = get_record(record_id, actor=actor, session=session)
    if record.number and registry.state_is(record.doctype, record.state, ISSUED):
        return record
    raise InvalidTransitionError(
        f"Dokumen ini baru saja diubah oleh petugas lain (status kini '{record.state}'). "
        "Muat ulang halaman.")


def _number_and_render(record: Record, doctype: DocumentType, paper: str, *, actor: Actor,
                       session: Session, desk: Desk):
    """Take the number (inside the open transaction), render, sign and archive the PDF."""
    today = desk.today()
    kode = (record.data or {}).get("klasifikasi") or doctype.klasifikasi  # chosen per letter
    number = allocate(session, doctype.register, kode=kode, on=today,
                      actor=actor, record_id=record.id, kode_desa=record.desa_code or "")
    record.number, record.verify_code, record.issued_at = number.number, new_code(), utc_now()
    pdf, rendered = _render_signed(record, doctype, today, paper, session=session, desk=desk)
    return desk.blobs.put(pdf), rendered


def _render_signed(record: Record, doctype: DocumentType, today: dt.date, paper: str, *,
                   session: Session, desk: Desk) -> tuple[bytes, RenderResult]:
    context = document_context(record, doctype, today, session=session, desk=desk)
    metadata = desk.metadata_factory(
        title=f"{doctype.title} {record.number}", author=desk.office["name"],
        subject=doctype.title, document_number=record.number, document_type=doctype.name,
        issue_date=today, office=desk.office["name"])
    rendered = desk.renderer.render(doctype.template, context, paper=paper, metadata=metadata)
    if desk.signer is None:
        return rendered.pdf, rendered
    signed = desk.signer.sign(rendered.pdf, reason=f"Penerbitan {doctype.title} {record.number}",
                              location=desk.office.get("place", ""), name=context["signer"]["nama"]
                              if context["signer"] else None)
    return signed, rendered


def _finish(record: Record, doctype: DocumentType, transition, ref, rendered, *, actor: Actor,
            session: Session) -> None:
    """Mark issued, link the archived file, record the step and the audit entry; commit."""
    session.add(RecordFile(record_id=record.id, kind="terbit", sha256=ref.sha256, size=ref.size,
                           template_name=rendered.template_name,
                           template_sha256=rendered.template_sha256,
                           signed=True, created_at=utc_now()))
    remember(session, RECORD, record.id, transition.name, record.state, transition.target,
             actor.username, f"Nomor {record.number}")
    record.state = transition.target
    record_event(session, actor, "record.issue", object_type="record", object_id=record.id,
                 desa_code=record.desa_code,
                 detail={"number": record.number, "sha256": ref.sha256, "doctype": doctype.name})
    enqueue(session, RECORD, record.id)  # search index follows in the same transaction
    session.commit()


def document_context(record: Record, doctype: DocumentType, today: dt.date, *,
                     session: Session, desk: Desk, require_signer: bool = True) -> dict:
    """Everything a template may print (see templates_pdf/_base/page.html)."""
    holder = record.penduduk
    context = {
        "office": desk.office, "place": desk.office.get("place", ""), "issued_on": today,
        "nomor": record.number or "", "title": doctype.title,
        "doctype": {"name": doctype.name, "title": doctype.title},
        "holder": person_dict(holder) if holder else None,
        "keluarga": family_dict(holder.keluarga) if holder and holder.keluarga else None,
        "data": dict(record.data or {}), "items": list((record.data or {}).get("items", [])),
        "signer": signer_block(record, session, registry=desk.registry, required=require_signer,
                               on=today, kecamatan=desk.office.get("kecamatan", "")),
        "tracking": None,
        "petugas": officer_block(session, _officer_of(record, desk.registry)),
        "penanda_tangan": doctype.penanda_tangan,
    }
    luar = (record.data or {}).get("pemohon_nonpermanen")
    if luar and not holder:  # a non-resident applicant, identified from their KTP-el
        context["holder"] = {**luar, "nonpermanen": True, "rt": "", "rw": "", "no_kk": "",
                             "kepala_keluarga": ""}
    if record.verify_code:
        context["verification"] = {"code": record.verify_code,
                                   "url": f"{desk.base_url}/verify/{record.verify_code}"}
    for extra in (desk.pdf_context_hook(record=record, doctype=doctype) if desk.pdf_context_hook else []):
        context.update(extra or {})
    return context


def person_dict(p) -> dict:
    """A resident as templates see them (the issued letter carries the full NIK)."""
    keluarga = p.keluarga
    return {"nama": p.nama, "nik": p.nik, "no_kk": keluarga.no_kk if keluarga else "",
            "tempat_lahir": p.tempat_lahir, "tanggal_lahir": p.tanggal_lahir,
            "jenis_kelamin": p.jenis_kelamin, "golongan_darah": p.golongan_darah,
            "agama": p.agama, "status_perkawinan": p.status_perkawinan,
            "pekerjaan": p.pekerjaan, "pendidikan": p.pendidikan,
            "kewarganegaraan": p.kewarganegaraan, "alamat": p.alamat, "rt": p.rt, "rw": p.rw,
            "desa": p.desa.name if p.desa else "", "hubungan": p.hubungan,
            "kepala_keluarga": (keluarga.kepala.nama if keluarga and keluarga.kepala else ""),
            "nama_ayah": p.nama_ayah, "nama_ibu": p.nama_ibu}


def officer_block(session: Session, username: str) -> dict | None:
    """The officer as printed on a form or receipt: full name and NIP from their Pejabat
    entry, else the account's full name; never the login name (a receipt reading "Petugas
    penerima: petugas" names nobody)."""
    if not username:
        return None
    pejabat = session.scalar(select(Pejabat).where(Pejabat.username == username))
    if pejabat is not None:
        return {"nama": pejabat.nama, "nip": pejabat.nip or "", "jabatan": pejabat.jabatan}
    row = session.execute(text("SELECT first_name, last_name FROM ab_user WHERE username = :u"),
                          {"u": username}).first()
    if row is None:
        return {"nama": "", "nip": "", "jabatan": ""}
    first, last = (row[0] or "").strip(), (row[1] or "").strip()
    nama = first if not last or last == first else f"{first} {last}"
    return {"nama": nama, "nip": "", "jabatan": ""}


def _officer_of(record: Record, registry: Registry) -> str:
    """The petugas answerable for a form: who verified it last, else who drafted it."""
    workflow = registry.workflow_of(record.doctype)
    verifying = {t.name for t in workflow.transitions_tagged(VERIFIES)} if workflow else set()
    step = next((h for h in reversed(record.history) if h.transition in verifying), None)
    return step.actor if step else record.created_by


def family_dict(k) -> dict:
    """A family with every member, for the F-1.01 biodata."""
    return {"no_kk": k.no_kk, "alamat": k.alamat, "rt": k.rt, "rw": k.rw,
            "desa": k.desa.name if k.desa else "", "kode_pos": k.kode_pos,
            "anggota": [person_dict(p) for p in k.anggota]}


def signer_block(record: Record, session: Session, *, registry: Registry,
                 required: bool = True, on: dt.date | None = None,
                 kecamatan: str = "") -> dict | None:
    """The official who approved (the latest step its workflow tags `signs`), as printed under
    the letter: their roster period on the letter's date `on` (services.penandatangan), so
    the a.n./Plt./Plh. mark and the body wording follow who actually signs."""
    workflow = registry.workflow_of(record.doctype)
    signing = {t.name for t in workflow.transitions_tagged(SIGNS)} if workflow else set()
    step = next((h for h in reversed(record.history) if h.transition in signing), None)
    if step is None:
        return None
    try:
        block = signer_on(step.actor, on or dt.date.today(), session=session, kecamatan=kecamatan)
    except InvalidTransitionError:
        if required:
            raise
        return None
    if block is None and required:
        raise InvalidTransitionError(
            f"Data pejabat penanda tangan untuk akun '{step.actor}' belum diisi (nama, NIP, jabatan).")
    return block


def find_by_code(session: Session, code: str) -> Record:
    """The issued record carrying this verification code."""
    record = session.scalar(select(Record).where(Record.verify_code == code))
    if record is None:
        raise NotFoundError("Kode verifikasi tidak dikenal.")
    return record



def check_can_issue_alone(doctype_name: str, *, actor: Actor, registry: Registry) -> None:
    """Refuse before anything is written when one account cannot take a new document of this
    type through every step to issue (`lemari issue` creates, then fires `steps_to_issue`)."""
    steps = steps_to_issue(doctype_name, registry)
    workflow = registry.workflows[registry.document_types[doctype_name].workflow]
    state = workflow.initial
    for step in steps:
        state = check_transition(workflow, state, step.name, actor.roles).target


def advance(record_id: int, name: str, *, note: str = "", paper: str = "F4", actor: Actor,
            session: Session, registry: Registry, pm, desk_factory: Callable[[], Desk]) -> str:
    """Fire a workflow step and return the new state; the issuing step (the one its workflow
    tags `issues`) goes through `issue`.

    Every adapter (web, API, CLI) calls this, so no path can mark a record issued without
    its number and archived PDF. `desk_factory` is only called for the issuing step (it
    starts render workers).
    """
    record = get_record(record_id, actor=actor, session=session)
    if is_issuing_step(record, name, registry):
        return issue(record_id, paper=paper, actor=actor, session=session,
                     desk=desk_factory()).state
    from records.services.records import fire_transition

    return fire_transition(record_id, name, note=note, actor=actor, session=session,
                           registry=registry, pm=pm).to_state


def preview(record_id: int, *, paper: str = "F4", actor: Actor, session: Session,
            desk: Desk) -> bytes:
    """Render a record as it would be issued, marked as a preview; consumes no number."""
    record = get_record(record_id, actor=actor, session=session)
    doctype = desk.registry.document_types[record.doctype]
    context = document_context(record, doctype, desk.today(), session=session, desk=desk,
                               require_signer=False)
    context.update(nomor=record.number or "(belum bernomor)", preview=True)
    metadata = desk.metadata_factory(title=f"PRATINJAU {doctype.title}",
                                     author=desk.office["name"], subject=doctype.title,
                                     document_type=doctype.name, office=desk.office["name"])
    return desk.renderer.render(doctype.template, context, paper=paper, metadata=metadata).pdf


def sign_and_issue(record_id: int, *, note: str = "", paper: str = "F4", actor: Actor,
                   session: Session, registry: Registry, pm,
                   desk_factory: Callable[[], Desk]) -> str:
    """The signer's one click: fire the step tagged `signs` open to the actor, then, when the
    workflow offers the step tagged `issues` to the same actor from there, issue; returns the
    new state. Both go through `advance`, so nothing bypasses its checks.

    Two transactions, one after the other: signing commits, then issuing commits (issuing
    renders and signs a PDF and must not hold the signature step's transaction open). A crash
    between them leaves the record signed and not issued, as if the signer had clicked only
    "tandatangani"; calling this again on that record skips the signature (its state no longer
    offers one) and issues. A crash inside issuing is `issue`'s own (no number consumed)."""
    record = get_record(record_id, actor=actor, session=session)
    workflow = registry.workflow_of(record.doctype)
    if workflow is None:
        raise NotFoundError("Dokumen tidak ditemukan.")
    open_steps = workflow.available(record.state, actor.roles)
    signing = next((t for t in open_steps if SIGNS in t.tags), None)
    state = record.state
    if signing is not None:
        state = advance(record_id, signing.name, note=note, paper=paper, actor=actor,
                        session=session, registry=registry, pm=pm, desk_factory=desk_factory)
    elif not any(ISSUES in t.tags for t in open_steps):
        raise InvalidTransitionError("Dokumen ini tidak menunggu tanda tangan Anda.")
    issuing = next((t for t in workflow.available(state, actor.roles) if ISSUES in t.tags), None)
    if issuing is None:
        return state
    return advance(record_id, issuing.name, paper=paper, actor=actor, session=session,
                   registry=registry, pm=pm, desk_factory=desk_factory)
