"""Notices and posters through the publication workflow (Plone: private → pending → published).

Humas drafts; saving a draft renders its PDF and previews, so everyone reviews the very bytes
that will be published. Only a role the workflow declaration names may submit, approve or send
back (with a comment) — the same check for the web, the REST API and the CLI. The public sees
only published items whose effective date has come and whose expiry date has not passed; an
expired item also moves to the 'kedaluwarsa' state when the sweep runs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from records.actor import Actor
from records.declarations import Registry, Workflow
from records.exceptions import InvalidTransitionError, NotFoundError, ValidationError
from records.images import check_image
from records.models import Layanan, WorkflowStep
from records.publikasi.models import Publikasi
from records.publikasi.services import materials
from records.publikasi.services.materials import PublishDesk
from records.services import workflow_history
from records.services.audit import record_event
from records.services.clock import utc_now

WORKFLOW = "publikasi"
#: How publications are named in the workflow history and the audit trail.
SUBJECT = "publikasi"
PUBLISHED, EXPIRED = "terbit", "kedaluwarsa"
EDITABLE_STATES = frozenset({"privat"})
JENIS = {"pengumuman": ("pengumuman",),
         "poster": ("poster_layanan", "poster_ktp_el", "maklumat", "pamflet", "bagan_alur",
                    "poster_bebas")}
MAX_JUDUL, MAX_ISI, MAX_NOTE, MAX_ID = 200, 5000, 1000, 2**31 - 1
SYSTEM = "sistem"


def create_publikasi(values: dict, *, image: bytes | None = None, actor: Actor,
                     session: Session, registry: Registry, desk: PublishDesk) -> Publikasi:
    """A new draft with its rendered PDF and previews; commit."""
    actor.require("publikasi.write")
    cleaned = clean_values(values, session=session)
    now = utc_now()
    item = Publikasi(**cleaned, state=registry.workflows[WORKFLOW].initial,
                     created_by=actor.username, created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    _attach_image(item, image, desk=desk)
    _render(item, session=session, desk=desk)
    workflow_history.remember(session, SUBJECT, item.id, "buat", None, item.state,
                              actor.username, at=now)
    record_event(session, actor, "publikasi.buat", object_type="publikasi", object_id=item.id,
                 detail={"jenis": item.jenis, "templat": item.templat, "judul": item.judul})
    session.commit()
    return item


def update_publikasi(item_id: int, values: dict, *, image: bytes | None = None,
                     remove_image: bool = False, actor: Actor, session: Session,
                     desk: PublishDesk) -> Publikasi:
    """Change a draft (only while private) and render it again; commit."""
    actor.require("publikasi.write")
    item = get_publikasi(item_id, actor=actor, session=session)
    if item.state not in EDITABLE_STATES:
        raise InvalidTransitionError("Hanya draf (privat) yang dapat diubah; tarik kembali "
                                     "ajuan atau publikasinya lebih dulu.")
    cleaned = clean_values({**values_of(item), **values, "jenis": item.jenis}, session=session)
    for name, value in cleaned.items():
        setattr(item, name, value)
    if remove_image:
        item.gambar = ""
    _attach_image(item, image, desk=desk)
    _render(item, session=session, desk=desk)
    item.updated_at = utc_now()
    record_event(session, actor, "publikasi.ubah", object_type="publikasi", object_id=item.id,
                 detail={"judul": item.judul, "pdf": item.pdf_sha256})
    session.commit()
    return item


def values_of(item: Publikasi) -> dict:
    """A publication's editable fields as text (the edit form, a partial API update)."""
    return {"templat": item.templat, "judul": item.judul, "isi": item.isi,
            "layanan_code": item.layanan_code or "", "kelompok": item.kelompok,
            "ukuran": item.ukuran, "berlaku_mulai": item.berlaku_mulai.isoformat(),
            "berlaku_sampai": item.berlaku_sampai.isoformat() if item.berlaku_sampai else ""}


def clean_values(values: dict, *, session: Session) -> dict:
    """Validate a draft's fields; every problem is reported at once, by field."""
    errors: dict[str, str] = {}
    cleaned = _clean_material(values, session, errors)
    cleaned.update(_clean_text(values, cleaned.get("spec"), errors))
    mulai = _date(values.get("berlaku_mulai"), "berlaku_mulai", errors, required=True)
    sampai = _date(values.get("berlaku_sampai"), "berlaku_sampai", errors, required=False)
    if mulai and sampai and sampai < mulai:
        errors["berlaku_sampai"] = "Tanggal kedaluwarsa tidak boleh sebelum tanggal berlaku."
    if errors:
        raise ValidationError("Isian publikasi belum benar.", errors)
    del cleaned["spec"]
    return {**cleaned, "berlaku_mulai": mulai, "berlaku_sampai": sampai}


