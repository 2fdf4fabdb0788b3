"""The archive over REST (JWT): list, read, upload a scan, OCR job progress."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect

from archive.desk import ingest_upload, ingest_uploads
from archive.services import archiving, ocr
from records.api.base import ServiceApi
from records.exceptions import RecordsError
from records.extensions import db, lemari
from records.nik import mask_nik, mask_numbers_in_text
from records.services import personal_data
from records.web_common import current_actor


def arsip_json(arsip, *, full_nik: bool) -> dict:
    """An archived record as the API shows it; NIK and No. KK masked without view_nik."""
    show = (lambda v: v) if full_nik else mask_nik
    record = arsip.record
    return {"id": record.id, "title": record.title if full_nik else mask_numbers_in_text(record.title),
            "number": record.number,
            "sumber": arsip.sumber, "jenis": arsip.jenis_dokumen, "skema": arsip.skema_code,
            "klasifikasi": arsip.klasifikasi, "desa_code": record.desa_code,
            "tanggal_dokumen": arsip.tanggal_dokumen.isoformat() if arsip.tanggal_dokumen else None,
            "nik": [show(n) for n in arsip.niks or []],
            "no_kk": [show(n) for n in arsip.no_kk or []],
            "lokasi": {k: getattr(arsip, k) for k in archiving.LOCATION_FIELDS},
            "inaktif_mulai": arsip.inaktif_mulai.isoformat() if arsip.inaktif_mulai else None,
            "retensi_sampai": arsip.retensi_sampai.isoformat() if arsip.retensi_sampai else None,
            "nasib_akhir": arsip.nasib_akhir, "status": arsip.status,
            "legal_hold": arsip.legal_hold, "ocr_status": arsip.ocr_status,
            "halaman": arsip.halaman, "versi": arsip.versi,
            "files": [{"id": f.id, "kind": f.kind, "sha256": f.sha256, "size": f.size}
                      for f in record.files]}


class ArsipApi(ServiceApi):
    """/api/v1/arsip/"""

    resource_name = "arsip"
    class_permission_name = "Arsip"
    method_permission_name = {"get_list": "read", "get": "read", "upload": "write",
                              "jobs": "read"}
    openapi_spec_tag = "Arsip"

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self):
        """Archived records within the caller's desa scope.
        ---
        get:
          parameters:
          - in: query
            name: f
            schema: {type: string}
            description: >-
              semua, pindaian, terbit, jatuh_tempo, belum_klasifikasi, ocr_gagal, legal_hold, musnah
          - {in: query, name: klasifikasi, schema: {type: string}}
          - {in: query, name: page, schema: {type: integer, minimum: 1}}
          responses:
            200: {description: Archived records}
            401: {$ref: '#/components/responses/401'}
        """
        page = max(request.args.get("page", 1, type=int), 1)
        filter_ = request.args.get("f", "semua")

        def action():
            rows, total = archiving.list_arsip(
                actor=current_actor(), session=db.session, registry=lemari().registry,
                filter_=filter_ if filter_ in archiving.ARCHIVE_FILTERS else "semua",
                klasifikasi=(request.args.get("klasifikasi") or "")[:40], limit=50,
                offset=(page - 1) * 50)
            full = current_actor().can("penduduk.view_nik")
            return {"count": total, "items": [arsip_json(a, full_nik=full) for a in rows]}
        return self._run(action)

    @expose("/<int:record_id>", methods=["GET"])
    @protect()
    def get(self, record_id):
        """One archived record with its files.
        ---
        get:
          parameters:
          - {in: path, name: record_id, required: true, schema: {type: integer}}
          responses:
            200: {description: The archived record}
            404: {$ref: '#/components/responses/404'}
        """
        archiving.catalogue_records(db.session, lemari().registry)

        def action():
            arsip = archiving.get_arsip(record_id, actor=current_actor(), session=db.session)
            shown = arsip_json(arsip, full_nik=current_actor().can("penduduk.view_nik"))
            personal_data.note_viewed("arsip", record_id, desa_code=arsip.record.desa_code,
                                      actor=current_actor(), session=db.session, channel="api",
                                      object_type="record")
            return shown
        return self._run(action)

    @expose("/pindaian", methods=["POST"])
    @protect()
    def upload(self):
        """Archive one scan (multipart: berkas, plus metadata fields judul, jenis,
        klasifikasi, skema, tanggal, desa, nik, no_kk, lemari, rak, boks, map, catatan), or
        many at once (several `berkas` parts and/or a CSV sidecar in `metadata`, as
        `lemari import-scans` reads it): then the answer lists every file and its outcome.
        ---
        post:
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    berkas: {type: array, items: {type: string, format: binary}}
                    metadata: {type: string, format: binary, description: CSV sidecar}
                    klasifikasi: {type: string}
                    tanggal: {type: string}
                    desa: {type: string}
          responses:
            201: {description: Archived; OCR queued when needed}
            200: {description: Duplicate of an archived file; or, for many files, the report}
            422: {description: Refused, with the reason}
        """
        uploads = [f for f in request.files.getlist("berkas") if f.filename]
        if not uploads:
            return self.response_400(message="Kirim berkas pada kolom 'berkas'.")
        sidecar = request.files.get("metadata")
        if len(uploads) > 1 or (sidecar is not None and sidecar.filename):
            return self._upload_many(uploads, sidecar)
        upload = uploads[0]
        try:
            result = ingest_upload(upload, request.form.to_dict())
        except RecordsError as exc:
            db.session.rollback()
            return self.response(exc.http_status, message=str(exc))
        status = {"diimpor": 201, "duplikat": 200}.get(result.status, 422)
        return self.response(status, result={"status": result.status, "reason": result.reason,
                                             "record_id": result.record_id,
                                             "sha256": result.sha256,
                                             "ocr_job_id": result.ocr_job_id})

    def _upload_many(self, uploads, sidecar):
        """Many files through the folder pipeline; 200 with one line per file (those refused
        included), or the reason nothing was read (a bad sidecar)."""
        try:
            results = ingest_uploads(uploads, sidecar, request.form.to_dict())
        except RecordsError as exc:
            db.session.rollback()
            return self.response(exc.http_status, message=str(exc))
        return self.response(200, result=[
            {"berkas": r.name, "status": r.status, "reason": r.reason, "record_id": r.record_id,
             "sha256": r.sha256, "ocr_job_id": r.ocr_job_id} for r in results])

    @expose("/tugas", methods=["GET"])
    @protect()
    def jobs(self):
        """OCR job progress (counts per status and the latest jobs).
        ---
        get:
          responses:
            200: {description: Job progress}
        """
        return self._run(lambda: ocr.job_progress(
            ocr.list_jobs(actor=current_actor(), session=db.session)))


