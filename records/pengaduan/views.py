"""Complaints: the public form and tracking (no login) and the office's complaint desk."""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, abort, current_app, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from records.exceptions import RecordsError, ValidationError
from records.extensions import db, lemari
from records.models import Layanan
from records.pengaduan import services as pengaduan
from records.services.clock import clock
from records.services.public_guard import form_token
from records.views.common import flash_outcome
from records.web_common import client, current_actor, public_page, tz

public = Blueprint("pengaduan_public", __name__)
FIELDS = ("kategori", "layanan", "judul", "isi", "nama", "kontak")


def _form(status: int = 200, values: dict | None = None, errors: dict | None = None):
    secret = current_app.config["SECRET_KEY"]
    services = db.session.scalars(select(Layanan).order_by(Layanan.nama)).all()
    return public_page("lemari/pengaduan_form.html", status, categories=pengaduan.CATEGORIES,
                       services=services, values=values or {}, errors=errors or {},
                       token=form_token(secret, clock(tz())[0]), max_text=pengaduan.MAX_TEXT)


@public.route("/pengaduan", methods=["GET", "POST"])
def form():
    """Write a complaint, question or suggestion; no account needed."""
    if request.method == "GET":
        return _form()
    values = {key: request.form.get(key, "") for key in FIELDS}
    try:
        complaint = pengaduan.submit(values, client=client(), token=request.form.get("tanda", ""),
                                     honeypot=request.form.get("situs", ""), session=db.session,
                                     secret=current_app.config["SECRET_KEY"], tz=tz(),
                                     limit=lemari().settings["PENGADUAN_PER_HOUR"])
    except ValidationError as exc:
        db.session.rollback()
        values["isi"] = values["isi"][:pengaduan.MAX_TEXT]
        return _form(422, values, exc.errors or {"": str(exc)})
    except RecordsError as exc:
        db.session.rollback()
        values["isi"] = values["isi"][:pengaduan.MAX_TEXT]
        return _form(exc.http_status, values, {"": str(exc)})
    return redirect(url_for("pengaduan_public.track_link", code=complaint.tracking_code, baru=1))


@public.route("/pengaduan/lacak")
def track_form():
    code = request.args.get("kode", "")[:64]
    if not code.strip():
        return public_page("lemari/pengaduan_track.html", result=None, code="")
    return _track(code)


@public.route("/pengaduan/lacak/<code>")
def track_link(code: str):
    return _track(code[:64])


def _track(code: str):
    try:
        result = pengaduan.track(code, session=db.session, tz=tz())
    except RecordsError as exc:
        return public_page("lemari/pengaduan_track.html", exc.http_status, result=None, code=code,
                           error=str(exc))
    return public_page("lemari/pengaduan_track.html", result=result, code=result["code"],
                       fresh=bool(request.args.get("baru")))


class PengaduanView(BaseView):
    """The complaint desk: list, read, process, answer; the monthly report."""

    route_base = "/pengaduan/kelola"
    default_view = "list"
    class_permission_name = "Pengaduan"
    method_permission_name = {"list": "read", "show": "read", "transition": "respond",
                              "report": "report"}

    @expose("/")
    @has_access
    def list(self):
        state, kategori = request.args.get("status", ""), request.args.get("kategori", "")
        registry = lemari().registry
        rows = pengaduan.list_complaints(actor=current_actor(), session=db.session, registry=registry,
                                         state=state, kategori=kategori)
        today = clock(tz())[1]
        categories = {k: c for k, c in pengaduan.CATEGORIES.items()
                      if not c.sensitive or pengaduan.sees_sensitive(current_actor(), registry)}
        return self.render_template("lemari/pengaduan_list.html", rows=rows, today=today,
                                    categories=categories, all_categories=pengaduan.CATEGORIES,
                                    overdue=pengaduan.is_overdue, state=state, kategori=kategori,
                                    states=lemari().registry.workflows["pengaduan"].states,
                                    month=today.strftime("%Y-%m"))

    @expose("/<int:complaint_id>")
    @has_access
    def show(self, complaint_id):
        complaint = pengaduan.get_complaint(complaint_id, actor=current_actor(), session=db.session,
                                            registry=lemari().registry)
        workflow = lemari().registry.workflows["pengaduan"]
        actions = (workflow.available(complaint.state, current_actor().roles)
                   if current_actor().can("pengaduan.respond") else [])
        return self.render_template("lemari/pengaduan_show.html", c=complaint, workflow=workflow,
                                    actions=actions, category=pengaduan.CATEGORIES[complaint.kategori],
                                    overdue=pengaduan.is_overdue(complaint, clock(tz())[1]))

    @expose("/<int:complaint_id>/langkah/<name>", methods=["POST"])
    @has_access
    def transition(self, complaint_id, name):
        flash_outcome(lambda: pengaduan.fire(
            complaint_id, name, note=request.form.get("note", ""), actor=current_actor(),
            session=db.session, registry=lemari().registry, tz=tz()), _("Pengaduan diperbarui."))
        return redirect(url_for("PengaduanView.show", complaint_id=complaint_id))

    @expose("/laporan")
    @has_access
    def report(self):
        year, month = parse_month(request.args.get("bulan", ""), tz())
        data = pengaduan.report_pdf(year, month, actor=current_actor(), session=db.session,
                                    desk=lemari().desk(), tz=tz())
        return send_file(io.BytesIO(data), mimetype="application/pdf",
                         download_name=f"laporan-pengaduan-{year}-{month:02d}.pdf")


def parse_month(text: str, zone: str) -> tuple[int, int]:
    """YYYY-MM from a query string (this month when empty); 400 when malformed."""
    if not text:
        today = clock(zone)[1]
        return today.year, today.month
    try:
        day = dt.datetime.strptime(text, "%Y-%m")
    except ValueError:
        abort(400)
    return day.year, day.month


def register(appbuilder) -> None:
    menus = lemari().menu_permissions
    appbuilder.add_view(PengaduanView, "Pengaduan", label=_l("Pengaduan Masyarakat"), category="Pengawasan",
                        category_label=_l("Pengawasan"))
    menus["Pengaduan"] = frozenset({"pengaduan.read"})
    menus["Pengawasan"] = menus.get("Pengawasan", frozenset()) | {"pengaduan.read"}
