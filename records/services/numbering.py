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
from records.models import IssuedNumber, NomorLanjutan, NumberSequence, Record, Register
from records.numbering import NumberFormatError, NumberParts, check_format, format_number
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.klasifikasi import require_code
from records.services.rows import changed_rows

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


def peek_number(session: Session, register_name: str, *, kode: str, on: dt.date,
                kode_desa: str = "") -> str:
    """The number `allocate` would give now, read without writing (no lock taken): an issuer
    renders with it first and takes it only if it is still next (records.services.issuing)."""
    register = get_register(session, register_name)
    last = session.scalar(select(NumberSequence.last).where(
        NumberSequence.register_id == register.id, NumberSequence.year == on.year)) or 0
    try:
        return format_number(register.number_format,
                             NumberParts(kode=kode, urut=last + 1, unit=register.unit, on=on,
                                         kode_desa=kode_desa))
    except NumberFormatError as exc:
        raise ValidationError(str(exc)) from None


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


# --- moving in: continuing a register from its paper book (issue 22) ------------------------
#
# What a crash does at each point of `continue_register`: everything (the sequence row moved
# to N, the switch-over row, the audit entry) is one transaction, so a power cut before the
# commit leaves the register as it was and the Admin records it again; after the commit the
# next number issued is N + 1. The sequence row is written FIRST: on PostgreSQL that takes its
# row lock and on SQLite the write lock, so an issuer that committed a number meanwhile is seen
# by the check that follows (READ COMMITTED reads it), and an issuer that comes later queues
# behind the lock and then bumps from N. A number issued by Lemari in that register and year
# refuses the switch-over.

PAPER = "kertas"  # IssuedNumber.kind of a paper number linked later to its scanned record
MAX_PAPER_NUMBER = 99_999


def continue_register(session: Session, register_name: str, last_on_paper: int, *, actor: Actor,
                      year: int, last_text: str = "", note: str = "") -> NomorLanjutan:
    """Record the last number written on paper this year; issuing continues at the next one."""
    actor.require("nomor.manage")
    if not isinstance(last_on_paper, int) or not 1 <= last_on_paper <= MAX_PAPER_NUMBER:
        message = f"Nomor terakhir di buku register kertas harus angka 1–{MAX_PAPER_NUMBER}."
        raise ValidationError(message, {"nomor_terakhir": message})
    register = get_register(session, register_name)
    _lock_sequence(session, register, year)
    issued = session.scalar(
        select(IssuedNumber).where(IssuedNumber.register_id == register.id,
                                   IssuedNumber.year == year, IssuedNumber.kind == "dokumen")
        .order_by(IssuedNumber.sequence).limit(1))
    if issued is not None:
        session.rollback()
        message = (f"Register {register.title} tahun {year} sudah menerbitkan nomor "
                   f"{issued.number} di Lemari; nomor kertas tidak dapat dilanjutkan lagi.")
        raise ValidationError(message, {"nomor_terakhir": message})
    reserved = session.scalar(
        select(IssuedNumber).where(IssuedNumber.register_id == register.id,
                                   IssuedNumber.year == year)
        .order_by(IssuedNumber.sequence.desc()).limit(1))
    if reserved is not None and reserved.sequence > last_on_paper:
        session.rollback()
        message = (f"Nomor terakhir di kertas ({last_on_paper}) lebih kecil dari nomor urut "
                   f"{reserved.sequence} ({reserved.number}) yang sudah dicadangkan di register "
                   f"{register.title} tahun {year}.")
        raise ValidationError(message, {"nomor_terakhir": message})
    session.execute(update(NumberSequence)
                    .where(NumberSequence.register_id == register.id, NumberSequence.year == year)
                    .values(last=last_on_paper))
    row = session.scalar(select(NomorLanjutan).where(NomorLanjutan.register_id == register.id,
                                                     NomorLanjutan.year == year))
    before = row.nomor_terakhir if row else None
    if row is None:
        row = NomorLanjutan(register_id=register.id, year=year)
        session.add(row)
    row.nomor_terakhir, row.nomor_terakhir_teks = last_on_paper, last_text.strip()[:120]
    row.keterangan, row.dicatat_oleh, row.dicatat_pada = note.strip()[:2000], actor.username, utc_now()
    session.flush()
    record_event(session, actor, "nomor.lanjutkan", object_type="register", object_id=register.id,
                 detail={"register": register.name, "year": year, "from": before,
                         "last_on_paper": last_on_paper, "text": row.nomor_terakhir_teks,
                         "note": row.keterangan})
    session.commit()
    return row


def _lock_sequence(session: Session, register: Register, year: int) -> None:
    """Take the write lock on the register's sequence row (created at 0 when missing)."""
    touch = (update(NumberSequence)
             .where(NumberSequence.register_id == register.id, NumberSequence.year == year)
             .values(last=NumberSequence.last))
    if changed_rows(session.execute(touch)):
        return
    try:
        with session.begin_nested():
            session.execute(insert(NumberSequence).values(register_id=register.id, year=year, last=0))
    except IntegrityError:
        session.execute(touch)


def link_paper_number(session: Session, register_name: str, sequence: int, *, year: int,
                      record_id: int, number_text: str, kode: str, actor: Actor) -> IssuedNumber:
    """Link a number issued on paper (at or below the switch-over) to the record of its scan."""
    actor.require("nomor.manage")
    register = get_register(session, register_name)
    row = session.scalar(select(NomorLanjutan).where(NomorLanjutan.register_id == register.id,
                                                     NomorLanjutan.year == year))
    if row is None or not 1 <= sequence <= row.nomor_terakhir:
        limit = row.nomor_terakhir if row else 0
        message = (f"Nomor urut {sequence} bukan nomor kertas register {register.title} tahun "
                   f"{year} (nomor kertas: 1–{limit}).")
        raise ValidationError(message, {"urut": message})
    if session.get(Record, record_id) is None:
        raise NotFoundError(f"Dokumen #{record_id} tidak ditemukan.")
    taken = session.scalar(select(IssuedNumber).where(
        (IssuedNumber.register_id == register.id) & (IssuedNumber.year == year)
        & (IssuedNumber.sequence == sequence) | (IssuedNumber.record_id == record_id)))
    if taken is not None:
        message = (f"Nomor urut {sequence} atau dokumen #{record_id} sudah tertaut "
                   f"({taken.number}).")
        raise ValidationError(message, {"urut": message})
    issued = IssuedNumber(register_id=register.id, year=year, sequence=sequence,
                          number=(number_text.strip() or f"{sequence}")[:120], kind=PAPER,
                          record_id=record_id, klasifikasi=kode.strip()[:40],
                          scheme=register.scheme, note="Nomor kertas sebelum pindah ke Lemari",
                          issued_at=utc_now(), issued_by=actor.username)
    session.add(issued)
    session.flush()
    record_event(session, actor, "nomor.tautkan_kertas", object_type="issued_number",
                 object_id=issued.id, detail={"register": register.name, "year": year,
                                              "sequence": sequence, "record_id": record_id})
    session.commit()
    return issued


def continuations(session: Session, year: int) -> list[tuple[Register, NomorLanjutan | None, int]]:
    """Every register with its switch-over row of `year` (or None) and its last number."""
    rows = []
    for register in session.scalars(select(Register).order_by(Register.id)):
        lanjutan = session.scalar(select(NomorLanjutan).where(
            NomorLanjutan.register_id == register.id, NomorLanjutan.year == year))
        last = session.scalar(select(NumberSequence.last).where(
            NumberSequence.register_id == register.id, NumberSequence.year == year)) or 0
        rows.append((register, lanjutan, last))
    return rows
