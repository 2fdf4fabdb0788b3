"""The front-office queue: counters, service prefixes, tickets and the log of every call.

A ticket number is unique per office day and prefix (A-001 …), the day being the office's
local date (Asia/Makassar), so numbering restarts every morning without a reset job. The call
log is append-only: the TV display, the fairness rule and the waiting-time statistics all
read it, and nothing ever rewrites it.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

WAITING, CALLED, SERVING, DONE, SKIPPED = "menunggu", "dipanggil", "dilayani", "selesai", "dilewati"
ACTIVE = (CALLED, SERVING)


class AntrianLayanan(Model):
    """A service offered at the queue, with the letter its ticket numbers start with."""

    __tablename__ = "antrian_layanan"

    layanan_code: Mapped[str] = mapped_column(ForeignKey("layanan.code"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(2), unique=True)
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)
    urutan: Mapped[int] = mapped_column(Integer, default=0)

    layanan = relationship("Layanan")

    def __str__(self) -> str:
        return f"{self.prefix} — {self.layanan_code}"


class Loket(Model):
    """A counter; `layanan` lists the service codes it calls, comma separated (empty: all)."""

    __tablename__ = "antrian_loket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nama: Mapped[str] = mapped_column(String(40), unique=True)
    layanan: Mapped[str] = mapped_column(String(400), default="")
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by every call at this counter: the row lock that serialises one counter's clicks.
    versi: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return self.nama

    @property
    def service_codes(self) -> list[str]:
        return [code.strip() for code in (self.layanan or "").split(",") if code.strip()]


class NomorAntrian(Model):
    """The last ticket number given for a prefix on an office day."""

    __tablename__ = "antrian_nomor"
    __table_args__ = (UniqueConstraint("tanggal", "prefix"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tanggal: Mapped[dt.date] = mapped_column(Date)
    prefix: Mapped[str] = mapped_column(String(2))
    last: Mapped[int] = mapped_column(Integer, default=0)


class Tiket(Model):
    """One queue ticket; its tracking code becomes the code of the request it turns into."""

    __tablename__ = "antrian_tiket"
    __table_args__ = (UniqueConstraint("tanggal", "prefix", "nomor"),
                      Index("ix_antrian_tiket_queue", "tanggal", "status", "layanan_code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tanggal: Mapped[dt.date] = mapped_column(Date)
    layanan_code: Mapped[str] = mapped_column(ForeignKey("layanan.code"))
    prefix: Mapped[str] = mapped_column(String(2))
    nomor: Mapped[int] = mapped_column(Integer)
    prioritas: Mapped[bool] = mapped_column(Boolean, default=False)
    alasan_prioritas: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    sumber: Mapped[str] = mapped_column(String(12))  # "kiosk" or "petugas"
    dibuat_oleh: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Position in its lane: created_at, kept when the ticket is transferred.
    antri_sejak: Mapped[dt.datetime] = mapped_column(DateTime)
    first_called_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    loket_id: Mapped[int | None] = mapped_column(ForeignKey("antrian_loket.id"))
    # Set by a transfer to one counter: only that counter calls it next.
    loket_tujuan_id: Mapped[int | None] = mapped_column(ForeignKey("antrian_loket.id"))
    jumlah_panggil: Mapped[int] = mapped_column(Integer, default=0)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), unique=True)

    layanan = relationship("Layanan")
    loket = relationship("Loket", foreign_keys=[loket_id])

    @property
    def label(self) -> str:
        """A-001: what the citizen hears and reads."""
        return f"{self.prefix}-{self.nomor:03d}"


class Panggilan(Model):
    """One event at a counter: call, recall, serve, skip, transfer, finish, reinstate."""

    __tablename__ = "antrian_panggilan"
    __table_args__ = (Index("ix_antrian_panggilan_loket", "loket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tanggal: Mapped[dt.date] = mapped_column(Date, index=True)
    tiket_id: Mapped[int] = mapped_column(ForeignKey("antrian_tiket.id"), index=True)
    loket_id: Mapped[int | None] = mapped_column(ForeignKey("antrian_loket.id"))
    jenis: Mapped[str] = mapped_column(String(12))
    # For a call: the lane it was taken from, and whether a regular ticket was passed over.
    jalur: Mapped[str] = mapped_column(String(12), default="")
    umum_menunggu: Mapped[bool] = mapped_column(Boolean, default=False)
    petugas: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)

    tiket = relationship("Tiket")
    loket = relationship("Loket")
