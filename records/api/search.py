"""/api/v1/cari/: the archive search over REST (JWT), the same data as the /cari page."""

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect

from records.exceptions import RecordsError
from records.extensions import db
from records.web_common import run_search, search_request_from_args


class SearchApi(BaseApi):
    """/api/v1/cari/"""

    resource_name = "cari"
    class_permission_name = "Search"
    method_permission_name = {"get_list": "read"}
    allow_browser_login = False
    openapi_spec_tag = "Pencarian"

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self):
        """Search records and residents within the caller's scope (NIK masked by role).
        ---
        get:
          parameters:
          - in: query
            name: q
            schema: {type: string}
            description: >-
              Kata, nama, NIK atau nomor; kolom nik:, kk:, nomor:, desa:, tahun:, jenis:, status:,
              klasifikasi:
          - {in: query, name: page, schema: {type: integer, minimum: 1}}
          - {in: query, name: sort, schema: {type: string, enum: [relevance, date]}}
          - {in: query, name: jenis, schema: {type: string}}
          - {in: query, name: desa, schema: {type: string}}
          - {in: query, name: tahun, schema: {type: string}}
          - {in: query, name: klasifikasi, schema: {type: string}}
          - {in: query, name: status, schema: {type: string}}
          responses:
            200: {description: "One page of hits with facets, notes and a did-you-mean"}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
        """
        search = search_request_from_args(request.args)
        if search.is_empty:
            return self.response_400(message="Parameter q (atau salah satu filter) wajib diisi.")
        try:
            return self.response(200, **run_search(search))
        except RecordsError as exc:
            db.session.rollback()
            return self.response(exc.http_status, message=str(exc))

