"""``PgSearchIndex``: PostgreSQL full text, the backend for a server several kecamatan share.

The only module that imports SQLAlchemy or psycopg inside ``search``. It passes the same
contract as Whoosh (``tests/contract/test_search_index.py``); what the engine does itself:

- one stored ``tsvector`` per document behind one GIN index, holding the name keys (weight B,
  first, so their positions stay exact), the title (A) and the body (D). Title and body are
  analysed by PostgreSQL's built-in ``indonesian`` configuration (Snowball's Indonesian
  stemmer), and queries use the same configuration, so "kepindahan" meets "pindah" inside the
  server. Every word of a query is one tsquery (its stems OR its name keys) and the words are
  ANDed into one GIN condition;
- names: the shared spelling keys of ``search.analysis`` (Muhammad/Muhamad/Mohammad,
  Nur/Noor, Siti/Sitti), prefixed ``n:`` in the tsvector; one-letter typos of every name word
  of a query are found in one statement through a pg_trgm GIN index over the name vocabulary,
  then checked exactly with the shared edit distance, so every backend accepts the same typos;
- NIK, No. KK and nomor surat: exact strings (``text[]`` with GIN, ``text`` with btree);
- principals: ``text[]`` overlap inside the WHERE clause, so counts, facets and pages only ever
  see what the caller may see.

Relevance is cheap by design: identifiers beat names, names beat title words, title words
beat body words, and equal scores are ordered newest first. Scores read only small columns
(title words, name keys, identifiers), never the ``tsvector`` (that would detoast every
match), and only when there are at most ``RELEVANCE_LIMIT`` matches; above that the page is
the newest matches, with a note. Above ``COUNT_LIMIT`` matches it stops counting
(``Page.more``): total, facets and pages are over the newest ``COUNT_LIMIT`` by date.
BM25-like term counts are Whoosh's business. Snippets come
from the shared highlighter (``search.highlight``), so they are escaped once and mark name
typos too, which ``ts_headline`` would do neither.

The tables are the adapter's own (created on first use, ``SCHEMA_VERSION`` in the meta
table), not Alembic's: tables of another version read as damaged and the app rebuilds them.
``rebuild`` fills fresh tables inside one transaction and swaps them in by renaming, in that
same transaction: a failure or SIGKILL rolls everything back and the old tables stay live.
Writers serialise on a transaction-scoped advisory lock, keyed by the schema and the tables'
prefix: each kecamatan of a kabupaten deployment (a schema each) has its own.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, TypeVar

import psycopg.errors
import sqlalchemy
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from search import analysis
from search.base import (
    COUNT_LIMIT,
    FACET_KEYS,
    NOTE_COUNT_LIMIT,
    NOTE_NEWEST_FIRST,
    RELEVANCE_LIMIT,
    Hit,
    IndexBusyError,
    IndexCorruptError,
    IndexDoc,
    Page,
    Query,
    QueryError,
    SearchError,
)
from search.highlight import SNIPPET_SOURCE_CHARS, snippet
from search.plan import (
    PhraseClause,
    QueryPlan,
    WordClause,
    facet_order,
    filter_values,
    plan_query,
    vocabulary_text,
)
from search.spelling import SUGGEST_BELOW, did_you_mean

# Bumped whenever what is stored changes; a table of another version reads as damaged, and the
# app's self-repair rebuilds it.
SCHEMA_VERSION = "2"
#: The planner's cost of reading a page in a search, in order or not (PostgreSQL's defaults
#: are 1 and 4): the search tables are read from memory, where a row's tsvector check costs
#: more than its page (``_settings``).
READ_PAGE_COST = "0.1"
CONFIG = "indonesian"

# Body characters handed to to_tsvector: a tsvector holds at most 1 MB of lexemes, and a
# 300-page OCR scan must index rather than fail. Whoosh indexes everything.
BODY_CHARS = 400_000

# Bounds on every call (seconds, and the sort/hash memory a broad query may use).
STATEMENT_TIMEOUT_MS = 5_000
LOCK_TIMEOUT_MS = 5_000
WORK_MEM = "64MB"

_BATCH = 1_000
_PROGRESS_EVERY = 500
_SUGGEST_SCAN, _SUGGEST_RANK, _SUGGEST_MAX = 2_000, 200, 50
# Candidates a did-you-mean looks at when trigrams cannot narrow a short word.
_NEAR_SCAN = 2_000
# pg_trgm's threshold for the whole transaction: below every bound a lookup uses it for (see
# ``_similarity_floor``); each lookup then checks its own bound.
_TRGM_FLOOR = 0.1
_T = TypeVar("_T")
log = logging.getLogger(__name__)


class ReadReplica(Protocol):
    """Where searches may read (records.replica): the replica's engine while it is fresh."""

    def fresh(self) -> sqlalchemy.Engine | None: ...

    def failed(self) -> None: ...

# Relevance weights, in the spirit of the memory adapter's.
_EXACT, _NAME, _FUZZY, _TITLE, _MATCHED, _PHRASE = 10, 3, 1, 2, 1, 5

_FACET_COLUMNS = {"jenis": "doctype", "desa": "desa", "tahun": "year",
                  "klasifikasi": "klasifikasi", "status": "status"}
_WORDS, _NAMES = "w", "n"
# Name keys share the one tsvector with body lexemes under this prefix; PostgreSQL's parser
# splits at ":", so no body word and no typed query ever becomes such a lexeme.
_NAME_PREFIX = "n:"

TOO_BROAD = ("Pencarian ini terlalu lama dijalankan. Persempit dengan kata yang lebih khusus "
             "atau filter desa:, tahun: atau jenis:.")
UNREACHABLE = "Server pencarian PostgreSQL tidak dapat dihubungi; coba lagi sebentar lagi."
BUSY = "Indeks pencarian sedang dipakai proses lain; coba lagi sebentar lagi."
_WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || %s), 1)"
_TRY_REBUILD_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || %s), 2)"


