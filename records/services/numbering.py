"""Gapless, unique numbers per register and year, consumed only by the issuing transaction.

`allocate` bumps the sequence with one atomic `UPDATE … RETURNING`: on PostgreSQL the row lock
and on SQLite the database write lock are held until the caller commits or rolls back, so
concurrent issuers queue instead of reading the same "last" value, and a rollback returns
the number. The unique (register, year, sequence) constraint is the last line of defence.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.models import IssuedNumber, NumberSequence, Register
from records.numbering import NumberFormatError, NumberParts, check_format, format_number
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.klasifikasi import require_code

#: A Keputusan Camat is numbered like the office's other naskah dinas (code, yearly sequence of
#: its own register, unit, year: Permendagri 83/2022 Pasal 3 ayat (6); Permendagri 1/2023),
#: printed "NOMOR 100.3.3/7/Kec.KB/2026". The former "{urut}" printed a bare "7".
KEPUTUSAN_FORMAT = "{kode}/{urut}/{unit}/{tahun}"
FORMULIR_FORMAT = "F-{urut:05}/{kode}/{unit}/{tahun}"
TANDA_TERIMA_FORMAT = "TT-{urut:05}/{unit}/{tahun}"

DEFAULT_REGISTERS = (
    {"name": "surat_keluar", "title": "Surat Keluar Kecamatan", "unit": "Kec.KB",
     "number_format": "{kode}/{urut:04}/{unit}/{tahun}", "scheme": "permendagri-83-2022"},
    {"name": "surat_keluar_lama", "title": "Surat Keluar (format lama 78/2012)", "unit": "KB",
     "number_format": "{kode}/{urut:04}/{unit}/{bulan_romawi}/{tahun}", "scheme": "permendagri-78-2012"},
    {"name": "keputusan", "title": "Keputusan Camat", "unit": "Kec.KB",
     "number_format": KEPUTUSAN_FORMAT, "scheme": "permendagri-83-2022"},
    # Not naskah dinas: the citizen's forms (F-1.01, KTP-el application) and the petugas's
    # receipts have their own series, never the Camat's outgoing-letter register.
    {"name": "formulir_pemohon", "title": "Formulir Permohonan Warga (bukan naskah dinas)",
     "unit": "Kec.KB", "number_format": FORMULIR_FORMAT, "scheme": "permendagri-83-2022"},
    {"name": "tanda_terima", "title": "Tanda Terima Petugas (bukan naskah dinas)",
     "unit": "Kec.KB", "number_format": TANDA_TERIMA_FORMAT, "scheme": "permendagri-83-2022"},
)


def seed_registers(session: Session) -> None:
    """Create the default registers that are missing (existing ones keep their settings)."""
    known = set(session.scalars(select(Register.name)))
    for spec in DEFAULT_REGISTERS:
        if spec["name"] not in known:
            session.add(Register(**spec))
    session.commit()


def get_register(session: Session, name: str) -> Register:
    register = session.scalar(select(Register).where(Register.name == name))
    if register is None:
        raise NotFoundError(f"Register nomor '{name}' tidak ada.")
    return register


def next_sequence(session: Session, register: Register, year: int) -> int:
    """Bump and return the register's sequence for `year` (row created on first use)."""
    bump = (update(NumberSequence)
            .where(NumberSequence.register_id == register.id, NumberSequence.year == year)
            .values(last=NumberSequence.last + 1).returning(NumberSequence.last))
    value = session.execute(bump).scalar()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(insert(NumberSequence).values(register_id=register.id, year=year, last=0))
    except IntegrityError:
        pass  # another issuer created the row first; the bump below queues behind it
    return session.execute(bump).scalar_one()


def allocate(session: Session, register_name: str, *, kode: str, on: dt.date, actor: Actor,
             kind: str = "dokumen", record_id: int | None = None, kode_desa: str = "",
             note: str = "") -> IssuedNumber:
    """Consume the next number of a register inside the caller's transaction."""
    register = get_register(session, register_name)
    sequence = next_sequence(session, register, on.year)
    try:
        text = format_number(register.number_format,
                             NumberParts(kode=kode, urut=sequence, unit=register.unit, on=on,
                                         kode_desa=kode_desa))
    except NumberFormatError as exc:
        raise ValidationError(str(exc)) from None
    issued = IssuedNumber(register_id=register.id, year=on.year, sequence=sequence, number=text,
                          kind=kind, record_id=record_id, klasifikasi=kode, scheme=register.scheme,
                          note=note, issued_at=utc_now(),
                          issued_by=actor.username)
    session.add(issued)
    session.flush()
    return issued


def reserve_number(session: Session, register_name: str, *, kode: str, note: str,
                   actor: Actor, on: dt.date | None = None) -> IssuedNumber:
    """Take a number for a letter typed outside Lemari; recorded as 'manual', never reused."""
    actor.require("nomor.reserve")
    if not re.fullmatch(r"[0-9]{3}(\.[0-9]{1,3}){0,4}", kode or ""):
        raise ValidationError("Kode klasifikasi tidak valid (contoh: 000.1.5 atau 470).",
                              {"kode": "Kode klasifikasi tidak valid."})
    if not note.strip():
        raise ValidationError("Keterangan surat wajib diisi.", {"note": "Keterangan wajib diisi."})
    require_code(session, get_register(session, register_name).scheme, kode)
    issued = allocate(session, register_name, kode=kode, on=on or dt.date.today(), actor=actor,
                      kind="manual", note=note.strip())
    record_event(session, actor, "nomor.reserve", object_type="issued_number",
                 object_id=issued.id, detail={"number": issued.number, "note": issued.note})
    session.commit()
    return issued


def update_format(session: Session, register_name: str, number_format: str, *, actor: Actor) -> None:
    """Change a register's format after checking it (numbers already issued keep theirs)."""
    actor.require("nomor.manage")
    try:
        check_format(number_format)
    except NumberFormatError as exc:
        raise ValidationError(str(exc), {"number_format": str(exc)}) from None
    register = get_register(session, register_name)
    record_event(session, actor, "nomor.format", object_type="register", object_id=register.id,
                 detail={"from": register.number_format, "to": number_format})
    register.number_format = number_format
    session.commit()
