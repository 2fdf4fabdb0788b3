"""Lemari's search: full-text search of the archive in Bahasa Indonesia, behind one port.

Callers use ``SearchIndex`` (``search.base``) with ``IndexDoc``, ``Query`` and ``Page``; the
engine is chosen by configuration and hidden in its adapter, so swapping it is one new module
plus ``tests/contract/test_search_index.py``. Pure library code: this package imports neither
``records`` nor Flask; only ``search.whoosh_index`` imports whoosh and only ``search.analysis``
imports Sastrawi.
"""

from search.base import (
    FACET_KEYS,
    FILTER_KEYS,
    MAX_PAGE_SIZE,
    MAX_RESULT_WINDOW,
    Hit,
    IndexBusyError,
    IndexCorruptError,
    IndexDoc,
    Page,
    Query,
    QueryError,
    SearchError,
    SearchIndex,
)
from search.memory_index import MemorySearchIndex
from search.query_parser import MAX_QUERY_CHARS, MAX_TERMS, ParsedQuery, parse_query
from search.whoosh_index import WhooshSearchIndex

__all__ = [
    "FACET_KEYS",
    "FILTER_KEYS",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_CHARS",
    "MAX_RESULT_WINDOW",
    "MAX_TERMS",
    "Hit",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexDoc",
    "MemorySearchIndex",
    "Page",
    "ParsedQuery",
    "Query",
    "QueryError",
    "SearchError",
    "SearchIndex",
    "WhooshSearchIndex",
    "parse_query",
]
