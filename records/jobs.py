"""Background jobs (OCR, the nightly fixity check, the daily audit checkpoint) on Huey, with no
broker to install.

The default queue is a SQLite file in the data folder (`SqliteHuey`); `JOBS_URL=redis://…`
moves it to Redis when an office runs several servers. `lemari serve` starts the consumer as
threads in its own process, so a new user gets OCR without extra steps; `lemari jobs worker`
runs it alone. The queue is built per app on first use, never at import time. Job state the
UI shows lives in the database (`arsip_tugas`), so a lost queue entry is found again: every
consumer start re-queues jobs still waiting or cut off mid-run.

Long jobs (OCR, the nightly fixity check: `long=True`) pass a gate before they run: a plugin's
`jobs.gate(fn)` may hold them (the UPS watcher while the office runs on battery). A held job
is not lost: it is retried after `JOB_GATE_RETRY_SECONDS` (Huey's RetryTask, which keeps it in
the queue's schedule, and the database's requeue at the next start covers a queue lost with it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from huey.exceptions import RetryTask

log = logging.getLogger(__name__)
EXTENSION_KEY = "lemari_jobs"


class QuietConsumer(Consumer):
    """A consumer that leaves signal handling to its host (waitress or the CLI)."""

    def _set_signal_handlers(self) -> None:
        """Huey's handlers would swallow Ctrl-C meant for the web server."""


