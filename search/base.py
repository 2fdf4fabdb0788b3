"""The search port: what the app indexes, how it asks, what it gets back.

Everything here is ours, never engine syntax, so a saved search survives a change of engine (the
paperless-ngx lesson, architecture §5). Adapters (``MemorySearchIndex``, ``WhooshSearchIndex``,
later PostgreSQL) all pass ``tests/contract/test_search_index.py``.

The index is a rebuildable cache of the database: a damaged index is rebuilt, never repaired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Most hits one page may hold; larger requests are cut to this, so no caller can ask for all.
MAX_PAGE_SIZE = 100

# Deepest result a caller may page to (page × page_size); deeper paging is refused, as in
# Elasticsearch's max_result_window, because every engine must rank everything above it.
MAX_RESULT_WINDOW = 10_000

# Filter keys, shared by ``Query.filters`` and the one-box field syntax (``desa:``, ``tahun:``, …).
FILTER_KEYS = ("nik", "kk", "nomor", "desa", "tahun", "jenis", "status", "klasifikasi")

# Facets every page reports, named like the filter that narrows by them.
FACET_KEYS = ("jenis", "desa", "tahun", "klasifikasi", "status")

SORTS = ("relevance", "date")

# Matches above which an adapter MAY order a relevance search newest first instead (scoring a
# large share of the archive costs seconds in an embedded engine and ranks little: every hit
# holds the word); it MUST then add NOTE_NEWEST_FIRST to the page's notes.
RELEVANCE_LIMIT = 5_000
NOTE_NEWEST_FIRST = (f"Lebih dari {RELEVANCE_LIMIT:,} hasil".replace(",", ".")
                     + ": diurutkan dari yang terbaru, bukan menurut kecocokan. Persempit "
                     "pencarian (nama, nomor, desa:, tahun:) untuk urutan kecocokan.")


# Matches an adapter MAY stop counting at (where ranking stops too): above it the page sets
# ``more``, reports ``total = COUNT_LIMIT`` and counts its facets and pages over COUNT_LIMIT
# of the matches, newest first (the newest by date, or the last indexed: the adapter says
# which); it MUST then add NOTE_COUNT_LIMIT (instead of NOTE_NEWEST_FIRST). Counting and
# grouping 760,000 matches of "surat keterangan" cost 1.5 s at 1M documents, to tell a clerk
# a number they cannot use.
COUNT_LIMIT = RELEVANCE_LIMIT
NOTE_COUNT_LIMIT = (f"Lebih dari {COUNT_LIMIT:,} hasil".replace(",", ".")
                    + f": yang tampil adalah {COUNT_LIMIT:,} hasil terbaru".replace(",", ".")
                    + ", diurutkan dari yang terbaru (bukan menurut kecocokan), dan jumlah per "
                    "kelompok di samping dihitung dari mereka saja. Persempit pencarian (nama, "
                    "nomor, desa:, tahun:) untuk urutan kecocokan dan jumlah lengkap.")


class SearchError(Exception):
    """Base for every error the search package raises."""


class QueryError(SearchError):
    """The user's query cannot be run; the message is Indonesian and safe to show as-is."""


class IndexCorruptError(SearchError):
    """The on-disk index cannot be read; the app SHOULD call ``rebuild`` from the database."""


