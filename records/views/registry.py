"""Registry screens: residents and families (list/show/add/edit scoped to the user's desa)."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from .. import codes
from ..models import Keluarga, Penduduk
from ..nik import NikError, parse_nik, parse_no_kk
from ..services import registry
from .common import CRUD_PERMISSIONS, FilterDesaScope, ServiceInterface, actor_desa_scope, nik_display, scope_filters


class PendudukInterface(ServiceInterface):
    save = registry.save_penduduk
    remove = registry.delete_penduduk


class KeluargaInterface(ServiceInterface):
    save = registry.save_keluarga
    remove = None


def _nik_validator(parse):
    """WTForms validator that reports the exact NIK/No. KK rule broken, in Indonesian."""
    def validate(form, field):
        try:
            field.data = parse(field.data or "").nik if parse is parse_nik else parse(field.data or "").no_kk
        except NikError as exc:
            raise ValidationError(str(exc)) from None
    return validate


def _select(label: str, options, required: bool = True) -> SelectField:
    choices = [("", "—")] * (not required) + [(v, v) for v in codes.labels(options)]
    return SelectField(label, choices=choices, widget=Select2Widget(),
                       validators=[DataRequired()] if required else [Optional()])


DESA_QUERY = [["level", FilterEqual, "desa"], ["valid_to", FilterEqual, None],
              ["code", FilterDesaScope, actor_desa_scope]]
PENDUDUK_FORM = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin",
                 "golongan_darah", "agama", "status_perkawinan", "pekerjaan", "pendidikan",
                 "kewarganegaraan", "alamat", "rt", "rw", "desa", "keluarga", "hubungan",
                 "nama_ayah", "nama_ibu"]
LABELS = {"nik": _l("NIK"), "nama": _l("Nama"), "tempat_lahir": _l("Tempat lahir"),
          "tanggal_lahir": _l("Tanggal lahir"), "jenis_kelamin": _l("Jenis kelamin"),
          "golongan_darah": _l("Golongan darah"), "agama": _l("Agama"),
          "status_perkawinan": _l("Status perkawinan"), "pekerjaan": _l("Pekerjaan"),
          "pendidikan": _l("Pendidikan"), "kewarganegaraan": _l("Kewarganegaraan"),
          "alamat": _l("Alamat"), "rt": "RT", "rw": "RW", "desa": _l("Desa"),
          "keluarga": _l("Keluarga (No. KK)"), "hubungan": _l("Hubungan dalam keluarga"),
          "nama_ayah": _l("Nama ayah"), "nama_ibu": _l("Nama ibu"), "no_kk": _l("No. KK"),
          "kepala": _l("Kepala keluarga"), "anggota": _l("Anggota"), "kode_pos": _l("Kode pos")}


class PendudukView(ModelView):
    """Residents: clerks add and correct, others read; NIK masked without the right."""

    datamodel = PendudukInterface(Penduduk)
    class_permission_name = "Penduduk"
    method_permission_name = CRUD_PERMISSIONS
    base_filters = scope_filters()
    base_order = ("nama", "asc")
    list_title = show_title = _l("Data Penduduk")
    add_title, edit_title = _l("Tambah Penduduk"), _l("Ubah Data Penduduk")
    list_columns = ["nik", "nama", "jenis_kelamin", "tanggal_lahir", "desa", "rt", "rw"]
    search_columns = ["nama", "nik", "desa", "jenis_kelamin", "agama", "status_perkawinan"]
    show_columns = PENDUDUK_FORM
    add_columns = edit_columns = PENDUDUK_FORM
    label_columns = LABELS
    formatters_columns = {"nik": nik_display}
    validators_columns = {"nik": [_nik_validator(parse_nik)]}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "desa": DESA_QUERY, "keluarga": [["desa_code", FilterDesaScope, actor_desa_scope]]}
    add_form_extra_fields = edit_form_extra_fields = {
        "jenis_kelamin": _select(_l("Jenis kelamin"), codes.JENIS_KELAMIN),
        "golongan_darah": _select(_l("Golongan darah"), codes.GOLONGAN_DARAH),
        "agama": _select(_l("Agama"), codes.AGAMA),
        "status_perkawinan": _select(_l("Status perkawinan"), codes.STATUS_PERKAWINAN),
        "pekerjaan": _select(_l("Pekerjaan"), codes.PEKERJAAN),
        "pendidikan": _select(_l("Pendidikan"), codes.PENDIDIKAN, required=False),
        "kewarganegaraan": _select(_l("Kewarganegaraan"), codes.KEWARGANEGARAAN),
        "hubungan": _select(_l("Hubungan dalam keluarga"), codes.SHDK, required=False),
    }


class KeluargaView(ModelView):
    """Families by No. KK with their members."""

    datamodel = KeluargaInterface(Keluarga)
    class_permission_name = "Keluarga"
    method_permission_name = CRUD_PERMISSIONS
    base_permissions = ["can_read", "can_write"]
    base_filters = scope_filters()
    list_title = show_title = _l("Data Keluarga")
    add_title, edit_title = _l("Tambah Keluarga"), _l("Ubah Data Keluarga")
    list_columns = ["no_kk", "kepala", "alamat", "rt", "rw", "desa"]
    search_columns = ["no_kk", "alamat", "desa"]
    show_columns = ["no_kk", "kepala", "alamat", "rt", "rw", "desa", "kode_pos", "anggota"]
    add_columns = edit_columns = ["no_kk", "alamat", "rt", "rw", "desa", "kode_pos"]
    label_columns = LABELS
    formatters_columns = {"no_kk": nik_display,
                          "anggota": lambda members: ", ".join(p.nama for p in members)}
    validators_columns = {"no_kk": [_nik_validator(parse_no_kk)]}
    add_form_query_rel_fields = edit_form_query_rel_fields = {"desa": DESA_QUERY}
