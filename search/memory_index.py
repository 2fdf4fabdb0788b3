"""An in-memory ``SearchIndex`` for unit tests and demos: brute force over analysed documents.

It follows the matching rules in ``search.plan`` literally, so it doubles as the reference the
engine adapters are checked against by the shared contract tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from search import analysis
from search.base import FACET_KEYS, Hit, IndexDoc, Page, Query
from search.highlight import snippet
from search.plan import (
    PhraseClause,
    QueryPlan,
    WordClause,
    body_text,
    facet_order,
    filter_values,
    plan_query,
    vocabulary_text,
)
from search.spelling import SUGGEST_BELOW, did_you_mean

# Relevance weights: identifiers beat names, names beat body words, exact names beat typos.
_EXACT_WEIGHT, _NAME_WEIGHT, _FUZZY_WEIGHT, _PHRASE_WEIGHT = 10.0, 3.0, 1.0, 5.0


@dataclass(frozen=True, slots=True)
class _Entry:
    """A document with everything matching needs, analysed once at indexing time."""

    doc: IndexDoc
    body: tuple[str, ...]
    names: tuple[str, ...]
    vocabulary: frozenset[str]
    values: dict[str, frozenset[str]]

    @classmethod
    def of(cls, doc: IndexDoc) -> _Entry:
        """Analyse doc."""
        return cls(
            doc=doc,
            body=tuple(analysis.body_terms(body_text(doc))),
            names=tuple(analysis.name_keys(" ".join(doc.names))),
            vocabulary=frozenset(analysis.vocabulary(vocabulary_text(doc))),
            values=filter_values(doc),
        )


class MemorySearchIndex:
    """``SearchIndex`` held in a dict; every write is immediately visible."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def add_or_update(self, docs: Iterable[IndexDoc]) -> None:
        """Index docs, replacing earlier versions with the same id."""
        self._entries.update((doc.id, _Entry.of(doc)) for doc in docs)

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""
        for doc_id in ids:
            self._entries.pop(doc_id, None)

    def search(self, query: Query) -> Page:
        """Run the query over every visible document."""
        plan = plan_query(query)
        visible = self._visible(query.principals)
        matches = [(score, e) for e in visible if (score := _score(plan, e)) is not None]
        scored = _ranked(matches, query.sort)
        page = scored[query.offset : query.offset + query.page_size]
        few = len(scored) < SUGGEST_BELOW
        return Page(
            hits=tuple(_hit(plan, entry, score, query.sort) for score, entry in page),
            total=len(scored),
            facets=_facets(entry for _, entry in scored),
            suggestion=did_you_mean(query.text, plan, _Vocabulary(visible)) if few else None,
            notes=plan.notes,
        )

    def suggest(self, prefix: str, limit: int = 10, *, principals: frozenset[str]) -> list[str]:
        """Most common visible words starting with prefix."""
        start = analysis.fold(prefix).strip()
        if len(start) < 2:
            return []
        counts = _Vocabulary(self._visible(principals)).counts
        found = sorted((w for w in counts if w.startswith(start)), key=lambda w: (-counts[w], w))
        return found[: max(0, min(limit, 50))]

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace everything with docs; the old entries stay if docs raises."""
        fresh: dict[str, _Entry] = {}
        for doc in docs:
            fresh[doc.id] = _Entry.of(doc)
            if progress is not None:
                progress(len(fresh))
        self._entries = fresh
        return len(fresh)

    def health(self) -> dict:
        """Always healthy: there is nothing on disk to damage."""
        return {"ok": True, "doc_count": len(self._entries), "detail": "in-memory index"}

    def clear(self) -> None:
        """Remove every document."""
        self._entries = {}

    def _visible(self, principals: frozenset[str]) -> list[_Entry]:
        """Entries sharing a principal with the caller."""
        return [e for e in self._entries.values() if e.doc.principals & principals]


def _score(plan: QueryPlan, entry: _Entry) -> float | None:
    """The entry's relevance, or None if a clause or filter fails."""
    if any(value not in entry.values.get(key, ()) for key, value in plan.filters):
        return None
    total = 0.0
    for clause in plan.clauses:
        if isinstance(clause, WordClause):
            score = _word_score(clause, entry)
        else:
            score = _phrase_score(clause, entry)
        if not score:
            return None
        total += score
    return total


