"""Service levels (dashboard): per service and per desa, for a period of office-local days.

* received   requests (records with a service) opened in the period;
* completed  those that reached a complete state (tagged `ready` or `handed_over` in their
             workflow: terbit, siap_diambil, diserahkan in the built-in ones);
* overdue    completed after the promised date, or still open past it (refused and revoked
             requests are closed, not overdue);
* median     working days from receipt to completion (weekends and office holidays skipped);
* waiting    minutes from taking a queue ticket to its first call, for the period's tickets
             (per desa through the request the ticket became);
* power cuts the outages the UPS carried the office through (records/daya), each beside the
             day it fell on with that day's requests received and how many of them ran late.

Only aggregates leave this module: no names or NIKs, so the exports need no masking.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.antrian.models import Tiket
from records.calendar_id import is_working_day
from records.charts import bar_chart
from records.daya.services import outages_by_day
from records.declarations import Registry
from records.models import HariLibur, Layanan, Record, Wilayah, WorkflowStep
from records.models.outbox import RECORD
from records.services.clock import clock, local_day_bounds, local_time, month_bounds
from records.services.issuing import Desk
from records.services.lacak import COMPLETE, NOT_OVERDUE, state_means_any
from records.services.records import in_tagged_state
from records.spreadsheets import workbook_bytes
from records.survei.services import monthly_index

NO_DESA = "(tanpa desa)"
HEADER = ("Kelompok", "Nama", "Diterima", "Selesai", "Tepat waktu", "Terlambat", "Masih proses",
          "Median hari kerja", "Tiket antrian", "Median tunggu (menit)")


@dataclass
class Level:
    """The numbers of one service, one desa, or the total."""

    key: str
    nama: str
    diterima: int = 0
    selesai: int = 0
    tepat_waktu: int = 0
    terlambat: int = 0
    proses: int = 0
    median_hari: float | None = None
    tiket: int = 0
    median_tunggu: float | None = None
    _days: list = field(default_factory=list, repr=False)
    _waits: list = field(default_factory=list, repr=False)

    def close(self) -> Level:
        self.median_hari = _median(self._days)
        self.median_tunggu = _median(self._waits)
        return self

    def row(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


def _median(values: list) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def working_days_between(start: dt.date, end: dt.date, holidays: set[dt.date]) -> int:
    """Working days after `start` up to and including `end` (same day: 0)."""
    days, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        days += is_working_day(current, holidays)
    return days


def service_levels(first: dt.date, last: dt.date, *, actor: Actor, session: Session,
                   registry: Registry, tz: str) -> dict:
    """Levels per service, per desa and in total for the local days first … last."""
    actor.require("dashboard.read")
    start, end = local_day_bounds(tz, first, last)
    _, today = clock(tz)
    holidays = set(session.scalars(select(HariLibur.tanggal)))
    services = dict(session.execute(select(Layanan.code, Layanan.nama)).all())
    desa = dict(session.execute(select(Wilayah.code, Wilayah.name).where(Wilayah.level == "desa")).all())
    by_service = {code: Level(code, name) for code, name in services.items()}
    by_desa: dict[str, Level] = {}
    total = Level("total", "Jumlah")
    per_day: dict[dt.date, list[int]] = {}
    for record, received, completed in _requests(session, registry, start, end):
        groups = (by_service.setdefault(record.layanan_code, Level(record.layanan_code, record.layanan_code)),
                  _desa_level(by_desa, record.desa_code, desa), total)
        closed = state_means_any(registry, record.doctype, record.state, NOT_OVERDUE)
        received_day = local_time(tz, received).date()
        late = _count(groups, record, received_day,
                      local_time(tz, completed).date() if completed else None, today, holidays,
                      closed=closed)
        day = per_day.setdefault(received_day, [0, 0])
        day[0] += 1
        day[1] += late
    for ticket, desa_code in _tickets(session, first, last):
        wait = ((ticket.first_called_at - ticket.created_at).total_seconds() / 60
                if ticket.first_called_at else None)
        service = by_service.setdefault(ticket.layanan_code, Level(ticket.layanan_code, ticket.layanan_code))
        ticket_levels = [service, total]
        if desa_code is not None:
            ticket_levels.append(_desa_level(by_desa, desa_code, desa))
        for level in ticket_levels:
            level.tiket += 1
            if wait is not None:
                level._waits.append(wait)
    per_service = [lv.close() for lv in by_service.values() if lv.diterima or lv.tiket]
    per_desa = sorted((lv.close() for lv in by_desa.values()), key=lambda lv: lv.nama)
    return {"first": first, "last": last, "per_layanan": sorted(per_service, key=lambda lv: lv.nama),
            "per_desa": per_desa, "total": total.close(),
            "padam": _outage_days(session, first, last, tz, per_day)}


def _outage_days(session: Session, first: dt.date, last: dt.date, tz: str,
                 per_day: dict[dt.date, list[int]]) -> list[dict]:
    """The days with a power cut, each with its outages and that day's requests (received,
    of which late): what the cut may have delayed."""
    days = []
    for day, outages in sorted(outages_by_day(session, first, last, tz).items()):
        received, late = per_day.get(day, [0, 0])
        days.append({"tanggal": day, "padam": outages, "diterima": received, "terlambat": late,
                     "menit": sum(o["menit"] for o in outages)})
    return days


def _desa_level(by_desa: dict, code: str | None, names: dict) -> Level:
    key = code or ""
    if key not in by_desa:
        by_desa[key] = Level(key, names.get(code, NO_DESA) if code else NO_DESA)
    return by_desa[key]


def _requests(session: Session, registry: Registry, start: dt.datetime, end: dt.datetime):
    """(record, received at, first completion at) of requests opened in [start, end)."""
    steps = select(WorkflowStep.subject_id.label("record_id"), func.min(WorkflowStep.at).label("at")) \
        .where(WorkflowStep.subject == RECORD).group_by(WorkflowStep.subject_id)
    received = steps.where(WorkflowStep.from_state.is_(None)).subquery()
    completed = (steps.join(Record, Record.id == WorkflowStep.subject_id)
                 .where(in_tagged_state(registry, *COMPLETE, state=WorkflowStep.to_state))
                 .subquery())
    query = (select(Record, received.c.at, completed.c.at)
             .join(received, received.c.record_id == Record.id)
             .outerjoin(completed, completed.c.record_id == Record.id)
             .where(Record.layanan_code.is_not(None), received.c.at >= start, received.c.at < end))
    return session.execute(query).all()


def _tickets(session: Session, first: dt.date, last: dt.date):
    query = (select(Tiket, Record.desa_code).outerjoin(Record, Record.id == Tiket.record_id)
             .where(Tiket.tanggal.between(first, last)))
    return session.execute(query).all()


def _count(groups, record: Record, received: dt.date, completed: dt.date | None, today: dt.date,
           holidays: set[dt.date], *, closed: bool) -> bool:
    """Count one request; `closed`: its state is complete or closed (never overdue, never
    in progress). Returns whether it is late."""
    promised = record.promised_date
    late = (completed is not None and promised is not None and completed > promised) or \
        (completed is None and not closed and promised is not None and today > promised)
    for level in groups:
        level.diterima += 1
        if completed is not None:
            level.selesai += 1
            level.tepat_waktu += not late
            level._days.append(working_days_between(received, completed, holidays))
        elif not closed:
            level.proses += 1
        level.terlambat += late
    return late


def charts(levels: dict) -> dict[str, str]:
    """The dashboard's three charts as SVG text."""
    services, desa = levels["per_layanan"], levels["per_desa"]
    return {
        "layanan": bar_chart("Permohonan per layanan", [lv.nama for lv in services],
                             [("Diterima", [lv.diterima for lv in services]),
                              ("Selesai", [lv.selesai for lv in services]),
                              ("Terlambat", [lv.terlambat for lv in services])]),
        "desa": bar_chart("Permohonan per desa", [lv.nama for lv in desa],
                          [("Diterima", [lv.diterima for lv in desa]),
                           ("Selesai", [lv.selesai for lv in desa]),
                           ("Terlambat", [lv.terlambat for lv in desa])]),
        "tunggu": bar_chart("Median waktu tunggu antrian (menit)", [lv.nama for lv in services],
                            [("Menit", [lv.median_tunggu for lv in services])], unit=" mnt"),
    }


