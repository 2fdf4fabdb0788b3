"""The letter desk's way into the archive: a scan (or a report's attachment) goes through the
archive's ingest pipeline (checks, probe, fixity hash, OCR job, search) and the letter is
written inside ingest's own transaction (`services.ScanIngest`).

Adapters only (web, REST, CLI); the archive is imported lazily, so without the archive plugin
letters are still registered, just without a scan.
"""

from __future__ import annotations

from pathlib import Path

from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.surat_masuk.services import ScanOutcome

ARCHIVE_PLUGIN = "archive.plugin"


def archive_loaded() -> bool:
    """True when the archive feature is installed and not disabled."""
    return lemari().pm.get_plugin(ARCHIVE_PLUGIN) is not None


def scan_from_path(path: Path, name: str, *, actor, app=None,
                   permission: str = "surat_masuk.register"):
    """A `ScanIngest` filing the file at `path` through the archive (as `actor`, who needs
    `permission`: a letter's scan `surat_masuk.register`, a report's attachment
    `surat_masuk.follow`)."""
    if not archive_loaded():
        raise ValidationError("Fitur arsip tidak aktif; catat surat tanpa pindaian.")
    from flask import current_app

    from archive.desk import archive_desk
    from archive.services.archiving import ingest_file

    desk = archive_desk(app or current_app._get_current_object())

    def scan(values: dict, then) -> ScanOutcome:
        result = ingest_file(path, name, values, actor=actor, session=db.session, desk=desk,
                             then=then, permission=permission)
        return ScanOutcome(result.status, result.reason, result.record_id)
    return scan


def scan_from_upload(upload, *, actor, run, permission: str = "surat_masuk.register"):
    """Stage an uploaded file and call `run(scan)` with a `ScanIngest` for it (or None when
    no file was sent)."""
    if upload is None or not upload.filename:
        return run(None)
    from records.web_common import staged_upload

    with staged_upload(upload) as path:
        return run(scan_from_path(path, upload.filename, actor=actor, permission=permission))