class PgSearchIndex:
    """``SearchIndex`` in tables ``<prefix>_doc``, ``<prefix>_term`` and ``<prefix>_meta`` of a
    PostgreSQL database. Nothing connects until the first call; the tables and the pg_trgm
    extension are created then (the extension needs a role allowed to create it)."""

    def __init__(self, url: str, *, prefix: str = "search_index",
                 statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
                 lock_timeout_ms: int = LOCK_TIMEOUT_MS, count_limit: int = COUNT_LIMIT,
                 engine: sqlalchemy.Engine | None = None, replica: ReadReplica | None = None) -> None:
        """`engine`: the caller's (a pool shared with the app, which the caller closes);
        without it the index opens a pool of its own on `url`. `replica`: where searches
        may read while it is fresh enough (the caller's; writes and checks stay here)."""
        if not prefix.isidentifier() or not prefix.islower():
            raise ValueError(f"table prefix must be a lower-case identifier: {prefix!r}")
        self.url = _driver_url(url)
        self.prefix = prefix
        self.doc, self.term, self.meta = f"{prefix}_doc", f"{prefix}_term", f"{prefix}_meta"
        self.statement_timeout_ms = statement_timeout_ms
        self.lock_timeout_ms = lock_timeout_ms
        self.count_limit = count_limit
        self._given = engine
        self._replica = replica
        self._engine: sqlalchemy.Engine | None = engine
        self._ready = False

    # -- the port --------------------------------------------------------------------------

    def add_or_update(self, docs: Iterable[IndexDoc]) -> None:
        """Index docs in one transaction, replacing earlier versions with the same id."""
        rows = {doc.id: _row(doc) for doc in docs}
        if not rows:
            return
        with self._writing() as conn:
            self._remove(conn, list(rows))
            for chunk in _chunks(list(rows.values()), _BATCH):
                self._insert(conn, self.doc, chunk, count_terms=True)

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id in one transaction; unknown ids are ignored."""
        wanted = sorted(set(ids))
        if wanted:
            with self._writing() as conn:
                self._remove(conn, wanted)

    def search(self, query: Query) -> Page:
        """Run the query, principals and filters inside the SQL."""
        plan = plan_query(query)
        if not query.principals:
            return Page((), 0, {key: {} for key in FACET_KEYS}, None, plan.notes)
        total, hits, facets, suggestion, more, newest = self._read(
            lambda conn: self._page(conn, query, plan))
        notes = plan.notes
        if more or newest:
            notes = (*notes, NOTE_COUNT_LIMIT if more else NOTE_NEWEST_FIRST)
        return Page(tuple(hits), total, facets, suggestion, notes, more=more)

    def _page(self, conn: Connection, query: Query, plan: QueryPlan):
        compiled = _Compiled(self, conn, plan, query.principals)
        total, ranked, facets, newest, more = self._run(conn, compiled, query)
        hits = self._hits(conn, plan, ranked, "date" if newest else query.sort)
        suggestion = None
        if total < SUGGEST_BELOW:
            suggestion = did_you_mean(query.text, plan, _Vocabulary(self, conn, query.principals))
        return total, hits, facets, suggestion, more, newest

    def suggest(self, prefix: str, limit: int = 10, *, principals: frozenset[str]) -> list[str]:
        """Most common words starting with prefix that occur in a document the principals see."""
        start = analysis.fold(prefix).strip().replace("\x00", "")
        limit = max(0, min(limit, _SUGGEST_MAX))
        if len(start) < 2 or not principals or not limit:
            return []
        return self._read(lambda conn: self._suggestions(conn, start, limit, principals))

    def _suggestions(self, conn: Connection, start: str, limit: int, principals: frozenset[str]) -> list[str]:
        terms = conn.exec_driver_sql(
            f"SELECT term FROM (SELECT term, df FROM {self.term} WHERE field = %(f)s"
            f" AND term >= %(lo)s AND term < %(hi)s ORDER BY term LIMIT {_SUGGEST_SCAN}) s"
            f" ORDER BY df DESC, term LIMIT {_SUGGEST_RANK}",
            {"f": _WORDS, "lo": start, "hi": start + "\U0010ffff"}).scalars().all()
        vocabulary = _Vocabulary(self, conn, principals)
        found = []
        for term in terms:
            if vocabulary.has("words", [term]):
                found.append(term)
                if len(found) == limit:
                    break
        return found

    def _read(self, work: Callable[[Connection], _T]) -> _T:
        """`work` in a read transaction: on the replica while it is fresh, else on the
        primary; a failure there (down, promoted, a query cancelled by recovery) is read
        again on the primary at once. A too-broad query is not: it would time out here too."""
        replica = self._replica.fresh() if self._replica is not None else None
        if replica is not None:
            with self._errors():
                self._ensure_schema()  # on the primary: its failure is not the replica's
            try:
                with self._reading(replica) as conn:
                    return work(conn)
            except QueryError:
                raise
            except SearchError as exc:
                log.warning("search on the read replica failed, read on the primary: %s", exc)
                self._replica.failed()  # type: ignore[union-attr]
        with self._reading() as conn:
            return work(conn)

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Fill new tables from docs and swap them in, all in one transaction: until it
        commits, searches (and other processes) keep using the old tables. Writes made to the
        old tables meanwhile are lost with them: the caller SHOULD replay its outbox. Raises
        ``IndexBusyError`` if another process is rebuilding."""
        build = f"{self.prefix}_build"
        with self._errors(), self._connect() as conn, conn.begin():
            self._settings(conn, statement_timeout=0)
            if not conn.exec_driver_sql(_TRY_REBUILD_LOCK,
                                        (self.prefix,)).scalar():
                raise IndexBusyError(BUSY)
            self._create_extension(conn)
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {build}_doc, {build}_term, {build}_meta")
            for statement in _tables(f"{build}_doc", f"{build}_term", f"{build}_meta"):
                conn.exec_driver_sql(statement)
            count, frequencies = self._fill(conn, f"{build}_doc", docs, progress)
            self._copy_terms(conn, f"{build}_term", frequencies)
            # Rows in date order on disk, before the other indexes exist (CLUSTER rebuilds
            # every index): "the newest 10,000 matches" of a broad word then reads adjacent
            # pages backwards, not 37,000 pages spread over the whole table (issue 17, 1M).
            dated, *others = sorted(_indexes(f"{build}_doc", f"{build}_term"),
                                    key=lambda statement: "_date_idx " not in statement)
            conn.exec_driver_sql(dated)
            conn.exec_driver_sql(f"CLUSTER {build}_doc USING {build}_doc_date_idx")
            for statement in others:
                conn.exec_driver_sql(statement)
            # Statistics now, not when autovacuum gets round to it: the planner must know that
            # "office" is on every row and not intersect with its posting list.
            conn.exec_driver_sql(f"ANALYZE {build}_doc, {build}_term")
            conn.exec_driver_sql(_WRITE_LOCK, (self.prefix,))
            self._swap(conn, build)
        self._ready = True
        if progress is not None:
            progress(count)
        return count

    def health(self) -> dict:
        """Whether the tables exist in this schema version with every column, and how many
        documents they hold."""
        try:
            with self._reading() as conn:
                conn.exec_driver_sql(f"SELECT {_COLUMNS} FROM {self.doc} LIMIT 1").all()
                conn.exec_driver_sql(f"SELECT field, term, df FROM {self.term} LIMIT 1").all()
                count = conn.exec_driver_sql(f"SELECT count(*) FROM {self.doc}").scalar()
        except SearchError as exc:
            return {"ok": False, "doc_count": 0, "detail": str(exc)}
        detail = f"postgresql {self._where()}"
        if self._replica is not None:
            detail += "; replika baca: " + ("segar" if self._replica.fresh() is not None
                                            else "tertinggal atau tak terjangkau, dibaca di primer")
        return {"ok": True, "doc_count": count, "detail": detail}

    def clear(self) -> None:
        """Remove every document and the vocabulary."""
        with self._writing() as conn:
            conn.exec_driver_sql(f"TRUNCATE {self.doc}, {self.term}")

    def ids(self) -> list[str]:
        """Every indexed id (for ``lemari doctor``'s drift check)."""
        with self._reading() as conn:
            return list(conn.exec_driver_sql(f"SELECT id FROM {self.doc}").scalars().all())

    def close(self) -> None:
        """Close pooled connections (a later call reconnects); a given engine is its owner's."""
        if self._engine is not None and self._given is None:
            self._engine.dispose()
            self._engine = None

    # -- connections, transactions, errors --------------------------------------------------

    def _connect(self) -> Connection:
        if self._engine is None:
            self._engine = sqlalchemy.create_engine(
                self.url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        return self._engine.connect()

    @contextmanager
    def _reading(self, engine: sqlalchemy.Engine | None = None) -> Iterator[Connection]:
        """A read transaction on checked tables, with the search bounds set (on `engine`, a
        read replica, when given; the tables are made on the primary)."""
        with self._errors():
            self._ensure_schema()
            with (engine.connect() if engine is not None else self._connect()) as conn, conn.begin():
                self._settings(conn, statement_timeout=self.statement_timeout_ms,
                               meta=self.meta)
                yield conn

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction holding the index's write lock (``IndexBusyError`` after
        ``lock_timeout_ms``)."""
        with self._errors():
            self._ensure_schema()
            with self._connect() as conn, conn.begin():
                self._settings(conn, statement_timeout=0)
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(self.lock_timeout_ms)}")
                conn.exec_driver_sql(_WRITE_LOCK,
                                     (self.prefix,))
                self._check_version(conn)
                yield conn

    @staticmethod
    def _settings(conn: Connection, *, statement_timeout: int, meta: str | None = None) -> None:
        """Bounds and planner settings for this transaction only, and (given the meta table)
        the schema check, in one round trip.

        ``plan_cache_mode``: psycopg prepares a statement it has run five times, and after five
        more PostgreSQL may plan it once for any parameters. Such a generic plan cannot see
        that "banjir" is rare and "office" is on every row: it intersected the principals and
        desa indexes and then read every row of the desa (84 ms against 3.7 ms, EXPLAIN
        ANALYZE in docs/benchmarks.md). Planning our statements costs well under a millisecond.
        Reads run with index scans only: the planner does not count the cost of reading a
        row's tsvector, so for a common word it preferred a sequential scan that read all
        100,000 of them (190 ms against 75 ms through the GIN index), and for the EXISTS of
        a "did you mean" on a word in no document it bet on an early match and read every row
        (0.4-0.6 s per word, the 1.3 s name p95 of issue 17).

        Reads also cost a page at 0.1, in order or not (``READ_PAGE_COST``), as PostgreSQL's
        manual advises for data that fits in memory. With the defaults (1 in order, 4 at
        random), walking the date index backwards past every other desa's rows looked as
        cheap as fetching one desa's matches through the GIN index, while each row walked
        costs a tsvector check the planner does not count. Which of the two it chose for
        "domisili" in one desa of 1M documents changed with ANALYZE's sample: 720 ms or
        100 ms, a keyword+desa p95 of 392 or 117 ms (issue 17, docs/benchmarks.md).

        The trigram threshold is a floor for every lookup of the transaction; each lookup
        checks its own bound with ``similarity()``, so none needs a ``SET`` of its own."""
        settings = ("SELECT set_config('statement_timeout', %s, true),"
                    " set_config('work_mem', %s, true),"
                    " set_config('plan_cache_mode', 'force_custom_plan', true),"
                    f" set_config('pg_trgm.similarity_threshold', '{_TRGM_FLOOR}', true)")
        if meta is None:
            conn.exec_driver_sql(settings, (str(statement_timeout), WORK_MEM))
            return
        found = conn.exec_driver_sql(
            settings + ", set_config('enable_seqscan', 'off', true),"
            f" set_config('seq_page_cost', '{READ_PAGE_COST}', true),"
            f" set_config('random_page_cost', '{READ_PAGE_COST}', true),"
            f" (SELECT value FROM {meta} WHERE key = 'schema')",
            (str(statement_timeout), WORK_MEM)).one()[-1]
        _check_version(found)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Database failures as the port's errors: missing tables are damage (the app
        rebuilds), a cancelled statement a too-broad query, a lock wait a busy index, and
        anything else an unavailable server."""
        try:
            yield
        except SearchError:
            raise
        except DBAPIError as exc:
            cause = exc.orig if exc.orig is not None else exc
            if isinstance(cause, (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn)):
                self._ready = False
                raise IndexCorruptError(f"Indeks pencarian rusak: tabel {self._where()} "
                                        f"tidak lengkap ({_first_line(cause)}).") from exc
            if isinstance(cause, psycopg.errors.QueryCanceled):
                raise QueryError(TOO_BROAD) from exc
            if isinstance(cause, psycopg.errors.LockNotAvailable):
                raise IndexBusyError(BUSY) from exc
            if isinstance(exc, sqlalchemy.exc.OperationalError):
                raise SearchError(f"{UNREACHABLE} ({_first_line(cause)})") from exc
            raise SearchError(f"Pencarian gagal: {_first_line(cause)}") from exc
        except SQLAlchemyError as exc:
            raise SearchError(f"{UNREACHABLE} ({exc.__class__.__name__})") from exc

    def _where(self) -> str:
        """Database and table, for messages (never the password)."""
        database = sqlalchemy.engine.make_url(self.url).database
        return f"{database}.{self.doc}"

    # -- schema ------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        """Create the extension and empty tables once per process, if they are missing."""
        if self._ready:
            return
        with self._connect() as conn, conn.begin():
            conn.exec_driver_sql(_WRITE_LOCK, (self.prefix,))
            exists, schema = conn.exec_driver_sql("SELECT to_regclass(%s) IS NOT NULL, current_schema()",
                                                  (self.meta,)).one()
            named = _named_schema(self.url)
            if named and schema != named:  # e.g. a kecamatan's schema dropped for a restore
                raise SearchError(f"Skema {named} tidak ada di basis data ini; indeks pencarian "
                                  f"tidak dibuat di skema {schema}.")
            if not exists:
                self._create_extension(conn)
                for statement in (*_tables(self.doc, self.term, self.meta),
                                  *_indexes(self.doc, self.term)):
                    conn.exec_driver_sql(statement)
        self._ready = True

    @staticmethod
    def _create_extension(conn: Connection) -> None:
        """pg_trgm, or a clear message for the administrator."""
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DBAPIError as exc:
            raise SearchError("Ekstensi PostgreSQL pg_trgm belum terpasang dan tidak dapat "
                              "dibuat oleh akun ini; minta admin basis data menjalankan "
                              "CREATE EXTENSION pg_trgm.") from exc

    def _check_version(self, conn: Connection) -> None:
        """Tables of another schema version are treated as damaged."""
        _check_version(conn.exec_driver_sql(
            f"SELECT value FROM {self.meta} WHERE key = 'schema'").scalar())

    def _swap(self, conn: Connection, build: str) -> None:
        """Replace the live tables (and their index names) with the freshly built ones."""
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.doc}, {self.term}, {self.meta}")
        for suffix in ("doc", "term", "meta"):
            conn.exec_driver_sql(f"ALTER TABLE {build}_{suffix} RENAME TO {self.prefix}_{suffix}")
        renames = conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND indexname LIKE %s", (f"{build}\\_%",)).scalars().all()
        for name in renames:
            conn.exec_driver_sql(f"ALTER INDEX {name} RENAME TO {self.prefix}{name[len(build):]}")

    # -- writing -----------------------------------------------------------------------------

    def _remove(self, conn: Connection, ids: list[str]) -> None:
        """Delete documents, take their words out of the vocabulary counts, and drop the
        terms no document holds any more."""
        emptied = conn.exec_driver_sql(
            f"""WITH removed AS (DELETE FROM {self.doc} WHERE id = ANY(%(ids)s)
                                 RETURNING words, name_keys),
                gone AS (SELECT '{_WORDS}' AS f, t FROM removed, unnest(removed.words) t
                         UNION ALL SELECT '{_NAMES}', t FROM removed, unnest(removed.name_keys) t),
                counted AS (SELECT f, t, count(*) AS c FROM gone GROUP BY f, t),
                lowered AS (UPDATE {self.term} s SET df = s.df - c.c FROM counted c
                            WHERE s.field = c.f AND s.term = c.t RETURNING s.field, s.term, s.df)
                SELECT field, term FROM lowered WHERE df <= 0""", {"ids": ids}).all()
        if emptied:
            conn.exec_driver_sql(
                f"DELETE FROM {self.term} s USING unnest(%(f)s::text[], %(t)s::text[]) AS g(f, t)"
                " WHERE s.field = g.f AND s.term = g.t",
                {"f": [row[0] for row in emptied], "t": [row[1] for row in emptied]})

    def _insert(self, conn: Connection, table: str, rows: list[dict], *, count_terms: bool) -> None:
        """Insert prepared rows, analysing their text in the server; with count_terms, add
        their words to the vocabulary counts in the same statement."""
        insert = f"""INSERT INTO {table} ({_COLUMNS})
            SELECT r.id, r.principals, r.doctype, r.desa, r.year, r.klasifikasi, r.status,
                   r.date, r.nomor, r.nik, r.no_kk,
                   setweight(r.names::tsvector, 'B')
                       || setweight(to_tsvector('{CONFIG}', r.title_text), 'A')
                       || setweight(to_tsvector('{CONFIG}', r.body_text), 'D'),
                   tsvector_to_array(to_tsvector('{CONFIG}', r.title_text)),
                   r.name_keys, r.words, r.title, r.excerpt, r.shown
            FROM jsonb_to_recordset(%(rows)s::jsonb) AS r({_RECORD})"""
        if not count_terms:
            conn.exec_driver_sql(insert, {"rows": json.dumps(rows)})
            return
        conn.exec_driver_sql(
            f"""WITH fresh AS ({insert} RETURNING words, name_keys),
                added AS (SELECT '{_WORDS}' AS f, t FROM fresh, unnest(fresh.words) t
                          UNION ALL SELECT '{_NAMES}', t FROM fresh, unnest(fresh.name_keys) t)
                INSERT INTO {self.term} (field, term, df)
                SELECT f, t, count(*) FROM added GROUP BY f, t ORDER BY f, t
                ON CONFLICT (field, term) DO UPDATE SET df = {self.term}.df + EXCLUDED.df""",
            {"rows": json.dumps(rows)})

    def _fill(self, conn: Connection, table: str, docs: Iterable[IndexDoc],
              progress: Callable[[int], None] | None) -> tuple[int, Counter]:
        """Insert docs in batches into the build table, counting their words on the way.

        Our analysis (Python, this thread) of the next batch overlaps the server's work on the
        previous one (``to_tsvector``, written by a sender thread that waits on the socket
        without the GIL): on two cores that is most of the rebuild's speed."""
        frequencies: Counter = Counter()
        batches: queue.Queue[dict[str, dict] | None] = queue.Queue(maxsize=2)
        failed: list[BaseException] = []

        def send() -> None:
            while (batch := batches.get()) is not None:
                if not failed:
                    try:
                        self._flush_build(conn, table, batch, frequencies)
                    except BaseException as exc:  # handed to the producing thread
                        failed.append(exc)

        sender = threading.Thread(target=send, name="pg-index-rebuild", daemon=True)
        sender.start()
        batch: dict[str, dict] = {}
        count = 0
        try:
            for doc in docs:
                if doc.id in batch:  # a repeated id replaces the earlier one, as in add_or_update
                    count -= 1
                batch[doc.id] = _row(doc)
                count += 1
                if len(batch) >= _BATCH:
                    batches.put(batch)
                    batch = {}
                    if failed:
                        break
                if progress is not None and count % _PROGRESS_EVERY == 0:
                    progress(count)
            if batch and not failed:
                batches.put(batch)
        finally:
            batches.put(None)
            sender.join()
        if failed:
            raise failed[0]
        return count, frequencies

    def _flush_build(self, conn: Connection, table: str, batch: dict[str, dict],
                     frequencies: Counter) -> None:
        """Write a build batch; ids already written by an earlier batch are replaced."""
        if not batch:
            return
        replaced = conn.exec_driver_sql(
            f"DELETE FROM {table} WHERE id = ANY(%s) RETURNING words, name_keys",
            (list(batch),)).all()
        for words, keys in replaced:
            frequencies.subtract((_WORDS, w) for w in words)
            frequencies.subtract((_NAMES, k) for k in keys)
        for row in batch.values():
            frequencies.update((_WORDS, w) for w in row["words"])
            frequencies.update((_NAMES, k) for k in row["name_keys"])
        self._insert(conn, table, list(batch.values()), count_terms=False)
        batch.clear()

    @staticmethod
    def _copy_terms(conn: Connection, table: str, frequencies: Counter) -> None:
        """Load the vocabulary with COPY (a million documents hold a few hundred thousand
        distinct words)."""
        raw = conn.connection.driver_connection
        assert raw is not None  # an open Connection holds its psycopg connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} (field, term, df) FROM STDIN") as copy:
            for (field, term), df in frequencies.items():
                if df > 0:
                    copy.write_row((field, term, df))

    # -- searching ---------------------------------------------------------------------------

    def _run(self, conn: Connection, compiled: _Compiled, query: Query):
        """Total, the ranked (id, score) page, the facets, whether the page is newest first
        because there were too many matches to rank, and whether counting stopped at
        ``count_limit``, from one statement.

        The newest ``count_limit`` + 1 matches are collected once (index, permission and
        filters; no score): a word in every second document reads the date index backwards
        and stops, instead of counting 760,000 rows at 1M documents. Only if there are at most
        ``RELEVANCE_LIMIT`` matches are they scored, each fetched again by its key; above
        that the page is the newest matches, as in the other adapters."""
        page = "LIMIT %(limit)s OFFSET %(offset)s"
        by_date = query.sort == "date" or compiled.plan.is_empty
        newest = "SELECT id, 0::float8 AS score, date FROM k {} ORDER BY date DESC, id " + page
        if by_date:
            ranked = newest.format("")
        else:
            ranked = f"""SELECT * FROM (
                    SELECT d.id, {compiled.score} AS score, d.date
                    FROM k JOIN {self.doc} d ON d.id = k.id
                    WHERE (SELECT n FROM c) <= {RELEVANCE_LIMIT}
                    ORDER BY score DESC, date DESC, id {page}) s
                UNION ALL SELECT * FROM ({newest.format(
                    f"WHERE (SELECT n FROM c) > {RELEVANCE_LIMIT}")}) b"""
        facets = "".join(
            f" UNION ALL SELECT {i + 2}, {column}, count(*)::float8, NULL FROM k GROUP BY {column}"
            for i, column in enumerate(_FACET_COLUMNS.values()))
        sql = f"""WITH m AS MATERIALIZED (
                SELECT id, date, doctype, desa, year, klasifikasi, status FROM {self.doc}
                WHERE {compiled.where} ORDER BY date DESC, id LIMIT %(count_limit)s + 1),
            c AS MATERIALIZED (SELECT count(*) AS n FROM m),
            k AS (SELECT * FROM m ORDER BY date DESC, id LIMIT %(count_limit)s),
            p AS ({ranked})
            SELECT 0, id, score, row_number() OVER (ORDER BY score DESC, date DESC, id) FROM p
            UNION ALL SELECT 1, NULL, n::float8, NULL FROM c{facets}"""
        params = {**compiled.params, "limit": query.page_size, "offset": query.offset,
                  "count_limit": self.count_limit}
        ranked_rows, total = [], 0
        counts: dict[str, dict[str, int]] = {key: {} for key in FACET_KEYS}
        keys = list(_FACET_COLUMNS)
        for kind, value, number, position in conn.exec_driver_sql(sql, params):
            if kind == 0:
                ranked_rows.append((position, value, number))
            elif kind == 1:
                total = int(number)
            else:
                counts[keys[kind - 2]][value] = int(number)
        ranked_rows.sort()
        more = total > self.count_limit
        return min(total, self.count_limit), [
            (doc_id, score) for _, doc_id, score in ranked_rows], {
            key: facet_order(values) for key, values in counts.items()}, (
            not by_date and total > RELEVANCE_LIMIT), more

    def _hits(self, conn: Connection, plan: QueryPlan, ranked, sort: str) -> list[Hit]:
        """Stored fields and snippets for the page, in rank order."""
        if not ranked:
            return []
        stored = {row[0]: row[1:] for row in conn.exec_driver_sql(
            f"SELECT id, title, excerpt, shown FROM {self.doc} WHERE id = ANY(%s)",
            ([doc_id for doc_id, _ in ranked],))}
        stems, names = plan.highlight_terms()
        scored = sort == "relevance" and not plan.is_empty
        hits = []
        for doc_id, score in ranked:
            if doc_id in stored:  # deleted between the two statements: skip it
                title, excerpt, shown = stored[doc_id]
                hits.append(Hit(id=doc_id, score=float(score) if scored else 0.0, title=title,
                                snippet=snippet(excerpt, stems, names), fields=_shown(shown)))
        return hits

    def fuzzy_keys(self, conn: Connection,
                   words: Sequence[WordClause]) -> dict[tuple[str, str], list[str]]:
        """For every name key of the words, the name keys in the vocabulary within one edit
        of it or of its loose form (same first letter): one statement for the whole query,
        each typed form looked up through the trigram index and confirmed with the shared
        edit distance."""
        asked = [(key, word.typed(i)) for word in words for i, key in enumerate(word.names)]
        typed = list(dict.fromkeys(t for pair in asked for t in pair
                                   if len(t) >= analysis.FUZZY_MIN_LENGTH))
        close: dict[str, list[str]] = {t: [] for t in typed}
        found: dict[tuple[str, str], list[str]] = {}
        if typed:
            for form, term in conn.exec_driver_sql(
                    f"""SELECT q.w, t.term FROM unnest(%(w)s::text[], %(b)s::float8[])
                            WITH ORDINALITY AS q(w, b, i)
                        CROSS JOIN LATERAL (
                            SELECT term, df FROM {self.term} WHERE field = %(f)s
                            AND term %% q.w AND similarity(term, q.w) >= q.b
                            AND left(term, {analysis.FUZZY_PREFIX})
                                = left(q.w, {analysis.FUZZY_PREFIX})
                            AND length(term) BETWEEN length(q.w) - 1 AND length(q.w) + 1) t
                        ORDER BY q.i, t.df DESC, t.term""",
                    {"f": _NAMES, "w": typed,
                     "b": [max(_similarity_floor(t, 1), _TRGM_FLOOR) for t in typed]}):
                if analysis.within_edits(form, term, 1):
                    close[form].append(term)
        for key, loose in asked:
            near = dict.fromkeys([*close.get(key, ()), *close.get(loose, ())])
            found[key, loose] = [t for t in near if t != key and analysis.fuzzy_match(key, t, loose)]
        return found

    def neighbours(self, conn: Connection, field: str, word: str,
                            distance: int) -> list[str]:
        """Vocabulary terms that could be within distance edits of word, sharing its first
        letter, most frequent first. Trigram similarity of such a pair is at least
        (T - 3d) / (T + 3d), T being word's trigram count; where that bound is too weak to
        narrow anything, a bounded scan of terms with the same first letter and a close
        length is used instead."""
        bound = _similarity_floor(word, distance)
        lengths = {"lo": len(word) - distance, "hi": len(word) + distance}
        prefix = word[:analysis.FUZZY_PREFIX]
        first: dict[str, object] = {"f": field, "w": word, "first": prefix, "b": bound,
                                    **lengths}
        if bound >= _TRGM_FLOOR:
            sql = (f"SELECT term FROM {self.term} WHERE field = %(f)s AND term %% %(w)s"
                   " AND similarity(term, %(w)s) >= %(b)s"
                   f" AND left(term, {analysis.FUZZY_PREFIX}) = %(first)s"
                   f" AND length(term) BETWEEN %(lo)s AND %(hi)s ORDER BY df DESC, term")
        else:
            sql = (f"SELECT term FROM (SELECT term, df FROM {self.term} WHERE field = %(f)s"
                   f" AND term >= %(first)s AND term < %(upper)s"
                   f" AND length(term) BETWEEN %(lo)s AND %(hi)s LIMIT {_NEAR_SCAN}) s"
                   f" ORDER BY df DESC, term")
            first["upper"] = prefix + "\U0010ffff"
        candidates = conn.exec_driver_sql(sql, first).scalars().all()
        return [t for t in candidates if analysis.within_edits(word, t, distance)]


