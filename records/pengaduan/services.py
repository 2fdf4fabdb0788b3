"""Complaints, questions and suggestions from the public (pengaduan) and their answers.

A complaint gets a tracking code (PG-…) and a deadline in working days by category. The
office moves it along the declared `pengaduan` workflow (diterima → diproses → dijawab);
the answer is the note of `jawab`, and the complainant reads it with the code.

Visibility: pungli and gratifikasi complaints may be about the very clerks who handle the
others, so they need `pengaduan.read_sensitive` held through a role the declaration names
(Camat, Auditor): Admin's blanket grant of every permission does not open them. Everyone else
is told "not found" for them, as for any object outside one's scope.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import statistics
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.calendar_id import add_working_days
from records.declarations import Registry
from records.exceptions import NotFoundError, ValidationError
from records.formats import angka
from records.models import HariLibur, Layanan
from records.pengaduan.models import Pengaduan
from records.services import workflow_history
from records.services.audit import record_event
from records.services.clock import clock, month_bounds
from records.services.issuing import Desk
from records.services.public_guard import add_hit, check_form, check_rate
from records.verification import ALPHABET

WORKFLOW = "pengaduan"
#: How complaints are named in the workflow history and the audit trail.
SUBJECT = "pengaduan"
RECEIVED, ANSWERED = "diterima", "dijawab"
SCOPE = "pengaduan"
MAX_TITLE, MAX_TEXT, MAX_NAME, MAX_ANSWER = 150, 5000, 100, 5000
CODE = re.compile(r"PG-[" + ALPHABET + "]{8}")


@dataclass(frozen=True)
class Category:
    """A kind of complaint: its label, working days to answer, and whether it is sensitive."""

    code: str
    label: str
    days: int
    sensitive: bool = False


CATEGORIES = {c.code: c for c in (
    Category("pertanyaan", "Pertanyaan / permintaan informasi", 2),
    Category("saran", "Saran dan masukan", 5),
    Category("keluhan", "Keluhan pelayanan (lambat, tidak jelas, tidak ramah)", 5),
    Category("pungli", "Pungutan liar (diminta membayar)", 14, sensitive=True),
    Category("gratifikasi", "Gratifikasi (pemberian atau hadiah kepada petugas)", 14, sensitive=True),
    Category("lainnya", "Lainnya", 5),
)}
SENSITIVE = frozenset(c.code for c in CATEGORIES.values() if c.sensitive)


def new_code() -> str:
    """PG- plus 8 unambiguous characters (40 random bits)."""
    return "PG-" + "".join(secrets.choice(ALPHABET) for _ in range(8))


def clean_submission(values: dict, *, session: Session) -> dict:
    """The form's values, trimmed and checked; every problem at once, in Indonesian."""
    text = {k: (values.get(k) or "").strip() for k in ("kategori", "judul", "isi", "nama", "kontak",
                                                        "layanan")}
    errors = {}
    if text["kategori"] not in CATEGORIES:
        errors["kategori"] = "Pilih jenis pengaduan."
    if not 5 <= len(text["judul"]) <= MAX_TITLE:
        errors["judul"] = f"Judul 5 sampai {MAX_TITLE} karakter."
    if len(text["isi"]) > MAX_TEXT:
        errors["isi"] = (f"Isi pengaduan terlalu panjang ({angka(len(text['isi']))} karakter; "
                         f"maksimal {angka(MAX_TEXT)}).")
    elif len(text["isi"]) < 10:
        errors["isi"] = "Tuliskan isi pengaduan (minimal 10 karakter)."
    for key in ("nama", "kontak"):
        if len(text[key]) > MAX_NAME:
            errors[key] = f"Maksimal {MAX_NAME} karakter."
    if text["layanan"] and session.get(Layanan, text["layanan"]) is None:
        errors["layanan"] = "Layanan tidak dikenal."
    if errors:
        raise ValidationError("Periksa kembali isian yang ditandai.", errors)
    return text


