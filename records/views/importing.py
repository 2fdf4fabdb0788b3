"""Upload a CSV/XLSX of residents; show the per-row error report when refused."""

from flask import current_app, flash, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from records.exceptions import ImportRejectedError
from records.extensions import db
from records.models import Wilayah
from records.services.impor_kependudukan import import_from_source, read_source
from records.services.importing import COLUMNS, import_penduduk, read_table
from records.web_common import current_actor


class ImportView(BaseView):
    """Registry import: all rows or none."""

    route_base = "/penduduk-impor"
    default_view = "form"
    class_permission_name = "Penduduk"
    method_permission_name = {"form": "import"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def form(self):
        if request.method == "GET":
            return self._render(problems=None)
        upload = request.files.get("berkas")
        if upload is None or not upload.filename:
            flash(_("Pilih berkas CSV atau XLSX."), "danger")
            return self._render(problems=None), 400
        cfg = current_app.config
        fmt = request.form.get("format", "lemari")
        if fmt in ("opensid", "dkb"):
            return self._from_source(upload, fmt, request.form.get("desa", "").strip())
        try:
            data = upload.stream.read(cfg["IMPORT_MAX_BYTES"] + 1)
            rows = read_table(data, upload.filename, max_bytes=cfg["IMPORT_MAX_BYTES"],
                              max_rows=cfg["IMPORT_MAX_ROWS"])
            report = import_penduduk(rows, actor=current_actor(), session=db.session,
                                     source=upload.filename)
        except ImportRejectedError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._render(problems=exc.rows), 422
        flash(_("%(n)d penduduk berhasil diimpor.", n=report.created), "success")
        return self._render(problems=None, warnings=report.warnings)

    def _render(self, **context):
        actor = current_actor()
        desas = [d for d in db.session.scalars(select(Wilayah).where(
            Wilayah.level == "desa", Wilayah.valid_to.is_(None),
            Wilayah.code.startswith(str(current_app.config.get("KECAMATAN_CODE") or "") + "."))
            .order_by(Wilayah.name)) if actor.sees_desa(d.code)]
        return self.render_template("lemari/import.html", columns=COLUMNS, desas=desas, **context)

    def _from_source(self, upload, fmt: str, desa: str):
        """An OpenSID export or the Dinas's DKB file for one desa: create or update."""
        cfg = current_app.config
        try:
            data = upload.stream.read(cfg["IMPORT_MAX_BYTES"] + 1)
            rows = read_source(data, upload.filename, fmt, max_bytes=cfg["IMPORT_MAX_BYTES"],
                               max_rows=cfg["IMPORT_MAX_ROWS"])
            report = import_from_source(rows, fmt, desa_code=desa, actor=current_actor(),
                                        session=db.session, source=upload.filename)
        except ImportRejectedError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self._render(problems=exc.rows), 422
        flash(_("%(c)d penduduk dibuat, %(u)d diperbarui.", c=report.created, u=report.updated),
              "success")
        return self._render(problems=None, source_rows=report.rows)
