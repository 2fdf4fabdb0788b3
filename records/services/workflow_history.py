"""One way to move anything along its workflow: check, claim, remember, audit.

Records, complaints and publications (and whatever a plugin declares a workflow for) all move
through `fire`: the declaration is asked whether the actor's roles may take the step
(`workflow.check_transition`), the subject's state is claimed with a conditional UPDATE (two
clerks clicking at once: one wins, the other is told to reload), the step is written to the one
history table (`models.workflow.WorkflowStep`) and the audit entry is added. Nothing here
commits: the caller adds what else belongs to the same move (an outbox row, an answer) and
commits once, so a crash before that commit leaves the subject where it was, with no step and
no audit entry; after it, all of them are there.

A subject is any mapped row with an integer `id` and a string `state`; its kind (`subject`)
names it in the history and in the audit action (`<subject>.<transition>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from records.actor import Actor
from records.declarations import Transition, Workflow
from records.exceptions import InvalidTransitionError
from records.models.workflow import WorkflowStep
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.rows import changed_rows
from records.workflow import check_transition

#: Said to the clerk whose click lost the race for a subject.
CHANGED_MEANWHILE = "Status sudah diubah oleh pengguna lain; muat ulang halaman."


def remember(session: Session, subject: str, subject_id: int, transition: str,
             from_state: str | None, to_state: str, actor: str, note: str = "",
             at=None) -> WorkflowStep:
    """Add one step to the history (creation, archiving, or a move already claimed)."""
    step = WorkflowStep(subject=subject, subject_id=subject_id, transition=transition,
                        from_state=from_state, to_state=to_state, actor=actor,
                        at=at or utc_now(), note=note)
    session.add(step)
    return step


def move(session: Session, row: Any, transition: Transition, *, subject: str, actor: str,
         note: str = "", values: Mapping[str, object] | None = None) -> WorkflowStep:
    """Claim the row's state (compare-and-set) and remember the step; no permission check.

    For moves the system makes on its own (expiry) and for `fire` after its check. `values`
    are further columns set in the same UPDATE (an answer, a publication time).
    """
    model, before = type(row), row.state
    changes = {"state": transition.target, **(values or {})}
    moved = session.execute(update(model).where(model.id == row.id, model.state == before)
                            .values(**changes).execution_options(synchronize_session=False))
    if changed_rows(moved) != 1:
        raise InvalidTransitionError(CHANGED_MEANWHILE)
    for name, value in changes.items():
        set_committed_value(row, name, value)
    return remember(session, subject, row.id, transition.name, before, transition.target,
                    actor, note)


def fire(session: Session, row: Any, workflow: Workflow, name: str, *, subject: str,
         actor: Actor, note: str = "", values: Mapping[str, object] | None = None,
         desa_code: str | None = None,
         detail: Mapping[str, object] | None = None) -> tuple[Transition, WorkflowStep]:
    """Take step `name` of `workflow` on `row` as `actor`: check, claim, remember, audit.

    The audit action is `<subject>.<transition>` with the states before and after and the note.
    The caller commits.
    """
    transition = check_transition(workflow, row.state, name, actor.roles, note)
    step = move(session, row, transition, subject=subject, actor=actor.username, note=note,
                values=values)
    record_event(session, actor, f"{subject}.{transition.name}", object_type=subject,
                 object_id=row.id, desa_code=desa_code,
                 detail={"from": step.from_state, "to": step.to_state, "note": note,
                         **(detail or {})})
    return transition, step
