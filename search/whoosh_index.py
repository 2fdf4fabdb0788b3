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

import ctypes
import ctypes.util
import datetime as dt
import heapq
import multiprocessing
import os
import signal
import sys
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from whoosh import collectors, columns, fields, formats, index, multiproc, query, writing
from whoosh.analysis import Token, Tokenizer

from search import analysis, versions
from search.base import (
    FACET_KEYS,
    NOTE_NEWEST_FIRST,
    RELEVANCE_LIMIT,
    Hit,
    IndexBusyError,
    IndexCorruptError,
    IndexDoc,
    Page,
    Query,
    SearchError,
)
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

# Segments are written as separate files, never as one compound file: whoosh-reloaded 2.7.5
# opens a file inside a compound file by copying it into memory (BytesIO over the mmap), so a
# searcher of a compound index holds a private copy of the whole index.
# The price: a segment reader opens each column file (stored fields, lengths) only when it
# first reads it, so a merge must not delete a dropped segment's files the moment it commits,
# or a search that opened its searcher just before reads a "missing column". Dropped files
# are deleted by a later commit, once they have been unreferenced this long.
_DROPPED_FILES_GRACE = 120.0
# Writer RAM before a segment is flushed; bounds memory during a full rebuild.
_WRITER_MB = 128
# Processes a rebuild writes with (each holds up to _WRITER_MB of postings).
_REBUILD_PROCS = 2
_TASK_START_TIMEOUT = 60.0
_PROGRESS_EVERY = 500

# Vocabulary terms a completion looks at, in index order, before ranking by frequency.
_SUGGEST_SCAN = 200
_SUGGEST_MAX = 50

# Relevance boosts, as in the memory adapter: identifiers beat names, names beat body words.
_EXACT_BOOST, _NAME_BOOST = 10.0, 3.0

# Segments whose columns stay loaded (a segment of 1M documents costs about 14 MB).
_COLUMN_CACHE = 64

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
    """An exact field with a column of references into its distinct values, so facet counts
    read one small array per segment instead of the terms."""
    return fields.ID(sortable=columns.RefBytesColumn())


# Estimated matches up to which a segment's matcher is stepped rather than intersected as sets.
_STEP_LIMIT = 20_000

# Scores closer than this are ties (then the newer document ranks first).
_TIE = 1e-9

# Sort key of documents without a date: older than any dated one.
_NO_DATE = -(2**62)


def _vocabulary_field() -> fields.FieldType:
    """Readable words for "did you mean" and completion: only whether a document holds a
    word matters (and how many documents do), so no frequencies, positions or lengths are
    written, which keeps this copy of every word cheap to index."""
    field = fields.KEYWORD(scorable=False)
    field.analyzer = _Analysed(_distinct_vocabulary)
    field.format = formats.Existence()
    return field


def _distinct_vocabulary(text: str) -> list[str]:
    """Each vocabulary word of text once."""
    return list(dict.fromkeys(analysis.vocabulary(text)))