def _check_version(found: str | None) -> None:
    """Tables of another schema version are treated as damaged."""
    if found != SCHEMA_VERSION:
        raise IndexCorruptError(f"Indeks pencarian rusak atau dari versi lain (skema "
                                f"{found!r}, diharapkan {SCHEMA_VERSION}); bangun ulang.")


def _similarity_floor(word: str, distance: int) -> float:
    """Lowest pg_trgm similarity a word within distance edits of word can have (pg_trgm pads
    a word with two spaces in front and one behind); a little below, against rounding."""
    padded = f"  {word} "
    count = len({padded[i:i + 3] for i in range(len(padded) - 2)})
    return (count - 3 * distance) / (count + 3 * distance) - 0.01


class _Compiled:
    """The WHERE clause and score expression of a plan, with their parameters."""

    def __init__(self, index: PgSearchIndex, conn: Connection, plan: QueryPlan,
                 principals: frozenset[str]) -> None:
        self.plan = plan
        self.params: dict[str, object] = {"principals": sorted(principals)}
        conditions, scores = [], []
        self.near = index.fuzzy_keys(conn, plan.words)
        together = []  # words only the tsvector can match: one GIN condition for all of them
        for word in plan.words:
            query, options, score = self._word(word)
            if query and not options:
                together.append(query)
            elif query or options:
                conditions.append("(" + " OR ".join(
                    [f"tsv @@ {query}"] * bool(query) + options) + ")")
            scores.append(score)
        if together:
            conditions.append(f"tsv @@ ({' && '.join(together)})")
        for phrase in plan.phrases:
            conditions.append(self._phrase(phrase))
            scores.append(str(_PHRASE))
        for key, value in plan.filters:
            conditions.append(self._filter(key, value))
        # The permission filter, in the same statement. Beside other conditions it is checked
        # on the rows they find rather than through its own index: an office's principal is
        # on every row, and the planner, which does not count the cost of reading a row's
        # tsvector, chose that index (or a sequential scan) and then read the tsvector of all
        # 100,000 rows for a common word: 210 ms against 75 ms through the tsvector's index.
        allowed = "principals && %(principals)s::text[]"
        conditions.append(f"({allowed}) IS TRUE" if conditions else allowed)
        self.where = " AND ".join(conditions)
        self.score = "(" + " + ".join(scores) + ")::float8" if scores else "0::float8"

    def param(self, value: object) -> str:
        """A placeholder for value."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def _word(self, word: WordClause) -> tuple[str, list[str], str]:
        """One word: its tsquery over body and names (ANDed with the other words' into one
        GIN condition), its NIK/KK or nomor conditions, and its score. Scores read only the
        small columns (title words, name keys, identifiers), never the tsvector, so ranking
        every match of a broad word costs no detoasting."""
        queries, options, scores = [], [], [str(_MATCHED)]
        if word.stems:
            text = self.param(_text(analysis.fold(word.text)))
            queries.append(f"plainto_tsquery('{CONFIG}', {text})")
            title = f"tsvector_to_array(to_tsvector('{CONFIG}', {text}))"
            scores.append(f"(CASE WHEN title_words @> {title} AND cardinality({title}) > 0"
                          f" THEN {_TITLE} ELSE 0 END)")
        if word.names:
            alternatives = []
            for i, key in enumerate(word.names):
                near = self.near[key, word.typed(i)]
                alternatives.append(_any_name([key, *near]))
                scores.append(
                    f"(CASE WHEN name_keys @> {self.param([key])}::text[] THEN {_NAME}"
                    + (f" WHEN name_keys && {self.param(near)}::text[] THEN {_FUZZY}"
                       if near else "")
                    + " ELSE 0 END)")
            named = f"{self.param(' & '.join(alternatives))}::tsquery"
            queries.append(named)
            # the share of the document's name words the query names, as the SQLite adapter
            # ranks: "Nor Saidah" puts NOR SAIDAH before NOR HASANAH SAIDAH
            every = " AND ".join(
                f"name_keys && {self.param([key, *self.near[key, word.typed(i)]])}::text[]"
                for i, key in enumerate(word.names))
            scores.append(f"(CASE WHEN {every} THEN {_NAME}.0 * {len(word.names)}"
                          " / greatest(cardinality(name_keys), 1) ELSE 0 END)")
        if word.digits:
            ident = self.param([word.digits])
            matched = f"(nik @> {ident}::text[] OR no_kk @> {ident}::text[])"
            options.append(matched)
            scores.append(f"(CASE WHEN {matched} THEN {_EXACT} ELSE 0 END)")
        if word.exact:
            nomor = f"nomor = {self.param(word.exact)}"
            options.append(nomor)
            scores.append(f"(CASE WHEN {nomor} THEN {_EXACT} ELSE 0 END)")
        query = "(" + " || ".join(queries) + ")" if queries else ""
        return query, options, " + ".join(scores)

    def _phrase(self, phrase: PhraseClause) -> str:
        """A phrase in order, in the body or in the names."""
        options = []
        if phrase.stems:
            text = self.param(_text(analysis.fold(phrase.text)))
            options.append(f"tsv @@ phraseto_tsquery('{CONFIG}', {text})")
        if phrase.names:
            lexemes = " <-> ".join(_name(k) for k in phrase.names)
            options.append(f"tsv @@ {self.param(lexemes)}::tsquery")
        return "(" + " OR ".join(options) + ")"

    def _filter(self, key: str, value: str) -> str:
        """One exact filter on a column."""
        if key == "nik":
            return f"nik @> {self.param([value])}::text[]"
        if key == "kk":
            return f"no_kk @> {self.param([value])}::text[]"
        column = "nomor" if key == "nomor" else _FACET_COLUMNS[key]
        return f"{column} = {self.param(value)}"


class _Vocabulary:
    """``spelling.Vocabulary`` over the index, for one caller with at least one principal."""

    def __init__(self, index: PgSearchIndex, conn: Connection, principals: frozenset[str]):
        # index scans only, as every read transaction (``PgSearchIndex._settings``)
        self.index, self.conn, self.principals = index, conn, sorted(principals)

    def has(self, field: str, terms: Sequence[str]) -> bool:
        """Whether a visible document holds every term; stops at the first one found."""
        value: str | list[str]
        if field == "words":
            condition, value = "words @> %(v)s::text[]", list(terms)
        elif field == "names":
            condition, value = "tsv @@ %(v)s::tsquery", " & ".join(map(_name, terms))
        else:  # stems: the server's stemmer applied to them finds the same documents
            condition, value = f"tsv @@ plainto_tsquery('{CONFIG}', %(v)s)", " ".join(terms)
        return bool(self.conn.exec_driver_sql(
            f"SELECT EXISTS (SELECT 1 FROM {self.index.doc} WHERE {condition}"
            f" AND principals && %(p)s::text[])", {"v": value, "p": self.principals}).scalar())

    def near(self, word: str, distance: int) -> list[str]:
        """Vocabulary words within distance edits, same first letter, most frequent first."""
        return [t for t in self.index.neighbours(self.conn, _WORDS, word, distance)
                if t != word][:5]


# -- rows and schema ---------------------------------------------------------------------------

_COLUMNS = ("id, principals, doctype, desa, year, klasifikasi, status, date, nomor, nik, no_kk,"
            " tsv, title_words, name_keys, words, title, excerpt, shown")
_RECORD = ("id text, principals text[], doctype text, desa text, year text, klasifikasi text,"
           " status text, date text, nomor text, nik text[], no_kk text[], title_text text,"
           " body_text text, names text, name_keys text[], words text[], title text,"
           " excerpt text, shown jsonb")


def _row(doc: IndexDoc) -> dict:
    """What one document is stored as, analysed in Python where the analysis is ours (name
    keys, vocabulary, identifiers) and left to the server where it is the server's (body)."""
    values = {key: sorted(v) for key, v in filter_values(doc).items()}
    keys = analysis.name_keys(" ".join(doc.names))
    one = lambda key: values.get(key, [""])[0]  # noqa: E731 - single-valued facets
    return {
        "id": _text(doc.id), "principals": sorted(map(_text, doc.principals)),
        "doctype": one("jenis"), "desa": one("desa"), "year": one("tahun"),
        "klasifikasi": one("klasifikasi"), "status": one("status"), "date": _text(doc.date),
        "nomor": one("nomor"), "nik": values.get("nik", []), "no_kk": values.get("kk", []),
        "title_text": _text(analysis.fold(doc.title)),
        "body_text": _text(analysis.fold(doc.text[:BODY_CHARS])),
        # first in the vector: positions stop at 16,383, and phrases of names need theirs
        "names": " ".join(f"{_name(k)}:{i}" for i, k in enumerate(keys[:16_000], 1)),
        "name_keys": sorted(set(keys)),
        "words": sorted(set(analysis.vocabulary(vocabulary_text(doc)))),
        "title": _text(doc.title), "excerpt": _text(doc.text[:SNIPPET_SOURCE_CHARS]),
        "shown": {key: _clean(value) for key, value in doc.display_fields().items()},
    }


