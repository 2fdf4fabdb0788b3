"""The front-office queue: counters, service prefixes, tickets and the log of every call.

A ticket number is unique per office day and prefix (A-001 …), the day being the office's
local date (Asia/Makassar), so numbering restarts every morning without a reset job. The call
log is append-only: the TV display, the fairness rule and the waiting-time statistics all
read it, and nothing ever rewrites it.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Time, UniqueConstraint
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


# ----- appointments (jadwal layanan), services in records/antrian/jadwal.py --------------------

BOOKED, ARRIVED, RELEASED, CANCELLED = "terjadwal", "hadir", "tidak_hadir", "batal"
WEEKDAYS = "0,1,2,3,4"


class JadwalLayanan(Model):
    """A daily slot of a service: its hours, quota, grace and whether it is the reserved
    window for lansia, disabilitas and ibu hamil (UU 25/2009 Pasal 29). Set by Admin/Camat."""

    __tablename__ = "antrian_jadwal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layanan_code: Mapped[str] = mapped_column(ForeignKey("layanan.code"), index=True)
    jam_mulai: Mapped[dt.time] = mapped_column(Time)
    jam_selesai: Mapped[dt.time] = mapped_column(Time)
    kuota: Mapped[int] = mapped_column(Integer, default=5)
    khusus: Mapped[bool] = mapped_column(Boolean, default=False)
    # Weekdays it runs, Monday = 0 (the office's working days; holidays are skipped anyway).
    hari: Mapped[str] = mapped_column(String(13), default=WEEKDAYS)
    # Minutes after the start when a booking nobody checked in for is released.
    tenggang_menit: Mapped[int] = mapped_column(Integer, default=30)
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)

    layanan = relationship("Layanan")

    def __str__(self) -> str:
        return f"{self.layanan_code} {self.jam_mulai:%H.%M}–{self.jam_selesai:%H.%M}"

    @property
    def weekdays(self) -> set[int]:
        return {int(d) for d in (self.hari or "").split(",") if d.strip().isdigit()}


class JadwalIsi(Model):
    """How many bookings a slot holds on one day; the conditional UPDATE on this row is what
    lets only one of two clerks take the last place."""

    __tablename__ = "antrian_jadwal_isi"
    __table_args__ = (UniqueConstraint("jadwal_id", "tanggal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jadwal_id: Mapped[int] = mapped_column(ForeignKey("antrian_jadwal.id"))
    tanggal: Mapped[dt.date] = mapped_column(Date)
    terisi: Mapped[int] = mapped_column(Integer, default=0)


class Janji(Model):
    """One booking; its code is the tracking code of the ticket (and request) it turns into."""

    __tablename__ = "antrian_janji"
    # One live booking per NIK, service and day: `nik_aktif` is the NIK while the booking
    # holds and NULL once released or cancelled (NULLs never clash).
    __table_args__ = (UniqueConstraint("layanan_code", "tanggal", "nik_aktif"),
                      Index("ix_antrian_janji_hari", "tanggal", "status"),
                      # a REST call's `Idempotency-Key`: a retry finds the booking it made
                      Index("ix_antrian_janji_idempotency_key", "idempotency_key", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kode: Mapped[str] = mapped_column(String(16), unique=True)
    jadwal_id: Mapped[int] = mapped_column(ForeignKey("antrian_jadwal.id"))
    layanan_code: Mapped[str] = mapped_column(ForeignKey("layanan.code"))
    tanggal: Mapped[dt.date] = mapped_column(Date)
    jam_mulai: Mapped[dt.time] = mapped_column(Time)
    jam_selesai: Mapped[dt.time] = mapped_column(Time)
    mulai_at: Mapped[dt.datetime] = mapped_column(DateTime)  # slot start, UTC
    alasan_prioritas: Mapped[str] = mapped_column(String(20), default="")
    nik: Mapped[str] = mapped_column(String(16))
    nik_aktif: Mapped[str | None] = mapped_column(String(16))
    nama: Mapped[str] = mapped_column(String(100))
    telepon: Mapped[str] = mapped_column(String(20), default="")
    desa_code: Mapped[str | None] = mapped_column(String(13), index=True)
    penduduk_id: Mapped[int | None] = mapped_column(ForeignKey("penduduk.id"))
    sumber: Mapped[str] = mapped_column(String(12))  # petugas, desa, kios, publik
    dibuat_oleh: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default=BOOKED)
    tiket_id: Mapped[int | None] = mapped_column(ForeignKey("antrian_tiket.id"), unique=True)
    selesai_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))

    layanan = relationship("Layanan")
    jadwal = relationship("JadwalLayanan")
    tiket = relationship("Tiket")