SCHEMA = fields.Schema(
    id=fields.ID(unique=True, stored=True),
    body=fields.TEXT(analyzer=_Analysed(analysis.body_terms), phrase=True),
    names=fields.TEXT(analyzer=_Analysed(analysis.name_keys), phrase=True),
    words=_vocabulary_field(),
    nik=fields.KEYWORD(commas=True),
    no_kk=fields.KEYWORD(commas=True),
    nomor=fields.ID(),
    principals=fields.KEYWORD(commas=True),
    when=fields.COLUMN(columns.NumericColumn("q", default=_NO_DATE)),
    doctype=_facet(), desa=_facet(), year=_facet(), klasifikasi=_facet(), status=_facet(),
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
        self._local = threading.local()
        self._dropped: dict[str, float] = {}
        self._column_cache: dict[tuple, _Columns] = {}
        self._columns_lock = threading.Lock()

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
            scored = query.sort == "relevance" and not plan.is_empty
            typos = _typos(searcher.reader(), plan)
            collector = _PageCollector(self._columns, query.offset + query.page_size, scored,
                                       lambda reader: _compile(plan, query.principals, typos, reader))
            searcher.search_with_collector(_compile(plan, query.principals, typos), collector)
            ranked = collector.ranked()[query.offset : query.offset + query.page_size]
            hits = [_hit(plan, searcher.stored_fields(docnum), score) for score, docnum in ranked]
            facets = {key: facet_order(counts) for key, counts in collector.facets().items()}
            few = collector.total < SUGGEST_BELOW
            vocabulary = _Vocabulary(searcher, query.principals)
            suggestion = did_you_mean(query.text, plan, vocabulary) if few else None
        notes = (*plan.notes, NOTE_NEWEST_FIRST) if collector.broad else plan.notes
        return Page(tuple(hits), collector.total, facets, suggestion, notes)

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
        """A searcher on the live version; engine failures become ``SearchError``s.

        Each thread keeps its searcher between calls and refreshes it when a commit or a
        rebuild changed the index: opening one reads every segment's files, which costs more
        than most queries.
        """
        ix = self._store.current()
        with self._engine_errors(ix):
            yield self._searcher(ix)

    def _searcher(self, ix: index.Index):
        """This thread's searcher on ix, opened again if the index changed since.

        Never Whoosh's ``refresh()``: whoosh-reloaded's reader reuse keeps segments a merge
        dropped and reuses a segment's reader across a change of its deletions.
        """
        cached = getattr(self._local, "searcher", None)
        if cached is not None and cached[0] is ix and cached[1].up_to_date():
            return cached[1]
        if cached is not None:
            cached[1].close()
        searcher = _open_searcher(ix)
        self._local.searcher = (ix, searcher)
        return searcher

    def _columns(self, subsearcher) -> _Columns:
        """Facet and date columns of a segment, loaded once: segments never change (a
        deletion only hides documents, which then never match)."""
        reader = subsearcher.reader()
        segment = reader.segment()
        if segment is None:  # an empty index has no segment
            return _Columns.load(reader)
        key = (self._store.version, segment.segment_id())
        with self._columns_lock:
            found = self._column_cache.get(key)
            if found is None:
                if len(self._column_cache) > _COLUMN_CACHE:
                    self._column_cache.clear()
                found = self._column_cache[key] = _Columns.load(reader)
            return found

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
            return _GraceWriter(ix, self._dropped, timeout=self.lock_timeout, limitmb=_WRITER_MB,
                                compound=False)
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


class _GraceWriter(writing.SegmentWriter):
    """Whoosh's segment writer, except that the files of segments a commit drops are deleted
    ``_DROPPED_FILES_GRACE`` seconds after they were first seen unreferenced (by a later commit
    of this process), not at once: see ``_DROPPED_FILES_GRACE``."""

    def __init__(self, ix: index.Index, dropped: dict[str, float], **kwargs) -> None:
        self._dropped_since = dropped
        super().__init__(ix, **kwargs)

    def _commit_toc(self, segments) -> None:
        index.TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        _delete_dropped(self.storage, self.indexname, self.generation, segments,
                        self._dropped_since)


def _delete_dropped(storage, indexname: str, generation: int, segments,
                    dropped_since: dict[str, float]) -> None:
    """Delete old tables of contents now and dropped segments' files after the grace time."""
    live = {segment.segment_id() for segment in segments}
    toc_name, segment_name = index.TOC._pattern(indexname), index.TOC._segment_pattern(indexname)
    now = time.monotonic()
    unreferenced: set[str] = set()
    for filename in list(storage):
        toc, segment = toc_name.match(filename), segment_name.match(filename)
        if toc and int(toc.group(1)) != generation:
            _delete_file(storage, filename)
        elif segment and segment.group(1) not in live:
            name = segment.group(1)
            unreferenced.add(name)
            if now - dropped_since.setdefault(name, now) >= _DROPPED_FILES_GRACE:
                _delete_file(storage, filename)
    for name in set(dropped_since) - unreferenced:
        del dropped_since[name]


#: Attempts at reading the table of contents while a commit replaces it.
_TOC_ATTEMPTS = 5


def _open_searcher(ix: index.Index):
    """ix.searcher(), read again when a commit was replacing the table of contents.

    A commit renames the new TOC into place and then deletes the old one; a directory listing
    taken in between can see neither (readdir is not atomic against a rename), and Whoosh then
    says the index does not exist. Seen in the suite as a failed search during commits."""
    for attempt in range(_TOC_ATTEMPTS):
        try:
            return ix.searcher()
        except (index.EmptyIndexError, FileNotFoundError):
            if attempt == _TOC_ATTEMPTS - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def _delete_file(storage, filename: str) -> None:
    try:
        storage.delete_file(filename)
    except OSError:
        pass  # already gone, or still open elsewhere: a later commit tries again


def _create(directory: Path) -> None:
    """Write an empty Whoosh index into directory."""
    index.create_in(str(directory), SCHEMA)


def _open(directory: Path) -> index.Index:
    """Open the index in directory, raising if its seal or its files are damaged, or if it was
    written with another schema (an upgrade changed the fields: rebuilt like damage)."""
    ix = index.open_dir(str(directory), schema=SCHEMA)
    if _signature(index.open_dir(str(directory)).schema) != _signature(SCHEMA):
        raise IndexCorruptError("Indeks pencarian dibuat dengan skema lama; perlu dibangun ulang.")
    versions.verify(directory, f"_{ix.indexname}_{ix.latest_generation()}.toc")
    _probe(ix)
    return ix


def _signature(schema: fields.Schema) -> list[tuple[str, str, str]]:
    """Field names, types and column types: what must match for this module to read it."""
    return sorted((name, type(field).__name__, type(field.column_type).__name__)
                  for name, field in schema.items())


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
    """Add docs to the empty index in directory in one commit; return how many.

    With two or more cores, documents are analysed and written by ``_REBUILD_PROCS``
    processes, one segment each (Whoosh spends most of a rebuild in per-posting Python work,
    which then runs in parallel).
    """
    ix = index.open_dir(str(directory), schema=SCHEMA)
    procs = min(_REBUILD_PROCS, os.cpu_count() or 1)
    writer = _ParallelWriter(ix, procs=procs, limitmb=_WRITER_MB, multisegment=True,
                             compound=False) \
        if procs > 1 else ix.writer(limitmb=_WRITER_MB, compound=False)
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


class _OrphanProofTask(multiproc.SubWriterTask):
    """Whoosh's sub-writer, asking the kernel to kill it when the parent dies (a rebuild
    killed with SIGKILL must not leave children blocked on their job queue for ever), and
    letting go of the parent's locks, which must die with the parent alone."""

    def run(self) -> None:
        _die_with_parent()
        versions.drop_inherited_locks()
        self.ready.set()
        super().run()


class _ParallelWriter(multiproc.MpWriter):
    """``MpWriter`` whose sub-writers are ``_OrphanProofTask``s."""

    def _new_task(self):
        """Start a sub-writer and wait until it has let go of the parent's locks, so that
        killing the parent at any later moment frees them."""
        task = _OrphanProofTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                                self.subargs, self.multisegment)
        task.ready = multiprocessing.Event()
        self.tasks.append(task)
        task.start()
        if not task.ready.wait(_TASK_START_TIMEOUT):
            raise SearchError("Proses pembantu pengindeksan tidak mulai.")
        return task


