"""Power (daya): the office UPS watched through NUT's upsd.

Idle unless UPS_HOST is set. Then `lemari serve` (and `lemari jobs worker`) run a watcher
thread (records.daya.watcher): banners during a power cut, long jobs held, one backup per
outage, a clean shutdown at low battery, and every outage recorded and audited.
"""

from pathlib import Path

from records.hookspecs import hookimpl


@hookimpl
def register_models():
    """The UPS status row and the outages."""
    return ["records.daya.models"]


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_watchers(app, stop):
    """Watch the UPS in this process when one is configured."""
    if not app.extensions["lemari"].settings["UPS_HOST"]:
        return None
    from records.daya.watcher import Watcher

    return Watcher(app, stop).start()


@hookimpl
def register_jobs(jobs, settings):
    """Long jobs wait while the office runs on battery."""
    if settings["UPS_HOST"]:
        jobs.gate(_held)


def _held(app):
    from records.daya.services import held_reason
    from records.extensions import db

    return held_reason(db.session, poll_seconds=float(app.extensions["lemari"].settings["UPS_POLL_SECONDS"]))


@hookimpl
def register_page_notices():
    """The power-cut banner (staff pages and the TV) and the Admin's unwatched-UPS warning."""
    from records.daya.views import notices

    return [notices]


@hookimpl
def register_commands(cli):
    """`lemari daya status` and `lemari daya pantau`."""
    from records.daya.cli import daya_group

    cli.add_command(daya_group)


@hookimpl
def register_doctor_checks():
    """Is the UPS watched and readable."""
    return [check_ups]


def check_ups(session, blobs, registry) -> list:
    """`lemari doctor`: an unconfigured UPS is reported (not failed); a configured one that
    cannot be read fails with the reason."""
    from records.daya.nut import UpsUnreachable, read_ups
    from records.doctor import Check
    from records.extensions import lemari

    settings = lemari().settings
    if not settings["UPS_HOST"]:
        return [Check("daya.ups", True, "UPS tidak dipantau (UPS_HOST kosong)",
                      ["Atur LEMARI_UPS_HOST dan LEMARI_UPS_NAME; lihat docs/operations.md"])]
    where = f"{settings['UPS_NAME']}@{settings['UPS_HOST']}:{settings['UPS_PORT']}"
    try:
        reading = read_ups(settings["UPS_HOST"], int(settings["UPS_PORT"]), settings["UPS_NAME"],
                           timeout=float(settings["UPS_TIMEOUT_SECONDS"]))
    except UpsUnreachable as exc:
        return [Check("daya.ups", False, f"UPS tidak terpantau: {exc}", [f"UPS: {where}"])]
    charge = f", baterai {reading.charge}%" if reading.charge is not None else ""
    return [Check("daya.ups", True, f"UPS {where}: {reading.status}{charge}")]
