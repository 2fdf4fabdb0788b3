"""Background jobs (OCR, the nightly fixity check, the daily audit checkpoint) on Huey, with no
broker to install.

The default queue is a SQLite file in the data folder (`SqliteHuey`); `JOBS_URL=redis://…`
moves it to Redis when an office runs several servers. `lemari serve` starts the consumer as
threads in its own process, so a new user gets OCR without extra steps; `lemari jobs worker`
runs it alone. The queue is built per app on first use, never at import time. Job state the
UI shows lives in the database (`arsip_tugas`), so a lost queue entry is found again: every
consumer start re-queues jobs still waiting or cut off mid-run.
"""

from __future__ import annotations

import logging
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

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
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("lemari", url=url, utc=False)
    path = Path(url) if url else Path(settings["HOME"]) / "jobs.db"
    return SqliteHuey("lemari", filename=str(path), utc=False)


class Jobs:
    """The app's queue and its tasks; each task runs inside the app's context."""

    def __init__(self, app) -> None:
        self.app = app
        settings = app.extensions["lemari"].settings
        self.huey = make_huey(settings)
        self.ocr_task = self.huey.task(name="ocr", retries=1, retry_delay=60)(self._ocr)
        self.fixity_task = self.huey.periodic_task(
            crontab(minute=str(settings["FIXITY_MINUTE"]), hour=str(settings["FIXITY_HOUR"])),
            name="fixity")(self._fixity)
        self.audit_checkpoint_task = self.huey.periodic_task(
            crontab(minute=str(settings["AUDIT_CHECKPOINT_MINUTE"]),
                    hour=str(settings["AUDIT_CHECKPOINT_HOUR"])),
            name="audit_checkpoint")(self._audit_checkpoint)
        self.consumer: Consumer | None = None

    def enqueue_ocr(self, job_id: int) -> None:
        """Queue one OCR job; a queue failure leaves the job 'antri' for the next start."""
        try:
            self.ocr_task(job_id)
        except Exception:  # the job row survives; start() re-queues it
            log.exception("could not queue OCR job %s", job_id)

    def _ocr(self, job_id: int) -> str:
        from records.archive_desk import blob_store_of, ocr_settings
        from records.extensions import db
        from records.services.ocr import run_job

        with self.app.app_context():
            try:
                return run_job(job_id, session=db.session, blobs=blob_store_of(self.app),
                               settings=ocr_settings(self.app))
            finally:
                db.session.remove()

    def _fixity(self) -> None:
        from records.archive_desk import blob_store_of
        from records.extensions import db
        from records.services.fixity import run_fixity

        with self.app.app_context():
            try:
                run_fixity(session=db.session, blobs=blob_store_of(self.app), by="jadwal")
            finally:
                db.session.remove()

    def _audit_checkpoint(self) -> None:
        """Today's signed checkpoint of the audit chain's head; a trail that fails its earlier
        checkpoints gets none, and the reason goes to the log as an error."""
        from records.audit_desk import write_checkpoint
        from records.extensions import db
        from records.services.audit_checkpoint import CheckpointRefusedError

        with self.app.app_context():
            try:
                write_checkpoint(self.app.extensions["lemari"].settings, db.session)
            except CheckpointRefusedError as exc:
                log.error("audit checkpoint refused: %s", exc)
            finally:
                db.session.remove()

    def requeue_pending(self) -> int:
        """Queue again every job the database says is unfinished (after a crash)."""
        from records.extensions import db
        from records.services.ocr import pending_jobs

        with self.app.app_context():
            pending = pending_jobs(db.session)
            db.session.remove()
        if not self.huey.immediate:
            self.huey.flush()  # the database is the truth; avoid running a job twice
        for job_id in pending:
            self.enqueue_ocr(job_id)
        return len(pending)

    def start(self, workers: int) -> None:
        """Start consumer threads in this process (workers ≥ 1), after re-queuing."""
        requeued = self.requeue_pending()
        self.consumer = QuietConsumer(self.huey, workers=max(workers, 1), worker_type="thread",
                                      periodic=True, check_worker_health=True)
        self.consumer.start()
        log.info("job consumer started", extra={"workers": workers, "requeued": requeued})

    def stop(self) -> None:
        """Stop the consumer threads (a running OCR child finishes or is cut off)."""
        if self.consumer is not None:
            self.consumer.stop(graceful=False)
            self.consumer = None


def jobs_of(app) -> Jobs:
    """The app's Jobs, built on first use."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions[EXTENSION_KEY] = Jobs(app)
    return found