def _die_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; elsewhere nothing (POSIX-only store)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def _document(doc: IndexDoc) -> dict[str, object]:
    """Whoosh field values for doc, from the same normalised values the plan queries."""
    values = filter_values(doc)
    document: dict[str, object] = {
        "id": doc.id, "body": body_text(doc), "names": "\n".join(doc.names),
        "words": vocabulary_text(doc), "principals": ",".join(sorted(doc.principals)),
        "title": doc.title, "excerpt": doc.text[:SNIPPET_SOURCE_CHARS],
        "shown": doc.display_fields(),
    }
    document["when"] = _date_key(doc.date)
    for key, value in values.items():  # nik and kk are comma lists; the rest hold one value
        document[_FILTER_FIELDS[key]] = ",".join(sorted(value))
    return document


def _typos(reader, plan: QueryPlan) -> dict[str, list[str]]:
    """Name keys of the index within one typo of each name key the plan asks for, looked up
    once in the whole lexicon (a FuzzyTerm would search every segment's lexicon again)."""
    found: dict[str, list[str]] = {}
    for clause in plan.words:
        for i, key in enumerate(clause.names):
            loose = clause.typed(i)
            near = {t for typed in {key, loose} - {""} if len(typed) >= analysis.FUZZY_MIN_LENGTH
                    for t in reader.terms_within("names", typed, 1,
                                                 prefix=analysis.FUZZY_PREFIX)}
            found[key] = sorted({*found.get(key, ()), *(
                t for t in near if t != key and analysis.fuzzy_match(key, t, loose))})
    return found


