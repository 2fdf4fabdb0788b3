"""Declarations are data: document types, workflows, permissions and roles.

Plugins return these frozen dataclasses from their hooks; `Registry.from_plugins` merges them
once at start-up and checks that every name is unique and every reference resolves, so a broken
plugin fails loudly before the first clerk logs in.

A workflow's states and steps are named by its plugin; what they *mean* is said by tags from
one closed vocabulary (`TRANSITION_MEANINGS`, `STATE_MEANINGS`). Services, adapters and checks
read the meaning, never the names, so a workflow that calls its issuing step `keluarkan`
instead of `terbitkan` is issued, tracked, surveyed and searched like the built-in one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

FIELD_KINDS = frozenset({"text", "textarea", "date", "integer", "choice", "nik"})
#: Names end up in URLs (/dokumen/baru/<type>), form inputs and String(32)/String(64) columns.
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
#: Inputs the document form adds itself; a declared field with one of these names would collide.
RESERVED_FIELD_NAMES = frozenset({"nik", "penduduk_id", "csrf_token", "klasifikasi", "items",
                                  "pemohon_nonpermanen"})
#: Who may sign a document (DocumentType.penanda_tangan).
SIGNED_BY = frozenset({"pejabat", "pemohon", "petugas"})


# --- Meanings: the closed vocabulary of workflow tags ------------------------------------------

VERIFIES, SIGNS, ISSUES, HANDS_OVER, REJECTS, REVOKES = (
    "verifies", "signs", "issues", "hands_over", "rejects", "revokes")
ISSUED, READY, HANDED_OVER, CLOSED, REVOKED = "issued", "ready", "handed_over", "closed", "revoked"

#: What a transition tag means, and who reads it. A transition may carry several tags.
TRANSITION_MEANINGS: Mapping[str, str] = MappingProxyType({
    VERIFIES: "A clerk checks the request and its papers. A step before issue: it never leaves "
              "an `issued` state. Read by the checks only.",
    SIGNS: "An official approves the document. Whoever fired the latest `signs` step is printed "
           "as the signer under the letter (services.issuing.signer_block). A step before issue.",
    ISSUES: "Issues the document in one transaction: a number from the register, the PDF rendered, "
            "signed and archived (services.issuing.issue; the web, API, CLI and batch issuing send "
            "this step there). At most one per workflow, reachable from the initial state, from "
            "states not `issued` to one that is; `lemari issue` and batch issuing walk "
            "`Workflow.path_to(ISSUES)`.",
    HANDS_OVER: "The product is given to the applicant: its target is tagged `handed_over`.",
    REJECTS: "The request is refused before issue: its target is `closed` and not `issued`.",
    REVOKES: "An issued document is withdrawn: from `issued` states to a `revoked` one.",
})
#: What a state tag means, and who reads it. A state may carry several tags.
STATE_MEANINGS: Mapping[str, str] = MappingProxyType({
    ISSUED: "The record carries its number and its issued PDF (issued, handed over, revoked "
            "after issue): issuing it again changes nothing (issuing, batch issuing) and "
            "`lemari doctor` expects its archived file. Only the `issues` step enters it.",
    READY: "The office's work is done and the product waits for the applicant: the request is "
           "complete on /lacak and in the dashboard, and no longer overdue.",
    HANDED_OVER: "The applicant has received the product: the satisfaction survey opens for its "
                 "tracking code, and /lacak and the dashboard count it complete. Also `closed`.",
    CLOSED: "No more work for the office (handed over, rejected, revoked): never overdue on "
            "/lacak, never 'in progress' in the dashboard. Never also `ready`.",
    REVOKED: "An issued document was withdrawn: verification answers DICABUT and search marks "
             "the hit revoked. Also `issued` and `closed`.",
})


def _known_tags(tags: frozenset[str], vocabulary: Mapping[str, str], what: str) -> None:
    """Refuse a tag outside the vocabulary (a typo would otherwise mean nothing, silently)."""
    unknown = tags - set(vocabulary)
    if unknown:
        raise ValueError(f"{what}: unknown tag {', '.join(sorted(map(repr, unknown)))}; "
                         f"known tags: {', '.join(vocabulary)}")


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
    # No new record may be drafted (the legal basis is gone, e.g. the IUMK since PP 7/2021):
    # letters already issued stay readable, reprintable and verifiable.
    legacy: bool = False
    # Made by the system (e.g. the request receipt), never chosen by a clerk under "Buat dokumen".
    internal: bool = False
    # Rules the drafted values must satisfy, each with its legal basis (document_rules.Aturan).
    aturan: tuple = ()
    # A person outside the registry (penduduk nonpermanen, Permendagri 14/2015) may be the
    # applicant, identified from their KTP-el (services.drafting).
    pemohon_nonpermanen: bool = False
    # Who signs the document, as its form requires: "pejabat" (Camat or delegate, a naskah
    # dinas), "pemohon" (the applicant, e.g. the kepala keluarga on the F-1.01) or "petugas".
    penanda_tangan: str = "pejabat"

    def __post_init__(self) -> None:
        _identifier(self.name, "document type", 64)
        _freeze(self, fields=tuple(self.fields))
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"document type {self.name}: fields declared twice "
                             f"{sorted(duplicates)}")
        _freeze(self, aturan=tuple(self.aturan))
        if self.penanda_tangan not in SIGNED_BY:
            raise ValueError(f"document type {self.name}: penanda_tangan must be one of "
                             f"{sorted(SIGNED_BY)}")
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
    """A named move between states, allowed only to the listed roles; `tags` say what it
    means (keys of TRANSITION_MEANINGS)."""

    name: str
    title: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    note_required: bool = False
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _identifier(self.name, "transition")
        _freeze(self, sources=_names(self.sources), roles=frozenset(_names(self.roles)),
                tags=frozenset(_names(self.tags)))
        _known_tags(self.tags, TRANSITION_MEANINGS, f"transition {self.name}")
        if not self.sources:
            raise ValueError(f"transition {self.name}: no source state")
        if not self.roles:
            raise ValueError(f"transition {self.name}: no role may fire it")


@dataclass(frozen=True)
class Workflow:
    """States and transitions of a document's life (Plone: a DCWorkflow); `state_tags` maps a
    state to what it means (keys of STATE_MEANINGS), untagged states mean nothing special."""

    name: str
    title: str
    initial: str
    states: Mapping[str, str]
    transitions: tuple[Transition, ...]
    state_tags: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _identifier(self.name, "workflow")
        _freeze(self, states=dict(self.states), transitions=tuple(self.transitions),
                state_tags={state: frozenset(_names(tags))
                            for state, tags in dict(self.state_tags).items()})
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
        self._check_state_tags()
        self._check_transition_tags()

    def _check_state_tags(self) -> None:
        """State tags are known, on known states, and consistent with one another."""
        for state, tags in self.state_tags.items():
            if state not in self.states:
                raise ValueError(f"workflow {self.name}: state_tags names unknown state {state!r}")
            where = f"workflow {self.name}: state {state}"
            _known_tags(tags, STATE_MEANINGS, where)
            if REVOKED in tags and not {ISSUED, CLOSED} <= tags:
                raise ValueError(f"{where} is tagged revoked, so it must also be tagged issued "
                                 "and closed (only an issued document can be revoked)")
            if HANDED_OVER in tags and CLOSED not in tags:
                raise ValueError(f"{where} is tagged handed_over, so it must also be tagged closed")
            if READY in tags and CLOSED in tags:
                raise ValueError(f"{where} cannot be both ready (waiting for the applicant) "
                                 "and closed")
        if self.state_tags.get(self.initial):
            raise ValueError(f"workflow {self.name}: the initial state {self.initial} cannot be "
                             f"tagged {sorted(self.state_tags[self.initial])} (a new record has "
                             "no number and no result yet)")

    def _check_transition_tags(self) -> None:
        """One issuing step at most, reachable, the only way into an issued state; the other
        meanings land on the states they promise."""
        issuing = self.transitions_tagged(ISSUES)
        if len(issuing) > 1:
            raise ValueError(f"workflow {self.name}: transitions {', '.join(t.name for t in issuing)} "
                             "are all tagged issues; a document is issued by exactly one")
        issued = self.states_tagged(ISSUED)
        if issued and not issuing:
            raise ValueError(f"workflow {self.name}: states {sorted(issued)} are tagged issued "
                             "but no transition is tagged issues")
        for t in self.transitions:
            where = f"workflow {self.name}: transition {t.name}"
            target, from_issued = self.tags_of(t.target), set(t.sources) & issued
            if ISSUES in t.tags and ISSUED not in target:
                raise ValueError(f"{where} is tagged issues, so its target {t.target} must be "
                                 "tagged issued")
            before_issue = t.tags & {VERIFIES, SIGNS, ISSUES, REJECTS}
            if before_issue and from_issued:
                raise ValueError(f"{where} is tagged {', '.join(sorted(before_issue))}, a step "
                                 f"before issue, but leaves the issued state "
                                 f"{', '.join(sorted(from_issued))}")
            if HANDS_OVER in t.tags and HANDED_OVER not in target:
                raise ValueError(f"{where} is tagged hands_over, so its target {t.target} must "
                                 "be tagged handed_over")
            if REJECTS in t.tags and (CLOSED not in target or ISSUED in target):
                raise ValueError(f"{where} is tagged rejects, so its target {t.target} must be "
                                 "tagged closed and not issued")
            if REVOKES in t.tags and (REVOKED not in target or not set(t.sources) <= issued):
                raise ValueError(f"{where} is tagged revokes, so it must lead from issued "
                                 "states only to a state tagged revoked")
            if ISSUED in target and not set(t.sources) <= issued and ISSUES not in t.tags:
                raise ValueError(f"{where} enters the issued state {t.target} but is not tagged "
                                 "issues (only issuing gives a record its number and PDF)")
        if issuing and not self.path_to(ISSUES):
            raise ValueError(f"workflow {self.name}: the issuing transition {issuing[0].name} "
                             f"cannot be reached from the initial state {self.initial}")

    # --- meanings: what services ask instead of naming states and steps --------------------

    def tags_of(self, state: str) -> frozenset[str]:
        """The tags of `state` (empty for an untagged or unknown state)."""
        return self.state_tags.get(state, frozenset())

    def states_tagged(self, tag: str) -> frozenset[str]:
        """The states carrying `tag` (a key of STATE_MEANINGS)."""
        _known_tags(frozenset({tag}), STATE_MEANINGS, "states_tagged")
        return frozenset(s for s, tags in self.state_tags.items() if tag in tags)

    def state_is(self, state: str, tag: str) -> bool:
        """Whether `state` carries `tag` (a key of STATE_MEANINGS)."""
        return state in self.states_tagged(tag)

    def transitions_tagged(self, tag: str) -> tuple[Transition, ...]:
        """The transitions carrying `tag` (a key of TRANSITION_MEANINGS), in declared order."""
        _known_tags(frozenset({tag}), TRANSITION_MEANINGS, "transitions_tagged")
        return tuple(t for t in self.transitions if tag in t.tags)

    def transition_tagged(self, tag: str) -> Transition | None:
        """The one transition carrying `tag`, or None; several are a caller's error (use
        `transitions_tagged`)."""
        found = self.transitions_tagged(tag)
        if len(found) > 1:
            raise ValueError(f"workflow {self.name}: several transitions are tagged {tag}")
        return found[0] if found else None

    def means(self, transition_name: str, tag: str) -> bool:
        """Whether the transition called `transition_name` carries `tag` (False if unknown)."""
        return any(t.name == transition_name for t in self.transitions_tagged(tag))

    def path_to(self, tag: str) -> tuple[Transition, ...]:
        """The shortest run of transitions from the initial state through the first one
        tagged `tag` (breadth-first, so a detour such as a rejection is never taken); empty
        when no such transition can be reached."""
        wanted = {t.name for t in self.transitions_tagged(tag)}
        paths: deque[tuple[str, tuple[Transition, ...]]] = deque([(self.initial, ())])
        seen = {self.initial}
        while paths:
            state, path = paths.popleft()
            for t in self.transitions:
                if state not in t.sources:
                    continue
                if t.name in wanted:
                    return (*path, t)
                if t.target not in seen:
                    seen.add(t.target)
                    paths.append((t.target, (*path, t)))
        return ()

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
    # Extension callables the core calls where it used to import a feature (see hookspecs).
    index_fields: tuple[Callable, ...] = ()
    search_backends: Mapping[str, Callable] = field(default_factory=dict)
    trackers: tuple[Callable, ...] = ()
    screen_slides: tuple[Callable, ...] = ()
    doctor_checks: tuple[Callable, ...] = ()
    movein_items: tuple[Callable, ...] = ()
    worklists: tuple[Callable, ...] = ()
    page_notices: tuple[Callable, ...] = ()
    front_office_paths: tuple[str, ...] = ()

    @classmethod
    def from_plugins(cls, pm) -> Registry:
        """Collect declarations from every plugin; refuse duplicates and dangling names."""
        registry = cls(
            document_types=_unique(pm.hook.register_document_types(), DocumentType),
            workflows=_unique(pm.hook.register_workflows(), Workflow),
            permissions=_unique(pm.hook.register_permissions(), Permission),
            roles=_unique(pm.hook.register_roles(), RoleDef),
            index_fields=_flat(pm.hook.register_index_fields()),
            search_backends=_merged(pm.hook.register_search_backends(), "search backend"),
            trackers=_flat(pm.hook.register_trackers()),
            screen_slides=_flat(pm.hook.register_screen_slides()),
            doctor_checks=_flat(pm.hook.register_doctor_checks()),
            movein_items=_flat(pm.hook.register_movein_items()),
            worklists=_flat(pm.hook.register_worklists()),
            page_notices=_flat(pm.hook.register_page_notices()),
            front_office_paths=_patterns(pm.hook.register_front_office_paths()),
        )
        registry.check()
        return registry

    def check(self) -> None:
        """Every document type names a known workflow, and has a template when its workflow
        issues; every granted role exists."""
        for doctype in self.document_types.values():
            if doctype.workflow not in self.workflows:
                raise ValueError(f"document type {doctype.name}: unknown workflow {doctype.workflow}")
            issuing = self.workflows[doctype.workflow].transition_tagged(ISSUES)
            if issuing is not None and not doctype.template:
                raise ValueError(f"document type {doctype.name}: its workflow {doctype.workflow} "
                                 f"issues documents (transition {issuing.name}) but the type "
                                 "declares no template to print them with")
        granted = {r for p in self.permissions.values() for r in p.roles}
        granted |= {r for w in self.workflows.values() for t in w.transitions for r in t.roles}
        missing = granted - set(self.roles)
        if missing:
            raise ValueError(f"unknown roles named in declarations: {sorted(missing)}")

    def permissions_of(self, role: str) -> frozenset[str]:
        """Names of the permissions a role holds by default."""
        return frozenset(p.name for p in self.permissions.values() if role in p.roles)

    def workflow_of(self, doctype: str) -> Workflow | None:
        """The workflow records of `doctype` follow (None for a type no plugin declares now)."""
        spec = self.document_types.get(doctype)
        return self.workflows.get(spec.workflow) if spec else None

    def state_is(self, doctype: str, state: str, tag: str) -> bool:
        """Whether a record of `doctype` in `state` carries `tag` (a key of STATE_MEANINGS);
        False for a type no plugin declares now, or a state outside its workflow."""
        workflow = self.workflow_of(doctype)
        return workflow.state_is(state, tag) if workflow else False

    def record_states(self, tag: str) -> dict[str, frozenset[str]]:
        """{document type: its states tagged `tag`} across every type whose workflow has such
        states: for SQL filters on records of all types. Kept per type, since two workflows
        may give one state name two meanings."""
        found = {}
        for name in self.document_types:
            workflow = self.workflow_of(name)
            states = workflow.states_tagged(tag) if workflow else frozenset()
            if states:
                found[name] = states
        return found


def _flat(results: Iterable[Iterable | None]) -> tuple[Callable, ...]:
    """Hook results (lists of callables) as one tuple, in plugin order."""
    found = tuple(fn for result in results for fn in (result or ()))
    strays = [fn for fn in found if not callable(fn)]
    if strays:
        raise ValueError(f"a plugin returned {strays[0]!r} where a function belongs")
    return found


def _patterns(results: Iterable[Iterable | None]) -> tuple[str, ...]:
    """Hook results (lists of regular expressions) as one tuple; one that does not compile
    is refused at start-up, not at the first request."""
    found = tuple(p for result in results for p in (result or ()))
    for pattern in found:
        re.compile(pattern)
    return found


def _merged(results: Iterable[Mapping | None], what: str) -> dict:
    """Hook results ({name: factory}) as one mapping; a name offered twice is refused."""
    merged: dict = {}
    for result in results:
        for name, factory in (result or {}).items():
            if name in merged:
                raise ValueError(f"{what} {name!r} offered by two plugins")
            merged[name] = factory
    return merged


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
