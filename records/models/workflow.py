"""The one workflow history: every move of anything that has a workflow, in one table.

A record, a complaint, a publication, or whatever a plugin declares a workflow for: each move
is a row naming its subject ("record", "pengaduan", ...) and the subject's id, the transition,
the states before and after, who, when and why. A feature with a workflow therefore adds no
history table of its own (it declares its workflow and calls `services.workflow_history.fire`),
and the history of every kind of thing reads and audits the same way.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship


class WorkflowStep(Model):
    """Who moved which subject from which state to which, when, and why."""

    __tablename__ = "workflow_step"
    __table_args__ = (Index("ix_workflow_step_subject", "subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    transition: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")


def history_of(subject: str, owner: str):
    """The `history` relationship of a model whose rows are `subject`s, oldest step first.

    Read-only: steps are written by `workflow_history`, never through the relationship, and a
    subject's history outlives nothing (records are tombstoned, not deleted).
    """
    return relationship(
        WorkflowStep, viewonly=True, order_by=WorkflowStep.id,
        primaryjoin=(f"and_(foreign(WorkflowStep.subject_id) == {owner}.id, "
                     f"WorkflowStep.subject == '{subject}')"))
