"""Documents over REST: list, read, create and fire workflow transitions."""

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe

from ..exceptions import RecordsError
from ..extensions import db, lemari
from ..services import records
from ..views.common import current_actor


def record_json(record) -> dict:
    """The public shape of a record in the API (no NIK: clients use penduduk_id)."""
    return {"id": record.id, "doctype": record.doctype, "state": record.state,
            "title": record.title, "desa_code": record.desa_code,
            "penduduk_id": record.penduduk_id, "data": record.data,
            "created_by": record.created_by, "created_on": record.created_on.isoformat(),
            "history": [{"transition": h.transition, "from": h.from_state, "to": h.to_state,
                         "actor": h.actor, "at": h.at.isoformat(), "note": h.note}
                        for h in record.history]}


class RecordApi(BaseApi):
    """/api/v1/dokumen/"""

    resource_name = "dokumen"
    class_permission_name = "Record"
    method_permission_name = {"get_list": "read", "get": "read", "post": "create",
                              "transition": "read"}
    allow_browser_login = False
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
        return self._run(lambda: record_json(
            records.get_record(record_id, actor=current_actor(), session=db.session)))

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Create a document of a declared type.
        ---
        post:
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
        if not isinstance(body, dict) or not isinstance(body.get("data", {}), dict):
            return self.response_400(message="Permintaan harus berupa objek JSON.")
        return self._run(lambda: record_json(records.create_record(
            str(body.get("doctype", "")), body.get("data", {}),
            penduduk_id=_int_or_none(body.get("penduduk_id")), actor=current_actor(),
            session=db.session, registry=lemari().registry)), status=201)

    @expose("/<int:record_id>/transition/<name>", methods=["POST"])
    @protect()
    def transition(self, record_id, name):
        """Fire a workflow transition (the workflow declaration decides who may).
        ---
        post:
          parameters:
          - {in: path, name: record_id, required: true, schema: {type: integer}}
          - {in: path, name: name, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {note: {type: string}}}
          responses:
            200: {description: New state}
            409: {description: Not allowed now or for this role}
        """
        body = request.get_json(silent=True) or {}
        note = body.get("note", "") if isinstance(body, dict) else ""
        return self._run(lambda: {"state": records.fire_transition(
            record_id, name, note=str(note), actor=current_actor(), session=db.session,
            registry=lemari().registry, pm=lemari().pm).to_state})

    def _run(self, action, status: int = 200):
        """Call a service and map its domain errors to JSON responses."""
        try:
            result = action()
        except RecordsError as exc:
            db.session.rollback()
            return self.response(exc.http_status, message=str(exc),
                                 errors=getattr(exc, "errors", {}))
        return self.response(status, result=result)


def _int_or_none(value):
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return -1