class IndexBusyError(SearchError):
    """Another writer held the index lock past every retry; the caller MAY try again later."""


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """One record as the index sees it; the database stays the source of truth.

    Identifier fields (``nik``, ``no_kk``, ``nomor``) are strings matched whole, never numbers
    and never by prefix. ``principals`` says who may see the document; a document with none is
    visible to nobody.
    """

    id: str
    doctype: str
    title: str
    text: str = ""
    names: tuple[str, ...] = ()
    nik: tuple[str, ...] = ()
    no_kk: tuple[str, ...] = ()
    nomor: str = ""
    desa_code: str = ""
    year: int | None = None
    klasifikasi: str = ""
    status: str = ""
    date: str = ""
    principals: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Commas separate list values inside engines; a principal or identifier holding one
        # would silently widen or break access, so it is a programming error.
        for value in (*self.principals, *self.nik, *self.no_kk):
            if not value or "," in value:
                raise ValueError(f"list values must be non-empty and comma-free: {value!r}")

    def display_fields(self) -> dict[str, object]:
        """The values a hit shows, as given (not normalised), the same from every adapter."""
        return {
            "jenis": self.doctype, "nomor": self.nomor, "desa": self.desa_code,
            "tahun": self.year, "klasifikasi": self.klasifikasi, "status": self.status,
            "date": self.date, "names": self.names, "nik": self.nik, "no_kk": self.no_kk,
        }


@dataclass(frozen=True, slots=True)
class Query:
    """A search as the caller asks it: one-box text plus facet filters, for one set of principals.

    Results are limited to documents sharing at least one principal with the caller; no
    principals means no results. ``page_size`` above ``MAX_PAGE_SIZE`` is cut to it.
    """

    text: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    principals: frozenset[str] = frozenset()
    sort: str = "relevance"
    page: int = 1
    page_size: int = 25

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise QueryError(f"Urutan '{self.sort}' tidak dikenal; pilih relevance atau date.")
        if self.page < 1 or self.page_size < 1:
            raise QueryError("Nomor halaman dan jumlah per halaman harus minimal 1.")
        object.__setattr__(self, "page_size", min(self.page_size, MAX_PAGE_SIZE))
        if self.page * self.page_size > MAX_RESULT_WINDOW:
            raise QueryError(
                f"Halaman terlalu jauh: hanya {MAX_RESULT_WINDOW} hasil teratas yang bisa dibuka. "
                "Persempit pencarian dengan filter."
            )

    @property
    def offset(self) -> int:
        """How many ranked hits precede this page."""
        return (self.page - 1) * self.page_size


@dataclass(frozen=True, slots=True)
class Hit:
    """One result. ``snippet`` is HTML: escaped text with matches in ``<mark>``.

    ``fields`` carries the identifying values (unmasked: masking NIK is the caller's job, by
    role). ``score`` is 0.0 when sorting by date.
    """

    id: str
    score: float
    title: str
    snippet: str
    fields: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of results, with facet counts over every visible match and parser notes.

    ``more``: the adapter stopped counting at ``COUNT_LIMIT``; ``total`` and the facets are
    over the matches it counted, and there are more."""

    hits: tuple[Hit, ...]
    total: int
    facets: Mapping[str, Mapping[str, int]]
    suggestion: str | None = None
    notes: tuple[str, ...] = ()
    more: bool = False


@runtime_checkable
class SearchIndex(Protocol):
    """Full-text search over records, filtered by principals.

    Adapters MUST apply the principal filter inside the engine query (never after paging),
    MUST bound the work of every call, and MUST raise only ``SearchError`` subclasses for
    index and query problems. Writes are idempotent: replaying the outbox is always safe.
    """

    def add_or_update(self, docs: Iterable[IndexDoc]) -> None:
        """Index docs, replacing any earlier version with the same id, in one commit."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove the documents with these ids; unknown ids are ignored."""

    def search(self, query: Query) -> Page:
        """Run the query; raises ``QueryError`` with an Indonesian message for bad input."""

    def suggest(self, prefix: str, limit: int = 10, *, principals: frozenset[str]) -> list[str]:
        """Completions for the word being typed, drawn only from documents the principals see."""

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace the whole index with docs and return their number.

        If docs raises or the process dies midway, the previous index MUST stay searchable.
        ``progress`` is called with the count indexed so far, now and then.
        """

    def health(self) -> dict:
        """``{"ok": bool, "doc_count": int, "detail": str}``; never raises."""

    def clear(self) -> None:
        """Remove every document."""
