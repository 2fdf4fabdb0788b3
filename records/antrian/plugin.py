"""The queue (antrian): kiosk, counters, TV display and thermal tickets.

Declarations are data; the adapters (views, blueprints) are imported only when the app
registers its views, so declaring the plugin costs nothing and disabling it removes its pages.
"""

from pathlib import Path

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
    from records.antrian.views import register

    register(appbuilder)


@hookimpl
def register_models():
    """The queue's services, counters and tickets."""
    return ["records.antrian.models"]


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_public_pages(app):
    """The kiosk, the waiting-room TV and the ticket: no login."""
    from records.antrian.views import public

    app.register_blueprint(public)


@hookimpl
def register_trackers():
    """/lacak answers for a ticket's code with its place in the queue."""
    from records.antrian.services import track_ticket

    return [track_ticket]


@hookimpl
def register_front_office_paths():
    """The kiosk, the TV display and the counters answer in the front-office process; a
    ticket's PDF and a request's intake (rendering, the whole workflow) go to the main workers."""
    return [r"/antrian/(?!.*/(cetak|permohonan)$)"]
