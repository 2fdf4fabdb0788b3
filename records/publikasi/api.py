"""Notices and posters over REST: list, read, create and edit drafts, fire workflow steps.

The same services as the web screens, so a role the workflow does not name cannot publish
from here either (409 with the reason).
"""

from flask import request
from flask_appbuilder.api import expose, protect

from records.api.base import ServiceApi
from records.extensions import db, lemari
from records.publikasi.desk import publish_desk
from records.publikasi.services import publishing
from records.web_common import current_actor

FIELDS = ("templat", "judul", "isi", "layanan_code", "kelompok", "ukuran", "berlaku_mulai",
          "berlaku_sampai")


def item_json(item) -> dict:
    """The API shape of a publication."""
    return {"id": item.id, "jenis": item.jenis, "templat": item.templat, "judul": item.judul,
            "isi": item.isi, "layanan_code": item.layanan_code, "kelompok": item.kelompok,
            "ukuran": item.ukuran, "state": item.state,
            "berlaku_mulai": item.berlaku_mulai.isoformat(),
            "berlaku_sampai": item.berlaku_sampai.isoformat() if item.berlaku_sampai else None,
            "halaman": item.halaman, "pdf_sha256": item.pdf_sha256,
            "created_by": item.created_by, "created_at": item.created_at.isoformat(),
            "published_at": item.published_at.isoformat() if item.published_at else None,
            "history": [{"transition": h.transition, "from": h.from_state, "to": h.to_state,
                         "actor": h.actor, "at": h.at.isoformat(), "note": h.note}
                        for h in item.history]}


class PublikasiApi(ServiceApi):
    """/api/v1/publikasi/"""

    resource_name = "publikasi"
    class_permission_name = "Publikasi"
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "put": "write",
                              "transition": "read"}
    openapi_spec_tag = "Publikasi"

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self):
        """Notices and posters in every state (staff).
        ---
        get:
          parameters:
          - {in: query, name: state, schema: {type: string}}
          - {in: query, name: jenis, schema: {type: string, enum: [pengumuman, poster]}}
          responses:
            200: {description: Publications}
            401: {$ref: '#/components/responses/401'}
        """
        return self._run(lambda: [item_json(i) for i in publishing.list_publikasi(
            actor=current_actor(), session=db.session, state=request.args.get("state"),
            jenis=request.args.get("jenis"))])

    @expose("/<int:item_id>", methods=["GET"])
    @protect()
    def get(self, item_id):
        """One publication with its history.
        ---
        get:
          parameters:
          - {in: path, name: item_id, required: true, schema: {type: integer}}
          responses:
            200: {description: The publication}
            404: {$ref: '#/components/responses/404'}
        """
        return self._run(lambda: item_json(publishing.get_publikasi(
            item_id, actor=current_actor(), session=db.session)))

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Draft a notice or poster (rendered at once).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    jenis: {type: string, enum: [pengumuman, poster]}
                    templat: {type: string}
                    judul: {type: string}
                    isi: {type: string}
                    layanan_code: {type: string}
                    kelompok: {type: string}
                    ukuran: {type: string, enum: [A3, A4]}
                    berlaku_mulai: {type: string, format: date}
                    berlaku_sampai: {type: string, format: date}
          responses:
            201: {description: Created}
            422: {$ref: '#/components/responses/422'}
        """
        body = _body()
        if body is None:
            return self.response_400(message="Permintaan harus berupa objek JSON berisi teks.")
        return self._run(lambda: item_json(publishing.create_publikasi(
            body, actor=current_actor(), session=db.session, registry=lemari().registry,
            desk=publish_desk(lemari()))), status=201)

    @expose("/<int:item_id>", methods=["PUT"])
    @protect()
    def put(self, item_id):
        """Change a draft (only while private).
        ---
        put:
          parameters:
          - {in: path, name: item_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object}
          responses:
            200: {description: Changed}
            409: {description: Not a draft}
            422: {$ref: '#/components/responses/422'}
        """
        body = _body()
        if body is None:
            return self.response_400(message="Permintaan harus berupa objek JSON berisi teks.")
        return self._run(lambda: item_json(publishing.update_publikasi(
            item_id, body, actor=current_actor(), session=db.session,
            desk=publish_desk(lemari()))))

    @expose("/<int:item_id>/transition/<name>", methods=["POST"])
    @protect()
    def transition(self, item_id, name):
        """Fire a workflow step (ajukan, setujui, kembalikan, …); the declaration decides who may.
        ---
        post:
          parameters:
          - {in: path, name: item_id, required: true, schema: {type: integer}}
          - {in: path, name: name, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {note: {type: string}}}
          responses:
            200: {description: New state}
            409: {description: Not allowed now or for this role}
        """
        body = request.get_json(silent=True) if request.get_data() else {}
        note = body.get("note") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(note, (str, type(None))):
            return self.response_400(message="Permintaan harus berupa objek JSON; note berupa teks.")
        ext = lemari()
        return self._run(lambda: {"state": publishing.fire(
            item_id, name, note=note or "", actor=current_actor(), session=db.session,
            registry=ext.registry, today=publish_desk(ext).today()).to_state})



def _body() -> dict | None:
    """The JSON object of a create/edit request with only known text fields, or None."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    picked = {key: body[key] for key in ("jenis", *FIELDS) if key in body}
    if not all(isinstance(value, (str, type(None))) for value in picked.values()):
        return None
    return picked
