"""/standar: the versioned service catalogue (standar pelayanan), read by staff, edited by Admin.

Saving creates a new version; the old ones stay readable, and receipts use the new one from
the next request on.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.publikasi.services import standards
from records.web_common import current_actor

FORM_LISTS = ("persyaratan", "sarana", "kompetensi")


class StandarView(BaseView):
    """List, show (with versions), edit and add service standards."""

    route_base = "/standar"
    default_view = "list"
    class_permission_name = "Konfigurasi"
    method_permission_name = {"list": "read", "show": "read", "version": "read", "edit": "write",
                              "new": "write"}

    @expose("/")
    @has_access
    def list(self):
        return self.render_template("lemari/standar_list.html",
                                    rows=standards.list_current(session=db.session))

    @expose("/<code>")
    @has_access
    def show(self, code):
        current = standards.current_standard(code, session=db.session)
        return self._show(current, standards.versions(code, session=db.session))

    @expose("/<code>/versi/<int:versi>")
    @has_access
    def version(self, code, versi):
        return self._show(standards.get_version(code, versi, session=db.session),
                          standards.versions(code, session=db.session))

    def _show(self, standard, history):
        return self.render_template("lemari/standar_show.html", s=standards.standard_dict(standard),
                                    history=history, latest=history[0].versi if history else 0)

    @expose("/<code>/ubah", methods=["GET", "POST"])
    @has_access
    def edit(self, code):
        current = standards.current_standard(code, session=db.session)
        values, errors = _form_values(current), {}
        if request.method == "POST":
            values = request.form.to_dict()
            try:
                saved = standards.save_standard(code, values, actor=current_actor(), session=db.session)
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Standar versi %(versi)s disimpan.", versi=saved.versi), "success")
                return redirect(url_for("StandarView.show", code=code))
        return self._form(values, errors, code)

    @expose("/baru", methods=["GET", "POST"])
    @has_access
    def new(self):
        values, errors = request.form.to_dict(), {}
        if request.method == "POST":
            try:
                saved = standards.add_service(values.get("code", ""), values.get("doctype", ""),
                                              values, actor=current_actor(), session=db.session,
                                              registry=lemari().registry)
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Layanan baru disimpan."), "success")
                return redirect(url_for("StandarView.show", code=saved.layanan_code))
        return self._form(values, errors, None)

    def _form(self, values, errors, code):
        doctypes = sorted((d for d in lemari().registry.document_types.values() if not d.internal),
                          key=lambda d: d.title)
        return self.render_template("lemari/standar_form.html", values=values, errors=errors,
                                    code=code, doctypes=doctypes, pelaksana=standards.PELAKSANA
                                    ), (422 if errors else 200)


def _form_values(standard) -> dict:
    """A standard as the edit form's text fields (lists one per line, steps as 'a | b | c | d')."""
    values = {name: getattr(standard, name) for name in standards.TEXT_FIELDS}
    values.update({name: "\n".join(getattr(standard, name)) for name in FORM_LISTS if name != "persyaratan"})
    values["persyaratan"] = standards.syarat.lines_text(standard.persyaratan)
    values["ketentuan"] = "\n".join(f"{k['teks']} | {k['dasar_hukum']}" for k in standard.ketentuan or [])
    values.update(waktu_hari=standard.waktu_hari, biaya=standard.biaya, catatan="",
                  prosedur=standards.steps_text(standard.prosedur))
    return values
