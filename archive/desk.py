"""Build the archive's desk (blob store, scan probe, job queue) from the app, once per app.

The probe starts a worker process, so it is created on first use: a clerk who never uploads
a scan never pays for it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from archive.scan_probe import ProbeLimits, ProbePool
from archive.services.archiving import ArchiveDesk, IngestResult, ingest_file
from archive.services.ocr import OcrSettings
from records.desk import blob_store

EXTENSION_KEY = "lemari_archive_desk"


def blob_store_of(app):
    """The installation's content-addressed store (ARCHIVE_DIR or <HOME>/archive)."""
    return blob_store(app.extensions["lemari"].settings)


def ocr_settings(app) -> OcrSettings:
    """OCR settings from config (languages, time per page)."""
    settings = app.extensions["lemari"].settings
    return OcrSettings(languages=settings["OCR_LANGUAGES"],
                       seconds_per_page=settings["OCR_SECONDS_PER_PAGE"])


def probe_limits(settings: dict) -> ProbeLimits:
    """What one scan may cost to open (pixels, pages, seconds, memory)."""
    return ProbeLimits(max_pixels=settings["SCAN_MAX_PIXELS"], max_pages=settings["SCAN_MAX_PAGES"],
                       timeout_s=settings["SCAN_PROBE_SECONDS"],
                       memory_bytes=settings["SCAN_PROBE_MEMORY_MB"] * 1024 * 1024)


def archive_desk(app) -> ArchiveDesk:
    """The app's ArchiveDesk, built on first use; OCR jobs go to the app's queue."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        from records.jobs import jobs_of

        ext = app.extensions["lemari"]
        found = ArchiveDesk(blobs=blob_store_of(app), probe=ProbePool(probe_limits(ext.settings)),
                            registry=ext.registry, max_bytes=ext.settings["ARCHIVE_MAX_BYTES"],
                            enqueue_ocr=partial(jobs_of(app).enqueue, "ocr"),
                            tz=ext.settings["TIMEZONE"])
        app.extensions[EXTENSION_KEY] = found
    return found


def close_archive_desk(app) -> None:
    """Stop the probe worker and the job consumer of this app, if they were started."""
    desk = app.extensions.pop(EXTENSION_KEY, None)
    if desk is not None:
        desk.probe.close()
    jobs = app.extensions.get("lemari_jobs")
    if jobs is not None:
        jobs.stop()


def archive_desk_of_app() -> ArchiveDesk:
    """The running app's archive desk (blob store, scan probe, job queue), built on first use."""
    from flask import current_app

    return archive_desk(current_app._get_current_object())


def ingest_upload(upload, values: dict) -> IngestResult:
    """Archive one uploaded scan (the upload page and the REST API)."""
    from records.extensions import db
    from records.web_common import current_actor, staged_upload

    with staged_upload(upload) as path:
        return ingest_file(path, upload.filename, values, actor=current_actor(),
                           session=db.session, desk=archive_desk_of_app())


MAX_UPLOAD_FILES = 200
MAX_SIDECAR_BYTES = 2 * 1024 * 1024


def ingest_uploads(uploads, sidecar_upload, values: dict) -> list[IngestResult]:
    """Many files (or a folder) and an optional CSV sidecar through the same pipeline as
    `lemari import-scans` (the upload page and the REST API); the result names every file,
    the ones over the limit included."""
    from contextlib import ExitStack

    from flask_babel import gettext as _

    from archive.services import folder_ingest
    from records.exceptions import ValidationError
    from records.extensions import db
    from records.web_common import current_actor

    sidecar, refused = {}, []
    if sidecar_upload is not None and sidecar_upload.filename:
        raw = sidecar_upload.read(MAX_SIDECAR_BYTES + 1)
        if len(raw) > MAX_SIDECAR_BYTES:
            raise ValidationError(_("CSV pendamping terlalu besar (paling besar 2 MB)."))
        sidecar, refused = folder_ingest.read_sidecar(raw)
    over = [IngestResult(f.filename, "gagal",
                         _("Lebih dari %(n)d berkas sekaligus; unggah sisanya lagi.", n=MAX_UPLOAD_FILES))
            for f in uploads[MAX_UPLOAD_FILES:]]
    with ExitStack() as stack:
        entries = [_upload_entry(stack, f) for f in uploads[:MAX_UPLOAD_FILES]]
        results = folder_ingest.ingest_entries(entries, sidecar, values, actor=current_actor(),
                                               session=db.session, desk=archive_desk_of_app())
    return refused + results + over


def _upload_entry(stack, upload):
    """A staged upload as a pipeline entry; a name with a path in it is refused, not cut."""
    from archive.scan_probe import ProbeError
    from archive.services import archiving, folder_ingest
    from records.web_common import staged_upload

    try:
        archiving.check_name(upload.filename)
    except ProbeError as exc:
        return folder_ingest.Entry(Path(upload.filename), upload.filename, str(exc))
    return folder_ingest.Entry(stack.enter_context(staged_upload(upload)), upload.filename)
