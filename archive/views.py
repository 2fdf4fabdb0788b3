"""Archive pages: list, detail with history, upload, OCR jobs, classification and JRA,
disposition with its berita acara, fixity status. Each action calls one archive service."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from archive.desk import ingest_uploads
from archive.services import archiving, bagexport, disposition, fixity, ocr, retensi
from archive.services.archiving import IngestResult
from records.exceptions import RecordsError, ValidationError
from records.extensions import db, lemari
from records.services import klasifikasi, personal_data
from records.services.clock import clock
from records.views.common import flash_outcome
from records.web_common import current_actor, nik_display, staged_upload, text_display, tz

PAGE_SIZE = 50
AREA = "Arsip"
LABELS = {"Arsip Digital": _l("Arsip Digital"), "Unggah Pindaian": _l("Unggah Pindaian"),
          "Impor Daftar Arsip": _l("Impor Daftar Arsip"),
          "Tugas OCR": _l("Tugas OCR"), "Klasifikasi dan JRA": _l("Klasifikasi dan JRA"),
          "Penyusutan": _l("Penyusutan"), "Keutuhan Berkas": _l("Keutuhan Berkas")}
PHASES = {"aktif": _l("Aktif"), "inaktif": _l("Inaktif"), "jatuh_tempo": _l("Jatuh tempo"),
          "diusulkan": _l("Diusulkan musnah"), "musnah": _l("Dimusnahkan"),
          "diserahkan": _l("Diserahkan")}
FATES = {"musnah": _l("Musnah"), "permanen": _l("Permanen"),
         "dinilai_kembali": _l("Dinilai kembali"), "": _l("Belum ditentukan")}


def _app():
    return current_app._get_current_object()


def _desk():
    from archive.desk import archive_desk

    return archive_desk(_app())


def _today() -> dt.date:
    """The office's date (WITA for Kota Bangun), not the server's: at 07.30 WITA the server's
    UTC date is still yesterday."""
    return clock(tz())[1]


def _back(endpoint: str, **values):
    return redirect(url_for(endpoint, **values))


def _run(action, success: str, endpoint: str, **values):
    """Call a service; flash its message (a 404 stays a 404) and go back."""
    archiving.catalogue_records(db.session, lemari().registry)
    flash_outcome(action, success)
    return _back(endpoint, **values)


class ArsipView(BaseView):
    """The archive list, a record's page with its versions, uploads and OCR jobs."""

    route_base = "/arsip"
    default_view = "list"
    class_permission_name = AREA
    method_permission_name = {"list": "read", "show": "read", "download": "read",
                              "upload": "write", "correct": "write", "replace": "write",
                              "close": "write", "hold": "hold", "reappraise": "propose",
                              "jobs": "read", "jobs_status": "read", "retry": "write",
                              "fixity_page": "fixity", "fixity_run": "fixity",
                              "daftar": "write"}

    @expose("/daftar-arsip", methods=["GET", "POST"])
    @has_access
    def daftar(self):
        """Import a daftar arsip spreadsheet: archive records without scans, all or none."""
        from archive.services.daftar_arsip import MAX_BYTES, import_daftar_arsip, read_daftar

        problems, report = None, None
        if request.method == "POST":
            upload = request.files.get("berkas")
            if upload is None or not upload.filename:
                flash(_("Pilih berkas daftar arsip (XLSX atau CSV)."), "danger")
                return self.render_template("lemari/arsip_daftar.html", problems=None,
                                            report=None), 400
            try:
                rows = read_daftar(upload.stream.read(MAX_BYTES + 1), upload.filename)
                report = import_daftar_arsip(rows, actor=current_actor(), session=db.session,
                                             source=upload.filename)
            except ValidationError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                problems = getattr(exc, "rows", None) or []
                return self.render_template("lemari/arsip_daftar.html", problems=problems,
                                            report=None), 422
            flash(_("%(n)d berkas dicatat dari daftar arsip; %(s)d sudah tercatat sebelumnya.",
                    n=len(report.created), s=len(report.skipped)), "success")
        return self.render_template("lemari/arsip_daftar.html", problems=problems, report=report)

    @expose("/")
    @has_access
    def list(self):
        page = max(request.args.get("page", 1, type=int), 1)
        filter_ = request.args.get("f", "semua")
        filter_ = filter_ if filter_ in archiving.ARCHIVE_FILTERS else "semua"
        code = (request.args.get("klasifikasi") or "").strip()[:40]
        rows, total = archiving.list_arsip(actor=current_actor(), session=db.session,
                                           registry=lemari().registry, filter_=filter_,
                                           klasifikasi=code, limit=PAGE_SIZE,
                                           offset=(page - 1) * PAGE_SIZE)
        return self.render_template("lemari/arsip_list.html", rows=rows, total=total, page=page,
                                    pages=max((total - 1) // PAGE_SIZE + 1, 1), filter_=filter_,
                                    filters=archiving.ARCHIVE_FILTERS, klasifikasi=code,
                                    phase=lambda a: PHASES.get(retensi.phase(a, _today())),
                                    fates=FATES)

    @expose("/<int:record_id>")
    @has_access
    def show(self, record_id):
        archiving.catalogue_records(db.session, lemari().registry)
        arsip = archiving.get_arsip(record_id, actor=current_actor(), session=db.session)
        history = archiving.versions(record_id, session=db.session)
        schemes = klasifikasi.schemes(db.session)
        page = self.render_template(
            "lemari/arsip_show.html", arsip=arsip, record=arsip.record, history=history,
            tombstone=archiving.tombstone_of(record_id, session=db.session),
            phase=PHASES.get(retensi.phase(arsip, _today())), fates=FATES,
            needs_anri=retensi.needs_anri(arsip), schemes=schemes,
            doctypes=_doctypes(), nik_display=nik_display, text_display=text_display,
            masked_ids=None if current_actor().can("penduduk.view_nik") else
            ", ".join(nik_display(n) for n in [*(arsip.niks or []), *(arsip.no_kk or [])]))
        personal_data.note_viewed("arsip", record_id, desa_code=arsip.record.desa_code,
                                  actor=current_actor(), session=db.session, channel="web",
                                  object_type="record")
        return page

    @expose("/<int:record_id>/berkas/<int:file_id>")
    @has_access
    def download(self, record_id, file_id):
        archiving.catalogue_records(db.session, lemari().registry)
        stream, mimetype, name = archiving.read_archive_file(
            record_id, file_id, actor=current_actor(), session=db.session, blobs=_desk().blobs)
        return send_file(stream, mimetype=mimetype, download_name=name)

    @expose("/unggah", methods=["GET", "POST"])
    @has_access
    def upload(self):
        results, values = [], request.form.to_dict()
        if request.method == "POST":
            uploads = [f for f in request.files.getlist("berkas") if f and f.filename]
            if not uploads:
                flash(_("Pilih minimal satu berkas pindaian."), "danger")
            try:
                results = ingest_uploads(uploads, request.files.get("metadata"), values)
            except ValidationError as exc:
                flash(str(exc), "danger")
                results = [IngestResult(getattr(request.files.get("metadata"), "filename", "CSV"),
                                        "gagal", str(exc))]
        return self.render_template("lemari/arsip_upload.html", results=results, values=values,
                                    doctypes=_doctypes(),
                                    schemes=klasifikasi.schemes(db.session)), \
            (422 if any(r.status == "gagal" for r in results) else 200)

    @expose("/<int:record_id>/ubah", methods=["POST"])
    @has_access
    def correct(self, record_id):
        values = request.form.to_dict()
        return _run(lambda: archiving.update_metadata(
            record_id, values, values.get("alasan", ""), actor=current_actor(),
            session=db.session, registry=lemari().registry, today=_today()),
            _("Metadata diperbaiki; versi baru tercatat."), "ArsipView.show", record_id=record_id)

    @expose("/<int:record_id>/ganti", methods=["POST"])
    @has_access
    def replace(self, record_id):
        upload = request.files.get("berkas")
        if upload is None or not upload.filename:
            flash(_("Pilih berkas pengganti."), "danger")
            return _back("ArsipView.show", record_id=record_id)
        with staged_upload(upload) as path:
            try:
                result = archiving.replace_file(record_id, path, upload.filename,
                                                request.form.get("alasan", ""),
                                                actor=current_actor(), session=db.session,
                                                desk=_desk())
            except RecordsError as exc:
                db.session.rollback()
                if exc.http_status == 404:
                    raise
                flash(str(exc), "danger")
                return _back("ArsipView.show", record_id=record_id)
        if result.status == "gagal":
            flash(result.reason, "danger")
        else:
            flash(_("Berkas pengganti diarsipkan sebagai versi baru."), "success")
        return _back("ArsipView.show", record_id=record_id)

    @expose("/<int:record_id>/tutup", methods=["POST"])
    @has_access
    def close(self, record_id):
        def action():
            try:
                closed = dt.date.fromisoformat(request.form.get("tanggal", ""))
            except ValueError:
                raise ValidationError(_("Tanggal penutupan tidak sah.")) from None
            archiving.close_file(record_id, closed, actor=current_actor(), session=db.session,
                                 today=_today())
        return _run(action, _("Berkas ditutup; retensi dihitung."), "ArsipView.show",
                    record_id=record_id)

    @expose("/<int:record_id>/tahan", methods=["POST"])
    @has_access
    def hold(self, record_id):
        hold = request.form.get("tahan") == "1"
        return _run(lambda: archiving.set_legal_hold(
            record_id, hold, request.form.get("alasan", ""), actor=current_actor(),
            session=db.session), _("Status penahanan diperbarui."), "ArsipView.show",
            record_id=record_id)

    @expose("/<int:record_id>/nilai", methods=["POST"])
    @has_access
    def reappraise(self, record_id):
        return _run(lambda: archiving.reappraise(
            record_id, request.form.get("nasib", ""), request.form.get("alasan", ""),
            actor=current_actor(), session=db.session), _("Penilaian kembali tercatat."),
            "ArsipView.show", record_id=record_id)

    @expose("/tugas")
    @has_access
    def jobs(self):
        rows = ocr.list_jobs(actor=current_actor(), session=db.session)
        progress = ocr.job_progress(rows)
        return self.render_template("lemari/arsip_jobs.html", progress=progress,
                                    pairs=list(zip(rows, progress["jobs"], strict=True)))

    @expose("/tugas/status.json")
    @has_access
    def jobs_status(self):
        rows = ocr.list_jobs(actor=current_actor(), session=db.session)
        return jsonify(ocr.job_progress(rows))

    @expose("/tugas/<int:job_id>/ulang", methods=["POST"])
    @has_access
    def retry(self, job_id):
        def action():
            job = ocr.retry_job(job_id, actor=current_actor(), session=db.session)
            _desk().enqueue_ocr(job.id)
        return _run(action, _("Tugas OCR diulang."), "ArsipView.jobs")


    @expose("/fixity")
    @has_access
    def fixity_page(self):
        runs = fixity.last_runs(actor=current_actor(), session=db.session)
        return self.render_template("lemari/arsip_fixity.html", runs=runs,
                                    last=runs[0] if runs else None)

    @expose("/fixity/jalankan", methods=["POST"])
    @has_access
    def fixity_run(self):
        from records.jobs import jobs_of

        current_actor().require("arsip.fixity")
        jobs_of(_app()).enqueue("fixity")  # queued; runs at once when JOBS_IMMEDIATE
        flash(_("Pemeriksaan keutuhan berkas dijalankan di latar belakang."), "success")
        return _back("ArsipView.fixity_page")


def _doctypes():
    types = lemari().registry.document_types.values()
    return sorted((d for d in types if d.workflow != "arsip"), key=lambda d: d.title)


class KlasifikasiView(BaseView):
    """Classification schemes with their codes and the editable JRA."""

    route_base = "/arsip/klasifikasi"
    default_view = "index"
    class_permission_name = AREA
    method_permission_name = {"index": "read", "edit_jra": "manage"}

    @expose("/")
    @has_access
    def index(self):
        schemes = klasifikasi.schemes(db.session)
        chosen = request.args.get("skema") or (schemes[0].code if schemes else "")
        scheme = next((s for s in schemes if s.code == chosen), None) or abort(404)
        return self.render_template("lemari/arsip_klasifikasi.html", schemes=schemes,
                                    scheme=scheme, codes=klasifikasi.codes_of(db.session, chosen),
                                    jra=klasifikasi.jra_of(db.session, chosen), fates=FATES)

    @expose("/<skema>/jra/<int:jra_id>", methods=["GET", "POST"])
    @has_access
    def edit_jra(self, skema, jra_id):
        from records.models import JadwalRetensi, KlasifikasiSkema

        scheme = db.session.get(KlasifikasiSkema, skema) or abort(404)
        row = db.session.get(JadwalRetensi, jra_id) if jra_id else None
        if jra_id and (row is None or row.skema_code != skema):
            abort(404)
        values = request.form.to_dict() if request.method == "POST" else _jra_values(row)
        errors = {}
        if request.method == "POST":
            try:
                retensi.save_jra(values, jra_id=jra_id or None, skema_code=skema,
                                     actor=current_actor(), session=db.session)
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Baris JRA disimpan; retensi arsip dihitung ulang."), "success")
                return _back("KlasifikasiView.index", skema=skema)
        return self.render_template("lemari/arsip_jra_form.html", scheme=scheme, row=row,
                                    values=values, errors=errors, fates=FATES), \
            (422 if errors else 200)


def _jra_values(row) -> dict:
    if row is None:
        return {}
    return {name: ("" if getattr(row, name) is None else getattr(row, name))
            for name in retensi.JRA_FIELDS}


class PenyusutanView(BaseView):
    """Records due, disposal proposals and decisions, transfer packages, fixity status."""

    route_base = "/arsip/penyusutan"
    default_view = "index"
    class_permission_name = AREA
    method_permission_name = {"index": "read", "propose": "propose", "batch": "read",
                              "assess": "propose", "approve": "approve", "reject": "approve",
                              "transfer": "export"}

    @expose("/")
    @has_access
    def index(self):
        groups = disposition.due_list(actor=current_actor(), session=db.session,
                                      registry=lemari().registry)
        batches = disposition.list_batches(actor=current_actor(), session=db.session)
        return self.render_template("lemari/arsip_penyusutan.html", groups=groups,
                                    batches=batches, fates=FATES,
                                    needs_anri=retensi.needs_anri)

    @expose("/usul", methods=["POST"])
    @has_access
    def propose(self):
        ids = [int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit()]
        try:
            batch = disposition.propose(ids, request.form.get("catatan", ""),
                                        actor=current_actor(), session=db.session)
        except RecordsError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return _back("PenyusutanView.index")
        flash(_("Usulan pemusnahan dikirim kepada Camat."), "success")
        return _back("PenyusutanView.batch", batch_id=batch.id)

    @expose("/<int:batch_id>")
    @has_access
    def batch(self, batch_id):
        return self._batch_page(batch_id)

    def _batch_page(self, batch_id: int, form: dict | None = None, errors: dict | None = None,
                    status: int = 200):
        """The batch with its panitia and decision forms; a refused form comes back filled
        in with every problem beside its field (422)."""
        found = disposition.get_batch(batch_id, actor=current_actor(), session=db.session)
        page = self.render_template("lemari/arsip_batch.html", batch=found,
                                    needs_anri=disposition.needs_anri_approval(found),
                                    place=lemari().settings["OFFICE_PLACE"],
                                    rules=disposition.aturan(), form=form or {},
                                    errors=errors or {}, slots=range(disposition.MAX_PIHAK))
        return page, status

    def _decide(self, batch_id: int, action, success: str):
        """Run a panitia/decision service; on a refusal nothing is kept and the form returns."""
        archiving.catalogue_records(db.session, lemari().registry)
        values = request.form.to_dict()
        try:
            action(values)
        except RecordsError as exc:
            db.session.rollback()
            if exc.http_status == 404:
                raise
            flash(str(exc), "danger")
            if isinstance(exc, ValidationError):
                return self._batch_page(batch_id, values, exc.errors, 422)
            return _back("PenyusutanView.batch", batch_id=batch_id)
        flash(success, "success")
        return _back("PenyusutanView.batch", batch_id=batch_id)

    @expose("/<int:batch_id>/nilai", methods=["POST"])
    @has_access
    def assess(self, batch_id):
        return self._decide(batch_id, lambda values: disposition.assess(
            batch_id, values, actor=current_actor(), session=db.session),
            _("Penilaian panitia penilai arsip dicatat."))

    @expose("/<int:batch_id>/setujui", methods=["POST"])
    @has_access
    def approve(self, batch_id):
        return self._decide(batch_id, lambda values: disposition.approve(
            batch_id, values, actor=current_actor(), session=db.session, desk=lemari().desk()),
            _("Pemusnahan disetujui; berita acara diterbitkan."))

    @expose("/<int:batch_id>/tolak", methods=["POST"])
    @has_access
    def reject(self, batch_id):
        return _run(lambda: disposition.reject(batch_id, request.form.get("alasan", ""),
                                               actor=current_actor(), session=db.session),
                    _("Usulan ditolak; arsip tetap disimpan."), "PenyusutanView.batch",
                    batch_id=batch_id)

    @expose("/serah", methods=["POST"])
    @has_access
    def transfer(self):
        selection = request.form.get("pilihan", "permanen")
        work = Path(tempfile.mkdtemp(dir=_staging()))
        try:
            bag, count = bagexport.export_bag(
                selection, work / "paket", actor=current_actor(), session=db.session,
                blobs=_desk().blobs, office=lemari().settings["OFFICE_NAME"],
                transfer=request.form.get("serahkan") == "1")
            data = _zip(bag)
        except RecordsError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return _back("PenyusutanView.index")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return send_file(data, mimetype="application/zip",
                         download_name=f"paket-arsip-{dt.date.today():%Y%m%d}.zip")

def _staging() -> Path:
    path = Path(lemari().settings["HOME"]) / "staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _zip(folder: Path) -> io.BytesIO:
    """The bag as one zip file in a spooled temp file (large bags go to disk, not memory)."""
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024, dir=_staging())
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive_zip:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive_zip.write(path, Path(folder.name) / path.relative_to(folder))
    spool.seek(0)
    return spool


def register(appbuilder, menu, category: str) -> None:
    """Add the archive's views, APIs and menu links, and say which permission opens each
    menu (records.services.accounts.sync_roles grants the menus from this)."""
    from archive.api import ArsipApi

    for view in (ArsipView, KlasifikasiView, PenyusutanView):
        appbuilder.add_view_no_menu(view)
    menus = lemari().menu_permissions
    for name, href, permission in menu:
        appbuilder.add_link(name, href=href, label=LABELS[name], category=category,
                            category_label=_l("Arsip"))
        menus[name] = frozenset({permission})
        menus[category] = menus.get(category, frozenset()) | {permission}
    appbuilder.add_api(ArsipApi)
