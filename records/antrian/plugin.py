"""The queue (antrian): kiosk, counters, TV display and thermal tickets, and the appointments
(jadwal layanan) that turn into tickets on their day (jadwal.py, jadwal_views.py).

Declarations are data; the adapters (views, blueprints) are imported only when the app
registers its views, so declaring the plugin costs nothing and disabling it removes its pages.
"""

from pathlib import Path

from records.builtin.core import CAMAT, OPERATOR_DESA, PETUGAS
from records.declarations import Permission
from records.hookspecs import hookimpl

PERMISSIONS = (
    Permission("antrian.call", "Memanggil, mengulang, melewati dan mengalihkan nomor antrian di loket",
               frozenset({PETUGAS})),
    Permission("antrian.issue", "Mengambilkan tiket antrian untuk warga di meja petugas",
               frozenset({PETUGAS})),
    Permission("antrian.manage", "Mengatur loket dan huruf awal nomor antrian per layanan",
               frozenset()),
    Permission("antrian.janji", "Membuat dan membatalkan janji layanan untuk warga (Operator Desa: "
               "warga desanya)", frozenset({PETUGAS, OPERATOR_DESA})),
    Permission("antrian.jadwal", "Mengatur jam layanan, kuota dan jam khusus lansia/disabilitas/ibu hamil",
               frozenset({CAMAT})),
)


@hookimpl
def register_permissions():
    """Queue permissions (Admin holds them all)."""
    return list(PERMISSIONS)


@hookimpl
def register_views(appbuilder):
    """Counter screens, queue settings, and the public kiosk, display and ticket pages."""
    from records.antrian import jadwal_views
    from records.antrian.views import register

    register(appbuilder)
    jadwal_views.register(appbuilder)


@hookimpl
def register_commands(cli):
    """`lemari janji …`: appointments from the command line."""
    from records.antrian.jadwal_cli import janji_group

    cli.add_command(janji_group)


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
    """The kiosk, the waiting-room TV, the ticket, the booking page and its slip: no login."""
    from records.antrian.jadwal_views import public as jadwal_public
    from records.antrian.views import public

    app.register_blueprint(public)
    app.register_blueprint(jadwal_public)


@hookimpl
def register_trackers():
    """/lacak answers for a ticket's code with its place in the queue."""
    from records.antrian.jadwal import track_booking
    from records.antrian.services import track_ticket

    return [track_ticket, track_booking]


@hookimpl
def seed_demo(session):
    """The demo office's queue (service letters, counters) and appointment slots: a reserved
    08.00–09.00 window and a regular 09.00–12.00 one for KTP-el, KK, SKTM and SK Domisili."""
    from records.antrian.jadwal import seed_demo_slots
    from records.antrian.services import ensure_setup
    from records.services.setup import catalogue

    ensure_setup(session, [spec["code"] for spec in catalogue()["layanan"]])
    seed_demo_slots(session)


@hookimpl
def register_front_office_paths():
    """The kiosk, the TV display and the counters answer in the front-office process; a
    ticket's PDF and a request's intake (rendering, the whole workflow) go to the main workers."""
    return [r"/antrian/(?!.*/(cetak|permohonan)$)"]


@hookimpl
def register_jobs(jobs, settings):
    """Bookings nobody checked in for are released every five minutes (and on every call)."""
    jobs.periodic("antrian_janji_lepas", _release_no_shows, minute="*/5", hour="*")


def _release_no_shows(app) -> None:
    from records.antrian.jadwal import release_job
    from records.extensions import db

    release_job(db.session, tz=app.extensions["lemari"].settings["TIMEZONE"])
