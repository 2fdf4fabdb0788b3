"""From a ``Query`` to analysed clauses every adapter matches the same way.

Matching rules (each adapter translates them into its engine):

- a word matches a document if its stemmed body terms all occur in the title or text, OR its
  name keys all occur in a person's name (one typo allowed, see ``analysis.fuzzy_match``), OR
  it is a number equal to one of the NIKs or KK numbers, OR it equals the letter number;
- a phrase matches if its body terms, or its name keys, occur consecutively;
- a word that is only a stopword is dropped; every remaining clause and filter must match;
- the caller must share a principal with the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from search.analysis import body_terms, digits_key, exact_key, loose_keys, name_keys
from search.base import FILTER_KEYS, IndexDoc, Query, QueryError
from search.query_parser import check_field, parse_query


@dataclass(frozen=True, slots=True)
class WordClause:
    """One plain word, analysed for every way it may match."""

    text: str
    stems: tuple[str, ...]
    names: tuple[str, ...]
    digits: str
    exact: str
    loose: tuple[str, ...] = ()  # the names' ``analysis.loose_keys``, one per key

    def typed(self, index: int) -> str:
        """The loose form of name key ``index`` ("" when there is none)."""
        return self.loose[index] if index < len(self.loose) else ""


@dataclass(frozen=True, slots=True)
class PhraseClause:
    """A quoted phrase, as typed (for engines with their own analysis), as body terms and as
    name keys."""

    text: str
    stems: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """Analysed clauses, normalised filters (key, value) and the parser's notes."""

    words: tuple[WordClause, ...]
    phrases: tuple[PhraseClause, ...]
    filters: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        """True when nothing but filters remains: the caller is browsing."""
        return not (self.words or self.phrases)

    @property
    def clauses(self) -> tuple[WordClause | PhraseClause, ...]:
        """The words, then the phrases: every clause a hit must match."""
        return (*self.words, *self.phrases)

    def highlight_terms(self) -> tuple[set[str], set[str]]:
        """The stems and name keys a snippet marks."""
        clauses = self.clauses
        return {s for c in clauses for s in c.stems}, {n for c in clauses for n in c.names}


def plan_query(query: Query) -> QueryPlan:
    """Parse and analyse the query's text and merge in its filters; raises ``QueryError``."""
    parsed = parse_query(query.text)
    words = tuple(w for w in map(_word, parsed.words) if w.stems or w.digits or w.exact)
    phrases = tuple(p for p in map(_phrase, parsed.phrases) if p.stems or p.names)
    filters = [(k, filter_key(k, v)) for k, v in parsed.fields]
    filters += [(k, filter_key(k, check_field(k, str(v)))) for k, v in _checked(query.filters)]
    return QueryPlan(words, phrases, tuple(filters), parsed.notes)


def filter_key(name: str, value: str) -> str:
    """The normalised form a filter value is compared in."""
    return digits_key(value) if name in ("nik", "kk") else exact_key(value)


def filter_values(doc: IndexDoc) -> dict[str, frozenset[str]]:
    """A document's normalised values per filter key (facets are the single-valued ones)."""
    raw = {
        "nik": doc.nik, "kk": doc.no_kk, "nomor": (doc.nomor,), "desa": (doc.desa_code,),
        "tahun": (str(doc.year) if doc.year is not None else "",), "jenis": (doc.doctype,),
        "status": (doc.status,), "klasifikasi": (doc.klasifikasi,),
    }
    values = {key: frozenset(filter_key(key, v) for v in vs) - {""} for key, vs in raw.items()}
    return {key: vs for key, vs in values.items() if vs}


def vocabulary_text(doc: IndexDoc) -> str:
    """The text whose words feed "did you mean" and completion: title, names and body."""
    return " ".join((doc.title, *doc.names, doc.text))


def body_text(doc: IndexDoc) -> str:
    """The text whose stemmed words a plain word matches: title and body."""
    return f"{doc.title}\n{doc.text}"


def facet_order(counts: Mapping[str, int]) -> dict[str, int]:
    """Facet values most common first, then alphabetical, the same order from every adapter."""
    return dict(sorted(((v, n) for v, n in counts.items() if v), key=lambda vn: (-vn[1], vn[0])))


def _checked(filters) -> list[tuple[str, object]]:
    """The caller's filters, refusing unknown keys (a typo would silently widen the search)."""
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise QueryError(f"Filter tidak dikenal: {', '.join(unknown)}.")
    return [(k, v) for k, v in filters.items() if v not in (None, "")]


def _word(text: str) -> WordClause:
    """Analyse a word; identifier paths only for words holding a digit (NIK, nomor surat)."""
    has_digit = any(ch.isdigit() for ch in text)
    return WordClause(
        text=text,
        stems=tuple(body_terms(text)),
        names=tuple(name_keys(text)),
        digits=digits_key(text) if text.isdigit() else "",
        exact=exact_key(text) if has_digit else "",
        loose=tuple(loose_keys(text)),
    )


def _phrase(text: str) -> PhraseClause:
    """Analyse a phrase."""
    return PhraseClause(text=text, stems=tuple(body_terms(text)), names=tuple(name_keys(text)))
