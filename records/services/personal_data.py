"""Personal data (UU 27/2022): who looked at a resident, and a resident's own copy of it.

Views of a resident's detail, bulk reads through the REST API and subject-access exports are
written to the audit trail in the transaction of the read, so the Auditor can answer "who saw
this NIK?" for any resident.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..actor import Actor
from ..models import AuditEvent, Penduduk, Record
from .audit import record_event
from .registry import get_penduduk

# The personal-data permission without which NIK and No. KK are masked.
FULL_NIK = "penduduk.view_nik"


def note_viewed(kind: str, object_id: int, *, desa_code: str | None, actor: Actor,
                session: Session, channel: str) -> None:
    """Audit one opened resident or family (detail page, API item)."""
    record_event(session, actor, f"{kind}.view", object_type=kind, object_id=object_id,
                 desa_code=desa_code, detail={"channel": channel, "full_nik": actor.can(FULL_NIK)})
    session.commit()


def note_listed(kind: str, count: int, *, actor: Actor, session: Session, query: str) -> None:
    """Audit a bulk read (an API page of residents), with the filter that chose it."""
    record_event(session, actor, f"{kind}.list", object_type=kind,
                 detail={"count": count, "query": query[:500], "full_nik": actor.can(FULL_NIK)})
    session.commit()


def subject_access_export(penduduk_id: int, *, actor: Actor, session: Session,
                          now: dt.datetime) -> dict:
    """Everything Lemari holds about one resident, for their own request (hak akses subjek
    data): identity, family, documents and who accessed the record. Needs the full-NIK right;
    the export itself is audited."""
    actor.require(FULL_NIK)
    person = get_penduduk(penduduk_id, actor=actor, session=session)
    records = list(session.scalars(select(Record).where(Record.penduduk_id == person.id)
                                   .order_by(Record.id)))
    about = or_((AuditEvent.object_type == "penduduk") & (AuditEvent.object_id == str(person.id)),
                (AuditEvent.object_type == "record")
                & AuditEvent.object_id.in_([str(r.id) for r in records]))
    export = {
        "dibuat": now.isoformat(timespec="seconds"), "oleh": actor.username,
        "penduduk": _person(person), "keluarga": _family(person),
        "dokumen": [_record(r) for r in records],
        "akses": [_access(e) for e in session.scalars(select(AuditEvent).where(about)
                                                       .order_by(AuditEvent.id))],
    }
    record_event(session, actor, "penduduk.export_subjek", object_type="penduduk",
                 object_id=person.id, desa_code=person.desa_code)
    session.commit()
    return export


def _person(p: Penduduk) -> dict:
    return {"nik": p.nik, "nama": p.nama, "tempat_lahir": p.tempat_lahir,
            "tanggal_lahir": p.tanggal_lahir.isoformat(), "jenis_kelamin": p.jenis_kelamin,
            "golongan_darah": p.golongan_darah, "agama": p.agama,
            "status_perkawinan": p.status_perkawinan, "pekerjaan": p.pekerjaan,
            "pendidikan": p.pendidikan, "kewarganegaraan": p.kewarganegaraan,
            "alamat": p.alamat, "rt": p.rt, "rw": p.rw, "desa": p.desa.name if p.desa else "",
            "hubungan": p.hubungan, "nama_ayah": p.nama_ayah, "nama_ibu": p.nama_ibu}


def _family(p: Penduduk) -> dict | None:
    k = p.keluarga
    if k is None:
        return None
    return {"no_kk": k.no_kk, "alamat": k.alamat,
            "anggota": [{"nama": m.nama, "hubungan": m.hubungan} for m in k.anggota]}


def _record(r: Record) -> dict:
    return {"jenis": r.doctype, "judul": r.title, "status": r.state, "nomor": r.number or "",
            "kode_lacak": r.tracking_code or "",
            "dibuat": r.created_on.isoformat(timespec="seconds") if r.created_on else "",
            "terbit": r.issued_at.isoformat(timespec="seconds") if r.issued_at else ""}


def _access(e: AuditEvent) -> dict:
    return {"waktu_utc": e.at.isoformat(timespec="seconds"), "pengguna": e.actor,
            "tindakan": e.action, "objek": f"{e.object_type}:{e.object_id}"}
