"""The gratification register (register gratifikasi): declare, review, report.

A member of staff declares a gift offered to or received by them: what, from whom and how
related, its value in Rupiah, when and where, refused (ditolak) or accepted (diterima), and the
service it came with, if any. The declaration is due within 30 working days of the gift
(weekends and the office's holidays skipped, `records.calendar_id`); a later one is accepted and
flagged `terlambat`, since a late report is still better than none. Law as data: REPORT_RULE.

The Camat or the officer appointed to the Unit Pengendalian Gratifikasi (UPG) reviews it along
the declared `gratifikasi` workflow; whether a review is finished is read from the state's tag
(`closed`), never from its name. Every move goes through the core's one
`workflow_history.fire`; creation is remembered with `workflow_history.remember`; both write
their audit entry in the same transaction.

Visibility: a declaration names a colleague and the people who gave them something, so the
register is read whole only through a role the declaration of `gratifikasi.read` names (Camat,
Petugas UPG, Auditor): Admin's blanket grant does not open it. Everyone else sees their own
declarations and is told "not found" for the others. A reviewer never decides their own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.calendar_id import add_working_days
from records.declarations import CLOSED, Registry, Workflow
from records.exceptions import NotFoundError, PermissionDeniedError, ValidationError
from records.gratifikasi.models import Gratifikasi
from records.models import HariLibur, Layanan
from records.services import workflow_history
from records.services.audit import record_event
from records.services.clock import clock
from records.services.issuing import Desk
from records.spreadsheets import workbook_bytes

WORKFLOW = "gratifikasi"
#: How declarations are named in the workflow history and the audit trail.
SUBJECT = "gratifikasi"
SIKAP = {"ditolak": "Ditolak (tidak diterima)", "diterima": "Diterima"}
MAX_TEXT, MAX_NAME, MAX_PLACE, MAX_NOTE = 1000, 100, 150, 2000
#: Above this a typed value is surely a typing error (Rp 1 triliun).
MAX_VALUE = 10**12
EARLIEST = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class ReportRule:
    """How long staff have to report a gift, with its legal source."""

    working_days: int
    dasar_hukum: str


REPORT_RULE = ReportRule(
    30, "UU 31/1999 jo. UU 20/2001 Pasal 12C ayat (2); Peraturan KPK 2/2019 tentang Pelaporan "
        "Gratifikasi")


# ----- input ------------------------------------------------------------------------------------

_GROUPED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")


def parse_rupiah(value: object) -> int:
    """A Rupiah amount written the Indonesian way ("Rp 1.500.000", "1.500.000,00", "1500000");
    ValueError with the reason in Indonesian otherwise."""
    if isinstance(value, bool):
        raise ValueError("Nilai harus berupa angka rupiah, contoh 1.500.000.")
    if isinstance(value, int):
        number = value
    else:
        text = re.sub(r"\s", "", str(value or ""))
        if not text:
            raise ValueError("Nilai wajib diisi (perkirakan nilai wajarnya bila tidak diketahui).")
        negative = text.startswith("-")
        text = text.lstrip("-")
        if text[:2].lower() == "rp":
            text = text[2:].lstrip(".")
        whole, comma, cents = text.partition(",")
        if comma and not re.fullmatch(r"0{1,2}", cents):
            raise ValueError("Tulis nilai dalam rupiah penuh dengan titik sebagai pemisah ribuan, "
                             "contoh 1.500.000.")
        if not (whole.isascii() and (whole.isdigit() or _GROUPED.fullmatch(whole))):
            raise ValueError("Nilai harus berupa angka rupiah, contoh 1.500.000.")
        number = int(whole.replace(".", ""))
        if negative:
            number = -number
    if number < 0:
        raise ValueError("Nilai tidak boleh negatif.")
    if number == 0:
        raise ValueError("Nilai harus lebih dari Rp 0 (perkirakan nilai wajarnya).")
    if number > MAX_VALUE:
        raise ValueError("Nilai terlalu besar; periksa kembali angkanya.")
    return number


def rupiah(value: int | None) -> str:
    """Rp 1.500.000"""
    return "-" if value is None else "Rp " + f"{value:,}".replace(",", ".")


def parse_tanggal(value: object) -> dt.date:
    """A date as YYYY-MM-DD (the date input), DD-MM-YYYY or DD/MM/YYYY; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        raise ValueError("Tanggal pemberian wajib diisi.")
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError("Tanggal tidak dikenali; gunakan format 31-12-2026.")


