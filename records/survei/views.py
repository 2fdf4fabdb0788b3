"""The satisfaction survey: public form by tracking code, and the office's IKM results."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from records.exceptions import RecordsError, ValidationError
from records.extensions import db, lemari
from records.pengaduan.views import parse_month
from records.survei import services as survei
from records.web_common import current_actor, public_page, tz

public = Blueprint("survei_public", __name__)


@public.route("/survei")
def start():
    """Type the code from the receipt (or come from /lacak)."""
    code = request.args.get("kode", "")[:64]
    if code.strip():
        return redirect(url_for("survei_public.form", code=code.strip()))
    return public_page("lemari/survei_start.html", code="", error="")


@public.route("/survei/<code>", methods=["GET", "POST"])
def form(code: str):
    """The nine questions; one answer per handed-over request."""
    code = code[:64]
    try:
        record = survei.eligible_request(code, session=db.session, registry=lemari().registry)
    except RecordsError as exc:
        return public_page("lemari/survei_start.html", exc.http_status, code=code, error=str(exc))
    values, errors = request.form.to_dict(), {}
    if request.method == "POST":
        try:
            survei.submit(code, values, session=db.session, registry=lemari().registry, tz=tz())
            return public_page("lemari/survei_done.html")
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors or {"": str(exc)}
        except RecordsError as exc:
            db.session.rollback()
            return public_page("lemari/survei_start.html", exc.http_status, code=code, error=str(exc))
    return public_page("lemari/survei_form.html", 422 if errors else 200, code=record.tracking_code,
                       layanan=record.layanan.nama, unsur=survei.UNSUR, profile=survei.PROFILE,
                       values=values, errors=errors)


class SurveiView(BaseView):
    """IKM per service and month."""

    route_base = "/survei/hasil"
    default_view = "results"
    class_permission_name = "Survei"
    method_permission_name = {"results": "read"}

    @expose("/")
    @has_access
    def results(self):
        year, month = parse_month(request.args.get("bulan", ""), tz())
        data = survei.monthly_index(year, month, actor=current_actor(), session=db.session)
        return self.render_template("lemari/survei_results.html", data=data,
                                    month=f"{year}-{month:02d}", grades=survei.GRADES)


def register(appbuilder) -> None:
    menus = lemari().menu_permissions
    appbuilder.add_view(SurveiView, "Survei Kepuasan", label=_l("Survei Kepuasan (IKM)"),
                        category="Pengawasan", category_label=_l("Pengawasan"))
    menus["Survei Kepuasan"] = frozenset({"survei.read"})
    menus["Pengawasan"] = menus.get("Pengawasan", frozenset()) | {"survei.read"}
