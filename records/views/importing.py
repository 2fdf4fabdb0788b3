"""Upload a CSV/XLSX of residents; show the per-row error report when refused."""

from flask import current_app, flash, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from records.exceptions import ImportRejectedError
from records.extensions import db
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
            return self.render_template("lemari/import.html", columns=COLUMNS, problems=None)
        upload = request.files.get("berkas")
        if upload is None or not upload.filename:
            flash(_("Pilih berkas CSV atau XLSX."), "danger")
            return self.render_template("lemari/import.html", columns=COLUMNS, problems=None), 400
        cfg = current_app.config
        try:
            data = upload.stream.read(cfg["IMPORT_MAX_BYTES"] + 1)
            rows = read_table(data, upload.filename, max_bytes=cfg["IMPORT_MAX_BYTES"],
                              max_rows=cfg["IMPORT_MAX_ROWS"])
            report = import_penduduk(rows, actor=current_actor(), session=db.session,
                                     source=upload.filename)
        except ImportRejectedError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return self.render_template("lemari/import.html", columns=COLUMNS,
                                        problems=exc.rows), 422
        flash(_("%(n)d penduduk berhasil diimpor.", n=report.created), "success")
        return self.render_template("lemari/import.html", columns=COLUMNS, problems=None,
                                    warnings=report.warnings)
