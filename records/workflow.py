"""The one workflow engine: checks a requested transition against its declaration.

Views, the API and the CLI all ask this one function, so a role can never fire from one door a
step the declaration refuses it at another.
"""

from __future__ import annotations

from collections.abc import Iterable

from records.declarations import Transition, Workflow
from records.exceptions import InvalidTransitionError, ValidationError


def check_transition(workflow: Workflow, state: str, name: str, roles: Iterable[str],
                     note: str | None = "") -> Transition:
    """Return the transition if `roles` may fire it from `state`; raise with the reason otherwise.

    A missing note (None, as JSON null arrives) counts as empty, never as the text "None".
    """
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
    if transition.note_required and not (note or "").strip():
        raise ValidationError("Alasan wajib diisi.", {"note": "Alasan wajib diisi."})
    return transition
