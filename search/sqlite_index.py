"""``SqliteSearchIndex``: SQLite FTS5 fed by our Indonesian analysis, in the records' own database.

The embedded default. The index is a handful of tables next to the records (``<prefix>_doc``,
``_tok``, ``_fts``, ``_combo``, ``_term``, ``_meta``), so it shares the database's journal: a
power cut leaves index and records as of the same committed transactions, and there are no
separate files to rebuild. It passes ``tests/contract/test_search_index.py`` like the others.

What SQLite sees is already analysed, never raw text: every column of the FTS5 table holds
space-separated tokens made by ``search.analysis`` and is split again by FTS5's ``ascii``
tokenizer, which only cuts at ASCII punctuation and spaces, so a token comes back exactly as
written. Columns:

- ``b`` body stems (Sastrawi, stopwords dropped) of title and text, in order, for phrases;
- ``n`` name keys (Muhammad/Muhamad/Moh. → one key), in order; one-letter typos are expanded
  through the name vocabulary (``_term``) and confirmed with the shared edit distance;
- ``i`` NIK and No. KK digits, and the letter number (hex-encoded: it holds punctuation);
- ``f`` filter tokens (``desa``, ``tahun``, ``jenis``, ``nik`` … as key + hex value);
- ``w`` readable words, for "did you mean" and completion limited to visible documents.

The FTS table is contentless; ``_tok`` keeps each row's tokens for FTS5's ``delete`` command.

Every document points at its combination (``_combo``) of jenis, desa, tahun, klasifikasi,
status and principals, of which an archive has a few hundred. The permission filter is
``combo IN (combinations sharing a principal with the caller)`` in the same statement as the
MATCH, so counts, facets and pages only ever see what the caller may see; facets are one
GROUP BY combo over the matches, and a browse without words is counted from the combinations'
document counts without reading a row. (A principal phrase inside the MATCH cost more than the
query itself: "office" is on every record, and FTS5 walks its whole posting list.)

Relevance: up to ``_SCORE_IN_PYTHON`` matches are scored like the in-memory reference
(identifiers above names above body words, exact names above typos, phrases a bonus), from
their stored tokens; more are ranked by FTS5's bm25 with the same column order of weights;
above ``RELEVANCE_LIMIT`` matches a search is ordered newest first and says so; above
``COUNT_LIMIT`` it stops counting (``Page.more``): the FTS5 postings are read backwards, so
the count, the facets and the pages are over the matches indexed last, at any archive size.

``rebuild`` fills ``<prefix>_build_*`` tables in batches and swaps them in by renaming inside
one transaction: an exception or a SIGKILL leaves the live tables as they were, and the
leftovers are dropped by the next rebuild. Writers serialise on SQLite's own write lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

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
    SearchError,
)
from search.highlight import SNIPPET_SOURCE_CHARS, snippet
from search.memory_index import (
    _EXACT_WEIGHT,
    _NAME_WEIGHT,
    _PHRASE_WEIGHT,
    _contains,
    _name_score,
)
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

# Bumped whenever what is stored changes; tables of another version read as damaged, and the
# app's self-repair rebuilds them.
SCHEMA_VERSION = "1"

# Seconds a writer waits for SQLite's write lock before ``IndexBusyError``.
BUSY_TIMEOUT = 10.0

# bm25 weights of the FTS columns b, n, i, f, p, w: identifiers beat names, names beat body words;
# filters, principals and the readable words only select.
_WEIGHTS = "1.0, 3.0, 10.0, 0.0, 0.0"
_COLUMNS = ("b", "n", "i", "f", "w")
# Most matches scored in Python from their tokens (bm25 must first walk the posting list of
# every term of the query, common ones included, to weigh it).
_SCORE_IN_PYTHON = 300
# Filters answered by the combination; the identifiers (nik, kk, nomor) go to the MATCH.
_COMBO_FILTERS = {"jenis": 0, "desa": 1, "tahun": 2, "klasifikasi": 3, "status": 4}
_BATCH = 2_000
_PROGRESS_EVERY = 500
_SUGGEST_RANK, _SUGGEST_MAX = 200, 50
# Vocabulary words a "did you mean" or a typo expansion looks at, most frequent first.
_NEAR_SCAN = 5_000
_WORDS, _NAMES = "w", "n"
_FACET_KEYS = ("jenis", "desa", "tahun", "klasifikasi", "status")


class SqliteSearchIndex:
    """``SearchIndex`` in tables of one SQLite database (the app's, normally). Each thread
    gets its own connection; the tables are created on first use."""

    def __init__(self, database: str | Path, *, prefix: str = "search_index",
                 busy_timeout: float = BUSY_TIMEOUT, count_limit: int = COUNT_LIMIT) -> None:
        if not prefix.isidentifier() or not prefix.islower():
            raise ValueError(f"table prefix must be a lower-case identifier: {prefix!r}")
        self.path = _database_path(database)
        self.prefix = prefix
        self.busy_timeout = busy_timeout
        self.count_limit = count_limit
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._ready = False
        self._combos: dict[int, _Combo] = {}
        self._stamp: tuple | None = None
        self._access: dict[int, frozenset[str]] = {}

    # -- the port --------------------------------------------------------------------------

    def add_or_update(self, docs: Iterable[IndexDoc]) -> None:
        """Index docs in one transaction, replacing earlier versions with the same id."""
        rows = {doc.id: _analysed(doc) for doc in docs}
        if not rows:
            return
        with self._writing() as db:
            tables = _Tables(self.prefix)
            frequencies: Counter = Counter()
            self._remove(db, tables, list(rows), frequencies)
            self._insert(db, tables, rows.values(), frequencies)
            self._count_terms(db, tables, frequencies)

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id in one transaction; unknown ids are ignored."""
        wanted = sorted(set(ids))
        if wanted:
            with self._writing() as db:
                tables = _Tables(self.prefix)
                frequencies: Counter = Counter()
                self._remove(db, tables, wanted, frequencies)
                self._count_terms(db, tables, frequencies)

    def search(self, query: Query) -> Page:
        """Run the query: the MATCH and the permission filter in one statement."""
        plan = plan_query(query)
        if not query.principals:
            return Page((), 0, {key: {} for key in FACET_KEYS}, None, plan.notes)
        with self._reading() as db:
            allowed = self._allowed(db, query.principals, plan.filters)
            match = _Match(self, db, plan).expression
            total, facets, sample = self._facets(db, match, allowed)
            notes = plan.notes
            scored = query.sort == "relevance" and not plan.is_empty
            if scored and total > RELEVANCE_LIMIT:
                scored, notes = False, (*notes, NOTE_NEWEST_FIRST)
            ranked: list[tuple[int, float]] = []
            if sample is not None:  # counting stopped at the limit: page within the sample
                scored, notes = False, (*plan.notes, NOTE_COUNT_LIMIT)
                ranked = [(rowid, 0.0) for rowid in
                          sample[query.offset : query.offset + query.page_size]]
            elif total > query.offset:
                ranked = self._ranked(db, plan, match, allowed.access, query, scored, total)
            hits = self._hits(db, plan, ranked, scored)
            suggestion = None
            if total < SUGGEST_BELOW:
                visible = self._allowed(db, query.principals, ())
                suggestion = did_you_mean(query.text, plan, _Vocabulary(self, db, visible.access))
        return Page(tuple(hits), total, facets, suggestion, notes, more=sample is not None)

    def suggest(self, prefix: str, limit: int = 10, *, principals: frozenset[str]) -> list[str]:
        """Most common words starting with prefix that occur in a document the principals see."""
        start = analysis.fold(prefix).strip().replace("\x00", "")
        limit = max(0, min(limit, _SUGGEST_MAX))
        if len(start) < 2 or not principals or not limit:
            return []
        with self._reading() as db:
            terms = [row[0] for row in db.execute(
                f"SELECT term FROM {self.prefix}_term WHERE field = ? AND term >= ? AND term < ?"
                f" ORDER BY df DESC, term LIMIT {_SUGGEST_RANK}",
                (_WORDS, start, start + "\U0010ffff"))]
            vocabulary = _Vocabulary(self, db, self._allowed(db, principals, ()).access)
            return [t for t in terms if vocabulary.has("words", [t])][:limit]

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Fill build tables from docs in batches, then swap them in in one transaction; until
        then searches (and other processes) use the old tables. Writes made to the old tables
        meanwhile are lost with them: the caller SHOULD replay its outbox."""
        build = _Tables(f"{self.prefix}_build")
        db = self._connection()
        with self._errors():
            self._drop(db, build)
            self._create(db, build)
            try:
                count = self._fill(db, build, docs, progress)
                with self._transaction(db):
                    self._swap(db, build)
            except BaseException:
                if db.in_transaction:
                    db.rollback()
                self._drop(db, build)
                raise
        self._ready = True
        if progress is not None:
            progress(count)
        return count

    def health(self) -> dict:
        """Whether the tables exist in this schema version, and how many documents they hold."""
        try:
            with self._reading() as db:
                count = db.execute(f"SELECT count(*) FROM {self.prefix}_doc").fetchone()[0]
                db.execute(f"SELECT rowid FROM {self.prefix}_fts WHERE {self.prefix}_fts MATCH"
                           " 'w:x' LIMIT 1").fetchall()
        except SearchError as exc:
            return {"ok": False, "doc_count": 0, "detail": str(exc)}
        return {"ok": True, "doc_count": count, "detail": f"sqlite fts5 {self.path.name}"}

    def clear(self) -> None:
        """Remove every document and the vocabulary."""
        with self._writing() as db:
            tables = _Tables(self.prefix)
            for table in (tables.doc, tables.tok, tables.term, tables.combo, tables.access):
                db.execute(f"DELETE FROM {table}")
            db.execute(f"INSERT INTO {tables.fts} ({tables.fts}) VALUES ('delete-all')")
            db.execute(f"UPDATE {tables.meta} SET value = ? WHERE key = 'generation'",
                       (uuid.uuid4().hex,))

    def ids(self) -> list[str]:
        """Every indexed id (for ``lemari doctor``'s drift check)."""
        with self._reading() as db:
            return [row[0] for row in db.execute(f"SELECT id FROM {self.prefix}_doc")]

    @contextmanager
    def joined(self, db: sqlite3.Connection) -> Iterator[bool]:
        """Make this thread's writes go through db, inside its owner's transaction (the
        outbox drain's session), so the index write and the deletion of the applied outbox
        rows commit or roll back together. Yields False, and changes nothing, when db is
        another database than the index's."""
        row = db.execute("PRAGMA database_list").fetchone()
        if not row or not row[2] or Path(row[2]).resolve() != self.path.resolve():
            yield False
            return
        self._local.joined = db
        try:
            yield True
        finally:
            self._local.joined = None

    def close(self) -> None:
        """Close every thread's connection (a later call reconnects)."""
        with self._guard:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # -- connections, transactions, errors --------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened in autocommit mode (we BEGIN ourselves)."""
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA temp_store = MEMORY")
            self._local.db = db
            with self._guard:
                self._connections.append(db)
        return db

    @contextmanager
    def _transaction(self, db: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[None]:
        db.execute(f"BEGIN {mode}")
        try:
            yield
        except BaseException:
            db.rollback()
            raise
        db.commit()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read snapshot over checked tables."""
        with self._errors():
            self._ensure_schema()
            db = self._connection()
            with self._transaction(db, "DEFERRED"):
                self._check_version(db)
                yield db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``IndexBusyError`` after ``busy_timeout``), or the joined
        connection's transaction (see ``joined``), which its owner commits."""
        with self._errors():
            self._ensure_schema()
            joined = getattr(self._local, "joined", None)
            if joined is not None:
                self._check_version(joined)
                yield joined
                return
            db = self._connection()
            with self._transaction(db):
                self._check_version(db)
                yield db

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite failures as the port's errors: missing tables or a damaged file are damage
        (the app rebuilds), a held lock a busy index."""
        try:
            yield
        except SearchError:
            raise
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if "locked" in message or "busy" in message:
                raise IndexBusyError("Indeks pencarian sedang dipakai proses lain; coba lagi "
                                     "sebentar lagi.") from exc
            if "no such" in message or "fts5" in message:
                self._ready = False
                raise IndexCorruptError(f"Indeks pencarian rusak: {message}.") from exc
            raise SearchError(f"Pencarian gagal: {message}") from exc
        except sqlite3.DatabaseError as exc:
            self._ready = False
            raise IndexCorruptError(f"Indeks pencarian rusak: {exc}.") from exc

    # -- schema ------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        """Create empty tables once per process, if they are missing."""
        if self._ready:
            return
        db = self._connection()
        tables = _Tables(self.prefix)
        with self._transaction(db):
            exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                (tables.meta,)).fetchone()
            if not exists:
                self._create(db, tables, in_transaction=True)
        self._ready = True

    def _create(self, db: sqlite3.Connection, tables: _Tables, *,
                in_transaction: bool = False) -> None:
        """The six tables and their indexes (index names carry a random tag, so a swapped-in
        build never collides with the names of the next build)."""
        tag = uuid.uuid4().hex[:8]
        statements = (
            f"""CREATE TABLE {tables.doc} (rowid INTEGER PRIMARY KEY, combo INTEGER NOT NULL,
                access INTEGER NOT NULL,
                date TEXT NOT NULL, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
                excerpt TEXT NOT NULL, shown TEXT NOT NULL)""",
            f"CREATE INDEX {tables.doc}_date_{tag} ON {tables.doc} (date)",
            f"""CREATE TABLE {tables.tok} (rowid INTEGER PRIMARY KEY, b TEXT, n TEXT, i TEXT,
                f TEXT, w TEXT)""",
            f"""CREATE VIRTUAL TABLE {tables.fts} USING fts5({', '.join(_COLUMNS)},
                content='', tokenize='ascii')""",
            f"""CREATE TABLE {tables.combo} (id INTEGER PRIMARY KEY, jenis TEXT NOT NULL,
                desa TEXT NOT NULL, tahun TEXT NOT NULL, klasifikasi TEXT NOT NULL,
                status TEXT NOT NULL, principals TEXT NOT NULL, docs INTEGER NOT NULL,
                UNIQUE (jenis, desa, tahun, klasifikasi, status, principals))""",
            f"""CREATE TABLE {tables.term} (field TEXT NOT NULL, term TEXT NOT NULL,
                lead TEXT NOT NULL, size INTEGER NOT NULL, df INTEGER NOT NULL,
                PRIMARY KEY (field, term)) WITHOUT ROWID""",
            f"CREATE INDEX {tables.term}_near_{tag} ON {tables.term} (field, lead, size, df)",
            f"""CREATE TABLE {tables.access} (id INTEGER PRIMARY KEY,
                principals TEXT NOT NULL UNIQUE)""",
            f"CREATE TABLE {tables.meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            f"INSERT INTO {tables.meta} VALUES ('schema', '{SCHEMA_VERSION}'),"
            f" ('generation', '{uuid.uuid4().hex}')",
        )
        if in_transaction:
            for statement in statements:
                db.execute(statement)
            return
        with self._transaction(db):
            for statement in statements:
                db.execute(statement)

    def _drop(self, db: sqlite3.Connection, tables: _Tables) -> None:
        """Drop a set of tables if present (leftovers of a crashed rebuild)."""
        with self._transaction(db):
            for table in tables.all():
                db.execute(f"DROP TABLE IF EXISTS {table}")

    def _check_version(self, db: sqlite3.Connection) -> None:
        """Tables of another schema version are treated as damaged."""
        row = db.execute(f"SELECT value FROM {self.prefix}_meta WHERE key = 'schema'").fetchone()
        found = row[0] if row else None
        if found != SCHEMA_VERSION:
            raise IndexCorruptError(f"Indeks pencarian rusak atau dari versi lain (skema "
                                    f"{found!r}, diharapkan {SCHEMA_VERSION}); bangun ulang.")

    def _swap(self, db: sqlite3.Connection, build: _Tables) -> None:
        """Replace the live tables with the freshly built ones (inside the caller's
        transaction)."""
        live = _Tables(self.prefix)
        for table in live.all():
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for old, new in zip(build.all(), live.all(), strict=True):
            db.execute(f"ALTER TABLE {old} RENAME TO {new}")

    # -- writing -----------------------------------------------------------------------------

    def _remove(self, db: sqlite3.Connection, tables: _Tables, ids: list[str],
                frequencies: Counter) -> None:
        """Delete documents by id, taking their tokens out of FTS5 and the vocabulary."""
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            found = db.execute(
                f"SELECT t.rowid, {', '.join('t.' + c for c in _COLUMNS)}, d.combo"
                f" FROM {tables.doc} d JOIN {tables.tok} t ON t.rowid = d.rowid"
                f" WHERE d.id IN ({marks})", chunk).fetchall()
            if not found:
                continue
            db.executemany(f"INSERT INTO {tables.fts} ({tables.fts}, rowid, {', '.join(_COLUMNS)})"
                           f" VALUES ('delete', ?, ?, ?, ?, ?, ?)", [row[:-1] for row in found])
            db.executemany(f"UPDATE {tables.combo} SET docs = docs - 1 WHERE id = ?",
                           [(row[-1],) for row in found])
            rowids = [(row[0],) for row in found]
            db.executemany(f"DELETE FROM {tables.doc} WHERE rowid = ?", rowids)
            db.executemany(f"DELETE FROM {tables.tok} WHERE rowid = ?", rowids)
            for row in found:
                frequencies.subtract(_terms_of(row[2], row[5]))

    def _insert(self, db: sqlite3.Connection, tables: _Tables, rows: Iterable[_Row],
                frequencies: Counter) -> None:
        """Insert analysed rows (their ids must not be present)."""
        combos = self._combo_ids(db, tables)
        access = {row[1]: row[0] for row in db.execute(f"SELECT id, principals FROM {tables.access}")}
        docs, toks, added = [], [], Counter[int]()
        for row in rows:
            if row.combo not in combos:
                combos[row.combo] = _inserted(db.execute(
                    f"INSERT INTO {tables.combo} (jenis, desa, tahun, klasifikasi, status,"
                    f" principals, docs) VALUES (?, ?, ?, ?, ?, ?, 0)", row.combo))
            combo = combos[row.combo]
            principals = row.combo[-1]
            if principals not in access:
                access[principals] = _inserted(db.execute(
                    f"INSERT INTO {tables.access} (principals) VALUES (?)", (principals,)))
            docs.append((combo, access[principals], *row.doc))
            toks.append(row.tokens)
            added[combo] += 1
            frequencies.update(_terms_of(row.tokens[1], row.tokens[4]))
        db.executemany(f"UPDATE {tables.combo} SET docs = docs + ? WHERE id = ?",
                       [(n, combo) for combo, n in added.items()])
        first = db.execute(f"SELECT coalesce(max(rowid), 0) + 1 FROM {tables.doc}").fetchone()[0]
        numbered = range(first, first + len(docs))
        db.executemany(f"INSERT INTO {tables.doc} (rowid, combo, access, date, id, title, excerpt,"
                       f" shown) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [(n, *doc) for n, doc in zip(numbered, docs, strict=True)])
        values = [(n, *tok) for n, tok in zip(numbered, toks, strict=True)]
        db.executemany(f"INSERT INTO {tables.tok} (rowid, {', '.join(_COLUMNS)})"
                       f" VALUES (?, ?, ?, ?, ?, ?)", values)
        db.executemany(f"INSERT INTO {tables.fts} (rowid, {', '.join(_COLUMNS)})"
                       f" VALUES (?, ?, ?, ?, ?, ?)", values)

    @staticmethod
    def _combo_ids(db: sqlite3.Connection, tables: _Tables) -> dict[tuple, int]:
        """Facet combination → id, as stored."""
        return {tuple(row[1:]): row[0] for row in db.execute(
            f"SELECT id, jenis, desa, tahun, klasifikasi, status, principals"
            f" FROM {tables.combo}")}

    @staticmethod
    def _count_terms(db: sqlite3.Connection, tables: _Tables, frequencies: Counter) -> None:
        """Apply document-frequency changes to the vocabulary; terms no document holds go."""
        changes = [(field, term, term[:1], len(term), delta)
                   for (field, term), delta in frequencies.items() if delta]
        db.executemany(
            f"INSERT INTO {tables.term} (field, term, lead, size, df) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (field, term) DO UPDATE SET df = df + excluded.df", changes)
        if any(delta < 0 for *_, delta in changes):
            db.execute(f"DELETE FROM {tables.term} WHERE df <= 0")

    def _fill(self, db: sqlite3.Connection, tables: _Tables, docs: Iterable[IndexDoc],
              progress: Callable[[int], None] | None) -> int:
        """Insert docs into the build tables, a batch per transaction; a repeated id replaces
        the earlier one, as in ``add_or_update``."""
        frequencies: Counter = Counter()
        batch: dict[str, _Row] = {}
        count = 0

        def flush() -> None:
            with self._transaction(db):
                self._remove(db, tables, list(batch), frequencies)
                self._insert(db, tables, batch.values(), frequencies)
            batch.clear()

        for doc in docs:
            batch[doc.id] = _analysed(doc)
            count += 1
            if len(batch) >= _BATCH:
                flush()
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(count)
        if batch:
            flush()
        with self._transaction(db):
            self._count_terms(db, tables, frequencies)
            count = db.execute(f"SELECT count(*) FROM {tables.doc}").fetchone()[0]
            db.execute(f"INSERT INTO {tables.fts} ({tables.fts}) VALUES ('optimize')")
        return count

    # -- searching ---------------------------------------------------------------------------

    def _allowed(self, db: sqlite3.Connection, principals: frozenset[str],
                 filters: Sequence[tuple[str, str]]) -> _Visible:
        """The principal sets and the combinations the caller may see (the latter passing
        the facet filters); read again only when another writer has added one."""
        stamp = db.execute(
            f"SELECT (SELECT value FROM {self.prefix}_meta WHERE key = 'generation'),"
            f" (SELECT max(id) FROM {self.prefix}_combo)").fetchone()
        if stamp != self._stamp:  # ids are only ever added within one generation of tables
            self._combos = {row[0]: _Combo(row) for row in db.execute(
                f"SELECT id, jenis, desa, tahun, klasifikasi, status, principals"
                f" FROM {self.prefix}_combo")}
            self._access = {row[0]: frozenset(row[1].split(",")) for row in db.execute(
                f"SELECT id, principals FROM {self.prefix}_access")}
            self._stamp = stamp
        wanted = [(_COMBO_FILTERS[key], value) for key, value in filters if key in _COMBO_FILTERS]
        access = ",".join(str(i) for i, found in self._access.items() if found & principals)
        return _Visible(access or "NULL", lambda: {
            combo_id: combo for combo_id, combo in self._combos.items()
            if combo.principals & principals
            and all(combo.values[i] == value for i, value in wanted)})

    def _facets(self, db: sqlite3.Connection, match: str,
                allowed: _Visible) -> tuple[int, dict, list[int] | None]:
        """Total and facet counts over the visible matches, and None; or, above
        ``count_limit`` matches, over the ``count_limit`` indexed last (FTS5 reads its
        postings backwards and stops there) and those rows newest first.

        Without a MATCH the combinations' own document counts answer without reading a row."""
        tables = _Tables(self.prefix)
        sample: list[int] | None = None
        if match:
            rows = db.execute(
                f"SELECT d.rowid, d.combo, d.date, d.id FROM {tables.fts} CROSS JOIN {tables.doc} d"
                f" ON d.rowid = {tables.fts}.rowid WHERE {tables.fts} MATCH ?"
                f" AND d.access IN ({allowed.access}) ORDER BY {tables.fts}.rowid DESC LIMIT ?",
                (match, self.count_limit + 1)).fetchall()
            if len(rows) > self.count_limit:
                del rows[self.count_limit:]
                rows.sort(key=lambda row: row[3])  # date DESC, id: as _ranked's newest first
                rows.sort(key=lambda row: row[2], reverse=True)
                sample = [row[0] for row in rows]
            counts = list(Counter(row[1] for row in rows).items())
        else:
            combos = allowed.combos()
            counts = [(combo, number) for combo, number in db.execute(
                f"SELECT id, docs FROM {tables.combo} WHERE docs > 0") if combo in combos]
        facets: dict[str, Counter] = {key: Counter() for key in _FACET_KEYS}
        total = 0
        for combo, number in counts:
            total += number
            for key, value in zip(_FACET_KEYS, self._combos[combo].values, strict=True):
                facets[key][value] += number
        return total, {key: facet_order(facets.get(key, Counter())) for key in FACET_KEYS}, sample

    def _ranked(self, db: sqlite3.Connection, plan: QueryPlan, match: str,
                access: str, query: Query, scored: bool,
                total: int) -> list[tuple[int, float]]:
        """(rowid, score) of the page: scored, then newest; or newest first."""
        tables = _Tables(self.prefix)
        visible = f"d.access IN ({access})"
        if not match:
            return db.execute(
                f"SELECT d.rowid, 0.0 FROM {tables.doc} d WHERE {visible}"
                f" ORDER BY d.date DESC, d.id LIMIT ? OFFSET ?",
                (query.page_size, query.offset)).fetchall()
        if scored and total <= _SCORE_IN_PYTHON:
            rows = db.execute(
                f"SELECT d.rowid, d.date, d.id, t.b, t.n, t.i FROM {tables.fts}"
                f" CROSS JOIN {tables.doc} d ON d.rowid = {tables.fts}.rowid"
                f" JOIN {tables.tok} t ON t.rowid = d.rowid"
                f" WHERE {tables.fts} MATCH ? AND {visible}", (match,)).fetchall()
            ranked = [(_score(plan, b, n, i), date, doc_id, rowid)
                      for rowid, date, doc_id, b, n, i in rows]
            ranked.sort(key=lambda item: item[2])  # stable sorts, as the reference does
            ranked.sort(key=lambda item: item[1], reverse=True)
            ranked.sort(key=lambda item: item[0], reverse=True)
            page = ranked[query.offset : query.offset + query.page_size]
            return [(rowid, score) for score, _, _, rowid in page]
        score = f"bm25({tables.fts}, {_WEIGHTS})" if scored else "0.0"
        order = "score, d.date DESC, d.id" if scored else "d.date DESC, d.id"
        rows = db.execute(
            f"SELECT d.rowid, {score} AS score FROM {tables.fts} CROSS JOIN {tables.doc} d"
            f" ON d.rowid = {tables.fts}.rowid WHERE {tables.fts} MATCH ? AND {visible}"
            f" ORDER BY {order} LIMIT ? OFFSET ?",
            (match, query.page_size, query.offset)).fetchall()
        return [(rowid, -score) for rowid, score in rows]

    def _hits(self, db: sqlite3.Connection, plan: QueryPlan, ranked, scored: bool) -> list[Hit]:
        """Stored fields and snippets for the page, in rank order."""
        if not ranked:
            return []
        marks = ",".join("?" * len(ranked))
        stored = {row[0]: row[1:] for row in db.execute(
            f"SELECT rowid, id, title, excerpt, shown FROM {self.prefix}_doc"
            f" WHERE rowid IN ({marks})", [rowid for rowid, _ in ranked])}
        stems, names = plan.highlight_terms()
        hits = []
        for rowid, score in ranked:
            doc_id, title, excerpt, shown = stored[rowid]
            hits.append(Hit(id=doc_id, score=float(score) if scored else 0.0, title=title,
                            snippet=snippet(excerpt, stems, names), fields=_shown(shown)))
        return hits

    def neighbours(self, db: sqlite3.Connection, field: str, word: str,
                   distance: int) -> list[str]:
        """Vocabulary terms within distance edits of word sharing its first letter, most
        frequent first (a bounded scan of terms with a close length)."""
        candidates = db.execute(
            f"SELECT term FROM {self.prefix}_term WHERE field = ? AND lead = ?"
            f" AND size BETWEEN ? AND ? ORDER BY df DESC, term LIMIT {_NEAR_SCAN}",
            (field, word[:analysis.FUZZY_PREFIX], len(word) - distance, len(word) + distance))
        return [t for (t,) in candidates if analysis.within_edits(word, t, distance)]

    def fuzzy_keys(self, db: sqlite3.Connection, key: str, loose: str = "") -> list[str]:
        """Name keys in the vocabulary within one edit of key, or of its loose form (same
        first letter)."""
        found: dict[str, None] = {}
        for typed in dict.fromkeys(t for t in (key, loose) if t):
            if len(typed) >= analysis.FUZZY_MIN_LENGTH:
                found.update(dict.fromkeys(self.neighbours(db, _NAMES, typed, 1)))
        return [t for t in found if t != key and analysis.fuzzy_match(key, t, loose)]


class _Match:
    """The FTS5 MATCH expression of a plan for one caller."""

    def __init__(self, index: SqliteSearchIndex, db: sqlite3.Connection, plan: QueryPlan) -> None:
        parts = [_any("f", [_filter_token(k, v)]) for k, v in plan.filters]
        parts += [self._word(index, db, word) for word in plan.words]
        parts += [self._phrase(phrase) for phrase in plan.phrases]
        self.expression = " AND ".join(parts)

    @staticmethod
    def _word(index: SqliteSearchIndex, db: sqlite3.Connection, word: WordClause) -> str:
        """One word: all its stems in the body, or all its name keys (typos included) in the
        names, or an identifier."""
        options = []
        if word.stems:
            options.append(_all("b", word.stems))
        if word.names:
            options.append("(" + " AND ".join(
                _any("n", [key, *index.fuzzy_keys(db, key, word.typed(i))])
                for i, key in enumerate(word.names)) + ")")
        if word.digits:
            options.append(_any("i", [word.digits]))
        if word.exact:
            options.append(_any("i", [_encoded("x", word.exact)]))
        return "(" + " OR ".join(options) + ")"

    @staticmethod
    def _phrase(phrase: PhraseClause) -> str:
        """A phrase in order, in the body or in the names."""
        options = []
        if phrase.stems:
            options.append(f"b : {_quoted(' '.join(phrase.stems))}")
        if phrase.names:
            options.append(f"n : {_quoted(' '.join(phrase.names))}")
        return "(" + " OR ".join(options) + ")"


class _Vocabulary:
    """``spelling.Vocabulary`` over the index, for one caller with at least one principal."""

    def __init__(self, index: SqliteSearchIndex, db: sqlite3.Connection,
                 access: str) -> None:
        self.index, self.db, self.allowed = index, db, access

    def has(self, field: str, terms: Sequence[str]) -> bool:
        """Whether a visible document holds every term; stops at the first one found."""
        column = {"words": "w", "body": "b", "names": "n"}[field]
        tables = _Tables(self.index.prefix)
        return self.db.execute(
            f"SELECT 1 FROM {tables.fts} CROSS JOIN {tables.doc} d ON d.rowid = {tables.fts}.rowid"
            f" WHERE {tables.fts} MATCH ? AND d.access IN ({self.allowed}) LIMIT 1",
            (_all(column, terms),)).fetchone() is not None

    def near(self, word: str, distance: int) -> list[str]:
        """Vocabulary words within distance edits, same first letter, most frequent first."""
        return [t for t in self.index.neighbours(self.db, _WORDS, word, distance)
                if t != word][:5]


# -- rows -----------------------------------------------------------------------------------------

class _Tables:
    """The names of one set of index tables."""

    def __init__(self, prefix: str) -> None:
        self.doc, self.tok, self.fts = f"{prefix}_doc", f"{prefix}_tok", f"{prefix}_fts"
        self.combo, self.term, self.meta = f"{prefix}_combo", f"{prefix}_term", f"{prefix}_meta"
        self.access = f"{prefix}_access"

    def all(self) -> tuple[str, ...]:
        return (self.doc, self.tok, self.fts, self.combo, self.access, self.term, self.meta)


class _Row:
    """One document analysed: its stored fields, facet combination and FTS tokens."""

    __slots__ = ("combo", "doc", "tokens")

    def __init__(self, combo: tuple, doc: tuple, tokens: tuple) -> None:
        self.combo, self.doc, self.tokens = combo, doc, tokens


def _analysed(doc: IndexDoc) -> _Row:
    """Everything stored for doc, analysed by ``search.analysis``."""
    values = filter_values(doc)
    one = lambda key: min(values.get(key, {""}))  # noqa: E731 - single-valued facets
    filters = [_filter_token(key, value) for key, found in values.items() for value in found]
    identifiers = [*values.get("nik", ()), *values.get("kk", ())]
    identifiers += [_encoded("x", value) for value in values.get("nomor", ())]
    tokens = (
        " ".join(analysis.body_terms(body_text(doc))),
        " ".join(analysis.name_keys(" ".join(doc.names))),
        " ".join(identifiers),
        " ".join(filters),
        " ".join(dict.fromkeys(analysis.vocabulary(vocabulary_text(doc)))),
    )
    shown = json.dumps(doc.display_fields(), ensure_ascii=False)
    stored = (doc.date, doc.id, doc.title, doc.text[:SNIPPET_SOURCE_CHARS], shown)
    combo = (*(one(key) for key in _FACET_KEYS), ",".join(sorted(doc.principals)))
    return _Row(combo, stored, tokens)


class _Combo:
    """A stored combination: facet values in ``_FACET_KEYS`` order and principals."""

    __slots__ = ("principals", "values")

    def __init__(self, row: Sequence) -> None:
        self.values = tuple(row[1:6])
        self.principals = frozenset(row[6].split(","))


class _Visible:
    """What one caller may see: principal-set ids as an SQL list (integers, so no
    parameters are needed) and, on demand, the visible combinations passing the filters."""

    __slots__ = ("access", "combos")

    def __init__(self, access: str, combos: Callable[[], dict[int, _Combo]]) -> None:
        self.access, self.combos = access, combos


def _score(plan: QueryPlan, body: str, names: str, identifiers: str) -> float:
    """The in-memory reference's relevance (``search.memory_index``) from stored tokens."""
    body_terms, name_keys, idents = body.split(), tuple(names.split()), set(identifiers.split())
    total = 0.0
    for clause in plan.clauses:
        if isinstance(clause, WordClause):
            score = 0.0
            if clause.digits and clause.digits in idents:
                score += _EXACT_WEIGHT
            if clause.exact and _encoded("x", clause.exact) in idents:
                score += _EXACT_WEIGHT
            if clause.stems and all(s in body_terms for s in clause.stems):
                score += sum(body_terms.count(s) for s in clause.stems)
            named = _name_score(clause.names, name_keys, clause.loose)
            if named:
                # the share of the document's name words the query names: "Nor Saidah" puts
                # NOR SAIDAH before NOR HASANAH SAIDAH (bm25's length normalisation does the
                # same for larger result sets); +12 points of name recall at 100k
                named += _NAME_WEIGHT * len(clause.names) / len(name_keys)
            score += named
        else:
            found = (_contains(tuple(body_terms), clause.stems)
                     or _contains(name_keys, clause.names))
            score = _PHRASE_WEIGHT if found else 0.0
        total += score
    return total


def _terms_of(names: str, words: str) -> Iterator[tuple[str, str]]:
    """(field, term) of a document's distinct name keys and readable words."""
    yield from ((_NAMES, key) for key in set(names.split()))
    yield from ((_WORDS, word) for word in words.split())


def _shown(stored: str) -> dict:
    """Display fields as given at indexing time (JSON turned the tuples into lists)."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in json.loads(stored).items()}


def _encoded(kind: str, value: str) -> str:
    """A value with punctuation as one token: kind letter(s) then its UTF-8 in hex."""
    return kind + value.encode("utf-8").hex()


def _filter_token(key: str, value: str) -> str:
    """The token of a filter value (no filter key holds an "x")."""
    return _encoded(key + "x", value)


def _quoted(text: str) -> str:
    """An FTS5 string (a phrase when it holds several tokens)."""
    return '"' + text.replace('"', '""') + '"'


def _any(column: str, terms: Sequence[str]) -> str:
    """Any of terms in column."""
    return f"{column} : (" + " OR ".join(map(_quoted, terms)) + ")"


def _all(column: str, terms: Sequence[str]) -> str:
    """Every one of terms in column."""
    return f"{column} : (" + " AND ".join(map(_quoted, terms)) + ")"


def _inserted(cursor: sqlite3.Cursor) -> int:
    """The rowid an INSERT gave its row."""
    assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
    return cursor.lastrowid


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _database_path(database: str | Path) -> Path:
    """A filesystem path from a path or a ``sqlite:///`` URL; anything else is refused."""
    text = str(database)
    if "://" not in text:
        return Path(text)
    if not text.startswith("sqlite"):
        raise SearchError("SEARCH_BACKEND=sqlite memerlukan basis data SQLite (DATABASE_URL "
                          f"sekarang {text.split(':', 1)[0]}); pakai SEARCH_BACKEND=postgres.")
    path = text.split("://", 1)[1]
    if path.startswith("/"):
        path = path[1:]
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        raise SearchError("Indeks pencarian SQLite memerlukan berkas basis data, bukan :memory:.")
    return Path(path)
