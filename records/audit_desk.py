"""Where the audit trail's checkpoints live and what signs them, from the settings.

Checkpoints go to AUDIT_CHECKPOINT_DIR (default <HOME>/titik_periksa_audit): outside the
database, and best on another disk or a mounted share, so that whoever can rewrite the database
cannot reach them as easily. They are signed with the office's signing key
(`records.signing.CheckpointKey`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

#: Folder name under HOME when AUDIT_CHECKPOINT_DIR is empty.
DEFAULT_FOLDER = "titik_periksa_audit"


def checkpoint_folder(settings: dict) -> Path:
    """AUDIT_CHECKPOINT_DIR, or <HOME>/titik_periksa_audit."""
    return Path(settings["AUDIT_CHECKPOINT_DIR"] or Path(settings["HOME"]) / DEFAULT_FOLDER)


def checkpoint_signer(settings: dict):
    """The office key that signs and checks checkpoints (the demo one until BSrE's is set)."""
    from records.desk import signing_config
    from records.signing import CheckpointKey

    return CheckpointKey.from_config(signing_config(settings))


def office_today(settings: dict) -> dt.date:
    """The office's date (a checkpoint file is named by it)."""
    return dt.datetime.now(ZoneInfo(settings["TIMEZONE"])).date()


def write_checkpoint(settings: dict, session):
    """Today's checkpoint of the head (see services.audit_checkpoint.write)."""
    from records.services import audit_checkpoint

    return audit_checkpoint.write(checkpoint_folder(settings), session, checkpoint_signer(settings),
                                  today=office_today(settings), office=settings["OFFICE_NAME"])
