"""Register the core's Flask-AppBuilder views and APIs; returns menu → required permission."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from records.views import lacak, public  # noqa: F401  (blueprints registered by create_app)
from records.views.importing import ImportView
from records.views.kantor import PengaturanKantorView
from records.views.kependudukan import KeluargaView, PendudukView
from records.views.numbers import NomorView
from records.views.records import RecordsView
from records.views.reference import AuditView, WilayahView
from records.views.search import SearchView
from records.views.search import install as install_search
from records.views.settings_views import HariLiburView, LayananView, PejabatView, RegisterView
from records.web_common import current_actor, text_display

# (view, menu name, label, category, required permission)
MENU = (
    (RecordsView, "Dokumen", _l("Daftar Dokumen"), "Layanan", "record.read"),
    (SearchView, "Cari", _l("Cari"), "Layanan", "search.read"),
    (NomorView, "Register Nomor", _l("Register Nomor"), "Layanan", "nomor.read"),
    (PendudukView, "Penduduk", _l("Data Penduduk"), "Kependudukan", "penduduk.read"),
    (KeluargaView, "Keluarga", _l("Data Keluarga"), "Kependudukan", "keluarga.read"),
    (ImportView, "Impor Penduduk", _l("Impor Penduduk"), "Kependudukan", "penduduk.import"),
    (WilayahView, "Wilayah", _l("Data Wilayah"), "Referensi", "wilayah.read"),
    (LayananView, "Standar Layanan", _l("Standar Layanan"), "Referensi", "konfigurasi.read"),
    (HariLiburView, "Hari Libur", _l("Hari Libur"), "Referensi", "konfigurasi.read"),
    (PejabatView, "Pejabat", _l("Pejabat Penanda Tangan"), "Referensi", "konfigurasi.read"),
    (RegisterView, "Register", _l("Format Nomor Surat"), "Referensi", "konfigurasi.read"),
    (PengaturanKantorView, "Pengaturan Kantor", _l("Pengaturan Kantor"), "Referensi",
     "konfigurasi.write"),
    (AuditView, "Log Audit", _l("Log Audit"), "Pengawasan", "audit.read"),
)
CATEGORY_LABELS = {"Layanan": _l("Layanan"), "Kependudukan": _l("Kependudukan"),
                   "Referensi": _l("Referensi"), "Pengawasan": _l("Pengawasan")}


def register(appbuilder) -> dict[str, frozenset[str]]:
    """Add the core views; returns {menu or category: permissions, any of which opens it}."""
    from records import api

    menu_permissions: dict[str, frozenset[str]] = {}
    for view, name, label, category, permission in MENU:
        appbuilder.add_view(view, name, label=label, category=category,
                            category_label=CATEGORY_LABELS[category])
        menu_permissions[name] = frozenset({permission})
        menu_permissions[category] = menu_permissions.get(category, frozenset()) | {permission}
    appbuilder.add_link("Terima Permohonan", href="/dokumen/permohonan",
                        label=_l("Terima Permohonan"), category="Layanan")
    menu_permissions["Terima Permohonan"] = frozenset({"record.create"})
    menu_permissions["Layanan"] |= {"record.create"}
    api.register(appbuilder)
    install_search()  # search index follows each committed request
    return menu_permissions


def actor_context() -> dict:
    """Template variables every page may use (text_display: free text with NIK / No. KK masked
    for a role without the full-NIK right)."""
    return {"current_actor_permissions": current_actor().permissions, "text_display": text_display,
            "page_notices": page_notices}


def page_notices(screen: bool = False) -> list[dict]:
    """The plugins' banners for this page (hook `register_page_notices`); `screen`: a public
    screen (the TV), else a staff page. A notice that fails is logged and left out: a banner
    never breaks the page under it."""
    import logging

    from records.extensions import lemari

    found: list[dict] = []
    for notices in lemari().registry.page_notices:
        try:
            found.extend(notices(screen) or ())
        except Exception:
            logging.getLogger(__name__).exception("page notice failed")
    return found