def _compile(plan: QueryPlan, principals: frozenset[str], typos: dict[str, list[str]],
             reader=None) -> query.Query:
    """The Whoosh query for plan: scored clauses AND unscored terms for principals and fields,
    applied while matching (so paging and counts only ever see allowed documents).

    The unscored terms are boosted to zero rather than wrapped in ConstantScoreQuery, which
    would list every allowed document (all of them, for the office) before matching. Given a
    segment's reader, a principal filter every document of that segment passes is left out.
    """
    clauses = [_word_query(word, typos) for word in plan.words]
    clauses += [*map(_phrase_query, plan.phrases)]
    clauses += [query.Term(_FILTER_FIELDS[key], value, boost=0.0) for key, value in plan.filters]
    allowed = _allowed(principals, reader)
    if allowed is not None:
        clauses.append(allowed)
    if not clauses:
        return query.Every()
    return clauses[0] if len(clauses) == 1 else query.And(clauses)


def _allowed(principals: frozenset[str], reader=None) -> query.Query | None:
    """Documents sharing a principal with the caller, unscored; None when reader's segment
    holds only documents carrying one of them (intersecting with a posting list of every
    document would cost more than the query). Callers MUST NOT pass no principals: Whoosh
    drops an empty clause from an And, which would allow everything."""
    if reader is not None:
        total = reader.doc_count_all()
        if any(reader.doc_frequency("principals", p) >= total for p in principals):
            return None
    terms = [query.Term("principals", p, boost=0.0) for p in sorted(principals)]
    if len(terms) == 1:
        return terms[0]
    either = query.Or(terms)
    # Whoosh's preloading Or (chosen for small indexes and three or more clauses) loses the
    # matches of all but the last segments when several principals are absent from a
    # segment (a reader of restricted records holds user and role principals few documents
    # carry); the binary tree of unions is exact.
    either.matcher_type = query.Or.DEFAULT_MATCHER
    return either


def _word_query(word: WordClause, typos: dict[str, list[str]]) -> query.Query:
    """One word: body stems, or name keys with a typo allowed, or an identifier."""
    options: list[query.Query] = []
    if word.stems:
        options.append(query.And([query.Term("body", s) for s in word.stems]))
    if word.names:
        options.append(query.And([_name_query(key, typos.get(key, ())) for key in word.names]))
    if word.digits:
        options += [query.Term(f, word.digits, boost=_EXACT_BOOST) for f in ("nik", "no_kk")]
    if word.exact:
        options.append(query.Term("nomor", word.exact, boost=_EXACT_BOOST))
    return query.Or(options)


def _name_query(key: str, near: Sequence[str]) -> query.Query:
    """A name key, exact (boosted) or as one of its one-typo neighbours in the index."""
    exact = query.Term("names", key, boost=_NAME_BOOST)
    if not near:
        return exact
    return query.Or([exact, *(query.Term("names", term) for term in near)])


def _phrase_query(phrase: PhraseClause) -> query.Query:
    """A phrase in order, in the body or in the names."""
    options = [query.Phrase(field, list(terms))
               for field, terms in (("body", phrase.stems), ("names", phrase.names)) if terms]
    return query.Or(options)


class _Columns:
    """One segment's facet values as reference arrays into their distinct values, and its
    dates as sortable integers, read in bulk from Whoosh's column files."""

    __slots__ = ("facets", "dates")

    def __init__(self, facets: dict[str, tuple[array, list[str]]], dates: array) -> None:
        self.facets, self.dates = facets, dates

    @classmethod
    def load(cls, reader) -> _Columns:
        count = reader.doc_count_all()
        facets = {key: _refs(reader, field, count) for key, field in _FACET_FIELDS.items()}
        return cls(facets, _numbers(reader, "when", count))


