"""Reading archived files of records: downloads and batch printing, within the reader's scope."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.models import RecordFile
from records.ports import BlobStore
from records.services.audit import record_event
from records.services.personal_data import require_unmaskable_file
from records.services.records import get_record


def read_record_file(record_id: int, file_id: int, *, actor: Actor, session: Session,
                     blobs: BlobStore) -> tuple[bytes, str]:
    """The bytes and a download name of one file of a record the actor may read."""
    record = get_record(record_id, actor=actor, session=session)
    found = session.get(RecordFile, file_id)
    if found is None or found.record_id != record.id:
        raise NotFoundError("Berkas tidak ditemukan.")
    require_unmaskable_file(actor, found.kind)  # a signed letter cannot be masked
    data = blobs.read_bytes(found.sha256)
    record_event(session, actor, "record.download", object_type="record", object_id=record.id,
                 desa_code=record.desa_code, detail={"file": found.kind, "sha256": found.sha256})
    session.commit()
    label = (record.number or record.tracking_code or str(record.id)).replace("/", "-")
    return data, f"{found.kind}-{label}.pdf"


def merge_issued(record_ids: list[int], *, actor: Actor, session: Session, blobs: BlobStore,
                 progress: Callable[[int, int], None] | None = None) -> bytes:
    """One print job of the issued PDFs of the given records, in the order given."""
    from records.pdf import merge_pdfs

    if not record_ids:
        raise ValidationError("Pilih dokumen terbit yang akan dicetak.")
    require_unmaskable_file(actor, "terbit")
    documents = []
    for record_id in record_ids:
        record = get_record(record_id, actor=actor, session=session)
        issued = [f for f in record.files if f.kind == "terbit"]
        if not issued:
            raise ValidationError(f"Dokumen #{record_id} belum terbit.")
        documents.append(blobs.read_bytes(issued[-1].sha256))
    record_event(session, actor, "record.print", object_type="record",
                 detail={"records": record_ids[:100], "count": len(record_ids)})
    session.commit()
    return merge_pdfs(documents, progress=progress)
