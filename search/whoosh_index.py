"""``WhooshSearchIndex``: the embedded default engine, and the only module that imports whoosh.

whoosh-reloaded 2.7.5 is pinned deliberately: no fork is well maintained (engineering-facts
§2.1), so the engine stays behind ``SearchIndex`` and its contract tests.

Whoosh never fsyncs, so a power cut can tear its files (§2.3). The index is a rebuildable cache
in the sealed-version layout of ``search.versions``: every commit is made under our own write
lock and then sealed, opening re-hashes the live version (one read of the index at start-up),
and ``rebuild`` switches ``CURRENT`` only to a complete, sealed version. A crash between Whoosh's
commit and the seal reads as damage too; the cure is the same. A damaged version is reported by
``health`` and raises ``IndexCorruptError``; the app then rebuilds from the database. Whoosh's
table of contents holds pickles, so the root is private to the app user (0700).
"""

from __future__ import annotations

from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from whoosh import collectors, fields, index, query, sorting
from whoosh.analysis import Token, Tokenizer

from search import analysis, versions
from search.base import FACET_KEYS, Hit, IndexBusyError, IndexDoc, Page, Query, SearchError
from search.highlight import SNIPPET_SOURCE_CHARS, snippet
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

# How long a write waits for the lock, retrying every 50 ms, before IndexBusyError.
LOCK_TIMEOUT = 5.0

# Writer RAM before a segment is flushed; bounds memory during a full rebuild.
_WRITER_MB = 128
_PROGRESS_EVERY = 500

# Vocabulary terms a completion looks at, in index order, before ranking by frequency.
_SUGGEST_SCAN = 200
_SUGGEST_MAX = 50

# Relevance boosts, as in the memory adapter: identifiers beat names, names beat body words.
_EXACT_BOOST, _NAME_BOOST = 10.0, 3.0

# Facet or filter key → Whoosh field.
_FACET_FIELDS = {"jenis": "doctype", "desa": "desa", "tahun": "year",
                 "klasifikasi": "klasifikasi", "status": "status"}
_FILTER_FIELDS = {"nik": "nik", "kk": "no_kk", "nomor": "nomor", **_FACET_FIELDS}


class _Analysed(Tokenizer):
    """A Whoosh analyzer that delegates to a ``search.analysis`` function, so Whoosh indexes the
    very terms the plan queries for."""

    def __init__(self, terms: Callable[[str], list[str]]) -> None:
        self.terms = terms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Analysed) and other.terms is self.terms

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, term in enumerate(self.terms(value), start_pos):
            token.text, token.boost, token.stopped = term, 1.0, False
            if positions:
                token.pos = pos
            if chars:
                token.startchar = token.endchar = start_char
            yield token


def _facet() -> fields.ID:
    """An exact, sortable field, so facet counts and sorting read a column, not the terms."""
    return fields.ID(sortable=True)


SCHEMA = fields.Schema(
    id=fields.ID(unique=True, stored=True),
    body=fields.TEXT(analyzer=_Analysed(analysis.body_terms), phrase=True),
    names=fields.TEXT(analyzer=_Analysed(analysis.name_keys), phrase=True),
    words=fields.TEXT(analyzer=_Analysed(analysis.vocabulary), phrase=False),
    nik=fields.KEYWORD(commas=True),
    no_kk=fields.KEYWORD(commas=True),
    nomor=fields.ID(),
    principals=fields.KEYWORD(commas=True),
    date=_facet(), doctype=_facet(), desa=_facet(), year=_facet(),
    klasifikasi=_facet(), status=_facet(),
    title=fields.STORED(), excerpt=fields.STORED(), shown=fields.STORED(),
)