def submit(values: dict, *, client: str, token: str, honeypot: str, session: Session, secret: str,
           tz: str, limit: int, now: dt.datetime | None = None) -> Pengaduan:
    """Accept a complaint from the public form; commit. No login, so the guards run first."""
    now, today = clock(tz, now)
    check_form(secret, token, honeypot, now)
    check_rate(session, SCOPE, client, limit=limit, window=dt.timedelta(hours=1), now=now,
               what="pengaduan")
    clean = clean_submission(values, session=session)
    category = CATEGORIES[clean["kategori"]]
    complaint = Pengaduan(tracking_code=new_code(), kategori=category.code,
                          layanan_code=clean["layanan"] or None, judul=clean["judul"],
                          isi=clean["isi"], nama=clean["nama"], kontak=clean["kontak"],
                          state=RECEIVED, received_at=now, tanggal=today,
                          due_date=_due(session, today, category.days))
    session.add(complaint)
    session.flush()
    workflow_history.remember(session, SUBJECT, complaint.id, "kirim", None, RECEIVED, "publik", at=now)
    add_hit(session, SCOPE, client, now)
    record_event(session, "publik", "pengaduan.terima", object_type="pengaduan",
                 object_id=complaint.id, detail={"kategori": category.code})
    session.commit()
    return complaint


def _due(session: Session, day: dt.date, days: int) -> dt.date:
    holidays = set(session.scalars(select(HariLibur.tanggal).where(HariLibur.tanggal >= day)))
    return add_working_days(day, days, holidays)


def sees_sensitive(actor: Actor, registry: Registry) -> bool:
    """True when a declared holder role of `pengaduan.read_sensitive` is the actor's."""
    declared = registry.permissions["pengaduan.read_sensitive"].roles
    return actor.can("pengaduan.read_sensitive") and bool(actor.roles & declared)


def _visible(actor: Actor, registry: Registry):
    actor.require("pengaduan.read")
    query = select(Pengaduan)
    if not sees_sensitive(actor, registry):
        query = query.where(Pengaduan.kategori.not_in(sorted(SENSITIVE)))
    return query


def list_complaints(*, actor: Actor, session: Session, registry: Registry, state: str = "",
                    kategori: str = "", limit: int = 200) -> list[Pengaduan]:
    """Complaints this actor may see, newest first."""
    query = _visible(actor, registry)
    if state:
        query = query.where(Pengaduan.state == state)
    if kategori:
        query = query.where(Pengaduan.kategori == kategori)
    return list(session.scalars(query.order_by(Pengaduan.id.desc()).limit(limit)))


def get_complaint(complaint_id: int, *, actor: Actor, session: Session, registry: Registry) -> Pengaduan:
    """One complaint; a sensitive one answers 'not found' to those who may not see it."""
    if not (isinstance(complaint_id, int) and 0 < complaint_id < 2**31):
        raise NotFoundError("Pengaduan tidak ditemukan.")
    complaint = session.scalar(_visible(actor, registry).where(Pengaduan.id == complaint_id))
    if complaint is None:
        raise NotFoundError("Pengaduan tidak ditemukan.")
    return complaint


def fire(complaint_id: int, name: str, *, note: str, actor: Actor, session: Session,
         registry: Registry, tz: str, now: dt.datetime | None = None) -> Pengaduan:
    """Move a complaint along its workflow; `jawab` records the answer. Commit."""
    actor.require("pengaduan.respond")
    complaint = get_complaint(complaint_id, actor=actor, session=session, registry=registry)
    note = (note or "").strip()
    if len(note) > MAX_ANSWER:
        raise ValidationError("Jawaban terlalu panjang.", {"note": f"Maksimal {MAX_ANSWER} karakter."})
    workflow = registry.workflows[WORKFLOW]
    answers = name in {t.name for t in workflow.transitions if t.target == ANSWERED}
    if answers and not note:
        raise ValidationError("Jawaban wajib diisi.", {"note": "Jawaban wajib diisi."})
    now, today = clock(tz, now)
    answer = {"jawaban": note, "answered_at": now, "answered_on": today,
              "answered_by": actor.username} if answers else {}
    workflow_history.fire(session, complaint, workflow, name, subject=SUBJECT, actor=actor,
                          note=note, values=answer)
    session.commit()
    return complaint


def is_overdue(complaint: Pengaduan, today: dt.date) -> bool:
    """Answered after its deadline, or still unanswered past it."""
    if complaint.answered_on is not None:
        return complaint.answered_on > complaint.due_date
    return today > complaint.due_date