def _shown(stored: dict) -> dict:
    """Display fields as given at indexing time (JSON turned the tuples into lists)."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in stored.items()}


def _clean(value: object) -> object:
    """A display value with its strings made storable (see ``_text``)."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, (tuple, list)):
        return [_clean(v) for v in value]
    return value


def _text(value: str) -> str:
    """A string PostgreSQL accepts: no NUL, no lone surrogates (OCR output has both)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _lexeme(term: str) -> str:
    """A quoted tsquery/tsvector lexeme, taken as is (no further normalisation)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _name(key: str) -> str:
    """A name key as its lexeme in the combined tsvector."""
    return _lexeme(_NAME_PREFIX + key)


def _any_name(keys: Sequence[str]) -> str:
    """A tsquery matching any of the name keys."""
    return "(" + " | ".join(map(_name, keys)) + ")"


def _tables(doc: str, term: str, meta: str) -> tuple[str, ...]:
    """CREATE statements for the three tables (indexes come after loading, see ``_indexes``)."""
    return (
        f"""CREATE TABLE {doc} (
            id text COLLATE "C" PRIMARY KEY, principals text[] NOT NULL,
            doctype text COLLATE "C" NOT NULL, desa text COLLATE "C" NOT NULL,
            year text COLLATE "C" NOT NULL, klasifikasi text COLLATE "C" NOT NULL,
            status text COLLATE "C" NOT NULL, date text COLLATE "C" NOT NULL,
            nomor text COLLATE "C" NOT NULL, nik text[] NOT NULL, no_kk text[] NOT NULL,
            tsv tsvector NOT NULL, title_words text[] NOT NULL,
            name_keys text[] NOT NULL, words text[] NOT NULL, title text NOT NULL,
            excerpt text NOT NULL, shown jsonb NOT NULL)""",
        f"""CREATE TABLE {term} (
            field text COLLATE "C" NOT NULL, term text COLLATE "C" NOT NULL, df integer NOT NULL,
            PRIMARY KEY (field, term))""",
        f"CREATE TABLE {meta} (key text PRIMARY KEY, value text NOT NULL)",
        f"INSERT INTO {meta} VALUES ('schema', '{SCHEMA_VERSION}'), ('config', '{CONFIG}')",
    )