def _refs(reader, field: str, count: int) -> tuple[array, list[str]]:
    """(reference per document, distinct values) of a RefBytesColumn."""
    if not reader.has_column(field):
        return array("B", bytes(count)), [""]
    column = reader.column_reader(field, translate=False)
    uniques = [v.decode("utf-8") for v in column._uniques]
    refs = array(column._typecode, column._dbfile.get(column._basepos, count * column._itemsize))
    if sys.byteorder == "little" and refs.itemsize > 1:
        refs.byteswap()  # Whoosh writes them big-endian
    return refs, uniques


def _numbers(reader, field: str, count: int) -> array:
    """The values of a NumericColumn("q"), one per document."""
    if not reader.has_column(field):
        return array("q", [_NO_DATE]) * count
    column = reader.column_reader(field, translate=False)
    stored = min(column._count, count)
    values = array("q", column._dbfile.get(column._basepos, stored * 8))
    if sys.byteorder == "little":
        values.byteswap()
    if stored < count:  # Whoosh leaves trailing defaults unwritten
        values.extend(array("q", [_NO_DATE]) * (count - stored))
    return values


class _PageCollector(collectors.Collector):
    """Collects what a page needs in one pass over the matches: the best ``limit`` documents
    (by score, then newest, or only newest), the total, and facet counts.

    Scores come from stepping the matcher; unscored searches take Whoosh's fast
    ``all_ids``. Facets are counted per segment from ``_Columns`` arrays, not through
    Whoosh's per-document categorizers.
    """

    def __init__(self, columns_of: Callable[[object], _Columns], limit: int, scored: bool,
                 query_for: Callable[[object], query.Query]):
        super().__init__()
        self.columns_of, self.limit, self.scored = columns_of, limit, scored
        self.query_for = query_for

    def prepare(self, top_searcher, q, context) -> None:
        super().prepare(top_searcher, q, context)
        self.broad = False
        self.heap: list[tuple] = []
        self.total = 0
        self.counts: dict[str, Counter[str]] = {key: Counter() for key in _FACET_FIELDS}

    def set_subsearcher(self, subsearcher, offset) -> None:
        self.subsearcher, self.offset = subsearcher, offset
        self.segment_query = self.query_for(subsearcher.reader())
        self.matcher = self.segment_query.matcher(subsearcher, self.context)
        self.columns = self.columns_of(subsearcher)

    def run(self) -> None:
        """Count and facet every segment's matches first; then rank: by score, or newest
        first when more than ``RELEVANCE_LIMIT`` documents match (scoring each of them in
        Python would take seconds, and ranking most of the archive by a common word means
        little to a clerk)."""
        try:
            segments = []
            for subsearcher, offset in self.top_searcher.leaf_searchers():
                self.set_subsearcher(subsearcher, offset)
                ids = self._all_ids(subsearcher.reader())
                self._count(ids)
                segments.append((subsearcher, offset, self.columns, ids))
            self.broad = self.scored and self.total > RELEVANCE_LIMIT
            for subsearcher, offset, segment_columns, ids in segments:
                if self.scored and not self.broad:
                    self._best(subsearcher, offset, segment_columns)
                else:
                    self._newest(ids, offset, segment_columns)
        finally:
            self.finish()

    def _all_ids(self, reader) -> array:
        """The segment's matching ids. Whoosh's ``all_ids`` intersects as C set operations
        over every posting of every clause: fast for broad queries, wasteful when one clause
        is rare (a letter number's "3304" beside "2021" and "ds"); then stepping the matcher,
        which skips through the long lists, is cheaper."""
        if self.segment_query.estimate_size(reader) > _STEP_LIMIT:
            return array("I", self.matcher.all_ids())
        ids, matcher = array("I"), self.matcher
        while matcher.is_active():
            ids.append(matcher.id())
            matcher.next()
        return ids

    def _count(self, ids: array) -> None:
        """Add a segment's matches to the total and the facet counts."""
        self.total += len(ids)
        for key, (refs, uniques) in self.columns.facets.items():
            counts = self.counts[key]
            for ref, n in Counter(map(refs.__getitem__, ids)).items():
                counts[uniques[ref]] += n

    def _offer(self, key: tuple) -> None:
        """Keep key if it is among the best ``limit`` so far."""
        if len(self.heap) < self.limit:
            heapq.heappush(self.heap, key)
        elif key > self.heap[0]:
            heapq.heapreplace(self.heap, key)

    def _best(self, subsearcher, offset: int, columns: _Columns) -> None:
        """Score a fresh matcher, skipping posting blocks whose best score cannot enter the
        top ``limit`` (Whoosh's block quality)."""
        segment_query = self.query_for(subsearcher.reader())
        matcher = segment_query.matcher(subsearcher, self.context)
        heap, limit, dates = self.heap, self.limit, columns.dates
        # Whoosh's quality skipping divides by each clause's boost and assumes every clause
        # adds to the score: with an unscored filter it would fail or skip real matches.
        quality = matcher.supports_block_quality() and not _has_unscored(segment_query)
        while matcher.is_active():
            if quality and len(heap) >= limit:
                matcher.skip_to_quality(heap[0][0] - _TIE)  # keep equal scores: newer wins
                if not matcher.is_active():
                    break
            docnum = matcher.id()
            self._offer((matcher.score(), dates[docnum], -(offset + docnum)))
            matcher.next()

    def _newest(self, ids: array, offset: int, columns: _Columns) -> None:
        """The newest ``limit`` of a segment's matches join the heap (unscored)."""
        dates = columns.dates
        for docnum in heapq.nlargest(self.limit, ids, key=dates.__getitem__):
            self._offer((0.0, dates[docnum], -(offset + docnum)))

    def collect(self, sub_docnum: int):  # unused: run() handles whole segments
        raise AssertionError("run() collects whole segments")

    def sort_key(self, sub_docnum: int):
        raise AssertionError("run() collects whole segments")

    def results(self):
        raise AssertionError("use ranked() and facets()")

    def ranked(self) -> list[tuple[float, int]]:
        """(score, top-level docnum) of the best ``limit`` documents, best first."""
        return [(score, -negated) for score, _, negated in sorted(self.heap, reverse=True)]

    def facets(self) -> dict[str, Counter]:
        return self.counts


