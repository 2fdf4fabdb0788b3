"""Residents and families over REST, scoped by desa and with NIK masked without the right."""

from flask import request
from flask_appbuilder import ModelRestApi

from ..extensions import db
from ..models import Keluarga, Penduduk
from ..nik import mask_nik
from ..services import personal_data
from ..views.common import CRUD_PERMISSIONS, current_actor, scope_filters
from ..views.registry import KeluargaInterface, PendudukInterface

PENDUDUK_FIELDS = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin",
                   "golongan_darah", "agama", "status_perkawinan", "pekerjaan", "pendidikan",
                   "kewarganegaraan", "alamat", "rt", "rw", "hubungan", "nama_ayah", "nama_ibu"]
NUMBER_KEYS = ("nik", "no_kk")


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


class PendudukApi(ModelRestApi):
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

    def pre_get(self, data: dict) -> None:
        _note_read("penduduk", data)
        _mask_numbers(data)

    def pre_get_list(self, data: dict) -> None:
        _note_read("penduduk", data)
        _mask_numbers(data)


class KeluargaApi(ModelRestApi):
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

    def pre_get(self, data: dict) -> None:
        _note_read("keluarga", data)
        _mask_numbers(data)

    def pre_get_list(self, data: dict) -> None:
        _note_read("keluarga", data)
        _mask_numbers(data)
