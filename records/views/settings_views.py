"""Office configuration kept as data: services, holidays, signing officials, registers."""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from records.models import HariLibur, Layanan, Pejabat, Register
from records.numbering import NumberFormatError, check_format
from records.web_common import CRUD_PERMISSIONS


class ConfigView(ModelView):
    """Admin edits, a few roles read; FAB's own CRUD is enough for reference data."""

    class_permission_name = "Konfigurasi"
    method_permission_name = CRUD_PERMISSIONS
    base_permissions = ["can_read", "can_write"]


class LayananView(ConfigView):
    """Read-only here: a standard is changed as a new version at /standar (services.standards)."""

    datamodel = SQLAInterface(Layanan)
    base_permissions = ["can_read"]
    list_title = _l("Standar Layanan")
    list_columns = ["code", "nama", "doctype", "waktu_hari", "biaya"]
    add_columns = edit_columns = show_columns = ["code", "nama", "doctype", "waktu_hari", "biaya",
                                                 "produk", "dasar_hukum"]
    label_columns = {"code": _l("Kode"), "nama": _l("Nama layanan"), "doctype": _l("Jenis dokumen"),
                     "waktu_hari": _l("Waktu (hari kerja)"), "biaya": _l("Biaya (Rp)"),
                     "produk": _l("Produk"), "dasar_hukum": _l("Dasar hukum")}


class HariLiburView(ConfigView):
    datamodel = SQLAInterface(HariLibur)
    list_title = _l("Hari Libur")
    base_order = ("tanggal", "asc")
    list_columns = add_columns = edit_columns = show_columns = ["tanggal", "keterangan"]
    label_columns = {"tanggal": _l("Tanggal"), "keterangan": _l("Keterangan")}


class PejabatView(ConfigView):
    datamodel = SQLAInterface(Pejabat)
    list_title = _l("Pejabat Penanda Tangan")
    list_columns = ["username", "nama", "jabatan", "prefix", "nip"]
    add_columns = edit_columns = show_columns = ["username", "nama", "nip", "pangkat", "golongan",
                                                 "jabatan", "prefix", "atas_nama"]
    label_columns = {"username": _l("Akun"), "nama": _l("Nama"), "nip": "NIP",
                     "pangkat": _l("Pangkat"), "golongan": _l("Golongan"), "jabatan": _l("Jabatan"),
                     "prefix": _l("a.n. / Plt. / Plh."), "atas_nama": _l("Atas nama")}


class RegisterView(ConfigView):
    datamodel = SQLAInterface(Register)
    list_title = _l("Register Nomor")
    list_columns = ["name", "title", "number_format", "unit", "scheme"]
    edit_columns = ["title", "number_format", "unit"]
    add_columns = show_columns = ["name", "title", "number_format", "unit", "scheme"]
    label_columns = {"name": _l("Kode"), "title": _l("Nama"), "number_format": _l("Format nomor"),
                     "unit": _l("Kode unit"), "scheme": _l("Skema klasifikasi")}
    description_columns = {"number_format": _l("Token: {kode} {urut:04} {unit} {bulan_romawi} "
                                               "{bulan2} {tahun} {kode_desa}")}

    def pre_add(self, item):
        _check(item)

    def pre_update(self, item):
        _check(item)


def _check(item) -> None:
    """Refuse a number format that cannot produce safe, unique numbers."""
    try:
        check_format(item.number_format or "")
    except NumberFormatError as exc:
        raise ValueError(str(exc)) from None
