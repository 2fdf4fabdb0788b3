"""Kode klasifikasi arsip: the classification schemes numbers are formed with.

Rows are keyed by scheme, so the Permendagri 83/2022 codes and the legacy 78/2012 ones live side
by side: a letter keeps the code (and scheme) it was issued with for ever, in `issued_number`,
even when a later scheme no longer has it. The shipped lists are seeded and shown read-only.
"""

from flask_appbuilder import Model
from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class Klasifikasi(Model):
    """One code of one classification scheme."""

    __tablename__ = "klasifikasi"
    __table_args__ = (UniqueConstraint("scheme", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    #: False for a scheme kept only to read old letters (Permendagri 78/2012).
    in_force: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
