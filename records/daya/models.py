"""The UPS's last reading (one row) and the record of every power cut.

`daya_status` holds what the watcher last read, so every process (the web pages' banners, the
job gate, `lemari daya status`) sees the same state; its `padam_id` points at the outage in
progress and is the compare-and-set claim that opens and closes an outage exactly once when
several watchers run (`lemari serve` and `lemari jobs worker` on one office).

`daya_padam` is one row per outage: when the office went on battery, when the battery ran
low (and the server was shut down), when line power came back, how long it ran on battery, and
the backup taken at its start.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

STATUS_ID = 1


class DayaStatus(Model):
    """The UPS as last read (a single row, id 1)."""

    __tablename__ = "daya_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ups: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(64), default="")
    terpantau: Mapped[bool] = mapped_column(Boolean, default=False)
    galat: Mapped[str] = mapped_column(String(255), default="")
    muatan: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sisa_detik: Mapped[int | None] = mapped_column(Integer, nullable=True)
    diperbarui: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    padam_id: Mapped[int | None] = mapped_column(ForeignKey("daya_padam.id"), nullable=True)


class Padam(Model):
    """One power cut the UPS carried the office through."""

    __tablename__ = "daya_padam"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ups: Mapped[str] = mapped_column(String(64))
    mulai: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    baterai_rendah: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    selesai: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    detik_baterai: Mapped[int | None] = mapped_column(Integer, nullable=True)
    muatan_terendah: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dimatikan: Mapped[bool] = mapped_column(Boolean, default=False)
    cadangan: Mapped[str] = mapped_column(Text, default="")
    cadangan_galat: Mapped[str] = mapped_column(Text, default="")
