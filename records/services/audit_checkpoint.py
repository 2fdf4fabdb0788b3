"""Checkpoints of the audit chain's head, kept outside the database.

The hash chain finds an edited, deleted or reordered entry, but not a cut tail: without its
newest entries the chain still links up from the first one. So the head (last id, its hash,
how many entries the chain held, the time of that entry) is written out, signed with the
office's key: into a dated file in the checkpoint folder (daily by the job queue and on
demand, `lemari audit checkpoint`) and into every backup. A chain that no longer holds a
checkpointed head is reported: *truncated* when entries the checkpoint counted are gone
(how many, from the entries written up to the head's time), *rewritten* when as many are
there but the head's hash differs.

A checkpoint is never written over a chain that fails its earlier checkpoints, so a cut tail
cannot be made to look like the newest truth by checkpointing it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.blobstore.atomic import atomic_write_text, ensure_dir
from records.exceptions import RecordsError
from records.models import AuditEvent
from records.ports import CheckpointSigner
from records.services.audit import verify_chain

KIND = "lemari-audit-checkpoint"
FORMAT = 1
#: The checkpoint file a backup carries (listed in its manifest).
BACKUP_FILE = "audit-titik-periksa.json"


class CheckpointRefusedError(RecordsError):
    """The chain fails a check, so no checkpoint is written over it."""

    http_status = 409


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint read from a file: where from, and the head it vouches for."""

    source: str
    head: dict


@dataclass
class TrailReport:
    """What `verify_trail` found: the first broken entry, the problems with checkpoints
    (Indonesian sentences), and the checkpoints that held."""

    broken: AuditEvent | None = None
    problems: list[str] = field(default_factory=list)
    held: list[Checkpoint] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.problems


def head(session: Session, *, office: str = "", now: dt.datetime | None = None) -> dict | None:
    """The chain's head now (None for an empty trail): id, hash, count, the entry's time."""
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    if last is None:
        return None
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= last.id))
    made = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    return {"id": last.id, "hash": last.hash, "count": count,
            "at": last.at.isoformat(timespec="microseconds"),
            "made": made.isoformat(timespec="seconds") + "Z", "office": office}


def _signed_bytes(head_fields: dict) -> bytes:
    return json.dumps(head_fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make(session: Session, signer: CheckpointSigner, *, office: str = "",
         now: dt.datetime | None = None) -> dict | None:
    """A signed checkpoint of the head now (None for an empty trail); written nowhere yet."""
    found = head(session, office=office, now=now)
    if found is None:
        return None
    certificate, signature = signer.sign(_signed_bytes(found))
    return {"kind": KIND, "format": FORMAT, "head": found, "certificate": certificate,
            "signature": signature}


def write(folder: Path, session: Session, signer: CheckpointSigner, *, today: dt.date,
          office: str = "", now: dt.datetime | None = None) -> tuple[Path, dict] | None:
    """Check the trail against every checkpoint, then write today's (`<folder>/<date>.json`,
    replacing an earlier one of the same day, which the new one covers). Refused with the
    reasons when the trail fails; None when the trail is empty."""
    report = verify_trail(session, signer, folder=folder)
    if not report.intact:
        reasons = list(report.problems)
        if report.broken is not None:
            reasons.insert(0, f"rantai rusak mulai entri #{report.broken.id}")
        raise CheckpointRefusedError("Titik periksa tidak dibuat: " + " ".join(reasons))
    document = make(session, signer, office=office, now=now)
    if document is None:
        return None
    ensure_dir(folder)
    path = folder / f"{today.isoformat()}.json"
    atomic_write_text(path, json.dumps(document, indent=1, ensure_ascii=False))
    return path, document


def read(paths: Iterable[Path], signer: CheckpointSigner) -> tuple[list[Checkpoint], list[str]]:
    """Checkpoints from files, folders of them and backup folders; those whose signature does
    not hold are not used, and named among the problems."""
    found, problems = [], []
    for path in _checkpoint_files(paths):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            fields = document["head"]
            valid = (document.get("kind") == KIND and isinstance(fields, dict)
                     and signer.verify(_signed_bytes(fields), document["certificate"],
                                       document["signature"]))
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"Titik periksa {path} tidak dapat dibaca.")
            continue
        if not valid:
            problems.append(f"Titik periksa {path} ditolak: tanda tangan tidak sah (berkas diubah "
                            "atau bukan dari kantor ini).")
            continue
        found.append(Checkpoint(str(path), fields))
    return found, problems


def _checkpoint_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inner = path / BACKUP_FILE
            files.extend([inner] if inner.is_file() else sorted(path.glob("*.json")))
        elif path.exists():
            files.append(path)
    return files


def compare(session: Session, checkpoint: Checkpoint) -> str | None:
    """Why the chain does not hold this checkpoint's head (an Indonesian sentence), or None."""
    fields = checkpoint.head
    try:
        head_id, head_hash, count = int(fields["id"]), str(fields["hash"]), int(fields["count"])
        head_at = dt.datetime.fromisoformat(fields["at"])
    except (KeyError, TypeError, ValueError):
        return f"Titik periksa {checkpoint.source} tidak lengkap."
    entry = session.get(AuditEvent, head_id)
    if entry is not None and entry.hash == head_hash:
        return None
    kept = session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.at <= head_at)) or 0
    last = session.scalars(select(AuditEvent).where(AuditEvent.at <= head_at)
                           .order_by(AuditEvent.id.desc()).limit(1)).first()
    where = f"titik periksa {checkpoint.source} (dibuat {fields.get('made', '?')})"
    if kept < count:
        ends = f"entri #{last.id}" if last is not None else "awal log"
        return (f"Log audit terpotong: {count - kept} entri hilang dari akhir rantai. Menurut "
                f"{where}, rantai berisi {count} entri sampai entri #{head_id}; entri yang "
                f"tercatat sampai waktu itu kini {kept}, berakhir di {ends}.")
    return (f"Log audit tidak cocok dengan {where}: entri #{head_id} "
            + ("tidak ada lagi" if entry is None else "kini memiliki hash lain")
            + "; rantai sudah ditulis ulang.")


def verify_trail(session: Session, signer: CheckpointSigner, *, folder: Path | None = None,
                 extra: Iterable[Path] = ()) -> TrailReport:
    """The chain's own check plus every checkpoint in `folder` and in `extra` (files, folders,
    backups)."""
    report = TrailReport(broken=verify_chain(session))
    checkpoints, report.problems = read([*([folder] if folder else []), *extra], signer)
    for checkpoint in checkpoints:
        problem = compare(session, checkpoint)
        if problem:
            report.problems.append(problem)
        else:
            report.held.append(checkpoint)
    return report


def set_aside_after_restore(folder: Path, session: Session, signer: CheckpointSigner, *,
                            stamp: str) -> tuple[int, int]:
    """After restoring an older backup, the checkpoints made since count entries the restored
    trail cannot hold: they are moved (kept, not deleted) into `<folder>/sebelum-pemulihan-
    <stamp>/`. Returns (files moved, most entries any of them counted beyond the trail)."""
    checkpoints, _ = read([folder], signer)
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    moved, missing = 0, 0
    aside = folder / f"sebelum-pemulihan-{stamp}"
    for checkpoint in checkpoints:
        if compare(session, checkpoint) is None:
            continue
        ensure_dir(aside)
        shutil.move(checkpoint.source, aside / Path(checkpoint.source).name)
        moved += 1
        missing = max(missing, int(checkpoint.head.get("count", 0)) - total)
    return moved, missing