def _clean_material(values: dict, session: Session, errors: dict) -> dict:
    """Kind, template, and the service, group and paper size the template needs."""
    jenis = str(values.get("jenis") or "")
    templat = str(values.get("templat") or (JENIS.get(jenis, ("",))[0]))
    if jenis not in JENIS:
        errors["jenis"] = "Pilih pengumuman atau poster."
    elif templat not in JENIS[jenis]:
        errors["templat"] = "Pilih jenis materi yang tersedia."
    spec = materials.MATERIALS.get(templat) if jenis in JENIS and templat in JENIS[jenis] else None
    layanan_code = str(values.get("layanan_code") or "").strip() or None
    kelompok = str(values.get("kelompok") or "").strip()
    ukuran = str(values.get("ukuran") or (spec.sizes[0] if spec else "A4"))
    per = spec.per if spec else ""
    if per == "layanan" and (not layanan_code or session.get(Layanan, layanan_code) is None):
        errors["layanan_code"] = "Pilih layanan."
    if per == "kelompok" and kelompok not in materials.kelompok_list(session=session):
        errors["kelompok"] = "Pilih kelompok layanan."
    if spec and ukuran not in spec.sizes:
        errors["ukuran"] = f"Pilih ukuran: {', '.join(spec.sizes)}."
    return {"spec": spec, "jenis": jenis, "templat": templat, "ukuran": ukuran,
            "layanan_code": layanan_code if per == "layanan" else None,
            "kelompok": kelompok if per == "kelompok" else ""}


def _clean_text(values: dict, spec, errors: dict) -> dict:
    """Title (always) and body (required for notices and free posters)."""
    judul, isi = str(values.get("judul") or "").strip(), str(values.get("isi") or "").strip()
    if not judul:
        errors["judul"] = "Judul wajib diisi."
    elif len(judul) > MAX_JUDUL:
        errors["judul"] = f"Judul paling banyak {MAX_JUDUL} karakter."
    if len(isi) > MAX_ISI:
        errors["isi"] = f"Isi paling banyak {MAX_ISI} karakter."
    elif spec and spec.per == "publikasi" and not isi:
        errors["isi"] = "Isi wajib diisi."
    return {"judul": judul, "isi": isi}


def _date(raw, name: str, errors: dict, *, required: bool) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    text = str(raw or "").strip()
    if not text:
        if required:
            errors[name] = "Tanggal wajib diisi."
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = "Tanggal tidak valid (format TTTT-BB-HH)."
        return None


def _attach_image(item: Publikasi, image: bytes | None, *, desk: PublishDesk) -> None:
    """Check and archive an uploaded image (PNG/JPEG, bounded size)."""
    if image:
        info = check_image(image)
        item.gambar = desk.blobs.put(image).sha256 + "." + info.extension


def _render(item: Publikasi, *, session: Session, desk: PublishDesk) -> None:
    """Render the PDF and its previews into the archive and link them to the item."""
    picture = ""
    if item.gambar:
        sha, _, extension = item.gambar.partition(".")
        picture = materials.place_image(sha, extension, desk=desk)
    notice = {"id": item.id, "judul": item.judul, "berlaku_mulai": item.berlaku_mulai,
              "berlaku_sampai": item.berlaku_sampai, "gambar": picture,
              "paragraphs": [line.strip() for line in item.isi.splitlines() if line.strip()]}
    context = materials.build_context(item.templat, session=session, desk=desk,
                                      layanan_code=item.layanan_code, kelompok=item.kelompok,
                                      ukuran=item.ukuran, publikasi=notice)
    rendered = materials.render(item.templat, context, session=session, desk=desk)
    item.pdf_sha256 = desk.blobs.put(rendered.pdf).sha256
    item.png_sha256 = desk.blobs.put(desk.preview(rendered.pdf, materials.THUMB_WIDTH)).sha256
    item.layar_sha256 = desk.blobs.put(desk.preview(rendered.pdf, materials.LARGE_WIDTH)).sha256
    item.halaman, item.templat_sha256 = rendered.pages, rendered.template_sha256


def get_publikasi(item_id: int, *, actor: Actor, session: Session) -> Publikasi:
    """A publication in any state, for staff who may read drafts."""
    actor.require("publikasi.read")
    item = session.get(Publikasi, item_id) if _valid_id(item_id) else None
    if item is None:
        raise NotFoundError("Publikasi tidak ditemukan.")
    return item


def list_publikasi(*, actor: Actor, session: Session, state: str | None = None,
                   jenis: str | None = None) -> list[Publikasi]:
    """Publications for the staff list, newest first."""
    actor.require("publikasi.read")
    query = select(Publikasi).order_by(Publikasi.id.desc())
    if state:
        query = query.where(Publikasi.state == state)
    if jenis:
        query = query.where(Publikasi.jenis == jenis)
    return list(session.scalars(query.limit(500)))


