"""The number register: every consumed number, and taking one for a letter typed elsewhere."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from records.exceptions import ValidationError
from records.extensions import db
from records.models import IssuedNumber, Register
from records.services.clock import clock
from records.services.klasifikasi import CURRENT_SCHEME, LEGACY_SCHEME, codes_of
from records.services.numbering import reserve_number
from records.web_common import (
    CRUD_PERMISSIONS,
    FilterRecordDesaScope,
    actor_desa_scope,
    current_actor,
    text_display,
    tz,
    waktu,
)


class NomorView(ModelView):
    """Buku register nomor surat (read-only) with the 'ambil nomor' form."""

    datamodel = SQLAInterface(IssuedNumber)
    route_base = "/nomor"
    class_permission_name = "Nomor"
    method_permission_name = {**CRUD_PERMISSIONS, "reserve": "reserve"}
    base_permissions = ["can_read", "can_reserve"]
    base_order = ("id", "desc")
    # an Operator Desa reads only the numbers of their desa's documents (list, show, search)
    base_filters = [["record_id", FilterRecordDesaScope, actor_desa_scope]]
    list_title = show_title = _l("Register Nomor Surat")
    list_columns = ["number", "register", "kind", "klasifikasi", "issued_at", "issued_by", "note"]
    formatters_columns = {"issued_at": waktu, "note": text_display}
    search_columns = ["number", "register", "kind", "klasifikasi", "issued_by", "year"]
    show_columns = list_columns + ["scheme", "year", "sequence", "record_id"]
    label_columns = {"number": _l("Nomor"), "register": _l("Register nomor"), "kind": _l("Jenis"),
                     "klasifikasi": _l("Klasifikasi"), "issued_at": _l("Waktu"),
                     "issued_by": _l("Oleh"), "note": _l("Keterangan"), "scheme": _l("Skema"),
                     "year": _l("Tahun"), "sequence": _l("Urut"), "record_id": _l("Dokumen")}

    @expose("/ambil", methods=["GET", "POST"])
    @has_access
    def reserve(self):
        registers = db.session.scalars(select(Register).order_by(Register.id)).all()
        values, errors = request.form.to_dict(), {}
        if request.method == "POST":
            try:
                issued = reserve_number(db.session, values.get("register", ""),
                                        kode=values.get("kode", "").strip(),
                                        note=values.get("note", ""), actor=current_actor(),
                                        on=clock(tz())[1])  # the office's day, not UTC's
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Nomor %(number)s dicatat untuk surat di luar sistem.", number=issued.number),
                      "success")
                return redirect(url_for("NomorView.list"))
        codes = {scheme: codes_of(db.session, scheme) for scheme in (CURRENT_SCHEME, LEGACY_SCHEME)}
        return self.render_template("lemari/reserve_number.html", registers=registers,
                                    values=values, errors=errors, codes=codes), (422 if errors else 200)