def _table(levels: dict) -> list[list]:
    rows = []
    for group, items in (("Layanan", levels["per_layanan"]), ("Desa", levels["per_desa"]),
                         ("Jumlah", [levels["total"]])):
        for lv in items:
            rows.append([group, lv.nama, lv.diterima, lv.selesai, lv.tepat_waktu, lv.terlambat,
                         lv.proses, lv.median_hari, lv.tiket, lv.median_tunggu])
    return rows


def export_csv(levels: dict) -> bytes:
    """The levels as CSV (UTF-8 with BOM and ';', what Excel on an Indonesian PC opens)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(["" if v is None else v for v in row] for row in _table(levels))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(levels: dict) -> bytes:
    """The levels as XLSX: one sheet per service, desa and total."""
    rows = _table(levels)
    return workbook_bytes([(name, HEADER[1:], [r[1:] for r in rows if r[0] == group])
                           for name, group in (("Per layanan", "Layanan"), ("Per desa", "Desa"),
                                               ("Jumlah", "Jumlah"))])


def monthly_report_pdf(year: int, month: int, *, actor: Actor, session: Session, desk: Desk,
                       tz: str) -> bytes:
    """The month's service-level report with its charts and the IKM, as a PDF."""
    first, last = month_bounds(year, month)
    levels = service_levels(first, last, actor=actor, session=session, registry=desk.registry,
                            tz=tz)
    ikm = monthly_index(year, month, actor=actor, session=session) if actor.can("survei.read") else None
    context = {"title": f"Laporan Kinerja Pelayanan {first:%m/%Y}", "office": desk.office,
               "first": first, "last": last, "charts": charts(levels),
               "per_layanan": [lv.row() for lv in levels["per_layanan"]],
               "per_desa": [lv.row() for lv in levels["per_desa"]], "total": levels["total"].row(),
               "ikm": _ikm_context(ikm), "made_on": desk.today(), "made_by": actor.username}
    metadata = desk.metadata_factory(title=f"Laporan Kinerja Pelayanan {first:%m/%Y}",
                                     author=desk.office["name"], subject="Laporan bulanan pelayanan",
                                     document_type="laporan_layanan", issue_date=desk.today(),
                                     office=desk.office["name"])
    return desk.renderer.render("laporan_layanan/document.html", context, paper="A4",
                                metadata=metadata).pdf


def _ikm_context(ikm: dict | None) -> dict | None:
    """Plain values for the render worker (which receives the context pickled)."""
    if ikm is None:
        return None
    return {"unsur": [u.name for u in ikm["unsur"]], "total": _index(ikm["total"]),
            "per_service": [{"nama": s["nama"], "index": _index(s["index"])} for s in ikm["per_service"]]}


def _index(index) -> dict | None:
    return None if index is None else asdict(index)
