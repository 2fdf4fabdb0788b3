"""The gratification register over REST: /api/v1/gratifikasi/ (JWT), the same services as
the screens, so the same visibility and the same Indonesian refusals (422 with every field)."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect

from records.api.base import ServiceApi
from records.extensions import db, lemari
from records.gratifikasi import services as gratifikasi
from records.web_common import current_actor, tz

FIELDS = ("uraian", "pemberi", "hubungan", "nilai", "tanggal", "tempat", "sikap", "layanan",
          "kode_lacak")


def item_json(row) -> dict:
    """The API shape of a declaration, with its history."""
    return {"id": row.id, "kode": row.kode, "pelapor": row.pelapor, "uraian": row.uraian,
            "pemberi": row.pemberi, "hubungan": row.hubungan, "nilai": row.nilai,
            "tanggal_pemberian": row.tanggal_pemberian.isoformat(), "tempat": row.tempat,
            "sikap": row.sikap, "layanan": row.layanan_code, "kode_lacak": row.kode_lacak,
            "tanggal_lapor": row.tanggal_lapor.isoformat(), "batas_lapor": row.batas_lapor.isoformat(),
            "terlambat": row.terlambat, "state": row.state, "catatan_telaah": row.catatan_telaah,
            "history": [{"transition": h.transition, "from": h.from_state, "to": h.to_state,
                         "actor": h.actor, "at": h.at.isoformat(), "note": h.note}
                        for h in row.history]}


def report_json(data: dict) -> dict:
    return {**{k: data[k] for k in ("period", "label", "jumlah", "nilai", "terlambat", "selesai",
                                    "per_state", "per_sikap", "dasar_hukum")},
            "first": data["first"].isoformat(), "last": data["last"].isoformat(),
            "rows": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
                     for r in data["rows"]]}


class GratifikasiApi(ServiceApi):
    """/api/v1/gratifikasi/"""

    resource_name = "gratifikasi"
    class_permission_name = "Gratifikasi"
    method_permission_name = {"get_list": "list", "get": "list", "post": "declare",
                              "transition": "review", "report": "report"}
    openapi_spec_tag = "Gratifikasi"

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self):
        """Declarations the caller may see (their own; all for Camat, UPG, Auditor).
        ---
        get:
          parameters:
          - {in: query, name: state, schema: {type: string}}
          responses:
            200: {description: Declarations}
            401: {$ref: '#/components/responses/401'}
        """
        return self._run(lambda: [item_json(r) for r in gratifikasi.list_declarations(
            actor=current_actor(), session=db.session, registry=lemari().registry,
            state=request.args.get("state", "")[:20])])

    @expose("/<int:declaration_id>", methods=["GET"])
    @protect()
    def get(self, declaration_id):
        """One declaration with its history.
        ---
        get:
          parameters:
          - {in: path, name: declaration_id, required: true, schema: {type: integer}}
          responses:
            200: {description: The declaration}
            404: {$ref: '#/components/responses/404'}
        """
        return self._run(lambda: item_json(gratifikasi.get_declaration(
            declaration_id, actor=current_actor(), session=db.session, registry=lemari().registry)))

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Declare a gift offered or received.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    uraian: {type: string}
                    pemberi: {type: string}
                    hubungan: {type: string}
                    nilai: {oneOf: [{type: integer}, {type: string}]}
                    tanggal: {type: string, format: date}
                    tempat: {type: string}
                    sikap: {type: string, enum: [ditolak, diterima]}
                    layanan: {type: string}
                    kode_lacak: {type: string}
          responses:
            201: {description: Recorded}
            422: {$ref: '#/components/responses/422'}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Permintaan harus berupa objek JSON.")
        picked = {key: body[key] for key in FIELDS if key in body}
        if not all(isinstance(v, (str, int, type(None))) and not isinstance(v, bool)
                   for v in picked.values()):
            return self.response_400(message="Setiap isian harus berupa teks atau angka.")
        return self._run(lambda: item_json(gratifikasi.declare(
            picked, actor=current_actor(), session=db.session, registry=lemari().registry,
            tz=tz())), status=201)

    @expose("/<int:declaration_id>/transition/<name>", methods=["POST"])
    @protect()
    def transition(self, declaration_id, name):
        """Take one review step (Camat or Petugas UPG; never on one's own declaration).
        ---
        post:
          parameters:
          - {in: path, name: declaration_id, required: true, schema: {type: integer}}
          - {in: path, name: name, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {note: {type: string}}}
          responses:
            200: {description: Moved}
            409: {description: Not allowed now or for this role}
        """
        body = request.get_json(silent=True) or {}
        note = body.get("note", "") if isinstance(body, dict) else ""
        if not isinstance(note, str):
            return self.response_400(message="Catatan harus berupa teks.")
        return self._run(lambda: item_json(gratifikasi.fire(
            declaration_id, name[:32], note=note, actor=current_actor(), session=db.session,
            registry=lemari().registry, tz=tz())))

    @expose("/laporan", methods=["GET"])
    @protect()
    def report(self):
        """The report to the Inspektorat for a quarter (2026-T4) or a year (2026).
        ---
        get:
          parameters:
          - {in: query, name: periode, required: true, schema: {type: string}}
          responses:
            200: {description: The report}
            422: {$ref: '#/components/responses/422'}
        """
        return self._run(lambda: report_json(gratifikasi.report(
            request.args.get("periode", "")[:16], actor=current_actor(), session=db.session,
            registry=lemari().registry)))
