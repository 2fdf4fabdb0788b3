"""Rows of a batch issuance already turned into records, so a batch interrupted by a power cut
resumes where it stopped instead of issuing a letter twice."""

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column


class BatchItem(Model):
    """One row of one batch file (``<sha256 of the file>:<row>``) and the record it became."""

    __tablename__ = "batch_item"

    ref: Mapped[str] = mapped_column(String(80), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), unique=True)