def clean_declaration(values: dict, *, session: Session, today: dt.date) -> dict:
    """The declaration's values, trimmed and checked; every problem at once, in Indonesian."""
    text = {k: str(values.get(k) or "").strip()
            for k in ("uraian", "pemberi", "hubungan", "tempat", "sikap", "layanan", "kode_lacak")}
    errors: dict[str, str] = {}
    clean: dict = {}
    if not 3 <= len(text["uraian"]) <= MAX_TEXT:
        errors["uraian"] = f"Uraikan pemberiannya (3 sampai {MAX_TEXT} karakter)."
    for key, label in (("pemberi", "Nama pemberi"), ("hubungan", "Hubungan dengan pemberi")):
        if not text[key]:
            errors[key] = f"{label} wajib diisi."
        elif len(text[key]) > MAX_NAME:
            errors[key] = f"Maksimal {MAX_NAME} karakter."
    if not text["tempat"]:
        errors["tempat"] = "Tempat pemberian wajib diisi."
    elif len(text["tempat"]) > MAX_PLACE:
        errors["tempat"] = f"Maksimal {MAX_PLACE} karakter."
    if text["sikap"] not in SIKAP:
        errors["sikap"] = "Pilih: ditolak atau diterima."
    try:
        clean["nilai"] = parse_rupiah(values.get("nilai"))
    except ValueError as exc:
        errors["nilai"] = str(exc)
    try:
        day = parse_tanggal(values.get("tanggal"))
        if day > today:
            errors["tanggal"] = "Tanggal pemberian tidak boleh di masa depan."
        elif day < EARLIEST:
            errors["tanggal"] = "Tanggal pemberian terlalu lama; periksa tahunnya."
        clean["tanggal"] = day
    except ValueError as exc:
        errors["tanggal"] = str(exc)
    if text["layanan"] and session.get(Layanan, text["layanan"]) is None:
        errors["layanan"] = "Layanan tidak dikenal."
    if len(text["kode_lacak"]) > 16:
        errors["kode_lacak"] = "Kode lacak maksimal 16 karakter."
    if errors:
        raise ValidationError("Periksa kembali isian yang ditandai.", errors)
    return {**text, **clean}


def report_due(session: Session, given: dt.date) -> dt.date:
    """The last day to report a gift given on `given` (REPORT_RULE working days later)."""
    holidays = set(session.scalars(select(HariLibur.tanggal).where(HariLibur.tanggal >= given)))
    return add_working_days(given, REPORT_RULE.working_days, holidays)


# ----- writes -----------------------------------------------------------------------------------

def declare(values: dict, *, actor: Actor, session: Session, registry: Registry, tz: str,
            now: dt.datetime | None = None) -> Gratifikasi:
    """Record one declaration; commit. Nothing is saved when anything is wrong."""
    actor.require("gratifikasi.declare")
    now, today = clock(tz, now)
    clean = clean_declaration(values, session=session, today=today)
    due = report_due(session, clean["tanggal"])
    workflow = registry.workflows[WORKFLOW]
    row = Gratifikasi(pelapor=actor.username, uraian=clean["uraian"], pemberi=clean["pemberi"],
                      hubungan=clean["hubungan"], nilai=clean["nilai"],
                      tanggal_pemberian=clean["tanggal"], tempat=clean["tempat"],
                      sikap=clean["sikap"], layanan_code=clean["layanan"] or None,
                      kode_lacak=clean["kode_lacak"].upper(), tanggal_lapor=today,
                      dilaporkan_at=now, batas_lapor=due, terlambat=today > due,
                      state=workflow.initial)
    try:
        session.add(row)
        session.flush()
        row.kode = f"GR-{today.year}-{row.id:04d}"
        workflow_history.remember(session, SUBJECT, row.id, "lapor", None, workflow.initial,
                                  actor.username, at=now)
        record_event(session, actor, "gratifikasi.lapor", object_type=SUBJECT, object_id=row.id,
                     detail={"kode": row.kode, "nilai": row.nilai, "sikap": row.sikap,
                             "terlambat": row.terlambat})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return row


def reads_all(actor: Actor, registry: Registry) -> bool:
    """True when a declared holder role of `gratifikasi.read` is the actor's."""
    declared = registry.permissions["gratifikasi.read"].roles
    return actor.can("gratifikasi.read") and bool(actor.roles & declared)


