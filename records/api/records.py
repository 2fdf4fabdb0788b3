"""Documents over REST: list, read, create, fire workflow transitions (issuing included) and
download their files."""

import io

from flask import request, send_file
from flask_appbuilder.api import expose, protect, safe

from records.api.base import ServiceApi
from records.exceptions import RecordsError
from records.extensions import db, lemari
from records.services import files, issuing, personal_data, records
from records.web_common import current_actor, text_display

PAPERS = ("F4", "A4")


def record_json(record) -> dict:
    """The public shape of a record in the API (no NIK: clients use penduduk_id; numbers
    typed into its fields and notes are masked without the full-NIK right)."""
    return {"id": record.id, "doctype": record.doctype, "state": record.state,
            "title": text_display(record.title), "desa_code": record.desa_code,
            "penduduk_id": record.penduduk_id, "data": text_display(record.data),
            "created_by": record.created_by, "created_on": record.created_on.isoformat(),
            "number": record.number, "verify_code": record.verify_code,
            "tracking_code": record.tracking_code,
            "promised_date": record.promised_date.isoformat() if record.promised_date else None,
            "history": [{"transition": h.transition, "from": h.from_state, "to": h.to_state,
                         "actor": h.actor, "at": h.at.isoformat(), "note": text_display(h.note)}
                        for h in record.history],
            "files": [{"id": f.id, "kind": f.kind, "size": f.size, "sha256": f.sha256,
                       "signed": f.signed,
                       "download": f"/api/v1/dokumen/{record.id}/berkas/{f.id}"}
                      for f in record.files]}


class RecordApi(ServiceApi):
    """/api/v1/dokumen/"""

    resource_name = "dokumen"
    class_permission_name = "Record"
    method_permission_name = {"get_list": "read", "get": "read", "post": "create",
                              "transition": "read", "file": "read"}
    openapi_spec_tag = "Dokumen"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """List documents within the caller's desa scope.
        ---
        get:
          parameters:
          - {in: query, name: state, schema: {type: string}}
          - {in: query, name: page, schema: {type: integer, minimum: 1}}
          responses:
            200: {description: Documents}
            401: {$ref: '#/components/responses/401'}
        """
        page = max(request.args.get("page", 1, type=int), 1)
        rows, total = records.list_records(actor=current_actor(), session=db.session,
                                           state=request.args.get("state"), limit=50,
                                           offset=(page - 1) * 50)
        return self.response(200, count=total, result=[record_json(r) for r in rows])

    @expose("/<int:record_id>", methods=["GET"])
    @protect()
    def get(self, record_id):
        """One document.
        ---
        get:
          parameters:
          - {in: path, name: record_id, required: true, schema: {type: integer}}
          responses:
            200: {description: The document}
            404: {$ref: '#/components/responses/404'}
        """
        def action():
            record = records.get_record(record_id, actor=current_actor(), session=db.session)
            shown = record_json(record)
            personal_data.note_viewed("record", record.id, desa_code=record.desa_code,
                                      actor=current_actor(), session=db.session, channel="api")
            return shown
        return self._run(action)

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Create a document of a declared type.
        ---
        post:
          description: "An `Idempotency-Key` header (8-80 characters) makes a retry return the
            record the first call created instead of a second one."
          parameters:
          - {in: header, name: Idempotency-Key, required: false, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    doctype: {type: string}
                    penduduk_id: {type: integer}
                    data: {type: object}
          responses:
            201: {description: Created}
            422: {$ref: '#/components/responses/422'}
        """
        body = request.get_json(silent=True)
        problem = _create_body_problem(body)
        if problem:
            return self.response_400(message=problem)
        return self._run(lambda: record_json(records.create_record(
            body["doctype"], body.get("data", {}), penduduk_id=body.get("penduduk_id"),
            actor=current_actor(), session=db.session, registry=lemari().registry,
            policy=lemari().settings,
            idempotency_key=request.headers.get("Idempotency-Key"))), status=201)

    @expose("/<int:record_id>/transition/<name>", methods=["POST"])
    @protect()
    def transition(self, record_id, name):
        """Fire a workflow transition (the workflow declaration decides who may).
        ---
        post:
          parameters:
          - {in: path, name: record_id, required: true, schema: {type: integer}}
          - {in: path, name: name, required: true, schema: {type: string},
             description: "e.g. verifikasi, terbitkan, cabut; the step tagged issues issues (number, PDF)"}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    note: {type: string, description: "Reason (required to reject or revoke)"}
                    paper: {type: string, enum: [F4, A4], default: F4,
                            description: "Paper of the issued PDF (the issuing step only)"}
          responses:
            200: {description: New state}
            409: {description: Not allowed now or for this role}
        """
        body = request.get_json(silent=True) if request.get_data() else {}
        problem = _transition_body_problem(body)
        if problem:
            return self.response_400(message=problem)
        ext = lemari()
        return self._run(lambda: {"state": issuing.advance(
            record_id, name, note=body.get("note") or "", paper=body.get("paper") or "F4",
            actor=current_actor(), session=db.session, registry=ext.registry, pm=ext.pm,
            desk_factory=ext.desk)})

    @expose("/<int:record_id>/berkas/<int:file_id>", methods=["GET"])
    @protect()
    def file(self, record_id, file_id):
        """Download a file of a document: the receipt, or the issued, signed PDF.
        ---
        get:
          parameters:
          - {in: path, name: record_id, required: true, schema: {type: integer}}
          - {in: path, name: file_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: The PDF
              content:
                application/pdf: {schema: {type: string, format: binary}}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            data, name = files.read_record_file(record_id, file_id, actor=current_actor(),
                                                session=db.session, blobs=lemari().desk().blobs)
        except RecordsError as exc:
            db.session.rollback()
            return self.response(exc.http_status, message=str(exc))
        return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name)



def _transition_body_problem(body) -> str:
    """Why a transition request is malformed (a 400), or ''."""
    if not isinstance(body, dict):
        return "Permintaan harus berupa objek JSON."
    if not isinstance(body.get("note"), (str, type(None))):
        return "note harus berupa teks."
    if body.get("paper") not in (None, *PAPERS):
        return "paper harus F4 atau A4."
    return ""


def _create_body_problem(body) -> str:
    """Why a create request is malformed (a 400, before any service runs), or ''."""
    if not isinstance(body, dict):
        return "Permintaan harus berupa objek JSON."
    if not isinstance(body.get("doctype"), str):
        return "doctype wajib berupa teks."
    if not isinstance(body.get("data", {}), dict):
        return "data harus berupa objek JSON."
    if type(body.get("penduduk_id")) not in (int, type(None)):  # bool is not an id
        return "penduduk_id harus berupa bilangan bulat."
    return ""
