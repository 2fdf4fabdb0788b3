"""The gratification register's screens: declare, list, read, review, the period report."""

from __future__ import annotations

import io

from flask import redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from records.exceptions import RecordsError, ValidationError
from records.extensions import db, lemari
from records.gratifikasi import services as gratifikasi
from records.models import Layanan
from records.services.clock import clock
from records.views.common import flash_outcome
from records.web_common import current_actor, tz

FIELDS = ("uraian", "pemberi", "hubungan", "nilai", "tanggal", "tempat", "sikap", "layanan",
          "kode_lacak")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class GratifikasiView(BaseView):
    """/gratifikasi/: one's own declarations (all of them for the Camat, UPG and Auditor)."""

    route_base = "/gratifikasi"
    default_view = "list"
    class_permission_name = "Gratifikasi"
    method_permission_name = {"list": "list", "show": "list", "new": "declare",
                              "transition": "review", "report": "report"}

    @expose("/")
    @has_access
    def list(self):
        registry = lemari().registry
        state = request.args.get("status", "")
        rows = gratifikasi.list_declarations(actor=current_actor(), session=db.session,
                                             registry=registry, state=state)
        today = clock(tz())[1]
        quarter = f"{today.year}-T{(today.month - 1) // 3 + 1}"
        return self.render_template("lemari/gratifikasi_list.html", rows=rows, state=state,
                                    workflow=registry.workflows[gratifikasi.WORKFLOW],
                                    rupiah=gratifikasi.rupiah, sikap=gratifikasi.SIKAP,
                                    semua=gratifikasi.reads_all(current_actor(), registry),
                                    quarter=quarter, year=today.year)

    def _form(self, status: int = 200, values: dict | None = None, errors: dict | None = None):
        services = db.session.scalars(select(Layanan).order_by(Layanan.nama)).all()
        page = self.render_template("lemari/gratifikasi_form.html", values=values or {},
                                    errors=errors or {}, services=services, sikap=gratifikasi.SIKAP,
                                    rule=gratifikasi.REPORT_RULE, today=clock(tz())[1])
        return page, status

    @expose("/baru", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "GET":
            return self._form()
        values = {key: request.form.get(key, "") for key in FIELDS}
        try:
            row = gratifikasi.declare(values, actor=current_actor(), session=db.session,
                                      registry=lemari().registry, tz=tz())
        except ValidationError as exc:
            db.session.rollback()
            return self._form(422, values, exc.errors or {"": str(exc)})
        except RecordsError as exc:
            db.session.rollback()
            return self._form(exc.http_status, values, {"": str(exc)})
        return redirect(url_for("GratifikasiView.show", declaration_id=row.id, baru=1))

    @expose("/<int:declaration_id>")
    @has_access
    def show(self, declaration_id):
        registry = lemari().registry
        actor = current_actor()
        row = gratifikasi.get_declaration(declaration_id, actor=actor, session=db.session,
                                          registry=registry)
        workflow = registry.workflows[gratifikasi.WORKFLOW]
        actions = (workflow.available(row.state, actor.roles)
                   if actor.can("gratifikasi.review") and row.pelapor != actor.username else [])
        return self.render_template("lemari/gratifikasi_show.html", item=row, workflow=workflow,
                                    actions=actions, rupiah=gratifikasi.rupiah,
                                    sikap=gratifikasi.SIKAP, fresh=bool(request.args.get("baru")))

    @expose("/<int:declaration_id>/langkah/<name>", methods=["POST"])
    @has_access
    def transition(self, declaration_id, name):
        flash_outcome(lambda: gratifikasi.fire(
            declaration_id, name, note=request.form.get("note", ""), actor=current_actor(),
            session=db.session, registry=lemari().registry, tz=tz()), _("Laporan gratifikasi diperbarui."))
        return redirect(url_for("GratifikasiView.show", declaration_id=declaration_id))

    @expose("/laporan")
    @has_access
    def report(self):
        period = request.args.get("periode", "")[:16]
        kind = request.args.get("format", "pdf")
        actor, desk = current_actor(), lemari().desk()
        try:
            if kind == "xlsx":
                data = gratifikasi.report_xlsx(gratifikasi.report(
                    period, actor=actor, session=db.session, registry=desk.registry))
                mimetype, suffix = XLSX, "xlsx"
            else:
                data = gratifikasi.report_pdf(period, actor=actor, session=db.session, desk=desk)
                mimetype, suffix = "application/pdf", "pdf"
        except RecordsError as exc:
            db.session.rollback()
            return self.render_template("lemari/gratifikasi_error.html", message=str(exc)), exc.http_status
        return send_file(io.BytesIO(data), mimetype=mimetype,
                         download_name=f"laporan-gratifikasi-{period.strip().upper()}.{suffix}")


def register(appbuilder) -> None:
    from records.gratifikasi.api import GratifikasiApi

    menus = lemari().menu_permissions
    appbuilder.add_view(GratifikasiView, "Gratifikasi", label=_l("Register Gratifikasi"),
                        category="Pengawasan", category_label=_l("Pengawasan"))
    menus["Gratifikasi"] = frozenset({"gratifikasi.list"})
    menus["Pengawasan"] = menus.get("Pengawasan", frozenset()) | {"gratifikasi.list"}
    appbuilder.add_api(GratifikasiApi)
