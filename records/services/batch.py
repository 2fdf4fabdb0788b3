"""Batch issuance: one letter per row of a CSV (e.g. a surat keterangan for every resident on
a list), each through the same path as a single letter, resumable after a crash.

Every row becomes a record and a ``batch_item`` in one transaction, then goes through the
workflow steps and ``issuing.issue``, each committing on its own. A row is reported only
after its issue has committed, so what a caller has seen is durable. Running the same file
again skips rows already issued and finishes rows a crash interrupted: no row is issued twice
and no number is wasted.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import ISSUED, ISSUES, Registry, Transition
from records.exceptions import NotFoundError, RecordsError, ValidationError
from records.models import BatchItem, Record
from records.services.issuing import Desk, issue, steps_to_issue
from records.services.kependudukan import find_penduduk_by_nik
from records.services.records import fire_transition, get_record, new_record

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowResult:
    """What happened to one row: issued now, issued before (skipped) or refused."""

    row: int
    status: str  # "terbit", "sudah_terbit" or "gagal"
    record_id: int | None = None
    number: str = ""
    sha256: str = ""
    verify_code: str = ""
    error: str = ""


def read_rows(data: bytes) -> tuple[str, list[tuple[int, dict]]]:
    """The file's SHA-256 and its rows (UTF-8 CSV with a header; `nik` names the resident)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(f"Berkas terlalu besar (maksimal {MAX_BYTES // 1024 // 1024} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("Berkas harus CSV UTF-8.") from None
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for number, row in enumerate(reader, 2):
        if number - 1 > MAX_ROWS:
            raise ValidationError(f"Terlalu banyak baris (maksimal {MAX_ROWS}).")
        cleaned = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        if any(cleaned.values()):
            rows.append((number, cleaned))
    if not rows:
        raise ValidationError("Berkas tidak berisi baris data.")
    return hashlib.sha256(data).hexdigest(), rows


def issue_batch(doctype: str, digest: str, rows: list[tuple[int, dict]], *, paper: str,
                actor: Actor, session: Session, registry: Registry, pm,
                desk_factory: Callable[[], Desk]) -> Iterator[RowResult]:
    """Issue one letter per row of a file read by `read_rows`, yielding each row's result
    once it is durable. Raises ValidationError before any row if the type cannot be issued."""
    steps = _steps_to_issue(registry, doctype)
    return _issue_rows(doctype, digest, rows, steps, paper=paper, actor=actor, session=session,
                       registry=registry, pm=pm, desk_factory=desk_factory)


def _issue_rows(doctype, digest, rows, steps, *, paper, actor, session, registry, pm,
                desk_factory) -> Iterator[RowResult]:
    for number, values in rows:
        try:
            yield _issue_row(f"{digest[:32]}:{number}", number, doctype, values, steps,
                             paper=paper, actor=actor, session=session, registry=registry,
                             pm=pm, desk_factory=desk_factory)
        except RecordsError as exc:
            session.rollback()
            yield RowResult(number, "gagal", error=str(exc))


def _issue_row(ref: str, number: int, doctype: str, values: dict,
               steps: tuple[Transition, ...], *, paper: str, actor: Actor, session: Session,
               registry: Registry, pm, desk_factory) -> RowResult:
    record = _record_for(ref, doctype, values, actor=actor, session=session, registry=registry)
    if registry.state_is(doctype, record.state, ISSUED):
        return _result(number, "sudah_terbit", record)
    for step in steps[_next_step(record.state, steps):]:
        if ISSUES in step.tags:
            record = issue(record.id, paper=paper, actor=actor, session=session,
                           desk=desk_factory())
        else:
            fire_transition(record.id, step.name, actor=actor, session=session,
                            registry=registry, pm=pm)
    return _result(number, "terbit", record)


def _record_for(ref: str, doctype: str, values: dict, *, actor: Actor, session: Session,
                registry: Registry) -> Record:
    """The row's record: the one an earlier run made, or a new one with its batch item."""
    item = session.get(BatchItem, ref)
    if item is not None:
        return get_record(item.record_id, actor=actor, session=session)
    fields = {k: v for k, v in values.items() if k != "nik"}
    penduduk_id = find_penduduk_by_nik(values["nik"], actor=actor, session=session) \
        if values.get("nik") else None
    record = new_record(doctype, fields, penduduk_id=penduduk_id, actor=actor, session=session,
                        registry=registry)
    session.add(BatchItem(ref=ref, record_id=record.id))
    session.commit()
    return record


def _steps_to_issue(registry: Registry, doctype: str) -> tuple[Transition, ...]:
    """The workflow's shortest path from its initial state through the issuing step (the
    declaration's `path_to(ISSUES)`); an unknown type is a bad request here, not a 404."""
    try:
        return steps_to_issue(doctype, registry)
    except NotFoundError as exc:
        raise ValidationError(str(exc)) from None


def _next_step(state: str, steps: tuple[Transition, ...]) -> int:
    """Where on the path the record stands: the first step that can leave its state."""
    for index, step in enumerate(steps):
        if state in step.sources:
            return index
    raise ValidationError(f"Dokumen berstatus '{state}' tidak dapat diterbitkan.")


def _result(number: int, status: str, record: Record) -> RowResult:
    issued = next((f for f in reversed(record.files) if f.kind == "terbit"), None)
    return RowResult(number, status, record.id, record.number or "",
                     issued.sha256 if issued else "", record.verify_code or "")