class WhooshSearchIndex:
    """``SearchIndex`` on a Whoosh index under ``path``; safe for threads of one process, and for
    other processes that open the same path (they follow ``CURRENT``)."""

    def __init__(self, path: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = Path(path)
        self.lock_timeout = lock_timeout
        self._store = versions.VersionedStore(
            self.root, create=_create, open=_open, lock_timeout=lock_timeout)

    def add_or_update(self, docs: Iterable[IndexDoc]) -> None:
        """Index docs in one commit, replacing earlier versions with the same id."""
        with self._writing() as writer:
            for doc in docs:
                writer.update_document(**_document(doc))

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id in one commit; unknown ids are ignored."""
        with self._writing() as writer:
            for doc_id in ids:
                writer.delete_by_term("id", doc_id)

    def search(self, query: Query) -> Page:
        """Run the query with the principal filter inside the engine query."""
        plan = plan_query(query)
        if not query.principals:
            return Page((), 0, {key: {} for key in FACET_KEYS}, None, plan.notes)
        with self._searching() as searcher:
            collector = _collector(plan, query.sort, query.offset + query.page_size)
            searcher.search_with_collector(_compile(plan, query.principals), collector)
            results = collector.results()
            total = len(results)
            page = results[query.offset : query.offset + query.page_size]
            hits = [_hit(plan, h, query.sort) for h in page]
            facets = {key: facet_order(results.groups(key)) for key in FACET_KEYS}
            vocabulary = _Vocabulary(searcher, query.principals)
            few = total < SUGGEST_BELOW
            suggestion = did_you_mean(query.text, plan, vocabulary) if few else None
        return Page(tuple(hits), total, facets, suggestion, plan.notes)

    def suggest(self, prefix: str, limit: int = 10, *, principals: frozenset[str]) -> list[str]:
        """Most common words starting with prefix that occur in a document the principals see."""
        start = analysis.fold(prefix).strip()
        if len(start) < 2 or not principals:
            return []
        with self._searching() as searcher:
            reader = searcher.reader()
            terms = islice(reader.expand_prefix("words", start), _SUGGEST_SCAN)
            found = sorted((t.decode("utf-8") for t in terms),
                           key=lambda w: (-reader.doc_frequency("words", w), w))
            vocabulary = _Vocabulary(searcher, principals)
            visible = (w for w in found if vocabulary.has("words", [w]))
            return list(islice(visible, max(0, min(limit, _SUGGEST_MAX))))

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Build a new version from docs and switch to it; the old one stays live until then.

        Writes made to the old version during the rebuild are lost with it: the caller SHOULD
        replay its outbox afterwards. Raises ``IndexBusyError`` if another process is rebuilding.
        """
        return self._store.rebuild(lambda directory: _fill(directory, docs, progress))

    def health(self) -> dict:
        """Whether the live version opens and reads, and how many documents it holds."""
        try:
            with self._searching() as searcher:
                count = searcher.doc_count()
        except SearchError as exc:
            return {"ok": False, "doc_count": 0, "detail": str(exc)}
        detail = f"whoosh {self.root / str(self._store.version)}"
        return {"ok": True, "doc_count": count, "detail": detail}

    def clear(self) -> None:
        """Switch to an empty version."""
        self.rebuild(())

    @contextmanager
    def _searching(self) -> Iterator:
        """A searcher on the live version; engine failures become ``SearchError``s."""
        ix = self._store.current()
        with self._engine_errors(ix), ix.searcher() as searcher:
            yield searcher

    @contextmanager
    def _writing(self) -> Iterator:
        """A writer under the store's write lock, committed on success, else cancelled."""
        with self._store.writing() as ix, self._engine_errors(ix):
            writer = self._writer(ix)
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def _writer(self, ix: index.Index):
        """Whoosh's writer; its own lock is contended only by code outside this class, which
        Whoosh retries until lock_timeout."""
        try:
            return ix.writer(timeout=self.lock_timeout, limitmb=_WRITER_MB)
        except index.LockError as exc:
            raise IndexBusyError("Indeks sedang dipakai proses lain; coba lagi nanti.") from exc

    @contextmanager
    def _engine_errors(self, ix: index.Index) -> Iterator[None]:
        """Turn engine exceptions into ``IndexCorruptError`` when the index no longer reads,
        else into ``SearchError``, so callers handle one family of errors."""
        try:
            yield
        except SearchError:
            raise
        except Exception as exc:
            try:
                _probe(ix)
            except Exception:
                raise self._store.damaged(repr(exc)) from exc
            raise SearchError(f"Pencarian gagal: {exc!r}") from exc


def _create(directory: Path) -> None:
    """Write an empty Whoosh index into directory."""
    index.create_in(str(directory), SCHEMA)


def _open(directory: Path) -> index.Index:
    """Open the index in directory, raising if its seal or its files are damaged."""
    ix = index.open_dir(str(directory), schema=SCHEMA)
    versions.verify(directory, f"_{ix.indexname}_{ix.latest_generation()}.toc")
    _probe(ix)
    return ix


def _probe(ix: index.Index) -> None:
    """Read the TOC, every segment's stored fields at both ends and a posting list, so a torn
    file fails here rather than in a clerk's search."""
    with ix.searcher() as searcher:
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            last = reader.doc_count_all() - 1
            if last >= 0:
                reader.stored_fields(0)
                reader.stored_fields(last)
                first_id = next(iter(reader.lexicon("id")))
                postings = reader.postings("id", first_id)
                if postings.is_active():  # inactive when that document was deleted since
                    postings.id()


def _fill(directory: Path, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None) -> int:
    """Add docs to the empty index in directory in one commit; return how many."""
    writer = index.open_dir(str(directory), schema=SCHEMA).writer(limitmb=_WRITER_MB)
    count = 0
    try:
        for count, doc in enumerate(docs, 1):
            writer.add_document(**_document(doc))
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(count)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    if progress is not None:
        progress(count)
    return count


def _document(doc: IndexDoc) -> dict[str, object]:
    """Whoosh field values for doc, from the same normalised values the plan queries."""
    values = filter_values(doc)
    document = {
        "id": doc.id, "body": body_text(doc), "names": "\n".join(doc.names),
        "words": vocabulary_text(doc), "principals": ",".join(sorted(doc.principals)),
        "title": doc.title, "excerpt": doc.text[:SNIPPET_SOURCE_CHARS],
        "shown": doc.display_fields(),
    }
    if doc.date:
        document["date"] = doc.date
    for key, value in values.items():  # nik and kk are comma lists; the rest hold one value
        document[_FILTER_FIELDS[key]] = ",".join(sorted(value))
    return document


def _compile(plan: QueryPlan, principals: frozenset[str]) -> query.Query:
    """The Whoosh query for plan: scored clauses AND an unscored filter on principals and
    fields, applied while matching (so paging and counts only ever see allowed documents)."""
    clauses = [*map(_word_query, plan.words), *map(_phrase_query, plan.phrases)]
    scored = query.And(clauses) if clauses else query.Every()
    filters = [query.Term(_FILTER_FIELDS[key], value) for key, value in plan.filters]
    allowed = query.And([_allowed(principals), *filters])
    return query.And([scored, query.ConstantScoreQuery(allowed, 0.0)])


def _allowed(principals: frozenset[str]) -> query.Query:
    """Documents sharing a principal with the caller. Callers MUST NOT pass no principals:
    Whoosh drops an empty clause from an And, which would allow everything."""
    return query.Or([query.Term("principals", p) for p in sorted(principals)])


def _word_query(word: WordClause) -> query.Query:
    """One word: body stems, or name keys with a typo allowed, or an identifier."""
    options: list[query.Query] = []
    if word.stems:
        options.append(query.And([query.Term("body", s) for s in word.stems]))
    if word.names:
        options.append(query.And([_name_query(key) for key in word.names]))
    if word.digits:
        options += [query.Term(f, word.digits, boost=_EXACT_BOOST) for f in ("nik", "no_kk")]
    if word.exact:
        options.append(query.Term("nomor", word.exact, boost=_EXACT_BOOST))
    return query.Or(options)


def _name_query(key: str) -> query.Query:
    """A name key, exact or (if long enough) within one edit sharing the first letter."""
    exact = query.Term("names", key, boost=_NAME_BOOST)
    if len(key) < analysis.FUZZY_MIN_LENGTH:
        return exact
    fuzzy = query.FuzzyTerm("names", key, maxdist=1, prefixlength=analysis.FUZZY_PREFIX)
    return query.Or([exact, fuzzy])


def _phrase_query(phrase: PhraseClause) -> query.Query:
    """A phrase in order, in the body or in the names."""
    options = [query.Phrase(field, list(terms))
               for field, terms in (("body", phrase.stems), ("names", phrase.names)) if terms]
    return query.Or(options)


class _TopSortedCollector(collectors.SortingCollector):
    """Whoosh's SortingCollector keeps every match, and a set of them, until the end; this one
    trims to the best ``limit`` whenever it holds twice that and only counts the rest, so a
    date-sorted query over a million documents stays within a page's worth of memory."""

    def prepare(self, top_searcher, q, context) -> None:
        super().prepare(top_searcher, q, context)
        self.total = 0

    def collect(self, sub_docnum: int):
        sortkey = self.sort_key(sub_docnum)
        self.items.append((sortkey, self.offset + sub_docnum))
        self.total += 1
        if len(self.items) >= 2 * self.limit:
            self.items.sort()
            del self.items[self.limit :]
        return sortkey

    def count(self) -> int:
        return self.total


def _collector(plan: QueryPlan, sort: str, limit: int) -> collectors.Collector:
    """Keeps the top ``limit`` hits (newest first for "date", and when browsing without words,
    where every score is equal) while counting facets over every match.

    Whoosh's own choice for a faceted search gathers every match; block-quality skipping is
    off because it would skip documents the facet counts need.
    """
    if sort == "date" or plan.is_empty:
        top = _TopSortedCollector(sorting.FieldFacet("date", reverse=True), limit=limit)
    else:
        top = collectors.TopCollector(limit, usequality=False)
    facets = {key: sorting.FieldFacet(field, maptype=sorting.Count)
              for key, field in _FACET_FIELDS.items()}
    return collectors.FacetCollector(top, facets)


def _hit(plan: QueryPlan, hit, sort: str) -> Hit:
    """A result with its snippet, built from stored fields only."""
    stems, names = plan.highlight_terms()
    return Hit(
        id=hit["id"],
        score=float(hit.score) if sort == "relevance" and not plan.is_empty else 0.0,
        title=hit["title"],
        snippet=snippet(hit["excerpt"], stems, names),
        fields=hit["shown"],
    )


class _Vocabulary:
    """``spelling.Vocabulary`` over one searcher, for a caller with at least one principal."""

    def __init__(self, searcher, principals: frozenset[str]) -> None:
        self.searcher = searcher
        self.principals = principals

    def has(self, field: str, terms: Sequence[str]) -> bool:
        """Whether a visible document holds every term; stops at the first one found."""
        wanted = query.And([*(query.Term(field, t) for t in terms), _allowed(self.principals)])
        return next(self.searcher.docs_for_query(wanted), None) is not None

    def near(self, word: str, distance: int) -> list[str]:
        """Whoosh's corrector: every candidate within distance, ranked by frequency alone."""
        corrector = self.searcher.corrector("words")
        return corrector.suggest(word, limit=5, maxdist=distance, prefix=analysis.FUZZY_PREFIX)
