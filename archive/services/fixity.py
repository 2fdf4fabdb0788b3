"""Fixity: re-hash every archived file and keep the outcome for the status page.

The database names every file a kept record needs (RecordFile rows; destroyed records are
excluded, their tombstones keep the hashes). `archive.blobstore.fixity.verify_all` re-hashes each once
and finds missing, altered and orphaned blobs; each run is stored so the Arsiparis sees the
last result and any problem without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.blobstore import BlobRef, verify_all
from archive.models import FixityRun
from records.actor import Actor
from records.models import Record, RecordFile
from records.ports import BlobStore
from records.services.audit import record_event
from records.services.clock import utc_now

DESTROYED = "musnah"
# Orphans younger than this may belong to an ingest still in its transaction.
ORPHAN_GRACE_SECONDS = 3600


def owned_shas(session: Session) -> set[str]:
    """Every blob something in the database still points to: kept records' files, and the
    columns models list in ``__blob_columns__`` (posters and their previews, template images,
    any plugin's files). Only blobs outside this set are orphans."""
    found = {sha for sha in session.scalars(
        select(RecordFile.sha256).join(Record, Record.id == RecordFile.record_id)
        .where(Record.state != DESTROYED))}
    for mapper in RecordFile.registry.mappers:
        columns = getattr(mapper.class_, "__blob_columns__", ())
        for name in columns:
            column = getattr(mapper.class_, name)
            for value in session.scalars(select(column).where(column != "")):
                found.add(value.partition(".")[0])
    return found


def expected_refs(session: Session) -> Iterator[BlobRef]:
    """Every (sha256, size) a kept record points to, streamed in id order."""
    query = (select(RecordFile.sha256, RecordFile.size)
             .join(Record, Record.id == RecordFile.record_id)
             .where(Record.state != DESTROYED).order_by(RecordFile.id)
             .execution_options(yield_per=1000))
    for sha256, size in session.execute(query):
        yield BlobRef(sha256, size)


def owners(session: Session, shas: Iterable[str]) -> dict[str, list[int]]:
    """Record ids holding each of the given hashes, for readable reports."""
    shas = list(shas)
    found: dict[str, list[int]] = {}
    for start in range(0, len(shas), 500):
        rows = session.execute(select(RecordFile.sha256, RecordFile.record_id)
                               .where(RecordFile.sha256.in_(shas[start:start + 500])))
        for sha256, record_id in rows:
            found.setdefault(sha256, []).append(record_id)
    return found


def run_fixity(*, session: Session, blobs: BlobStore, by: str,
               iter_wrapper: Callable = lambda it: it) -> FixityRun:
    """Re-hash everything, store the run with its problems, audit it; commit."""
    started = utc_now()
    report = verify_all(blobs, list(expected_refs(session)), iter_wrapper=iter_wrapper,
                        owned=owned_shas(session))
    who = owners(session, [r.sha256 for r in report.missing + report.altered])

    def described(refs):
        return [{"sha256": r.sha256, "size": r.size, "records": who.get(r.sha256, []),
                 "path": blobs.path_hint(r)} for r in refs]

    run = FixityRun(mulai=started, selesai=utc_now(), oleh=by, ok=report.ok,
                    bytes_checked=report.bytes_checked,
                    mb_per_detik=round(report.mb_per_second, 2),
                    missing=described(report.missing), altered=described(report.altered),
                    orphans=[{"sha256": r.sha256, "size": r.size} for r in report.orphans])
    session.add(run)
    session.flush()
    record_event(session, by, "arsip.fixity", object_type="arsip_fixity", object_id=run.id,
                 detail={"ok": run.ok, "missing": len(run.missing), "altered": len(run.altered),
                         "orphans": len(run.orphans), "mb_per_s": run.mb_per_detik})
    session.commit()
    return run


def last_runs(*, actor: Actor, session: Session, limit: int = 10) -> list[FixityRun]:
    """The latest fixity runs, newest first."""
    actor.require("arsip.fixity")
    return list(session.scalars(select(FixityRun).order_by(FixityRun.id.desc()).limit(limit)))


def is_recent(blobs: BlobStore, ref, older_than: float = ORPHAN_GRACE_SECONDS) -> bool:
    """True for a blob written within the grace period: it may belong to a transaction still
    open in another process, or to one a crash cut off a moment ago (harmless either way: no
    record points to it, so nothing serves it)."""
    import os
    import time

    path = blobs.path_hint(ref)
    return os.path.exists(path) and os.stat(path).st_mtime > time.time() - older_than


def remove_orphans(*, session: Session, blobs: BlobStore, by: str,
                   older_than: float = ORPHAN_GRACE_SECONDS) -> list[str]:
    """Delete stored blobs no record points to (files of rolled-back transactions or of
    destroyed records whose deletion was cut off), if older than the grace period."""
    wanted = owned_shas(session)
    removed = []
    for ref in blobs.iter_refs():
        if ref.sha256 in wanted or is_recent(blobs, ref, older_than):
            continue
        blobs.delete(ref)
        removed.append(ref.sha256)
    if removed:
        record_event(session, by, "arsip.orphans.remove", object_type="archive",
                     detail={"count": len(removed), "sha256": removed[:50]})
        session.commit()
    return removed
