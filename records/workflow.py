"""The one workflow engine: checks a requested transition against its declaration."""

from __future__ import annotations

from typing import Iterable

from .declarations import Transition, Workflow
from .exceptions import InvalidTransitionError, ValidationError


def check_transition(workflow: Workflow, state: str, name: str, roles: Iterable[str],
                     note: str = "") -> Transition:
    """Return the transition if `roles` may fire it from `state`; raise with the reason otherwise."""
    try:
        transition = workflow.transition(name)
    except KeyError:
        raise InvalidTransitionError(f"Langkah '{name}' tidak dikenal.") from None
    if state not in transition.sources:
        raise InvalidTransitionError(
            f"Langkah '{transition.title}' tidak dapat dilakukan pada status "
            f"'{workflow.states.get(state, state)}'.")
    if not transition.roles & set(roles):
        raise InvalidTransitionError(
            f"Peran Anda tidak berwenang melakukan '{transition.title}'.")
    if transition.note_required and not note.strip():
        raise ValidationError("Alasan wajib diisi.", {"note": "Alasan wajib diisi."})
    return transition
