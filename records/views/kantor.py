"""/pengaturan-kantor: the Admin's guided first-run setup (office, logo, public address, zone,
paper) and the signatories roster. The same services back `lemari setup`."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from records.desk import blob_store
from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.services import kantor, penandatangan
from records.web_common import current_actor


def known_users() -> set[str]:
    """Usernames a roster period may name."""
    user = lemari_user_model()
    return set(db.session.scalars(select(user.username)))


def lemari_user_model():
    """FAB's user model of this app."""
    from flask import current_app

    return current_app.appbuilder.sm.user_model


class PengaturanKantorView(BaseView):
    """One page: the office form, then the roster with a form to add a period."""

    route_base = "/pengaturan-kantor"
    default_view = "form"
    class_permission_name = "Konfigurasi"
    method_permission_name = {"form": "write", "add_period": "write", "end_period": "write"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def form(self):
        ext = lemari()
        values, errors = kantor.form_values(ext.settings), {}
        if request.method == "POST":
            values = {**values, **request.form.to_dict()}
            values["DEMO_MODE"] = request.form.get("DEMO_MODE", "")
            try:
                kantor.save_setup(values, logo=_uploaded_logo(ext.settings, values),
                                  actor=current_actor(), session=db.session,
                                  blobs=blob_store(ext.settings))
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                ext.refresh_office(force=True)
                flash(_("Pengaturan kantor disimpan."), "success")
                return redirect(url_for("PengaturanKantorView.form"))
        return self._page(values, errors, {}, {}), (422 if errors else 200)

    @expose("/penandatangan", methods=["POST"])
    @has_access
    def add_period(self):
        period = request.form.to_dict()
        try:
            penandatangan.add_period(period, actor=current_actor(), session=db.session,
                                     known_users=known_users())
        except ValidationError as exc:
            db.session.rollback()
            return self._page(kantor.form_values(lemari().settings), {}, period,
                              exc.errors or {"": str(exc)}), 422
        flash(_("Masa jabatan disimpan."), "success")
        return redirect(url_for("PengaturanKantorView.form") + "#penandatangan")

    @expose("/penandatangan/<int:period_id>/selesai", methods=["POST"])
    @has_access
    def end_period(self, period_id):
        try:
            selesai = dt.date.fromisoformat(request.form.get("selesai", ""))
            penandatangan.end_period(period_id, selesai, actor=current_actor(), session=db.session)
        except ValueError:
            flash(_("Tanggal selesai tidak sah; tulis TTTT-BB-HH."), "danger")
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("Masa jabatan diakhiri."), "success")
        return redirect(url_for("PengaturanKantorView.form") + "#penandatangan")

    def _page(self, values, errors, period, period_errors):
        ext = lemari()
        return self.render_template(
            "lemari/pengaturan_kantor.html", values=values, errors=errors, period=period,
            period_errors=period_errors, roster=penandatangan.roster(db.session),
            kedudukan=penandatangan.KEDUDUKAN, zones=kantor.ZONA_WAKTU, papers=kantor.PAPER_SIZES,
            problem=kantor.setup_problem(ext.settings), has_logo=bool(ext.settings.get("OFFICE_LOGO")),
            logo_max_kb=ext.settings["OFFICE_LOGO_MAX_BYTES"] // 1024, zona_dasar=kantor.ZONA_DASAR,
            users=sorted(known_users()))


def _uploaded_logo(settings, values) -> kantor.Logo | None:
    """The logo file of the form, checked (None when no file was chosen). A refused logo is
    reported together with every other problem of the form, so one round trip shows all."""
    upload = request.files.get("logo")
    if upload is None or not upload.filename:
        return None
    limit = settings["OFFICE_LOGO_MAX_BYTES"]
    try:
        return kantor.check_logo(upload.stream.read(limit + 1), upload.filename, max_bytes=limit)
    except ValidationError as exc:
        errors = dict(exc.errors)
        try:
            kantor.validate(values)
        except ValidationError as more:
            errors.update(more.errors)
        raise ValidationError(str(exc), errors) from None
