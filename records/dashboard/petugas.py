"""Per-officer service statistics for the office's recognition scheme (penghargaan petugas).

One row per officer (petugas: the account that served) for one office-local month. What each
number counts, and why the ranking is what it is, is written for the Camat in
docs/penghargaan-petugas.md; in short:

* tiket        queue tickets the officer finished (the `selesai` event of the call log) that
               month; service minutes run from the ticket's last call to its finish;
               median and p90 (nearest rank) of those minutes. Shown, never scored.
* permohonan   requests (records with a service) the officer took in (the first step of the
               record's workflow history) and received that month; completion is the first
               step into a state whose workflow tags it complete (`ready` / `handed_over`,
               read from the declaration as the dashboard does); `tepat waktu` = completed
               on or before the promised date, `terlambat` = completed after it or still open
               past it; refused or revoked requests (tagged `closed`) and those still open
               within their date are not decided yet and count in neither.
* survei       IKM (PermenPANRB 14/2017) of the responses given that month about requests the
               officer handed over (the step into a state tagged `handed_over`).
* pengaduan    complaints received that month that name a service the officer served that
               month; context only, never scored (a complaint names a service, not a person).

The score (skor) weighs on-time completion and satisfaction equally:
``0.5 × % tepat waktu + 0.5 × IKM (konversi 25–100)``. Speed and volume are shown beside it
and never enter it. An officer with fewer than MIN_DECIDED decided requests or fewer than
MIN_SURVEYS survey responses is shown with "data belum cukup" and not ranked.

Only the actor's own row is returned to someone holding `dashboard.petugas_sendiri` without
`dashboard.petugas`, unranked (a clerk sees their own numbers, never colleagues').
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.antrian.models import DONE, Panggilan, Tiket
from records.dashboard.services import _requests, working_days_between
from records.declarations import HANDED_OVER, Registry
from records.exceptions import PermissionDeniedError
from records.models import HariLibur, Record, WorkflowStep
from records.models.outbox import RECORD
from records.pengaduan.models import Pengaduan
from records.pengaduan.services import SENSITIVE, sees_sensitive
from records.services.clock import clock, local_day_bounds, local_time, month_bounds
from records.services.issuing import Desk, officer_block
from records.services.lacak import NOT_OVERDUE, state_means_any
from records.services.records import in_tagged_state
from records.spreadsheets import workbook_bytes
from records.survei.models import SurveiRespon
from records.survei.services import compute_index

#: Fewer decided requests than this: "data belum cukup", not ranked.
MIN_DECIDED = 10
#: Fewer survey responses than this: "data belum cukup", not ranked.
MIN_SURVEYS = 5
#: Weights of the score; they add up to 1 and say what the office rewards.
WEIGHT_ON_TIME, WEIGHT_IKM = 0.5, 0.5
#: Complaint categories about how a service was given (questions and suggestions are not).
COMPLAINT_CATEGORIES = frozenset({"keluhan", "pungli", "gratifikasi", "lainnya"})
NOT_ENOUGH = "data belum cukup"
HEADER = ("Peringkat", "Petugas", "Nama", "Tiket dilayani", "Median layanan (menit)",
          "P90 layanan (menit)", "Permohonan diterima", "Selesai", "Tepat waktu", "Terlambat",
          "% tepat waktu", "Median hari kerja", "Responden survei", "IKM (konversi)", "Mutu",
          "Pengaduan tentang layanannya", "Skor", "Keterangan")


@dataclass
class OfficerRow:
    """One officer's numbers for the month."""

    username: str
    nama: str = ""
    tiket: int = 0
    median_menit: float | None = None
    p90_menit: float | None = None
    permohonan: int = 0
    selesai: int = 0
    tepat_waktu: int = 0
    terlambat: int = 0
    persen_tepat: float | None = None
    median_hari: float | None = None
    responden: int = 0
    ikm: float | None = None
    mutu: str = ""
    pengaduan: int = 0
    skor: float | None = None
    peringkat: int | None = None
    keterangan: str = ""
    _minutes: list = field(default_factory=list, repr=False)
    _days: list = field(default_factory=list, repr=False)
    _surveys: list = field(default_factory=list, repr=False)
    _services: set = field(default_factory=set, repr=False)

    @property
    def decided(self) -> int:
        return self.tepat_waktu + self.terlambat

    def row(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (the value at rank ⌈share × n⌉ of the sorted values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def score(on_time_percent: float, ikm_conversion: float) -> float:
    """The recognition score: on-time completion and satisfaction, equally weighed."""
    return round(WEIGHT_ON_TIME * on_time_percent + WEIGHT_IKM * ikm_conversion, 1)


def may_see_all(actor: Actor) -> bool:
    """Whether the actor sees every officer (Camat, Sekcam, Admin)."""
    return actor.can("dashboard.petugas")


def officer_statistics(year: int, month: int, *, actor: Actor, session: Session,
                       registry: Registry, tz: str, own_only: bool = False) -> dict:
    """The month's rows, ranked by score (eligible officers first), then the rest by name;
    only the actor's own row, unranked, when they may not see everyone or ask for `own_only`."""
    everyone = may_see_all(actor) and not own_only
    if not (may_see_all(actor) or actor.can("dashboard.petugas_sendiri")):
        raise PermissionDeniedError("Anda tidak berwenang (dashboard.petugas).")
    first, last = month_bounds(year, month)
    start, end = local_day_bounds(tz, first, last)
    rows: dict[str, OfficerRow] = {}

    def of(username: str) -> OfficerRow:
        return rows.setdefault(username, OfficerRow(username))

    _count_tickets(session, first, last, of)
    _count_requests(session, registry, start, end, tz, of)
    _count_surveys(session, registry, first, last, of)
    _count_complaints(session, first, last, rows, actor, registry)
    names = _names(session, list(rows))
    for officer in rows.values():
        _close(officer, names.get(officer.username, ""))
    ranked = rank(list(rows.values()))
    if not everyone:
        ranked = [r for r in ranked if r.username == actor.username]
        for officer in ranked:
            officer.peringkat = None
    _, today = clock(tz)
    return {"year": year, "month": month, "first": first, "last": last, "rows": ranked,
            "semua": everyone, "min_decided": MIN_DECIDED, "min_surveys": MIN_SURVEYS,
            "made_on": today}


def rank(rows: list[OfficerRow]) -> list[OfficerRow]:
    """Eligible officers by score, then IKM, then on-time share (never speed or volume);
    the others after them by username, without a rank."""
    eligible = [r for r in rows if r.skor is not None]
    eligible.sort(key=lambda r: (-(r.skor or 0), -(r.ikm or 0), -(r.persen_tepat or 0), r.username))
    for place, officer in enumerate(eligible, start=1):
        officer.peringkat = place
    rest = sorted((r for r in rows if r.skor is None), key=lambda r: r.username)
    return eligible + rest


def _close(officer: OfficerRow, nama: str) -> None:
    officer.nama = nama
    if officer._minutes:
        officer.median_menit = round(float(statistics.median(officer._minutes)), 1)
        officer.p90_menit = round(float(percentile(officer._minutes, 0.9) or 0), 1)
    if officer._days:
        officer.median_hari = round(float(statistics.median(officer._days)), 1)
    if officer.decided:
        officer.persen_tepat = round(100 * officer.tepat_waktu / officer.decided, 1)
    index = compute_index(officer._surveys)
    if index is not None:
        officer.responden, officer.mutu = index.respondents, index.mutu
        officer.ikm = round(index.conversion, 2)
    missing = []
    if officer.decided < MIN_DECIDED:
        missing.append(f"{officer.decided} permohonan terukur (minimal {MIN_DECIDED})")
    if officer.responden < MIN_SURVEYS:
        missing.append(f"{officer.responden} responden survei (minimal {MIN_SURVEYS})")
    if missing:
        officer.keterangan = f"{NOT_ENOUGH}: " + "; ".join(missing)
    elif officer.persen_tepat is not None and officer.ikm is not None:
        officer.skor = score(officer.persen_tepat, officer.ikm)


def _count_tickets(session: Session, first: dt.date, last: dt.date, of) -> None:
    """Tickets finished that month, each to the officer who logged its finish."""
    finish = (select(Panggilan.tiket_id, func.max(Panggilan.id).label("id"))
              .where(Panggilan.tanggal.between(first, last), Panggilan.jenis == "selesai")
              .group_by(Panggilan.tiket_id).subquery())
    query = (select(Tiket, Panggilan.petugas)
             .join(finish, finish.c.tiket_id == Tiket.id)
             .join(Panggilan, Panggilan.id == finish.c.id)
             .where(Tiket.status == DONE))
    for ticket, username in session.execute(query):
        officer = of(username)
        officer.tiket += 1
        officer._services.add(ticket.layanan_code)
        if ticket.called_at is not None and ticket.finished_at is not None:
            officer._minutes.append(max(0.0, (ticket.finished_at - ticket.called_at).total_seconds() / 60))


def _count_requests(session: Session, registry: Registry, start: dt.datetime, end: dt.datetime,
                    tz: str, of) -> None:
    """Requests received that month, each to the officer who took it in."""
    _, today = clock(tz)
    holidays = set(session.scalars(select(HariLibur.tanggal)))
    records = _requests(session, registry, start, end)
    # the creation step is what `_requests` calls received, so the same window finds it
    intake = dict(session.execute(
        select(WorkflowStep.subject_id, WorkflowStep.actor)
        .where(WorkflowStep.subject == RECORD, WorkflowStep.from_state.is_(None),
               WorkflowStep.at >= start, WorkflowStep.at < end)).all())
    for record, received, completed in records:
        officer = of(intake.get(record.id) or record.created_by)
        officer.permohonan += 1
        officer._services.add(record.layanan_code)
        received_on = local_time(tz, received).date()
        done_on = local_time(tz, completed).date() if completed else None
        if done_on is not None:
            officer.selesai += 1
            officer._days.append(working_days_between(received_on, done_on, holidays))
        promised = record.promised_date
        if promised is None:
            continue
        if done_on is not None:
            if done_on <= promised:
                officer.tepat_waktu += 1
            else:
                officer.terlambat += 1
        elif not state_means_any(registry, record.doctype, record.state, NOT_OVERDUE) and today > promised:
            officer.terlambat += 1


def _count_surveys(session: Session, registry: Registry, first: dt.date, last: dt.date, of) -> None:
    """Survey responses of the month, each to the officer who handed the product over."""
    handed = (select(WorkflowStep.subject_id, func.min(WorkflowStep.id).label("id"))
              .join(Record, Record.id == WorkflowStep.subject_id)
              .where(WorkflowStep.subject == RECORD,
                     in_tagged_state(registry, HANDED_OVER, state=WorkflowStep.to_state))
              .group_by(WorkflowStep.subject_id).subquery())
    query = (select(SurveiRespon, WorkflowStep.actor)
             .join(handed, handed.c.subject_id == SurveiRespon.record_id)
             .join(WorkflowStep, WorkflowStep.id == handed.c.id)
             .where(SurveiRespon.tanggal.between(first, last)))
    for response, username in session.execute(query):
        of(username)._surveys.append(response)


def _count_complaints(session: Session, first: dt.date, last: dt.date, rows: dict,
                      actor: Actor, registry: Registry) -> None:
    """Complaints of the month about a service each officer served (sensitive categories only
    for those who may see them)."""
    categories = set(COMPLAINT_CATEGORIES)
    if not (actor.can("pengaduan.read") and sees_sensitive(actor, registry)):
        categories -= SENSITIVE
    per_service = dict(session.execute(
        select(Pengaduan.layanan_code, func.count())
        .where(and_(Pengaduan.tanggal.between(first, last), Pengaduan.layanan_code.is_not(None),
                    Pengaduan.kategori.in_(sorted(categories))))
        .group_by(Pengaduan.layanan_code)).all())
    for officer in rows.values():
        officer.pengaduan = sum(per_service.get(code, 0) for code in officer._services)


def _names(session: Session, usernames: list[str]) -> dict[str, str]:
    """Names as printed on receipts (Pejabat entry, else the account's full name); the login
    name when neither has one."""
    return {u: ((officer_block(session, u) or {}).get("nama") or u) for u in usernames}


def _table(stats: dict) -> list[list]:
    return [[r.peringkat or "", r.username, r.nama, r.tiket, r.median_menit, r.p90_menit,
             r.permohonan, r.selesai, r.tepat_waktu, r.terlambat, r.persen_tepat, r.median_hari,
             r.responden, r.ikm, r.mutu, r.pengaduan, r.skor, r.keterangan] for r in stats["rows"]]


def export_xlsx(stats: dict) -> bytes:
    """The month's rows as XLSX (one sheet)."""
    rows = [["" if v is None else v for v in row] for row in _table(stats)]
    return workbook_bytes([(f"Petugas {stats['first']:%m-%Y}", HEADER, rows)])


def report_pdf(year: int, month: int, *, actor: Actor, session: Session, desk: Desk, tz: str,
               own_only: bool = False) -> bytes:
    """The month's recognition report as a PDF (what the actor may see)."""
    stats = officer_statistics(year, month, actor=actor, session=session, registry=desk.registry, tz=tz,
                               own_only=own_only)
    title = f"Laporan Kinerja Petugas {stats['first']:%m/%Y}"
    context = {"title": title, "office": desk.office, "first": stats["first"], "last": stats["last"],
               "rows": [r.row() for r in stats["rows"]], "semua": stats["semua"],
               "min_decided": MIN_DECIDED, "min_surveys": MIN_SURVEYS,
               "weights": (WEIGHT_ON_TIME, WEIGHT_IKM), "made_on": desk.today(),
               "made_by": actor.username}
    metadata = desk.metadata_factory(title=title, author=desk.office["name"],
                                     subject="Laporan bulanan kinerja petugas (penghargaan)",
                                     document_type="laporan_petugas", issue_date=desk.today(),
                                     office=desk.office["name"])
    return desk.renderer.render("laporan_petugas/document.html", context, paper="A4",
                                metadata=metadata).pdf