def _visible(actor: Actor, registry: Registry):
    actor.require("gratifikasi.list")
    query = select(Gratifikasi)
    if not reads_all(actor, registry):
        query = query.where(Gratifikasi.pelapor == actor.username)
    return query


def list_declarations(*, actor: Actor, session: Session, registry: Registry, state: str = "",
                      limit: int = 200) -> list[Gratifikasi]:
    """Declarations this actor may see (all, or their own), newest first."""
    query = _visible(actor, registry)
    if state:
        query = query.where(Gratifikasi.state == state)
    return list(session.scalars(query.order_by(Gratifikasi.id.desc()).limit(limit)))


def get_declaration(declaration_id: int, *, actor: Actor, session: Session,
                    registry: Registry) -> Gratifikasi:
    """One declaration; someone else's answers 'not found' to those who may not see it."""
    if not (isinstance(declaration_id, int) and 0 < declaration_id < 2**31):
        raise NotFoundError("Laporan gratifikasi tidak ditemukan.")
    row = session.scalar(_visible(actor, registry).where(Gratifikasi.id == declaration_id))
    if row is None:
        raise NotFoundError("Laporan gratifikasi tidak ditemukan.")
    return row


def fire(declaration_id: int, name: str, *, note: str, actor: Actor, session: Session,
         registry: Registry, tz: str, now: dt.datetime | None = None) -> Gratifikasi:
    """Take one review step; a step into a `closed` state records the decision. Commit."""
    actor.require("gratifikasi.review")
    row = get_declaration(declaration_id, actor=actor, session=session, registry=registry)
    if row.pelapor == actor.username:
        raise PermissionDeniedError("Laporan gratifikasi Anda sendiri ditelaah oleh pejabat lain.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError("Catatan terlalu panjang.", {"note": f"Maksimal {MAX_NOTE} karakter."})
    workflow = registry.workflows[WORKFLOW]
    try:
        target = workflow.transition(name).target
    except KeyError:
        raise NotFoundError(f"Langkah '{name}' tidak dikenal.") from None
    _, today = clock(tz, now)
    values = ({"catatan_telaah": note, "ditelaah_oleh": actor.username, "selesai_on": today}
              if workflow.state_is(target, CLOSED) else {})
    workflow_history.fire(session, row, workflow, name, subject=SUBJECT, actor=actor, note=note,
                          values=values, detail={"kode": row.kode})
    session.commit()
    return row


# ----- the report to the Inspektorat ------------------------------------------------------------

def parse_period(text: str) -> tuple[dt.date, dt.date, str]:
    """"2026" (the year), "2026-T4" or "2026-Q4" (a quarter) → (first, last, label)."""
    cleaned = (text or "").strip().upper()
    found = re.fullmatch(r"([0-9]{4})(?:-[TQ]([1-4]))?", cleaned)
    if not found or not 2000 <= int(found.group(1)) <= 2100:
        raise ValidationError("Periode tidak valid; contoh 2026 (setahun) atau 2026-T4 (triwulan IV).")
    year = int(found.group(1))
    if found.group(2) is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31), f"Tahun {year}"
    quarter = int(found.group(2))
    first = dt.date(year, 3 * quarter - 2, 1)
    nxt = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1), f"Triwulan {'I II III IV'.split()[quarter - 1]} {year}"


def report(period: str, *, actor: Actor, session: Session, registry: Registry) -> dict:
    """Declarations made in the period: totals by attitude and outcome, late ones, the list.
    Audited (the report names staff and givers)."""
    actor.require("gratifikasi.report")
    if not reads_all(actor, registry):
        raise PermissionDeniedError("Laporan gratifikasi hanya untuk peran yang ditetapkan "
                                    "(Camat, Petugas UPG, Auditor).")
    first, last, label = parse_period(period)
    workflow = registry.workflows[WORKFLOW]
    rows = list(session.scalars(select(Gratifikasi)
                                .where(Gratifikasi.tanggal_lapor.between(first, last))
                                .order_by(Gratifikasi.id)))
    per_state = [{"state": state, "label": title,
                  "jumlah": sum(1 for r in rows if r.state == state),
                  "nilai": sum(r.nilai for r in rows if r.state == state)}
                 for state, title in workflow.states.items()]
    per_sikap = [{"sikap": key, "label": title, "jumlah": sum(1 for r in rows if r.sikap == key),
                  "nilai": sum(r.nilai for r in rows if r.sikap == key)} for key, title in SIKAP.items()]
    record_event(session, actor, "gratifikasi.laporan", object_type=SUBJECT, object_id=period,
                 detail={"periode": label, "jumlah": len(rows)})
    session.commit()
    return {"period": period, "label": label, "first": first, "last": last,
            "jumlah": len(rows), "nilai": sum(r.nilai for r in rows),
            "terlambat": sum(1 for r in rows if r.terlambat),
            "selesai": sum(1 for r in rows if workflow.state_is(r.state, CLOSED)),
            "per_state": per_state, "per_sikap": per_sikap, "dasar_hukum": REPORT_RULE.dasar_hukum,
            "rows": [_report_row(r, workflow) for r in rows]}


