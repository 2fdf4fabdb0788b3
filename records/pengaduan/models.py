"""Complaints and questions from the public (pengaduan), their handling steps, and the hits
the public forms count to slow down a flood from one address."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.workflow import history_of


class Pengaduan(Model):
    """One complaint, question or suggestion, with its deadline and the office's answer."""

    __tablename__ = "pengaduan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    kategori: Mapped[str] = mapped_column(String(20), index=True)
    layanan_code: Mapped[str | None] = mapped_column(ForeignKey("layanan.code"))
    judul: Mapped[str] = mapped_column(String(150))
    isi: Mapped[str] = mapped_column(Text)
    nama: Mapped[str] = mapped_column(String(100), default="")
    kontak: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(16), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    tanggal: Mapped[dt.date] = mapped_column(Date, index=True)  # office-local date received
    due_date: Mapped[dt.date] = mapped_column(Date)
    jawaban: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answered_by: Mapped[str] = mapped_column(String(64), default="")

    layanan = relationship("Layanan")
    history = history_of("pengaduan", "Pengaduan")
