"""Documents handled by the office and the recorded history of their workflow."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Record(Model):
    """One document of a declared type, moving through its workflow."""

    __tablename__ = "record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctype: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    desa_code: Mapped[str | None] = mapped_column(ForeignKey("wilayah.code"), index=True)
    penduduk_id: Mapped[int | None] = mapped_column(ForeignKey("penduduk.id"), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    layanan_code: Mapped[str | None] = mapped_column(ForeignKey("layanan.code"))
    tracking_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    number: Mapped[str | None] = mapped_column(String(120), index=True)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    verify_code: Mapped[str | None] = mapped_column(String(24), unique=True)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, default=func.now())
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, default=func.now(), onupdate=func.now())

    penduduk = relationship("Penduduk")
    desa = relationship("Wilayah")
    layanan = relationship("Layanan")
    files = relationship("RecordFile", order_by="RecordFile.id")
    history = relationship("RecordTransition", back_populates="record",
                           order_by="RecordTransition.id", cascade="all, delete-orphan")


class RecordTransition(Model):
    """Who moved a record from which state to which, when, and why."""

    __tablename__ = "record_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    transition: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    record = relationship("Record", back_populates="history")
