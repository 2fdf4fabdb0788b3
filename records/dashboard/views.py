"""/dasbor: service levels per service and desa, with SVG charts, CSV/XLSX export, PDF report."""

from __future__ import annotations

import datetime as dt
import io

from flask import abort, request, send_file
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from records.dashboard import petugas as kinerja
from records.dashboard import services as dashboard
from records.extensions import db, lemari
from records.pengaduan.views import parse_month
from records.services.clock import clock
from records.web_common import current_actor, tz

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period() -> tuple[dt.date, dt.date]:
    """?dari=YYYY-MM-DD&sampai=YYYY-MM-DD, this month by default; 400 when malformed."""
    today = clock(tz())[1]
    try:
        first = dt.date.fromisoformat(request.args.get("dari") or today.replace(day=1).isoformat())
        last = dt.date.fromisoformat(request.args.get("sampai") or today.isoformat())
    except ValueError:
        abort(400)
    if last < first or (last - first).days > 366:
        abort(400)
    return first, last


class DashboardView(BaseView):
    route_base = "/dasbor"
    default_view = "index"
    class_permission_name = "Dashboard"
    method_permission_name = {"index": "read", "export_csv": "read", "export_xlsx": "read",
                              "report": "read"}

    def _levels(self):
        first, last = period()
        return dashboard.service_levels(first, last, actor=current_actor(), session=db.session,
                                        registry=lemari().registry, tz=tz())

    @expose("/")
    @has_access
    def index(self):
        levels = self._levels()
        charts = {k: Markup(v) for k, v in dashboard.charts(levels).items()}  # built from escaped text
        return self.render_template("lemari/dashboard.html", levels=levels, charts=charts,
                                    query=request.query_string.decode("ascii", "replace"),
                                    month=levels["first"].strftime("%Y-%m"))

    @expose("/ekspor.csv")
    @has_access
    def export_csv(self):
        levels = self._levels()
        return send_file(io.BytesIO(dashboard.export_csv(levels)), mimetype="text/csv",
                         download_name=f"kinerja-{levels['first']}-{levels['last']}.csv")

    @expose("/ekspor.xlsx")
    @has_access
    def export_xlsx(self):
        levels = self._levels()
        return send_file(io.BytesIO(dashboard.export_xlsx(levels)), mimetype=XLSX,
                         download_name=f"kinerja-{levels['first']}-{levels['last']}.xlsx")

    @expose("/laporan")
    @has_access
    def report(self):
        year, month = parse_month(request.args.get("bulan", ""), tz())
        data = dashboard.monthly_report_pdf(year, month, actor=current_actor(), session=db.session,
                                            desk=lemari().desk(), tz=tz())
        return send_file(io.BytesIO(data), mimetype="application/pdf",
                         download_name=f"laporan-pelayanan-{year}-{month:02d}.pdf")


class KinerjaPetugasView(BaseView):
    """/dasbor/petugas: per-officer numbers of a month for the recognition scheme; a clerk's
    own row at /dasbor/petugas/saya."""

    route_base = "/dasbor/petugas"
    default_view = "index"
    class_permission_name = "Dashboard"
    method_permission_name = {"index": "petugas", "export_xlsx": "petugas", "report": "petugas",
                              "mine": "petugas_sendiri", "my_report": "petugas_sendiri"}

    def _page(self, own_only: bool = False):
        year, month = parse_month(request.args.get("bulan", ""), tz())
        stats = kinerja.officer_statistics(year, month, actor=current_actor(), session=db.session,
                                           registry=lemari().registry, tz=tz(), own_only=own_only)
        return self.render_template("lemari/dashboard_petugas.html", stats=stats,
                                    month=f"{year}-{month:02d}")

    def _pdf(self, own_only: bool = False):
        year, month = parse_month(request.args.get("bulan", ""), tz())
        data = kinerja.report_pdf(year, month, actor=current_actor(), session=db.session,
                                  desk=lemari().desk(), tz=tz(), own_only=own_only)
        return send_file(io.BytesIO(data), mimetype="application/pdf",
                         download_name=f"kinerja-petugas-{year}-{month:02d}.pdf")

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/saya")
    @has_access
    def mine(self):
        return self._page(own_only=True)

    @expose("/ekspor.xlsx")
    @has_access
    def export_xlsx(self):
        year, month = parse_month(request.args.get("bulan", ""), tz())
        stats = kinerja.officer_statistics(year, month, actor=current_actor(), session=db.session,
                                           registry=lemari().registry, tz=tz())
        return send_file(io.BytesIO(kinerja.export_xlsx(stats)), mimetype=XLSX,
                         download_name=f"kinerja-petugas-{year}-{month:02d}.xlsx")

    @expose("/laporan")
    @has_access
    def report(self):
        return self._pdf()

    @expose("/saya/laporan")
    @has_access
    def my_report(self):
        return self._pdf(own_only=True)


def register(appbuilder) -> None:
    menus = lemari().menu_permissions
    appbuilder.add_view(DashboardView, "Dasbor Pelayanan", label=_l("Dasbor Kinerja Pelayanan"),
                        category="Pengawasan", category_label=_l("Pengawasan"))
    menus["Dasbor Pelayanan"] = frozenset({"dashboard.read"})
    menus["Pengawasan"] = menus.get("Pengawasan", frozenset()) | {"dashboard.read"}
    appbuilder.add_view_no_menu(KinerjaPetugasView)
    appbuilder.add_link("Kinerja Petugas", label=_l("Kinerja Petugas"), href="/dasbor/petugas/",
                        category="Pengawasan")
    appbuilder.add_link("Kinerja Saya", label=_l("Kinerja Saya"), href="/dasbor/petugas/saya",
                        category="Pengawasan")
    menus["Kinerja Petugas"] = frozenset({"dashboard.petugas"})
    menus["Kinerja Saya"] = frozenset({"dashboard.petugas_sendiri"})
    menus["Pengawasan"] |= {"dashboard.petugas", "dashboard.petugas_sendiri"}
