"""The UPS watcher: a thread of `lemari serve` (and `lemari jobs worker`) that reads the UPS
every UPS_POLL_SECONDS and acts on what changed (records.daya.services.record_reading):

* OB (on battery):  the outage is opened; one backup is taken in its own thread
                    (`take_backup`: the encrypted backup to every target when set up);
                    banners show (they read the status row); long jobs are held by the gate.
* OB LB (low):      the low battery is stamped; the process is asked for a clean shutdown
                    (`stop`, records.lifecycle), after the backup in progress ends (at most
                    UPS_BACKUP_WAIT_SECONDS). The supervisor restarts the process; while the
                    battery is still low the new process stops again at its first reading.
* OL (line power):  the outage is closed; banners go; held jobs run at their next retry.
* unreachable:      a warning in the log and on the Admin's pages; never a crash.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from records.daya import services
from records.daya.nut import Reading, UpsUnreachable, read_ups

log = logging.getLogger(__name__)


def take_backup(app, dest: Path) -> str:
    """One backup of the whole office on battery; returns where it went. When the Admin set up
    automatic backups (a passphrase and a target), it is the encrypted one to every target
    (records.backup_desk.run_now, trigger `ups`), recorded in the backup history like the
    daily one; raises when no target took it. Before that, a plain copy into `dest` (inside
    the data folder by default), so an office not yet set up still has something."""
    from records import backup_desk
    from records.backup_cli import take_backup as core_backup
    from records.services import backup_targets as bt

    settings = app.extensions["lemari"].settings
    if not backup_desk.is_set_up(app):
        return str(core_backup(settings, dest).path)
    runs = backup_desk.run_now(app, "ups")
    good = [f"{r.target_nama} {r.generasi}" for r in runs if r.status == "berhasil"]
    if not good:
        raise bt.BackupError("Cadangan saat padam gagal: " + "; ".join(r.pesan for r in runs))
    return "cadangan terenkripsi: " + ", ".join(good)


def backup_folder(settings: dict, now: dt.datetime) -> Path:
    base = Path(settings["UPS_BACKUP_DIR"] or Path(settings["HOME"]) / "cadangan_daya")
    return base / f"padam-{now:%Y%m%dT%H%M%SZ}"


class Watcher:
    """Reads the UPS in a loop until `close()`; `stop(reason)` is the process's clean stop."""

    def __init__(self, app, stop: Callable[[str], None] | None = None, *,
                 on_event: Callable[[services.Langkah, Reading | None, str], None] | None = None) -> None:
        self.app = app
        self.settings = app.extensions["lemari"].settings
        self.stop = stop
        self.on_event = on_event
        self.closed = threading.Event()
        self.backup_thread: threading.Thread | None = None
        self.thread: threading.Thread | None = None
        self.stopping = False

    @property
    def target(self) -> tuple[str, int, str]:
        return (self.settings["UPS_HOST"], int(self.settings["UPS_PORT"]), self.settings["UPS_NAME"])

    def read(self) -> tuple[Reading | None, str]:
        host, port, ups = self.target
        try:
            return read_ups(host, port, ups, timeout=float(self.settings["UPS_TIMEOUT_SECONDS"])), ""
        except UpsUnreachable as exc:
            return None, str(exc)

    def poll_once(self) -> services.Langkah:
        """One reading, stored and acted on."""
        from records.extensions import db

        reading, error = self.read()
        with self.app.app_context():
            try:
                step = services.record_reading(db.session, reading, ups=self.target[2], error=error)
            finally:
                db.session.remove()
        if step.event == services.HILANG:
            log.warning("UPS tidak terpantau: %s", error)
        elif step.event:
            log.warning("UPS %s: %s", step.event, reading.status if reading else error)
        if self.on_event is not None:
            self.on_event(step, reading, error)
        if step.event == services.PADAM and step.padam_id is not None:
            self._start_backup(step.padam_id)
        if step.stop and not self.stopping:
            self._shutdown(reading)
        return step

    def _start_backup(self, padam_id: int) -> None:
        self.backup_thread = threading.Thread(target=self._backup, args=(padam_id,),
                                              name="daya-cadangan", daemon=True)
        self.backup_thread.start()

    def _backup(self, padam_id: int) -> None:
        from records.extensions import db

        with self.app.app_context():
            try:
                path = take_backup(self.app, backup_folder(self.settings, services.utcnow()))
                services.record_backup(db.session, padam_id, path=path)
                log.warning("cadangan saat padam tersimpan di %s", path)
            except Exception as exc:  # the outage goes on; the reason is on its row
                db.session.rollback()
                log.exception("cadangan saat padam gagal")
                services.record_backup(db.session, padam_id, error=str(exc)[:500] or type(exc).__name__)
            finally:
                db.session.remove()

    def _shutdown(self, reading: Reading | None) -> None:
        self.stopping = True
        if self.backup_thread is not None:
            self.backup_thread.join(float(self.settings["UPS_BACKUP_WAIT_SECONDS"]))
        reason = f"baterai UPS lemah ({reading.status if reading else '?'})"
        if self.stop is not None:
            self.stop(reason)

    def run(self) -> None:
        """Read until closed; a failed round is logged and the loop goes on."""
        interval = float(self.settings["UPS_POLL_SECONDS"])
        while not self.closed.is_set():
            try:
                self.poll_once()
            except Exception:
                log.exception("pembacaan UPS gagal")
            self.closed.wait(interval)

    def start(self) -> Callable[[], None]:
        self.thread = threading.Thread(target=self.run, name="daya-pantau", daemon=True)
        self.thread.start()
        return self.close

    def close(self) -> None:
        self.closed.set()
        if self.backup_thread is not None and self.backup_thread.is_alive():
            self.backup_thread.join(float(self.settings["UPS_BACKUP_WAIT_SECONDS"]))
