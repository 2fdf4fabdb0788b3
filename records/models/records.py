"""Documents handled by the office; their workflow history is in `models.workflow`."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.workflow import history_of


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
    history = history_of("record", "Record")
    readers = relationship("RecordReader", order_by="RecordReader.principal",
                           cascade="all, delete-orphan")


class RecordReader(Model):
    """Who alone may read a restricted record (a rahasia letter and its scans): a user
    (`u:name`) or every holder of a role (`r:Camat`), see `records.actor.user_reader`. A record
    with no reader rows is read by everyone its desa scope admits; one with rows only by the
    principals listed (and still within scope), in every list, detail, file, export and search.
    """

    __tablename__ = "record_reader"

    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(80), primary_key=True)
