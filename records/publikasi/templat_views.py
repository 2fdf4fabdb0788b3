"""/templat: Admin and Humas edit the print templates of posters and notices.

Saving tries the template on sample data in the sandboxed render pool first; an error shows
its line and the form keeps the typed text, while the last good version stays live.
"""

from __future__ import annotations

import io

from flask import flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from records.exceptions import NotFoundError, ValidationError
from records.extensions import db
from records.publikasi.services import materials, templates
from records.publikasi.views import desk, upload
from records.web_common import current_actor


class TemplatView(BaseView):
    """List, edit, try, restore templates; upload template images."""

    route_base = "/templat"
    default_view = "list"
    class_permission_name = "Templat"
    method_permission_name = {"list": "edit", "edit": "edit", "version": "edit",
                              "restore": "edit", "asset": "edit"}

    @expose("/")
    @has_access
    def list(self):
        actor = current_actor()
        return self.render_template(
            "lemari/templat_list.html", rows=templates.statuses(actor=actor, session=db.session),
            assets=templates.assets(actor=actor, session=db.session), errors={})

    @expose("/<key>", methods=["GET", "POST"])
    @has_access
    def edit(self, key):
        spec, actor = materials.material(key), current_actor()
        source, versi = templates.live_source(key, actor=actor, session=db.session, desk=desk())
        errors, catatan = {}, ""
        if request.method == "POST":
            source, catatan = request.form.get("source", ""), request.form.get("catatan", "")
            try:
                if request.form.get("aksi") == "pratinjau":
                    rendered = templates.trial_render(key, source, session=db.session, desk=desk())
                    return send_file(io.BytesIO(rendered.pdf), mimetype="application/pdf",
                                     download_name=f"pratinjau-{key}.pdf")
                saved = templates.save_template(key, source, catatan=catatan, actor=actor,
                                                session=db.session, desk=desk())
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Templat versi %(versi)s disimpan dan dipakai.", versi=saved.versi), "success")
                return redirect(url_for("TemplatView.edit", key=key))
        return self.render_template(
            "lemari/templat_form.html", spec=spec, source=source, versi=versi, errors=errors,
            catatan=catatan, history=templates.versions(key, actor=actor, session=db.session),
        ), (422 if errors else 200)

    @expose("/<key>/versi/<int:versi>")
    @has_access
    def version(self, key, versi):
        spec, actor = materials.material(key), current_actor()
        rows = {v.versi: v for v in templates.versions(key, actor=actor, session=db.session)}
        if versi not in rows and versi != 0:
            raise NotFoundError(f"Versi {versi} templat '{key}' tidak ditemukan.")
        source = rows[versi].source if versi in rows else templates.shipped_source(key, desk=desk())
        return self.render_template("lemari/templat_version.html", spec=spec, versi=versi,
                                    source=source)

    @expose("/<key>/pulihkan/<int:versi>", methods=["POST"])
    @has_access
    def restore(self, key, versi):
        try:
            saved = templates.restore_version(key, versi, actor=current_actor(), session=db.session,
                                              desk=desk())
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc.errors.get("templat") or exc), "danger")
        else:
            flash(_("Templat versi %(versi)s disimpan dan dipakai.", versi=saved.versi), "success")
        return redirect(url_for("TemplatView.edit", key=key))

    @expose("/aset", methods=["POST"])
    @has_access
    def asset(self):
        actor = current_actor()
        try:
            saved = templates.upload_asset(request.form.get("nama", ""), upload("berkas") or b"",
                                           actor=actor, session=db.session, desk=desk())
        except ValidationError as exc:
            db.session.rollback()
            return self.render_template(
                "lemari/templat_list.html", rows=templates.statuses(actor=actor, session=db.session),
                assets=templates.assets(actor=actor, session=db.session),
                errors=exc.errors or {"": str(exc)}), 422
        flash(_("Gambar %(nama)s disimpan; pakai di templat sebagai _aset/%(nama)s.",
                nama=saved.nama), "success")
        return redirect(url_for("TemplatView.list"))
