"""The queue (antrian): kiosk, counters, TV display and thermal tickets.

Declarations are data; the adapters (views, blueprints) are imported only when the app
registers its views, so declaring the plugin costs nothing and disabling it removes its pages.
"""

from records.builtin.core import PETUGAS
from records.declarations import Permission
from records.hookspecs import hookimpl

PERMISSIONS = (
    Permission("antrian.call", "Memanggil, mengulang, melewati dan mengalihkan nomor antrian di loket",
               frozenset({PETUGAS})),
    Permission("antrian.issue", "Mengambilkan tiket antrian untuk warga di meja petugas",
               frozenset({PETUGAS})),
    Permission("antrian.manage", "Mengatur loket dan huruf awal nomor antrian per layanan",
               frozenset()),
)


@hookimpl
def register_permissions():
    """Queue permissions (Admin holds them all)."""
    return list(PERMISSIONS)


@hookimpl
def register_views(appbuilder):
    """Counter screens, queue settings, and the public kiosk, display and ticket pages."""
    from records.views.antrian import register

    register(appbuilder)
