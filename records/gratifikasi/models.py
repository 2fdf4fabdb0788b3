"""The gratification register (register gratifikasi) of the office's Unit Pengendalian
Gratifikasi: one row per gift offered to or received by a member of staff, with its review.

Its moves are rows of the one workflow history (`records.models.workflow.WorkflowStep`,
subject "gratifikasi"); this feature keeps no history table of its own.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.workflow import history_of


class Gratifikasi(Model):
    """One declared gift: what, from whom, its value, refused or accepted, and its review."""

    __tablename__ = "gratifikasi"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kode: Mapped[str | None] = mapped_column(String(20), unique=True)  # GR-2026-0001, set after insert
    pelapor: Mapped[str] = mapped_column(String(64), index=True)  # the declaring account
    uraian: Mapped[str] = mapped_column(Text)
    pemberi: Mapped[str] = mapped_column(String(100))
    hubungan: Mapped[str] = mapped_column(String(100))
    nilai: Mapped[int] = mapped_column(BigInteger)  # Rupiah, estimated when not known
    tanggal_pemberian: Mapped[dt.date] = mapped_column(Date, index=True)
    tempat: Mapped[str] = mapped_column(String(150))
    sikap: Mapped[str] = mapped_column(String(10))  # ditolak / diterima
    layanan_code: Mapped[str | None] = mapped_column(ForeignKey("layanan.code"))
    kode_lacak: Mapped[str] = mapped_column(String(16), default="")
    tanggal_lapor: Mapped[dt.date] = mapped_column(Date, index=True)  # office-local date declared
    dilaporkan_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batas_lapor: Mapped[dt.date] = mapped_column(Date)  # 30 working days after the gift
    terlambat: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), index=True)
    catatan_telaah: Mapped[str] = mapped_column(Text, default="")
    ditelaah_oleh: Mapped[str] = mapped_column(String(64), default="")
    selesai_on: Mapped[dt.date | None] = mapped_column(Date)

    layanan = relationship("Layanan")
    history = history_of("gratifikasi", "Gratifikasi")
