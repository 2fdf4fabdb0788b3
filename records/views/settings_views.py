"""Office configuration kept as data: services, holidays, signing officials, registers."""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from records.extensions import lemari
from records.models import HariLibur, Layanan, Pejabat, Register
from records.numbering import NumberFormatError, check_format
from records.web_common import CRUD_PERMISSIONS


def as_code(value) -> Markup:
    """An identifier the Admin types (a service's code, a register's name, a number format),
    marked as code on the screen rather than mixed into the words."""
    return Markup("<code>%s</code>") % (value or "")


def doctype_title(name) -> str:
    """The document type's name, as clerks know it (its key only when no plugin declares it)."""
    found = lemari().registry.document_types.get(name or "")
    return found.title if found is not None else (name or "")


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
    show_title = _l("Detail Standar Layanan")
    list_columns = ["code", "nama", "doctype", "waktu_hari", "biaya"]
    add_columns = edit_columns = show_columns = ["code", "nama", "doctype", "waktu_hari", "biaya",
                                                 "produk", "dasar_hukum"]
    label_columns = {"code": _l("Kode"), "nama": _l("Nama layanan"), "doctype": _l("Jenis dokumen"),
                     "waktu_hari": _l("Waktu (hari kerja)"), "biaya": _l("Biaya (Rp)"),
                     "produk": _l("Produk"), "dasar_hukum": _l("Dasar hukum")}
    formatters_columns = {"code": as_code, "doctype": doctype_title}


class HariLiburView(ConfigView):
    datamodel = SQLAInterface(HariLibur)
    list_title = _l("Hari Libur")
    add_title, edit_title = _l("Tambah Hari Libur"), _l("Ubah Hari Libur")
    show_title = _l("Detail Hari Libur")
    base_order = ("tanggal", "asc")
    list_columns = add_columns = edit_columns = show_columns = ["tanggal", "keterangan"]
    label_columns = {"tanggal": _l("Tanggal"), "keterangan": _l("Keterangan")}


class PejabatView(ConfigView):
    datamodel = SQLAInterface(Pejabat)
    list_title = _l("Pejabat Penanda Tangan")
    add_title, edit_title = _l("Tambah Pejabat Penanda Tangan"), _l("Ubah Pejabat Penanda Tangan")
    show_title = _l("Detail Pejabat Penanda Tangan")
    list_columns = ["username", "nama", "jabatan", "prefix", "nip"]
    add_columns = edit_columns = show_columns = ["username", "nama", "nip", "pangkat", "golongan",
                                                 "jabatan", "prefix", "atas_nama"]
    label_columns = {"username": _l("Akun"), "nama": _l("Nama"), "nip": "NIP",
                     "pangkat": _l("Pangkat"), "golongan": _l("Golongan"), "jabatan": _l("Jabatan"),
                     "prefix": _l("a.n. / Plt. / Plh."), "atas_nama": _l("Atas nama")}


class RegisterView(ConfigView):
    datamodel = SQLAInterface(Register)
    list_title = _l("Register Nomor")
    add_title, edit_title = _l("Tambah Register Nomor"), _l("Ubah Register Nomor")
    show_title = _l("Detail Register Nomor")
    list_columns = ["name", "title", "number_format", "unit", "scheme"]
    edit_columns = ["title", "number_format", "unit"]
    add_columns = show_columns = ["name", "title", "number_format", "unit", "scheme"]
    label_columns = {"name": _l("Kode"), "title": _l("Nama"), "number_format": _l("Format nomor"),
                     "unit": _l("Kode unit"), "scheme": _l("Skema klasifikasi")}
    description_columns = {"number_format": _l("Token: <code>{kode} {urut:04} {unit} {bulan_romawi} "
                                               "{bulan2} {tahun} {kode_desa}</code>")}
    formatters_columns = {"name": as_code, "number_format": as_code}

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
