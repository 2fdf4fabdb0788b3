"""Versioned region table (provinsi → kabupaten/kota → kecamatan → desa)."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column


class Wilayah(Model):
    """A Kemendagri region code with its validity; retired codes stay so old NIKs resolve."""

    __tablename__ = "wilayah"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(13), index=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")

    def __str__(self) -> str:
        return self.name
