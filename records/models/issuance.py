"""Numbering registers, issued numbers, files of records, and the service catalogue.

A number lives in `issued_number` with a unique (register, year, sequence): two documents can
never share one, and a number is only written by the transaction that issues (or reserves)
it, so a rolled-back issue leaves no gap.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Register(Model):
    """A numbering register (e.g. surat keluar) with its number format."""

    __audit_area__ = "konfigurasi"

    __tablename__ = "register"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    number_format: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(40))
    scheme: Mapped[str] = mapped_column(String(40))

    def __str__(self) -> str:
        return self.title


class NumberSequence(Model):
    """The last sequence number used in a register and year (reset on 1 January)."""

    __tablename__ = "number_sequence"
    __table_args__ = (UniqueConstraint("register_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id"))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)


class IssuedNumber(Model):
    """One consumed number: for an issued document or reserved for a letter typed elsewhere."""

    __tablename__ = "issued_number"
    __table_args__ = (UniqueConstraint("register_id", "year", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "dokumen" or "manual"
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), unique=True)
    klasifikasi: Mapped[str] = mapped_column(String(40))
    scheme: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    issued_by: Mapped[str] = mapped_column(String(64))

    register = relationship("Register")


class NomorLanjutan(Model):
    """The switch-over of a register to Lemari in the middle of a year: the last number used on
    paper, who recorded it and when. Numbers up to it are "issued on paper" (reserved, never
    issued again); one row per register and year."""

    __tablename__ = "nomor_lanjutan"
    __table_args__ = (UniqueConstraint("register_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    nomor_terakhir: Mapped[int] = mapped_column(Integer)
    nomor_terakhir_teks: Mapped[str] = mapped_column(String(120), default="")
    keterangan: Mapped[str] = mapped_column(Text, default="")
    dicatat_oleh: Mapped[str] = mapped_column(String(64))
    dicatat_pada: Mapped[dt.datetime] = mapped_column(DateTime)

    register = relationship("Register")


class RecordFile(Model):
    """A file of a record (receipt, issued PDF) in the content-addressed archive."""

    __tablename__ = "record_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    template_name: Mapped[str] = mapped_column(String(120), default="")
    template_sha256: Mapped[str] = mapped_column(String(64), default="")
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Layanan(Model):
    """A service of the office with its standard (requirements, working days, fee)."""

    __audit_area__ = "konfigurasi"

    __tablename__ = "layanan"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    nama: Mapped[str] = mapped_column(String(120))
    doctype: Mapped[str] = mapped_column(String(64))
    waktu_hari: Mapped[int] = mapped_column(Integer)
    biaya: Mapped[int] = mapped_column(Integer, default=0)
    persyaratan: Mapped[list] = mapped_column(JSON, default=list)
    produk: Mapped[str] = mapped_column(String(200), default="")
    dasar_hukum: Mapped[str] = mapped_column(Text, default="")

    def __str__(self) -> str:
        return self.nama


class HariLibur(Model):
    """A public holiday or office closure (skipped when promising completion dates)."""

    __audit_area__ = "konfigurasi"

    __tablename__ = "hari_libur"

    tanggal: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    keterangan: Mapped[str] = mapped_column(String(120))
