"""One-time form tokens and `Idempotency-Key` headers already used to create a record, so a
double click, Back + resubmit or a retried REST call returns the first record instead of
making a second one (services.idempotency)."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column


class IdempotencyKey(Model):
    """A key (unique: the database refuses the second use) and the record its first use made."""

    __tablename__ = "idempotency_key"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
