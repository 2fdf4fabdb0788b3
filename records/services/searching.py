"""Searching the archive as a given Actor: scope, masking and the audit trail in one place.

The web page, the REST API and `lemari search` all call `search_archive`, so none of them can
forget a rule: the index only returns documents sharing a principal with the actor (an Operator
Desa holds only their desa's), resident hits need `penduduk.read`, NIK and No. KK are masked
without `penduduk.view_nik`, revoked records are marked, and every search that ran is
written to the audit log (it may have shown personal data).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import REVOKED, Registry
from records.exceptions import RecordsError
from records.indexing import OFFICE, RESIDENTS, parse_doc_id, reader_principals
from records.models import Wilayah
from records.nik import MASK_CHAR, mask_numbers_in_text
from records.services.audit import record_event
from records.services.personal_data import check_search_text
from search import FACET_KEYS, Hit, Query, QueryError, SearchError
from search.analysis import exact_key
from search.base import SORTS

PAGE_SIZE = 20
AUDIT_QUERY_CHARS = 200
# Filter values from links or URLs longer than this cannot be a facet value.
MAX_FILTER_CHARS = 100
_NIK_RUN = re.compile(r"(?<!\d)(\d{6})(\d{6})(\d{4})(?!\d)")


class BadQueryError(RecordsError):
    """The query cannot run; the message is Indonesian and shown as-is (HTTP 400)."""

    http_status = 400


class SearchUnavailableError(RecordsError):
    """The index is busy or failing; the clerk may try again (HTTP 503)."""

    http_status = 503


@dataclass(frozen=True)
class SearchRequest:
    """What the clerk asked: one-box text, facet filters, sort and page."""

    text: str = ""
    filters: dict = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1

    @property
    def is_empty(self) -> bool:
        """Nothing typed and no filter chosen: show the form, run nothing, log nothing."""
        return not self.text.strip() and not self.filters


def clean_request(text: str, filters: dict, sort: str, page: str | int | None) -> SearchRequest:
    """A request from untrusted input with sensible fallbacks: an unknown sort becomes
    relevance, a bad page number 1, overlong or empty filter values are dropped."""
    kept = {k: str(v).strip() for k, v in filters.items()
            if k in FACET_KEYS and v and len(str(v)) <= MAX_FILTER_CHARS and str(v).strip()}
    try:
        number = max(int(page or 1), 1)
    except (TypeError, ValueError):
        number = 1
    return SearchRequest(text=text or "", filters=kept,
                         sort=sort if sort in SORTS else "relevance", page=number)


def principals_for(actor: Actor) -> frozenset[str]:
    """The principals an actor searches with: office-wide or their desa, for records and (with
    penduduk.read) residents."""
    found: set[str] = set()
    scope = actor.desa_scope
    if actor.can("record.read"):
        found |= {OFFICE} if scope is None else {f"desa:{c}" for c in scope}
        if scope is None:  # restricted records (rahasia letters) carry no desa
            found |= reader_principals(actor.reader_principals())
    if actor.can("penduduk.read"):
        found |= {RESIDENTS} if scope is None else {f"warga:desa:{c}" for c in scope}
    return frozenset(found)


def search_archive(request: SearchRequest, *, actor: Actor, session: Session, engine,
                   registry: Registry, page_size: int = PAGE_SIZE) -> dict:
    """Run the search as actor and return a JSON-ready page; audit it and commit."""
    actor.require("search.read")
    check_search_text(actor, request.text)  # nik:/kk: only whole without the full-NIK right
    try:
        query = Query(text=request.text, filters=request.filters, sort=request.sort,
                      page=request.page, page_size=page_size, principals=principals_for(actor))
        page = engine.search(query)
    except QueryError as exc:
        raise BadQueryError(str(exc)) from None
    except SearchError as exc:
        raise SearchUnavailableError("Pencarian sedang tidak tersedia; coba lagi sebentar "
                                     "lagi.") from exc
    result = _page_json(page, request, actor, registry, session, page_size)
    _audit(session, actor, request, page.total)
    return result


def _audit(session: Session, actor: Actor, request: SearchRequest, total: int) -> None:
    """Who searched for what and how much they got (query text truncated)."""
    record_event(session, actor, "search", object_type="search",
                 detail={"q": request.text[:AUDIT_QUERY_CHARS], "filters": request.filters,
                         "page": request.page, "total": total})
    session.commit()


def _page_json(page, request: SearchRequest, actor: Actor, registry: Registry,
               session: Session, page_size: int) -> dict:
    """The page as plain data every adapter (HTML, JSON, CLI) shows the same way."""
    labels = _labels(registry, session)
    return {
        "query": request.text, "filters": request.filters, "sort": request.sort,
        "page": request.page, "pages": max(math.ceil(page.total / page_size), 1),
        "total": page.total, "more": page.more, "suggestion": page.suggestion,
        "notes": list(page.notes),
        "hits": [_hit_json(hit, actor, labels, registry) for hit in page.hits],
        "facets": {key: [{"value": v, "count": n, "label": labels.get(key, {}).get(v, v)}
                         for v, n in values.items()] for key, values in page.facets.items()},
    }


def _labels(registry: Registry, session: Session) -> dict[str, dict[str, str]]:
    """Readable names for facet values, keyed as the engines report them (normalised by
    ``exact_key``): document type titles, state labels and desa names."""
    states = {code: label for wf in registry.workflows.values() for code, label in wf.states.items()}
    types = {name: spec.title for name, spec in registry.document_types.items()}
    desa = session.scalars(select(Wilayah.name).where(Wilayah.level == "desa"))
    found = {"jenis": {**types, "penduduk": "Data penduduk"}, "status": states,
             "desa": {name: name for name in desa}}
    return {key: {exact_key(v): label for v, label in values.items()} | values
            for key, values in found.items()}


def _listed(value: object) -> list:
    """A list field of a hit (names, NIKs, KK numbers): adapters give a tuple or a list."""
    return list(value) if isinstance(value, (list, tuple)) else []


def _hit_json(hit: Hit, actor: Actor, labels: dict, registry: Registry) -> dict:
    """One hit, with identifiers masked unless the actor may see them whole; a record whose
    state its workflow tags `revoked` is marked so."""
    kind, object_id = parse_doc_id(hit.id)
    shown, full = hit.fields, actor.can("penduduk.view_nik")
    show = (lambda v: v) if full else mask_number
    return {
        "id": hit.id, "kind": kind, "object_id": object_id,
        "title": hit.title if full else mask_numbers(hit.title),  # a scan's title: its file name
        "snippet": hit.snippet if full else mask_numbers(hit.snippet),
        "score": round(hit.score, 4), "jenis": shown.get("jenis"),
        "jenis_label": labels["jenis"].get(shown.get("jenis"), shown.get("jenis")),
        "nomor": shown.get("nomor") or "", "desa": shown.get("desa") or "",
        "tahun": shown.get("tahun"), "status": shown.get("status") or "",
        "status_label": labels["status"].get(shown.get("status"), shown.get("status") or ""),
        "date": shown.get("date") or "", "names": _listed(shown.get("names")),
        "nik": [show(v) for v in _listed(shown.get("nik"))],
        "no_kk": [show(v) for v in _listed(shown.get("no_kk"))],
        "revoked": kind == "record" and registry.state_is(
            str(shown.get("jenis") or ""), str(shown.get("status") or ""), REVOKED),
    }


def mask_number(value: str) -> str:
    """A 16-digit NIK or No. KK with its six date digits hidden; anything else fully hidden."""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) == 16:
        return digits[:6] + MASK_CHAR * 6 + digits[12:]
    return MASK_CHAR * len(digits)


def mask_numbers(text: str) -> str:
    """Every 16-digit run in text masked (snippets may quote a NIK typed in a field), also one
    written with spaces, dots or dashes (records.nik.mask_numbers_in_text)."""
    return mask_numbers_in_text(_NIK_RUN.sub(lambda m: m[1] + MASK_CHAR * 6 + m[3], text))
