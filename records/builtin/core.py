"""Core declarations: the office's roles and the permissions of the registry, records and audit."""

from records.declarations import Permission, RoleDef
from records.hookspecs import hookimpl

ADMIN, CAMAT, SEKCAM, PETUGAS = "Admin", "Camat", "Sekcam", "Petugas Pelayanan"
ARSIPARIS, HUMAS, AUDITOR, OPERATOR_DESA = "Arsiparis", "Humas", "Auditor", "Operator Desa"

ROLES = (
    RoleDef(ADMIN, "Administrator sistem: akun, peran, data referensi."),
    RoleDef(CAMAT, "Camat: menyetujui dan menandatangani."),
    RoleDef(SEKCAM, "Sekretaris Kecamatan: memeriksa, menandatangani a.n. Camat."),
    RoleDef(PETUGAS, "Petugas pelayanan (loket): menerima permohonan, mengelola data penduduk."),
    RoleDef(ARSIPARIS, "Arsiparis: mengelola arsip, klasifikasi dan retensi."),
    RoleDef(HUMAS, "Humas: menyusun pengumuman dan materi informasi publik."),
    RoleDef(AUDITOR, "Auditor: hanya membaca, termasuk log audit."),
    RoleDef(OPERATOR_DESA, "Operator desa: hanya data desanya sendiri.", scoped=True),
)

READERS = frozenset({CAMAT, SEKCAM, PETUGAS, ARSIPARIS, AUDITOR, OPERATOR_DESA})
REGISTRY_EDITORS = frozenset({PETUGAS, OPERATOR_DESA})

PERMISSIONS = (
    Permission("penduduk.read", "Melihat data penduduk", READERS - {ARSIPARIS}),
    Permission("penduduk.write", "Menambah dan mengubah data penduduk", REGISTRY_EDITORS),
    Permission("penduduk.delete", "Menghapus data penduduk", frozenset()),
    Permission("penduduk.import", "Mengimpor data penduduk dari CSV/XLSX", REGISTRY_EDITORS),
    Permission("penduduk.view_nik", "Melihat NIK dan No. KK lengkap",
               frozenset({CAMAT, SEKCAM, PETUGAS, OPERATOR_DESA})),
    Permission("keluarga.read", "Melihat data keluarga (KK)", READERS - {ARSIPARIS}),
    Permission("keluarga.write", "Menambah dan mengubah data keluarga", REGISTRY_EDITORS),
    Permission("record.read", "Melihat dokumen", READERS),
    Permission("record.create", "Membuat dokumen / permohonan",
               REGISTRY_EDITORS | {CAMAT, SEKCAM}),
    Permission("nomor.read", "Melihat buku register nomor surat", READERS),
    Permission("nomor.reserve", "Mengambil nomor untuk surat yang dibuat di luar sistem",
               frozenset({PETUGAS, SEKCAM, CAMAT})),
    Permission("nomor.manage", "Mengatur register dan format nomor surat", frozenset()),
    Permission("wilayah.read", "Melihat data wilayah", READERS | {HUMAS}),
    Permission("wilayah.write", "Mengubah data wilayah", frozenset()),
    Permission("konfigurasi.read", "Melihat layanan, hari libur, pejabat dan register",
               frozenset({CAMAT, SEKCAM, PETUGAS, AUDITOR})),
    Permission("konfigurasi.write", "Mengubah layanan, hari libur, pejabat dan register",
               frozenset()),
    Permission("audit.read", "Melihat log audit", frozenset({AUDITOR})),
    Permission("search.read", "Mencari arsip (hasil sesuai cakupan dan izin)", READERS),
    Permission("cadangan.read", "Melihat hasil cadangan dan latihan pemulihan", frozenset({CAMAT})),
    Permission("cadangan.manage", "Mengatur target, jadwal dan frasa sandi cadangan", frozenset()),
)


@hookimpl
def register_roles():
    """The office's roles (Admin is Flask-AppBuilder's all-permissions role)."""
    return list(ROLES)


@hookimpl
def register_permissions():
    """Core permissions with their default roles."""
    return list(PERMISSIONS)


@hookimpl
def register_worklists():
    """The Auditor's alerts on the home page and the "Log Audit" menu: refused logins."""
    return [_login_alerts]


def _login_alerts(session, actor, today):
    from flask import url_for

    from records.services.worklists import login_alerts

    return login_alerts(session, actor, today,
                        link=lambda event: url_for("AuditView.show", pk=event.id))
