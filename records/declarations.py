"""Declarations are data: document types, workflows, permissions and roles.

Plugins return these frozen dataclasses from their hooks; `Registry.from_plugins` merges them
once at start-up and checks that every name is unique and every reference resolves, so a broken
plugin fails loudly before the first clerk logs in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FIELD_KINDS = frozenset({"text", "textarea", "date", "integer", "choice", "nik"})
#: Names end up in URLs (/dokumen/baru/<type>), form inputs and String(32)/String(64) columns.
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
#: Inputs the document form adds itself; a declared field with one of these names would collide.
RESERVED_FIELD_NAMES = frozenset({"nik", "penduduk_id", "csrf_token"})


def _identifier(value: str, what: str, max_length: int = 32) -> None:
    """Refuse a name that cannot serve as URL part, form input name or column value."""
    if not (isinstance(value, str) and _IDENTIFIER.fullmatch(value) and len(value) <= max_length):
        raise ValueError(f"{what} {value!r}: use at most {max_length} lower-case letters, "
                         "digits and _, starting with a letter")


def _names(value: Iterable[str] | str) -> tuple[str, ...]:
    """A tuple of names; a lone string is one name, never a sequence of letters."""
    return (value,) if isinstance(value, str) else tuple(value)


def _freeze(obj: object, **values: object) -> None:
    """Set normalised values on a frozen dataclass from its __post_init__."""
    for name, value in values.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Field:
    """One input of a document type's form; `kind` picks widget and validation."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 500
    help: str = ""

    def __post_init__(self) -> None:
        _identifier(self.name, "field")
        _freeze(self, choices=_names(self.choices))
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"field {self.name}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"field {self.name}: a choice field needs choices")


@dataclass(frozen=True)
class DocumentType:
    """A kind of document the office handles (Plone: a content type)."""

    name: str
    title: str
    fields: tuple[Field, ...]
    workflow: str = "issuance"
    template: str = ""
    klasifikasi: str = ""
    retention_class: str = ""
    register: str = "surat_keluar"
    needs_penduduk: bool = True
    description: str = ""
    legacy: bool = False
    # Made by the system (e.g. the request receipt), never chosen by a clerk under "Buat dokumen".
    internal: bool = False

    def __post_init__(self) -> None:
        _identifier(self.name, "document type", 64)
        _freeze(self, fields=tuple(self.fields))
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"document type {self.name}: fields declared twice "
                             f"{sorted(duplicates)}")
        reserved = RESERVED_FIELD_NAMES & set(names)
        if reserved:
            raise ValueError(f"document type {self.name}: reserved field names {sorted(reserved)}")

    def field(self, name: str) -> Field:
        """The field called `name` (KeyError when the type has none)."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


@dataclass(frozen=True)
class Transition:
    """A named move between states, allowed only to the listed roles."""

    name: str
    title: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    note_required: bool = False

    def __post_init__(self) -> None:
        _identifier(self.name, "transition")
        _freeze(self, sources=_names(self.sources), roles=frozenset(_names(self.roles)))
        if not self.sources:
            raise ValueError(f"transition {self.name}: no source state")
        if not self.roles:
            raise ValueError(f"transition {self.name}: no role may fire it")


@dataclass(frozen=True)
class Workflow:
    """States and transitions of a document's life (Plone: a DCWorkflow)."""

    name: str
    title: str
    initial: str
    states: Mapping[str, str]
    transitions: tuple[Transition, ...]

    def __post_init__(self) -> None:
        _identifier(self.name, "workflow")
        _freeze(self, states=dict(self.states), transitions=tuple(self.transitions))
        for state in self.states:
            _identifier(state, f"workflow {self.name}: state")
        known = set(self.states)
        names = [t.name for t in self.transitions]
        if len(set(names)) != len(names):
            raise ValueError(f"workflow {self.name}: a transition name is declared twice")
        if self.initial not in known:
            raise ValueError(f"workflow {self.name}: initial state {self.initial!r} unknown")
        for t in self.transitions:
            unknown = (set(t.sources) | {t.target}) - known
            if unknown:
                raise ValueError(f"workflow {self.name}: transition {t.name} uses {unknown}")

    def transition(self, name: str) -> Transition:
        """The transition called `name` (KeyError when absent)."""
        for t in self.transitions:
            if t.name == name:
                return t
        raise KeyError(name)

    def available(self, state: str, roles: Iterable[str]) -> list[Transition]:
        """Transitions that leave `state` and that one of `roles` may fire."""
        held = set(roles)
        return [t for t in self.transitions if state in t.sources and t.roles & held]


@dataclass(frozen=True)
class Permission:
    """A named right (`area.verb`) and the roles that hold it by default (Plone rolemap)."""

    name: str
    description: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        area, dot, verb = self.name.partition(".")
        if not (dot and area and verb):
            raise ValueError(f"permission {self.name!r}: expected 'area.verb'")
        _freeze(self, roles=frozenset(_names(self.roles)))

    @property
    def fab_pair(self) -> tuple[str, str]:
        """The Flask-AppBuilder (permission, view-menu) pair, e.g. ("can_read", "Penduduk")."""
        area, verb = self.name.split(".", 1)
        return f"can_{verb}", area.capitalize()


@dataclass(frozen=True)
class RoleDef:
    """A role of the office; a scoped role only reaches the desa granted to the user."""

    name: str
    description: str
    scoped: bool = False


@dataclass(frozen=True)
class Registry:
    """Everything the plugins declared, merged and checked."""

    document_types: Mapping[str, DocumentType]
    workflows: Mapping[str, Workflow]
    permissions: Mapping[str, Permission]
    roles: Mapping[str, RoleDef]

    @classmethod
    def from_plugins(cls, pm) -> Registry:
        """Collect declarations from every plugin; refuse duplicates and dangling names."""
        registry = cls(
            document_types=_unique(pm.hook.register_document_types(), DocumentType),
            workflows=_unique(pm.hook.register_workflows(), Workflow),
            permissions=_unique(pm.hook.register_permissions(), Permission),
            roles=_unique(pm.hook.register_roles(), RoleDef),
        )
        registry.check()
        return registry

    def check(self) -> None:
        """Every document type names a known workflow; every granted role exists."""
        for doctype in self.document_types.values():
            if doctype.workflow not in self.workflows:
                raise ValueError(f"document type {doctype.name}: unknown workflow {doctype.workflow}")
        granted = {r for p in self.permissions.values() for r in p.roles}
        granted |= {r for w in self.workflows.values() for t in w.transitions for r in t.roles}
        missing = granted - set(self.roles)
        if missing:
            raise ValueError(f"unknown roles named in declarations: {sorted(missing)}")

    def permissions_of(self, role: str) -> frozenset[str]:
        """Names of the permissions a role holds by default."""
        return frozenset(p.name for p in self.permissions.values() if role in p.roles)


def _unique(results: Iterable[Iterable], kind: type) -> dict:
    """Flatten hook results into {name: declaration}, refusing strays and names declared twice."""
    merged: dict = {}
    for declarations in results:
        if declarations is not None and not isinstance(declarations, (list, tuple)):
            raise ValueError(f"a plugin returned {type(declarations).__name__}, "
                             f"expected a list of {kind.__name__}")
        for item in declarations or ():
            if not isinstance(item, kind):
                raise ValueError(f"a plugin returned {item!r} where a {kind.__name__} belongs")
            if item.name in merged:
                raise ValueError(f"{kind.__name__} {item.name!r} declared twice")
            merged[item.name] = item
    return merged