def normalise_code(text: str) -> str | None:
    """The complaint code ("PG-" and eight characters) from what a citizen typed (case, spaces,
    I/L/O confusions), or None."""
    cleaned = re.sub(r"\s", "", text or "").upper()
    if cleaned.startswith("PG") and not cleaned.startswith("PG-"):
        cleaned = "PG-" + cleaned[2:]
    cleaned = cleaned[:3] + cleaned[3:].translate(str.maketrans("ILO", "110"))
    return cleaned if CODE.fullmatch(cleaned) else None


def track(code: str, *, session: Session, tz: str) -> dict:
    """What the complainant may see with their code: status, deadline, answer; never names."""
    normal = normalise_code(code)
    if normal is None:
        raise ValidationError("Format kode pengaduan tidak dikenali. Contoh: PG-7K2QM9XD.")
    complaint = session.scalar(select(Pengaduan).where(Pengaduan.tracking_code == normal))
    if complaint is None:
        raise NotFoundError("Kode pengaduan tidak ditemukan.")
    _, today = clock(tz)
    return {"code": complaint.tracking_code, "kategori": CATEGORIES[complaint.kategori].label,
            "judul": complaint.judul, "state": complaint.state, "tanggal": complaint.tanggal,
            "due_date": complaint.due_date, "overdue": is_overdue(complaint, today),
            "jawaban": complaint.jawaban if complaint.state == ANSWERED else "",
            "answered_on": complaint.answered_on}


def monthly_report(year: int, month: int, *, actor: Actor, session: Session, registry: Registry,
                   tz: str) -> dict:
    """Complaints received in a month (those the actor may see): per category and the list."""
    actor.require("pengaduan.report")
    first, last = month_bounds(year, month)
    sensitive = sees_sensitive(actor, registry)
    rows = list(session.scalars(_visible(actor, registry).where(Pengaduan.tanggal.between(first, last))
                                .order_by(Pengaduan.id)))
    _, today = clock(tz)
    per = []
    for category in CATEGORIES.values():
        mine = [c for c in rows if c.kategori == category.code]
        if category.sensitive and not sensitive:
            continue
        per.append(_category_row(category, mine, today))
    return {"year": year, "month": month, "first": first, "last": last, "per_category": per,
            "total": _category_row(Category("total", "Jumlah", 0), rows, today),
            "rows": [{"code": c.tracking_code, "tanggal": c.tanggal,
                      "kategori": CATEGORIES[c.kategori].label, "judul": c.judul, "state": c.state,
                      "due_date": c.due_date, "answered_on": c.answered_on,
                      "overdue": is_overdue(c, today)} for c in rows]}


def _category_row(category: Category, rows: list[Pengaduan], today: dt.date) -> dict:
    answered = [(c, on) for c in rows if (on := c.answered_on) is not None]
    days = [(on - c.tanggal).days for c, on in answered]
    return {"kategori": category.label, "diterima": len(rows), "dijawab": len(answered),
            "tepat_waktu": sum(1 for c, on in answered if on <= c.due_date),
            "terlambat": sum(1 for c in rows if is_overdue(c, today)),
            "median_hari": statistics.median(days) if days else None}


def report_pdf(year: int, month: int, *, actor: Actor, session: Session, desk: Desk, tz: str) -> bytes:
    """The monthly complaint report as a PDF (what the actor may see)."""
    report = monthly_report(year, month, actor=actor, session=session, registry=desk.registry, tz=tz)
    metadata = desk.metadata_factory(title=f"Laporan Pengaduan {month:02d}/{year}",
                                     author=desk.office["name"], subject="Laporan bulanan pengaduan",
                                     document_type="laporan_pengaduan", issue_date=desk.today(),
                                     office=desk.office["name"])
    context = {**report, "title": f"Laporan Pengaduan {month:02d}/{year}", "office": desk.office,
               "made_on": desk.today(), "made_by": actor.username,
               "sensitive_included": sees_sensitive(actor, desk.registry)}
    return desk.renderer.render("laporan_pengaduan/document.html", context, paper="A4",
                                metadata=metadata).pdf