def make_huey(settings: dict) -> Huey:
    """The configured queue: immediate (tests), Redis (JOBS_URL), or SQLite in HOME."""
    if settings.get("JOBS_IMMEDIATE"):
        return MemoryHuey("lemari", immediate=True, utc=False)
    url = settings.get("JOBS_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):  # one queue per kecamatan (TENANT)
        name = f"lemari-{settings['TENANT']}" if settings.get("TENANT") else "lemari"
        return RedisHuey(name, url=url, utc=False)
    path = Path(url) if url else Path(settings["HOME"]) / "jobs.db"
    return SqliteHuey("lemari", filename=str(path), utc=False)


class Jobs:
    """The app's queue; features add their tasks through the `register_jobs` hook.

    Every task runs inside the app's context with a fresh session; when its commits wrote
    search outbox rows (an OCR text) the outbox is drained after it, so they are findable at once.
    """

    def __init__(self, app) -> None:
        self.app = app
        settings = app.extensions["lemari"].settings
        self.huey = make_huey(settings)
        self.tasks: dict = {}
        self._on_start: list[Callable[[Jobs], int]] = []
        self._status: list[Callable] = []
        self._gates: list[Callable] = []
        self.gate_retry = int(settings.get("JOB_GATE_RETRY_SECONDS", 60))
        self.periodic("audit_checkpoint", self._audit_checkpoint,
                      minute=settings["AUDIT_CHECKPOINT_MINUTE"], hour=settings["AUDIT_CHECKPOINT_HOUR"])
        self._backup_jobs(settings)
        app.extensions["lemari"].pm.hook.register_jobs(jobs=self, settings=settings)
        self.consumer: Consumer | None = None

    def task(self, name: str, fn: Callable, *, retries: int = 0, retry_delay: int = 0,
             long: bool = False) -> None:
        """Declare a task `fn(app, *args)` that `enqueue(name, *args)` queues; a `long` one
        waits while a gate holds long jobs."""
        self.tasks[name] = self.huey.task(name=name, retries=retries,
                                          retry_delay=retry_delay)(self._in_app(fn, long=long))

    def periodic(self, name: str, fn: Callable, *, minute, hour, day_of_week="*",
                 long: bool = False) -> None:
        """Declare a task `fn(app)` run by the consumer at the given crontab minute and hour
        (and day of the week, 0 Sunday … 6 Saturday); a `long` one waits while a gate holds
        long jobs."""
        self.tasks[name] = self.huey.periodic_task(
            crontab(minute=str(minute), hour=str(hour), day_of_week=str(day_of_week)),
            name=name)(self._in_app(fn, long=long))

    def _backup_jobs(self, settings) -> None:
        """The core's backups (issue 21): daily to every target, a weekly restore drill, and
        `backup_now` that anyone (a UPS hook, the web page) may queue with its trigger."""
        from records import backup_desk

        self.periodic("backup", backup_desk.scheduled_backup, minute=settings["BACKUP_MINUTE"],
                      hour=settings["BACKUP_HOUR"])
        self.periodic("backup_drill", backup_desk.scheduled_drill, minute=settings["BACKUP_DRILL_MINUTE"],
                      hour=settings["BACKUP_DRILL_HOUR"], day_of_week=settings["BACKUP_DRILL_WEEKDAY"])
        self.task("backup_now", backup_desk.scheduled_backup)

    def gate(self, held: Callable) -> None:
        """`held(app) -> str | None` (run in the app context): a reason to hold long jobs now,
        or None to let them run."""
        self._gates.append(held)

    def held(self) -> str | None:
        """The first gate's reason to hold long jobs now (None: they may run). A gate that
        fails is logged and does not hold: jobs are not stopped by a broken watcher."""
        with self.app.app_context():
            for held in self._gates:
                try:
                    reason = held(self.app)
                except Exception:
                    log.exception("job gate failed; not holding")
                    continue
                if reason:
                    return reason
        return None

    def on_start(self, requeue: Callable[[Jobs], int]) -> None:
        """`requeue(jobs)` queues again what the database says is unfinished; returns a count."""
        self._on_start.append(requeue)

    def on_status(self, report: Callable) -> None:
        """`report(app) -> list[str]`: lines for `lemari jobs status` (run in the app context)."""
        self._status.append(report)

    def status_lines(self) -> list[str]:
        """Every feature's report of its jobs."""
        with self.app.app_context():
            return [line for report in self._status for line in report(self.app)]

    def enqueue(self, name: str, *args) -> None:
        """Queue one task; a queue failure is logged and left to the next start's requeue."""
        try:
            self.tasks[name](*args)
        except Exception:  # the feature's own row survives; on_start re-queues it
            log.exception("could not queue job %s%r", name, args)

    def _in_app(self, fn: Callable, *, long: bool = False) -> Callable:
        app = self.app

        def run(*args):
            from records.extensions import db
            from records.indexing import drain_app
            from records.models.outbox import PENDING

            if long:
                reason = self.held()
                if reason:
                    log.info("long job %s held: %s", getattr(fn, "__name__", "task"), reason)
                    raise RetryTask(reason, delay=self.gate_retry)
            with app.app_context():
                try:
                    result = fn(app, *args)
                finally:
                    wrote = db.session.info.pop(PENDING, False)
                    db.session.remove()
            if wrote:  # what the task committed is findable at once
                drain_app(app)
            return result
        run.__name__ = getattr(fn, "__name__", "task")
        return run

    @staticmethod
    def _audit_checkpoint(app) -> None:
        """Today's signed checkpoint of the audit chain's head; a trail that fails its earlier
        checkpoints gets none, and the reason goes to the log as an error."""
        from records.audit_desk import write_checkpoint
        from records.extensions import db
        from records.services.audit_checkpoint import CheckpointRefusedError

        try:
            write_checkpoint(app.extensions["lemari"].settings, db.session)
        except CheckpointRefusedError as exc:
            log.error("audit checkpoint refused: %s", exc)

    def requeue_pending(self) -> int:
        """Queue again every job the database says is unfinished (after a crash)."""
        if not self.huey.immediate:
            self.huey.flush()  # the database is the truth; avoid running a job twice
        return sum(requeue(self) for requeue in self._on_start)

    def start(self, workers: int) -> None:
        """Start consumer threads in this process (workers ≥ 1), after re-queuing."""
        requeued = self.requeue_pending()
        self.consumer = QuietConsumer(self.huey, workers=max(workers, 1), worker_type="thread",
                                      periodic=True, check_worker_health=True)
        self.consumer.start()
        log.info("job consumer started", extra={"workers": workers, "requeued": requeued})

    def stop(self, *, graceful: bool = False) -> None:
        """Stop the consumer threads (a running OCR child finishes or is cut off); `graceful`:
        wait until the jobs running now have finished (before another process may start them)."""
        if self.consumer is not None:
            self.consumer.stop(graceful=graceful)
            self.consumer = None


def jobs_of(app) -> Jobs:
    """The app's Jobs, built on first use."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions[EXTENSION_KEY] = Jobs(app)
    return found