def _report_row(row: Gratifikasi, workflow) -> dict:
    return {"kode": row.kode, "tanggal_lapor": row.tanggal_lapor, "pelapor": row.pelapor,
            "uraian": row.uraian, "pemberi": row.pemberi, "hubungan": row.hubungan,
            "nilai": row.nilai, "nilai_teks": rupiah(row.nilai),
            "tanggal_pemberian": row.tanggal_pemberian, "tempat": row.tempat,
            "sikap": SIKAP[row.sikap], "layanan": row.layanan_code or "", "batas_lapor": row.batas_lapor,
            "terlambat": row.terlambat, "status": workflow.states.get(row.state, row.state),
            "catatan": row.catatan_telaah}


REPORT_HEADER = ("Kode", "Tanggal lapor", "Pelapor", "Uraian", "Pemberi", "Hubungan", "Nilai (Rp)",
                 "Tanggal pemberian", "Tempat", "Sikap", "Layanan", "Batas lapor", "Terlambat",
                 "Status", "Catatan telaah")


def report_xlsx(data: dict) -> bytes:
    """The report as XLSX: a summary sheet and the list."""
    summary = [[s["label"], s["jumlah"], s["nilai"]] for s in data["per_sikap"] + data["per_state"]]
    summary.append(["Jumlah", data["jumlah"], data["nilai"]])
    summary.append(["Terlambat dilaporkan", data["terlambat"], ""])
    listing = [[r["kode"], r["tanggal_lapor"], r["pelapor"], r["uraian"], r["pemberi"], r["hubungan"],
                r["nilai"], r["tanggal_pemberian"], r["tempat"], r["sikap"], r["layanan"],
                r["batas_lapor"], "ya" if r["terlambat"] else "tidak", r["status"], r["catatan"]]
               for r in data["rows"]]
    return workbook_bytes([("Ringkasan", (data["label"], "Jumlah", "Nilai (Rp)"), summary),
                           ("Daftar", REPORT_HEADER, listing)])


def report_pdf(period: str, *, actor: Actor, session: Session, desk: Desk) -> bytes:
    """The report to the Inspektorat as a PDF."""
    data = report(period, actor=actor, session=session, registry=desk.registry)
    title = f"Laporan Gratifikasi {data['label']}"
    context = {**data, "title": title, "office": desk.office, "made_on": desk.today(),
               "made_by": actor.username, "total_teks": rupiah(data["nilai"]),
               "per_state": [{**s, "nilai_teks": rupiah(s["nilai"])} for s in data["per_state"]],
               "per_sikap": [{**s, "nilai_teks": rupiah(s["nilai"])} for s in data["per_sikap"]]}
    metadata = desk.metadata_factory(title=title, author=desk.office["name"],
                                     subject="Laporan gratifikasi kepada Inspektorat",
                                     document_type="laporan_gratifikasi", issue_date=desk.today(),
                                     office=desk.office["name"])
    return desk.renderer.render("laporan_gratifikasi/document.html", context, paper="A4",
                                metadata=metadata).pdf


def open_query(workflow: Workflow) -> Select:
    """Declarations whose review is not finished (no state tagged `closed`), oldest first:
    what the Camat and the UPG officer review next."""
    closed = sorted(state for state in workflow.states if workflow.state_is(state, CLOSED))
    return select(Gratifikasi).where(Gratifikasi.state.not_in(closed)).order_by(Gratifikasi.id)


def late_query(since: dt.date) -> Select:
    """Declarations reported after the deadline (REPORT_RULE and its legal source), since
    a date, newest first: the Auditor's flags."""
    return (select(Gratifikasi).where(Gratifikasi.terlambat.is_(True), Gratifikasi.tanggal_lapor >= since)
            .order_by(Gratifikasi.id.desc()))
