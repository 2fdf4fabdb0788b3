"""`lemari daya status` and `lemari daya pantau`."""

from __future__ import annotations

import sys
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from records.extensions import db, lemari

EVENTS = {"padam": "Listrik padam: berjalan dengan baterai UPS (cadangan dibuat)",
          "rendah": "Baterai UPS lemah: proses dihentikan dengan rapi",
          "pulih": "Listrik kembali: pemadaman dicatat",
          "hilang": "UPS tidak terpantau",
          "kembali": "UPS terpantau lagi"}


@click.group("daya")
def daya_group() -> None:
    """The office UPS (power cuts) watched through NUT."""


@daya_group.command("status")
@with_appcontext
def status_command() -> None:
    """Read the UPS now and list the latest outages (exit 1 when it cannot be read)."""
    from records.daya import services
    from records.daya.watcher import Watcher
    from records.services.clock import format_local

    settings, tz = lemari().settings, lemari().settings["TIMEZONE"]
    if not settings["UPS_HOST"]:
        click.echo("UPS tidak dipantau (UPS_HOST kosong).")
        return
    reading, error = Watcher(current_app._get_current_object()).read()
    where = f"{settings['UPS_NAME']}@{settings['UPS_HOST']}:{settings['UPS_PORT']}"
    if reading is None:
        click.echo(f"UPS {where}: tidak terpantau — {error}")
    else:
        charge = f", baterai {reading.charge}%" if reading.charge is not None else ""
        runtime = f", sisa {reading.runtime // 60} menit" if reading.runtime is not None else ""
        click.echo(f"UPS {where}: {reading.status}{charge}{runtime}")
    for padam in services.outages(db.session, limit=10):
        low = f", baterai lemah {format_local(padam.baterai_rendah, tz)}" if padam.baterai_rendah else ""
        end = format_local(padam.selesai, tz) if padam.selesai else "masih padam"
        length = (f" ({padam.detik_baterai // 60} menit dengan baterai)"
                  if padam.detik_baterai is not None else "")
        click.echo(f"  padam {format_local(padam.mulai, tz)} – {end}{length}{low}")
    sys.exit(0 if reading is not None else 1)


@daya_group.command("pantau")
@click.option("--sekali", is_flag=True, help="Baca UPS sekali, catat, lalu keluar.")
@with_appcontext
def watch_command(sekali: bool) -> None:
    """Watch the UPS in the foreground (when no `lemari serve` watches it): record outages,
    take the backup; exits 0 at low battery. Ctrl-C stops."""
    from records.daya.watcher import Watcher

    settings = lemari().settings
    if not settings["UPS_HOST"]:
        click.echo("UPS tidak dipantau (UPS_HOST kosong).", err=True)
        sys.exit(1)
    done = threading.Event()

    def said(step, reading, error):
        if step.event:
            detail = reading.status if reading is not None else error
            click.echo(f"{EVENTS.get(step.event, step.event)} [{detail}]")

    watcher = Watcher(current_app._get_current_object(), lambda reason: done.set(), on_event=said)
    if sekali:
        watcher.poll_once()
        watcher.close()
        return
    click.echo(f"Memantau UPS {settings['UPS_NAME']}@{settings['UPS_HOST']}:{settings['UPS_PORT']} "
               f"setiap {settings['UPS_POLL_SECONDS']} detik; Ctrl-C untuk berhenti.")
    watcher.start()
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        watcher.close()
