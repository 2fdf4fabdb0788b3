"""Reference and oversight screens: wilayah table and the audit log (read-only)."""

import datetime as dt
import json
from functools import partial

from flask import Response, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from records.exceptions import ValidationError
from records.extensions import db
from records.models import AuditEvent, Wilayah
from records.services import audit
from records.web_common import CRUD_PERMISSIONS, current_actor, text_display, waktu


def desa_name(code) -> str:
    """A desa as people name it, its code beside it (the code alone means nothing to them)."""
    if not code:
        return ""
    found = db.session.get(Wilayah, code)
    return f"{found.name} ({code})" if found is not None else code


def object_words(kind) -> str:
    """An audit entry's object kind in words: `surat_masuk` reads "surat masuk"."""
    return (kind or "").replace("_", " ")


class WilayahView(ModelView):
    """Versioned region codes (provinsi … desa); retired codes stay for old NIKs."""

    datamodel = SQLAInterface(Wilayah)
    class_permission_name = "Wilayah"
    method_permission_name = CRUD_PERMISSIONS
    base_permissions = ["can_read"]
    base_order = ("code", "asc")
    list_title = show_title = _l("Data Wilayah")
    list_columns = ["code", "name", "level", "valid_from", "valid_to", "source"]
    search_columns = ["code", "name", "level"]
    label_columns = {"code": _l("Kode"), "name": _l("Nama"), "level": _l("Tingkat"),
                     "valid_from": _l("Berlaku sejak"), "valid_to": _l("Berlaku sampai"),
                     "source": _l("Dasar hukum")}


class AuditView(ModelView):
    """The append-only audit trail; nobody may add, edit or delete entries here."""

    datamodel = SQLAInterface(AuditEvent)
    class_permission_name = "Audit"
    method_permission_name = CRUD_PERMISSIONS
    base_permissions = ["can_read"]
    base_order = ("id", "desc")
    list_title = show_title = _l("Log Audit")
    list_columns = ["id", "at", "actor", "action", "object_type", "object_id", "desa_code"]
    search_columns = ["actor", "action", "object_type", "object_id", "desa_code", "at"]
    show_columns = list_columns + ["detail", "prev_hash", "hash"]
    label_columns = {"at": _l("Waktu"), "actor": _l("Pengguna"), "action": _l("Tindakan"),
                     "object_type": _l("Objek"), "object_id": _l("ID objek"),
                     "desa_code": _l("Desa"), "detail": _l("Rincian")}
    # details quote searches and filters (a NIK, say): masked without the full-NIK right
    formatters_columns = {"at": partial(waktu, seconds=True), "desa_code": desa_name,
                          "object_type": object_words,
                          # the entry's recorded data, as data (its keys are field names)
                          "detail": lambda detail: Markup("<code>%s</code>") % text_display(
                              json.dumps(detail, ensure_ascii=False, sort_keys=True))}

    list_template = "lemari/audit_list.html"

    @expose("/ekspor.csv", methods=["GET"])
    @has_access
    def export_csv(self):
        """The filtered trail as CSV for the Auditor (the export is audited too)."""
        args = request.args
        body = audit.export_csv(db.session, current_actor(), user=args.get("pengguna", "")[:64],
                                action=args.get("tindakan", "")[:64],
                                since=_date_arg(args.get("dari")), until=_date_arg(args.get("sampai")))
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=log-audit.csv"})


def _date_arg(raw: str | None) -> dt.date | None:
    """A yyyy-mm-dd filter; a malformed one is a clear 422, not a 500."""
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError("Tanggal harus berbentuk TTTT-BB-HH.") from None
