"""Register the core's Flask-AppBuilder views and APIs; returns menu → required permission."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from records.extensions import lemari
from records.views import lacak, public  # noqa: F401  (blueprints registered by create_app)
from records.views.backup import CadanganView
from records.views.importing import ImportView
from records.views.kantor import PengaturanKantorView
from records.views.kependudukan import KeluargaView, PendudukView
from records.views.numbers import NomorView
from records.views.pindah import PindahView
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
    (PindahView, "Pindah ke Lemari", _l("Pindah ke Lemari"), "Referensi", "konfigurasi.write"),
    (AuditView, "Log Audit", _l("Log Audit"), "Pengawasan", "audit.read"),
    (CadanganView, "Cadangan", _l("Cadangan"), "Pengawasan", "cadangan.read"),
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
            "has_endpoint": has_endpoint, "office_name": office_name, "page_title": page_title,
            "page_notices": page_notices}


def has_endpoint(name: str) -> bool:
    """Whether a page exists in this app (a plugin's page may be switched off)."""
    return name in current_app.view_functions


def office_name() -> str:
    """The office's name as a title ("Kecamatan Kota Bangun")."""
    return str(lemari().settings["OFFICE_NAME"]).title()


def page_title(explicit=None) -> str:
    """The browser tab's title: the page's own name, else the menu entry of the address (the
    longest menu address it starts with) or of the view serving it, then the office."""
    name = str(explicit).strip() if explicit else _menu_label()
    return f"{name} · {office_name()}" if name else office_name()


def _menu_label() -> str:
    by_path, by_view = ("", ""), ""
    for item in current_app.appbuilder.menu.get_list():
        for child in item.childs or [item]:
            try:
                url = child.get_url()
            except Exception:  # a link whose view is not built in this app
                continue
            label = str(child.label or child.name or "")
            if url and url != "#" and len(url) > len(by_path[0]) and (
                    request.path == url or request.path.startswith(url.rstrip("/") + "/")):
                by_path = (url, label)
            if child.baseview is not None and type(child.baseview).__name__ == request.blueprint:
                by_view = by_view or label
    return by_path[1] or by_view


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