def _has_unscored(q: query.Query) -> bool:
    """Whether the query holds a zero-boost (filter) term."""
    return any(getattr(leaf, "boost", 1.0) == 0 for leaf in q.leaves())


def _date_key(value: str) -> int:
    """Seconds since the epoch of an ISO date or date-time (naive, as stored), for sorting;
    documents without a readable date sort last."""
    try:
        moment = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        moment = None
    if moment is None:
        return _NO_DATE
    return int(moment.replace(tzinfo=dt.UTC).timestamp()) if moment.tzinfo is None \
        else int(moment.timestamp())


def _hit(plan: QueryPlan, stored: dict, score: float) -> Hit:
    """A result with its snippet, built from stored fields only."""
    stems, names = plan.highlight_terms()
    return Hit(id=stored["id"], score=float(score), title=stored["title"],
               snippet=snippet(stored["excerpt"], stems, names), fields=stored["shown"])


class _Vocabulary:
    """``spelling.Vocabulary`` over one searcher, for a caller with at least one principal."""

    def __init__(self, searcher, principals: frozenset[str]) -> None:
        self.searcher = searcher
        self.principals = principals

    def has(self, field: str, terms: Sequence[str]) -> bool:
        """Whether a visible document holds every term: a matcher is positioned on its first
        match when built, so no posting list is read past it."""
        for sub, _ in self.searcher.leaf_searchers():
            allowed = _allowed(self.principals, sub.reader())
            wanted = [query.Term(field, t) for t in terms] + ([allowed] if allowed else [])
            if query.And(wanted).matcher(sub).is_active():
                return True
        return False

    def near(self, word: str, distance: int) -> list[str]:
        """Whoosh's corrector: every candidate within distance, ranked by frequency alone."""
        corrector = self.searcher.corrector("words")
        return corrector.suggest(word, limit=5, maxdist=distance, prefix=analysis.FUZZY_PREFIX)
