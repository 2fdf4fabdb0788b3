"""Satisfaction survey answers (Survei Kepuasan Masyarakat, PermenPANRB 14/2017).

One response per handed-over request: `record_id` is unique so a code answers once. The
nine element scores (1–4) are columns u1…u9, in the regulation's order.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class SurveiRespon(Model):
    """One citizen's answers about one service they received."""

    __tablename__ = "survei_respon"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), unique=True)
    layanan_code: Mapped[str] = mapped_column(ForeignKey("layanan.code"), index=True)
    tanggal: Mapped[dt.date] = mapped_column(Date, index=True)  # office-local date answered
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    u1: Mapped[int] = mapped_column(SmallInteger)
    u2: Mapped[int] = mapped_column(SmallInteger)
    u3: Mapped[int] = mapped_column(SmallInteger)
    u4: Mapped[int] = mapped_column(SmallInteger)
    u5: Mapped[int] = mapped_column(SmallInteger)
    u6: Mapped[int] = mapped_column(SmallInteger)
    u7: Mapped[int] = mapped_column(SmallInteger)
    u8: Mapped[int] = mapped_column(SmallInteger)
    u9: Mapped[int] = mapped_column(SmallInteger)
    jenis_kelamin: Mapped[str] = mapped_column(String(12), default="")
    usia: Mapped[str] = mapped_column(String(12), default="")
    pendidikan: Mapped[str] = mapped_column(String(20), default="")
    pekerjaan: Mapped[str] = mapped_column(String(20), default="")
    saran: Mapped[str] = mapped_column(Text, default="")
