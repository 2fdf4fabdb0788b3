"""Residents and families over REST, scoped by desa and with NIK masked without the right."""

import logging

from flask import request
from flask_appbuilder import ModelRestApi
from flask_appbuilder.exceptions import (
    InvalidOperationFilterFABException,
    InvalidOrderByColumnFABException,
)
from flask_appbuilder.models.sqla.filters import FilterEqual

from records.exceptions import RecordsError
from records.extensions import db
from records.models import Keluarga, Penduduk
from records.nik import mask_nik
from records.services import personal_data
from records.services.records import MAX_ID
from records.web_common import (
    CRUD_PERMISSIONS,
    FilterDesaScope,
    KeluargaInterface,
    PendudukInterface,
    actor_desa_scope,
    current_actor,
    guard_number_query,
    scope_filters,
)

PENDUDUK_FIELDS = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin",
                   "golongan_darah", "agama", "status_perkawinan", "pekerjaan", "pendidikan",
                   "kewarganegaraan", "alamat", "rt", "rw", "hubungan", "nama_ayah", "nama_ibu"]
NUMBER_KEYS = ("nik", "no_kk")


log = logging.getLogger(__name__)


class ServiceRestApi(ModelRestApi):
    """FAB's model API whose writes answer the service's verdict instead of a 500.

    FAB's ``@safe`` turns every exception into a 500; a rule broken by the input (a
    ``RecordsError`` from the service) is the client's error with its Indonesian message, and
    a body that marshmallow cannot even turn into objects (a nested object of unknown
    fields) is a 400.
    """

    def post_headless(self):
        return self._service_errors(super().post_headless)

    def get_headless(self, pk, **kwargs):
        if not _storable_id(pk):
            return self.response_404()
        return super().get_headless(pk, **kwargs)

    def put_headless(self, pk):
        if not _storable_id(pk):
            return self.response_404()
        return self._service_errors(lambda: super(ServiceRestApi, self).put_headless(pk))

    def delete_headless(self, pk):
        if not _storable_id(pk):
            return self.response_404()
        return self._service_errors(lambda: super(ServiceRestApi, self).delete_headless(pk))

    def _handle_filters_args(self, rison_args):
        """FAB's filters from `q`, checked against what the caller may ask about personal
        numbers (every `opr`: a role without the full-NIK right matches a NIK / No. KK only
        whole with `eq`); a refusal is a 400 with the reason."""
        self._filters.clear_filters()
        self._filters.rest_add_filters(rison_args.get("filters", []))
        try:
            guard_number_query(self._filters)
        except personal_data.NumberQueryError as exc:
            raise InvalidOperationFilterFABException(str(exc)) from None
        return self._filters.get_joined_filters(self._base_filters)

    def _handle_order_args(self, rison_args):
        """FAB's order, refused on a personal number without the full-NIK right (400)."""
        order_column, order_direction = super()._handle_order_args(rison_args)
        try:
            personal_data.check_number_order(current_actor(), order_column)
        except personal_data.NumberQueryError as exc:
            raise InvalidOrderByColumnFABException(str(exc)) from None
        return order_column, order_direction

    def _service_errors(self, call):
        try:
            return call()
        except RecordsError as exc:
            db.session.rollback()
            return self.response(exc.http_status, message=str(exc),
                                 errors=getattr(exc, "errors", {}) or {})
        except (TypeError, ValueError) as exc:  # marshmallow building models from bad JSON
            db.session.rollback()
            log.warning("API body refused: %s", exc)
            return self.response_400(message="Isian tidak valid: struktur data tidak dikenal.")


def _storable_id(pk) -> bool:
    """A key the database can hold; a 40-digit id from a URL names nothing (404, not a
    driver overflow)."""
    try:
        return 0 < int(pk) <= MAX_ID
    except (TypeError, ValueError):
        return False


def _note_read(kind: str, data: dict) -> None:
    """Audit an API read of personal data: one item, or a page with the query that chose it."""
    result = data.get("result")
    if isinstance(result, list):
        personal_data.note_listed(kind, len(result), actor=current_actor(), session=db.session,
                                  query=request.args.get("q", ""))
    elif isinstance(result, dict):
        desa = (result.get("desa") or {}).get("code")
        personal_data.note_viewed(kind, data.get("id"), desa_code=desa, actor=current_actor(),
                                  session=db.session, channel="api")


def _mask_numbers(data: dict) -> None:
    """Mask NIK/No. KK in an API response unless the caller holds penduduk.view_nik."""
    if current_actor().can("penduduk.view_nik"):
        return
    results = data.get("result")
    for item in results if isinstance(results, list) else [results]:
        for key in NUMBER_KEYS:
            if isinstance(item, dict) and item.get(key):
                item[key] = mask_nik(item[key])


class PendudukApi(ServiceRestApi):
    """/api/v1/penduduk/ — CRUD through the registry service."""

    resource_name = "penduduk"
    datamodel = PendudukInterface(Penduduk)
    class_permission_name = "Penduduk"
    method_permission_name = CRUD_PERMISSIONS
    allow_browser_login = False
    base_filters = scope_filters()
    list_columns = show_columns = ["id", *PENDUDUK_FIELDS, "desa.code", "desa.name", "keluarga.id"]
    add_columns = edit_columns = [*PENDUDUK_FIELDS, "desa", "keluarga"]
    search_columns = ["nama", "nik", "desa"]
    # the choices `_info` offers for the add/edit forms: the actor's desa and their families
    add_query_rel_fields = edit_query_rel_fields = {
        "desa": [["level", FilterEqual, "desa"], ["code", FilterDesaScope, actor_desa_scope]],
        "keluarga": [["desa_code", FilterDesaScope, actor_desa_scope]]}

    def pre_get(self, data: dict) -> None:
        _note_read("penduduk", data)
        _mask_numbers(data)

    def pre_get_list(self, data: dict) -> None:
        _note_read("penduduk", data)
        _mask_numbers(data)


class KeluargaApi(ServiceRestApi):
    """/api/v1/keluarga/ — families (No. KK)."""

    resource_name = "keluarga"
    datamodel = KeluargaInterface(Keluarga)
    class_permission_name = "Keluarga"
    method_permission_name = CRUD_PERMISSIONS
    include_route_methods = {"get", "get_list", "post", "put", "info"}
    allow_browser_login = False
    base_filters = scope_filters()
    list_columns = show_columns = ["id", "no_kk", "desa.code", "desa.name", "alamat", "rt", "rw",
                                   "kode_pos"]
    add_columns = edit_columns = ["no_kk", "desa", "alamat", "rt", "rw", "kode_pos"]
    add_query_rel_fields = edit_query_rel_fields = {
        "desa": [["level", FilterEqual, "desa"], ["code", FilterDesaScope, actor_desa_scope]]}

    def pre_get(self, data: dict) -> None:
        _note_read("keluarga", data)
        _mask_numbers(data)

    def pre_get_list(self, data: dict) -> None:
        _note_read("keluarga", data)
        _mask_numbers(data)
