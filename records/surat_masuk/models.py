"""Incoming letters (surat masuk), their dispositions, the progress reports on them, and the
office's editable list of disposition instructions.

Moves of letters and dispositions are kept in the core's one history (`workflow_step`,
subjects "surat_masuk" and "disposisi"); no history table here.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.workflow import history_of


class SuratMasuk(Model):
    """One incoming letter as the buku agenda holds it, with its scan (a record of the archive)
    and the naskah dinas that answers it."""

    __tablename__ = "surat_masuk"
    __table_args__ = (UniqueConstraint("tahun", "nomor_agenda", name="uq_surat_masuk_agenda"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tahun: Mapped[int] = mapped_column(Integer)
    nomor_agenda: Mapped[int] = mapped_column(Integer)
    pengirim: Mapped[str] = mapped_column(String(200))
    nomor_surat: Mapped[str] = mapped_column(String(120))
    kunci_duplikat: Mapped[str] = mapped_column(String(330), index=True)
    tanggal_surat: Mapped[dt.date] = mapped_column(Date)
    perihal: Mapped[str] = mapped_column(String(500))
    sifat: Mapped[str] = mapped_column(String(16), index=True)
    skema_code: Mapped[str] = mapped_column(String(40), default="")
    klasifikasi: Mapped[str] = mapped_column(String(40), default="")
    lampiran: Mapped[str] = mapped_column(String(100), default="")
    tanggal_terima: Mapped[dt.date] = mapped_column(Date, index=True)
    catatan: Mapped[str] = mapped_column(Text, default="")
    duplikat_dari: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), nullable=True)
    balasan_record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), nullable=True)
    dicatat_oleh: Mapped[str] = mapped_column(String(64))
    dicatat_pada: Mapped[dt.datetime] = mapped_column(DateTime)

    record = relationship("Record", foreign_keys=[record_id])
    balasan = relationship("Record", foreign_keys=[balasan_record_id])
    disposisi = relationship("Disposisi", order_by="Disposisi.id", back_populates="surat")
    history = history_of("surat_masuk", "SuratMasuk")


class Disposisi(Model):
    """One instruction from the Camat (or Sekcam, or a forwarding recipient) to one user or to
    every holder of a role (a unit), with its deadline."""

    __tablename__ = "surat_disposisi"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    surat_id: Mapped[int] = mapped_column(ForeignKey("surat_masuk.id"), index=True)
    induk_id: Mapped[int | None] = mapped_column(ForeignKey("surat_disposisi.id"), nullable=True)
    dari: Mapped[str] = mapped_column(String(64))
    kepada_user: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    kepada_role: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    instruksi: Mapped[list] = mapped_column(JSON, default=list)
    catatan: Mapped[str] = mapped_column(Text, default="")
    batas_waktu: Mapped[dt.date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    dibuat_pada: Mapped[dt.datetime] = mapped_column(DateTime)
    selesai_pada: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    selesai_oleh: Mapped[str] = mapped_column(String(64), default="")

    surat = relationship("SuratMasuk", back_populates="disposisi")
    laporan = relationship("LaporanDisposisi", order_by="LaporanDisposisi.id")
    history = history_of("disposisi", "Disposisi")

    @property
    def kepada(self) -> str:
        """Who it is for, as printed: a username or a role (unit)."""
        return self.kepada_user or self.kepada_role or ""


class LaporanDisposisi(Model):
    """A progress report on a disposition, optionally with an attachment archived as a scan."""

    __tablename__ = "surat_disposisi_laporan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disposisi_id: Mapped[int] = mapped_column(ForeignKey("surat_disposisi.id"), index=True)
    isi: Mapped[str] = mapped_column(Text)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), nullable=True)
    oleh: Mapped[str] = mapped_column(String(64))
    pada: Mapped[dt.datetime] = mapped_column(DateTime)


class InstruksiDisposisi(Model):
    """One instruction the disposition form offers (office-editable; shipped defaults)."""

    __tablename__ = "instruksi_disposisi"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kode: Mapped[str] = mapped_column(String(40), unique=True)
    teks: Mapped[str] = mapped_column(String(100))
    urutan: Mapped[int] = mapped_column(Integer, default=0)
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)


class AgendaLama(Model):
    """One line of an old, hand-kept buku agenda brought in when the office moved to Lemari
    (issue 22, item 3), with its original number and dates.

    An incoming line is also a `SuratMasuk` (`surat_masuk_id`: the incoming register holds it
    under its original agenda number); an outgoing line lives only here, since Lemari's
    outgoing registers (`issued_number`) hold the numbers Lemari itself consumed and must never
    be renumbered. `record_id` is the line's search entry (an `agenda_lama` record), so search
    finds it through the one outbox. One row per (jenis, tahun, kunci): importing the book
    again updates the line instead of adding a second one.
    """

    __tablename__ = "agenda_lama"
    __table_args__ = (UniqueConstraint("jenis", "tahun", "kunci", name="uq_agenda_lama_kunci"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jenis: Mapped[str] = mapped_column(String(8))  # "masuk" or "keluar"
    tahun: Mapped[int] = mapped_column(Integer, index=True)
    kunci: Mapped[str] = mapped_column(String(160))
    nomor_agenda: Mapped[int | None] = mapped_column(Integer, nullable=True)
    nomor_surat: Mapped[str] = mapped_column(String(120))
    tanggal: Mapped[dt.date] = mapped_column(Date, index=True)  # received (masuk) or sent (keluar)
    tanggal_surat: Mapped[dt.date] = mapped_column(Date)
    pihak: Mapped[str] = mapped_column(String(200))  # pengirim (masuk) or tujuan (keluar)
    perihal: Mapped[str] = mapped_column(String(500))
    klasifikasi: Mapped[str] = mapped_column(String(40), default="")
    keterangan: Mapped[str] = mapped_column(Text, default="")
    surat_masuk_id: Mapped[int | None] = mapped_column(ForeignKey("surat_masuk.id"), unique=True,
                                                       nullable=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), unique=True)
    berkas: Mapped[str] = mapped_column(String(200))
    baris: Mapped[int] = mapped_column(Integer)
    diimpor_oleh: Mapped[str] = mapped_column(String(64))
    diimpor_pada: Mapped[dt.datetime] = mapped_column(DateTime)

    surat = relationship("SuratMasuk")
    record = relationship("Record")
