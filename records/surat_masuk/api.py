"""Incoming letters over REST (JWT): the agenda, one letter with its disposition chain,
registering (JSON, or multipart with the scan in `berkas`), disposing, and my worklist."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect

from records.api.base import ServiceApi
from records.extensions import db, lemari
from records.services.clock import clock
from records.surat_masuk import services as sm
from records.surat_masuk.desk import scan_from_upload
from records.web_common import current_actor, tz

LETTER_FIELDS = ("pengirim", "nomor_surat", "tanggal_surat", "perihal", "sifat", "klasifikasi",
                 "lampiran", "tanggal_terima", "catatan")


def disposisi_json(d) -> dict:
    return {"id": d.id, "surat_id": d.surat_id, "induk_id": d.induk_id, "dari": d.dari,
            "kepada": d.kepada, "kepada_user": d.kepada_user, "kepada_unit": d.kepada_role,
            "instruksi": list(d.instruksi or []), "catatan": d.catatan,
            "batas_waktu": d.batas_waktu.isoformat(), "status": d.state,
            "laporan": [{"isi": lap.isi, "oleh": lap.oleh, "pada": lap.pada.isoformat(),
                         "record_id": lap.record_id} for lap in d.laporan]}


def surat_json(s, *, full: bool = False) -> dict:
    shown = {"id": s.id, "agenda": f"{s.nomor_agenda}/{s.tahun}", "nomor_agenda": s.nomor_agenda,
             "tahun": s.tahun, "pengirim": s.pengirim, "nomor_surat": s.nomor_surat,
             "tanggal_surat": s.tanggal_surat.isoformat(), "perihal": s.perihal, "sifat": s.sifat,
             "klasifikasi": s.klasifikasi, "lampiran": s.lampiran,
             "tanggal_terima": s.tanggal_terima.isoformat(), "status": s.state,
             "record_id": s.record_id, "balasan_record_id": s.balasan_record_id,
             "duplikat_dari": s.duplikat_dari}
    if full:
        shown["disposisi"] = [dict(disposisi_json(d), tingkat=depth) for depth, d in sm.chain(s)]
    return shown


def _today():
    return clock(tz())[1]


class SuratMasukApi(ServiceApi):
    """/api/v1/surat-masuk/"""

    resource_name = "surat-masuk"
    class_permission_name = "Surat_masuk"
    method_permission_name = {"get_list": "read", "get": "read", "post": "register",
                              "dispose": "read", "act": "follow", "mine": "follow"}
    openapi_spec_tag = "Surat Masuk"

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self):
        """Letters in the buku agenda the caller may see (rahasia ones only for their readers).
        ---
        get:
          parameters:
          - {in: query, name: tahun, schema: {type: integer}}
          - {in: query, name: status, schema: {type: string}}
          - {in: query, name: q, schema: {type: string}}
          responses:
            200: {description: Letters, newest agenda number first}
            401: {$ref: '#/components/responses/401'}
        """
        year = request.args.get("tahun", type=int)
        return self._run(lambda: {"items": [surat_json(s) for s in sm.list_letters(
            actor=current_actor(), session=db.session, registry=lemari().registry, tahun=year,
            state=request.args.get("status", "")[:20], teks=request.args.get("q", "")[:100])]})

    @expose("/<int:surat_id>", methods=["GET"])
    @protect()
    def get(self, surat_id):
        """One letter with its disposition chain (audited).
        ---
        get:
          parameters:
          - {in: path, name: surat_id, required: true, schema: {type: integer}}
          responses:
            200: {description: The letter}
            404: {$ref: '#/components/responses/404'}
        """
        return self._run(lambda: surat_json(sm.view_letter(
            surat_id, actor=current_actor(), session=db.session, registry=lemari().registry,
            channel="api"), full=True))

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Register a letter: JSON, or multipart with the scan in `berkas`; `konfirmasi_duplikat`
        true to register despite the same sender and number already in the book.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    pengirim: {type: string}
                    nomor_surat: {type: string}
                    tanggal_surat: {type: string, format: date}
                    perihal: {type: string}
                    sifat: {type: string, enum: [biasa, segera, sangat_segera, rahasia]}
                    klasifikasi: {type: string}
                    lampiran: {type: string}
                    tanggal_terima: {type: string, format: date}
                    konfirmasi_duplikat: {type: boolean}
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    berkas: {type: string, format: binary}
          responses:
            201: {description: Registered}
            409: {description: Same sender and number already registered; confirm}
            422: {description: Refused, with the reasons}
        """
        body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        body = body if isinstance(body, dict) else {}
        values = {k: body.get(k, "") for k in LETTER_FIELDS}
        confirm = str(body.get("konfirmasi_duplikat", "")).lower() in ("1", "true", "ya")
        actor = current_actor()
        return self._run(lambda: surat_json(scan_from_upload(
            request.files.get("berkas"), actor=actor, run=lambda scan: sm.register_letter(
                values, actor=actor, session=db.session, registry=lemari().registry,
                today=_today(), scan=scan, confirm_duplicate=confirm))), status=201)

    @expose("/<int:surat_id>/disposisi", methods=["POST"])
    @protect()
    def dispose(self, surat_id):
        """Dispose a letter (Camat/Sekcam), or forward a disposition one holds (`induk_id`).
        ---
        post:
          parameters:
          - {in: path, name: surat_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    kepada: {type: array, items: {type: string}, description: "user names or unit:Role"}
                    instruksi: {type: array, items: {type: string}}
                    catatan: {type: string}
                    batas_waktu: {type: string, format: date}
                    induk_id: {type: integer}
          responses:
            201: {description: The dispositions made}
            422: {description: Refused, with the reasons}
        """
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        kepada = body.get("kepada") or []
        instruksi = body.get("instruksi") or []
        induk = body.get("induk_id")
        return self._run(lambda: {"items": [disposisi_json(d) for d in sm.dispose(
            surat_id, kepada=kepada if isinstance(kepada, list) else [str(kepada)],
            instruksi=instruksi if isinstance(instruksi, list) else [str(instruksi)],
            catatan=str(body.get("catatan") or ""), batas_waktu=body.get("batas_waktu"),
            actor=current_actor(), session=db.session, registry=lemari().registry, today=_today(),
            induk_id=induk if isinstance(induk, int) else None)]}, status=201)

    @expose("/disposisi/<int:disposisi_id>/<name>", methods=["POST"])
    @protect()
    def act(self, disposisi_id, name):
        """Take a step on a disposition one holds: baca, laporkan or selesaikan (with `note`).
        ---
        post:
          parameters:
          - {in: path, name: disposisi_id, required: true, schema: {type: integer}}
          - {in: path, name: name, required: true, schema: {type: string, enum: [baca, laporkan, selesaikan]}}
          responses:
            200: {description: The disposition}
            422: {description: Refused}
        """
        body = request.get_json(silent=True)
        note = str((body or {}).get("note") or "") if isinstance(body, dict) else ""
        return self._run(lambda: disposisi_json(sm.act(
            disposisi_id, name, note=note, actor=current_actor(), session=db.session,
            registry=lemari().registry)))

    @expose("/disposisi-saya", methods=["GET"])
    @protect()
    def mine(self):
        """Open dispositions waiting for the caller.
        ---
        get:
          responses:
            200: {description: The worklist}
        """
        return self._run(lambda: {"items": [disposisi_json(d) for d in sm.worklist(
            actor=current_actor(), session=db.session)]})