def _word_score(word: WordClause, entry: _Entry) -> float:
    """How well one word matches, 0.0 if it does not."""
    score = 0.0
    identifiers = entry.values.get("nik", frozenset()) | entry.values.get("kk", frozenset())
    if word.digits and word.digits in identifiers:
        score += _EXACT_WEIGHT
    if word.exact and word.exact in entry.values.get("nomor", ()):
        score += _EXACT_WEIGHT
    if word.stems and all(s in entry.body for s in word.stems):
        score += sum(entry.body.count(s) for s in word.stems)
    return score + _name_score(word.names, entry.names, word.loose)


def _name_score(wanted: tuple[str, ...], names: tuple[str, ...],
                loose: tuple[str, ...] = ()) -> float:
    """Exact name keys score more than one-typo ones; 0.0 unless every key matches."""
    score = 0.0
    for i, key in enumerate(wanted):
        typed = loose[i] if i < len(loose) else ""
        if key in names:
            score += _NAME_WEIGHT
        elif any(analysis.fuzzy_match(key, name, typed) for name in names):
            score += _FUZZY_WEIGHT
        else:
            return 0.0
    return score


def _phrase_score(phrase: PhraseClause, entry: _Entry) -> float:
    """A bonus if the phrase occurs in order, in the body or in the names."""
    found = _contains(entry.body, phrase.stems) or _contains(entry.names, phrase.names)
    return _PHRASE_WEIGHT if found else 0.0


def _contains(sequence: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """Whether part occurs consecutively in sequence."""
    n = len(part)
    return n > 0 and any(sequence[i : i + n] == part for i in range(len(sequence) - n + 1))


def _ranked(scored: list[tuple[float, _Entry]], sort: str) -> list[tuple[float, _Entry]]:
    """Newest first for "date"; best score, then newest, for "relevance" (stable sorts)."""
    scored.sort(key=lambda item: item[1].doc.id)
    scored.sort(key=lambda item: item[1].doc.date, reverse=True)
    if sort == "relevance":
        scored.sort(key=lambda item: item[0], reverse=True)
    return scored


def _facets(entries: Iterable[_Entry]) -> dict[str, dict[str, int]]:
    """Counts per facet value over the matching entries, most common first."""
    counters: dict[str, Counter[str]] = {key: Counter() for key in FACET_KEYS}
    for entry in entries:
        for key in FACET_KEYS:
            counters[key].update(entry.values.get(key, ()))
    return {key: facet_order(counter) for key, counter in counters.items()}


def _hit(plan: QueryPlan, entry: _Entry, score: float, sort: str) -> Hit:
    """A result with its snippet."""
    stems, names = plan.highlight_terms()
    return Hit(
        id=entry.doc.id,
        score=score if sort == "relevance" else 0.0,
        title=entry.doc.title,
        snippet=snippet(entry.doc.text, stems, names),
        fields=entry.doc.display_fields(),
    )


class _Vocabulary:
    """``spelling.Vocabulary`` over the entries one caller sees."""

    def __init__(self, visible: list[_Entry]) -> None:
        self.visible = visible
        self.counts = Counter(word for entry in visible for word in entry.vocabulary)

    def has(self, field: str, terms: Sequence[str]) -> bool:
        """Whether one visible entry holds every term in field."""
        attribute = {"words": "vocabulary", "body": "body", "names": "names"}[field]
        return any(all(t in getattr(e, attribute) for t in terms) for e in self.visible)

    def near(self, word: str, distance: int) -> list[str]:
        """Visible words within distance edits sharing the first letter, most frequent first."""
        near = [w for w in self.counts
                if w[:1] == word[:1] and w != word and analysis.within_edits(word, w, distance)]
        return sorted(near, key=lambda w: (-self.counts[w], w))