def _indexes(doc: str, term: str) -> tuple[str, ...]:
    """Secondary indexes, named ``<table>_<column>_idx`` so a swap can rename them."""
    gin = ("principals", "tsv", "nik", "no_kk", "words")
    btree = ("nomor", "date", "desa", "doctype", "year")
    return (
        *(f"CREATE INDEX {doc}_{c}_idx ON {doc} USING gin ({c})" for c in gin),
        *(f"CREATE INDEX {doc}_{c}_idx ON {doc} ({c})" for c in btree),
        f"CREATE INDEX {term}_trgm_idx ON {term} USING gin (term gin_trgm_ops)",
    )


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _named_schema(url: str) -> str:
    """The first schema of the search_path the URL's connection options set (a kecamatan's
    URL, records.tenancy), or ""."""
    options = sqlalchemy.engine.make_url(url).query.get("options") or ""
    for part in " ".join([options] if isinstance(options, str) else options).replace("-c ", "-c").split():
        if part.startswith("-csearch_path="):
            return part.removeprefix("-csearch_path=").split(",")[0].strip()
    return ""


def _driver_url(url: str) -> str:
    """A SQLAlchemy URL on psycopg 3; refuses anything but PostgreSQL with a clear message."""
    parsed = sqlalchemy.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SearchError("SEARCH_BACKEND=postgres memerlukan DATABASE_URL PostgreSQL "
                          f"(sekarang {parsed.get_backend_name()}).")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