def fire(item_id: int, name: str, *, note: str = "", actor: Actor, session: Session,
         registry: Registry, today: dt.date) -> WorkflowStep:
    """Move a publication along its workflow; the move and its audit entry commit together."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError("Catatan terlalu panjang.", {"note": f"Paling banyak {MAX_NOTE} karakter."})
    item = get_publikasi(item_id, actor=actor, session=session)
    workflow = registry.workflows[WORKFLOW]
    publishes = name in {t.name for t in workflow.transitions if t.target == PUBLISHED}
    if publishes and item.berlaku_sampai and item.berlaku_sampai < today:
        raise ValidationError("Tanggal kedaluwarsa sudah lewat; ubah tanggalnya sebelum menerbitkan.")
    _, step = workflow_history.fire(
        session, item, workflow, name, subject=SUBJECT, actor=actor, note=note,
        values={"published_at": utc_now()} if publishes else None,
        detail={"pdf": item.pdf_sha256})
    session.commit()
    return step


def expire_due(*, session: Session, registry: Registry, today: dt.date) -> int:
    """Move published items whose expiry date has passed to 'kedaluwarsa'; returns how many."""
    transition = registry.workflows[WORKFLOW].transition(EXPIRED)
    due = list(session.scalars(select(Publikasi).where(
        Publikasi.state == PUBLISHED, Publikasi.berlaku_sampai < today)))
    for item in due:
        until = item.berlaku_sampai
        assert until is not None  # the query selected berlaku_sampai < today
        workflow_history.move(session, item, transition, subject=SUBJECT, actor=SYSTEM,
                              note=f"Kedaluwarsa {until.isoformat()}")
        record_event(session, SYSTEM, "publikasi.kedaluwarsa", object_type="publikasi",
                     object_id=item.id, detail={"berlaku_sampai": until.isoformat()})
    session.commit()
    return len(due)


def _in_force(query, today: dt.date):
    """Only published items whose effective date has come and whose expiry has not passed."""
    return query.where(Publikasi.state == PUBLISHED, Publikasi.berlaku_mulai <= today,
                       or_(Publikasi.berlaku_sampai.is_(None), Publikasi.berlaku_sampai >= today))


def public_items(*, session: Session, today: dt.date, jenis: str | None = None) -> list[Publikasi]:
    """Published items in force today, newest first."""
    query = _in_force(select(Publikasi), today)
    if jenis:
        query = query.where(Publikasi.jenis == jenis)
    return list(session.scalars(query.order_by(Publikasi.berlaku_mulai.desc(), Publikasi.id.desc())))


def public_item(item_id: int, *, session: Session, today: dt.date) -> Publikasi:
    """One item the public may see; anything else is 'not found' (drafts do not leak)."""
    item = session.scalar(_in_force(select(Publikasi).where(Publikasi.id == item_id), today)) \
        if _valid_id(item_id) else None
    if item is None:
        raise NotFoundError("Publikasi tidak ditemukan.")
    return item


FILE_KINDS = {"pdf": ("pdf_sha256", "application/pdf"), "png": ("png_sha256", "image/png"),
              "layar": ("layar_sha256", "image/png")}


def item_file(item: Publikasi, kind: str, *, blobs) -> tuple[bytes, str, str]:
    """(bytes, MIME type, sha256) of an item's PDF, preview or slideshow image."""
    if kind == "gambar" and item.gambar:
        sha, _, extension = item.gambar.partition(".")
        return blobs.read_bytes(sha), "image/png" if extension == "png" else "image/jpeg", sha
    if kind not in FILE_KINDS or not getattr(item, FILE_KINDS[kind][0]):
        raise NotFoundError("Berkas tidak ditemukan.")
    sha = getattr(item, FILE_KINDS[kind][0])
    return blobs.read_bytes(sha), FILE_KINDS[kind][1], sha


def _valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


# --- what waits for Humas and the reviewers (the home page's worklists) ---------------------

RETURN = "kembalikan"
SUBMITTED = "menunggu_tinjauan"


def _returned():
    """SQL: the publication's latest move was the reviewer's 'send back with a note'."""
    later = aliased(WorkflowStep)
    latest = (select(func.max(later.id))
              .where(later.subject == SUBJECT, later.subject_id == Publikasi.id).scalar_subquery())
    return exists().where(WorkflowStep.id == latest, WorkflowStep.transition == RETURN)


def drafts_query(*, returned: bool) -> Select:
    """Drafts Humas works on: those the reviewer sent back (`returned`) or the others."""
    condition = _returned() if returned else ~_returned()
    return (select(Publikasi).where(Publikasi.state.in_(sorted(EDITABLE_STATES)), condition)
            .order_by(Publikasi.updated_at.desc(), Publikasi.id.desc()))


def review_query() -> Select:
    """Publications submitted and waiting for the Camat's or the Sekcam's review."""
    return select(Publikasi).where(Publikasi.state == SUBMITTED).order_by(Publikasi.id)


def reviews(actor: Actor, workflow: Workflow) -> bool:
    """True when one of the actor's roles may approve a submitted publication."""
    return any(t.roles & actor.roles for t in workflow.transitions
               if SUBMITTED in t.sources and t.target == PUBLISHED)
