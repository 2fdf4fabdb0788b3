"""Document screens: list, choose a type, fill its declared form, show with workflow actions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from ..exceptions import RecordsError, ValidationError
from ..extensions import db, lemari
from ..models import Penduduk
from ..nik import NikError, parse_nik
from ..services import records
from .common import current_actor, nik_display

PAGE_SIZE = 50


class RecordsView(BaseView):
    """The clerk's document desk; every action calls records services."""

    route_base = "/dokumen"
    default_view = "list"
    class_permission_name = "Record"
    method_permission_name = {"list": "read", "show": "read", "new": "create",
                              "create": "create", "transition": "read"}

    @expose("/")
    @has_access
    def list(self):
        page = max(request.args.get("page", 1, type=int), 1)
        state = request.args.get("state") or None
        rows, total = records.list_records(actor=current_actor(), session=db.session,
                                           state=state, limit=PAGE_SIZE,
                                           offset=(page - 1) * PAGE_SIZE)
        return self.render_template("lemari/records_list.html", rows=rows, total=total,
                                    page=page, pages=max((total - 1) // PAGE_SIZE + 1, 1),
                                    state=state, registry=lemari().registry)

    @expose("/baru")
    @has_access
    def new(self):
        types = sorted(lemari().registry.document_types.values(), key=lambda d: d.title)
        return self.render_template("lemari/records_new.html", types=types)

    @expose("/baru/<doctype>", methods=["GET", "POST"])
    @has_access
    def create(self, doctype):
        spec = lemari().registry.document_types.get(doctype) or abort(404)
        errors, values = {}, request.form.to_dict()
        if request.method == "POST":
            try:
                record = records.create_record(
                    doctype, values, penduduk_id=_penduduk_id(values.get("nik", "")),
                    actor=current_actor(), session=db.session, registry=lemari().registry)
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Dokumen dibuat."), "success")
                return redirect(url_for("RecordsView.show", record_id=record.id))
        return self.render_template("lemari/records_form.html", spec=spec, values=values,
                                    errors=errors), (422 if errors else 200)

    @expose("/<int:record_id>")
    @has_access
    def show(self, record_id):
        record = records.get_record(record_id, actor=current_actor(), session=db.session)
        registry = lemari().registry
        spec = registry.document_types.get(record.doctype)
        workflow = registry.workflows[spec.workflow] if spec else None
        actions = workflow.available(record.state, current_actor().roles) if workflow else []
        return self.render_template("lemari/records_show.html", record=record, spec=spec,
                                    workflow=workflow, actions=actions, nik_display=nik_display)

    @expose("/<int:record_id>/langkah/<name>", methods=["POST"])
    @has_access
    def transition(self, record_id, name):
        try:
            records.fire_transition(record_id, name, note=request.form.get("note", ""),
                                    actor=current_actor(), session=db.session,
                                    registry=lemari().registry, pm=lemari().pm)
        except RecordsError as exc:
            db.session.rollback()
            if exc.http_status == 404:
                raise
            flash(str(exc), "danger")
        else:
            flash(_("Status dokumen diperbarui."), "success")
        return redirect(url_for("RecordsView.show", record_id=record_id))


def _penduduk_id(nik_text: str) -> int | None:
    """Resolve the applicant typed as a NIK; unknown or invalid NIK is a form error."""
    if not nik_text.strip():
        return None
    try:
        nik = parse_nik(nik_text).nik
    except NikError as exc:
        raise ValidationError(str(exc), {"nik": str(exc)}) from None
    found = db.session.scalar(select(Penduduk.id).where(Penduduk.nik == nik))
    if found is None:
        raise ValidationError("NIK tidak terdaftar.", {"nik": "NIK tidak terdaftar di data penduduk."})
    return found
