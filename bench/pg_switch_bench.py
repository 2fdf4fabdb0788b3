"""What a connection pays when it moves between kecamatan (records/pg_pool.py).

Every kecamatan of a kabupaten process shares one pool; a connection last used by one
kecamatan is put in the next one's ``search_path`` (one ``set_config`` round trip), and
PostgreSQL re-parses the statements psycopg prepared under the old path. This measures it on a
throw-away database of 20 schemas with 8 small tables each: transactions of four joined
statements, once staying in one schema (the reference, same run) and once moving to the next
schema every transaction (the worst case of a shared pool). Wall time per transaction (median,
p95), the client's CPU time and the host's load average beside.

    python -m bench.pg_switch_bench [ADMIN_URL] [TRANSACTIONS]

ADMIN_URL defaults to LEMARI_TEST_PG_URL or the local server; the database
``lemari_switchbench`` is created and dropped.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import psycopg

SCHEMAS, TABLES, ROWS = 20, 8, 2000
STATEMENTS = [f"SELECT t{t}.nama, count(*) OVER () FROM t{t} JOIN t{(t + 1) % TABLES} u USING (id) "
              f"WHERE t{t}.desa = %s AND t{t}.id < %s" for t in range(4)]
DATABASE = "lemari_switchbench"


def _conninfo(url: str, database: str) -> str:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return plain.rsplit("/", 1)[0] + "/" + database


def _build(admin: psycopg.Connection, url: str) -> None:
    admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(_conninfo(url, DATABASE), autocommit=True) as conn:
        for s in range(SCHEMAS):
            conn.execute(f"CREATE SCHEMA k{s}")
            for t in range(TABLES):
                conn.execute(f"CREATE TABLE k{s}.t{t} (id int PRIMARY KEY, nama text, desa text)")
                conn.execute(f"INSERT INTO k{s}.t{t} SELECT g, 'nama' || g, 'd' || (g % 11) "
                             f"FROM generate_series(1, {ROWS}) g")
                conn.execute(f"CREATE INDEX ON k{s}.t{t} (desa)")
            conn.execute("ANALYZE")


def _put_in(conn: psycopg.Connection, schema: int) -> None:
    """As records.pg_pool does: a session-level set_config in autocommit."""
    conn.autocommit = True
    conn.execute("SELECT pg_catalog.set_config('search_path', %s, false)", (f"k{schema},public",))
    conn.autocommit = False


def run(url: str, switch: bool, transactions: int) -> dict:
    """One connection, `transactions` transactions; moving schema every time when `switch`."""
    with psycopg.connect(_conninfo(url, DATABASE)) as conn:
        _put_in(conn, 0)
        times, current = [], 0
        cpu = time.process_time()
        for i in range(transactions):
            start = time.perf_counter()
            if switch and i % SCHEMAS != current:
                current = i % SCHEMAS
                _put_in(conn, current)
            with conn.transaction():
                for statement in STATEMENTS:
                    conn.execute(statement, ("d3", 500)).fetchall()
            times.append((time.perf_counter() - start) * 1000)
        cpu = time.process_time() - cpu
    times.sort()
    return {"median_ms": round(statistics.median(times), 3),
            "p95_ms": round(times[int(0.95 * len(times))], 3), "client_cpu_s": round(cpu, 2)}


def main(argv: list[str]) -> None:
    url = argv[0] if argv else os.environ.get("LEMARI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    transactions = int(argv[1]) if len(argv) > 1 else 3000
    with psycopg.connect(_conninfo(url, "postgres"), autocommit=True) as admin:
        _build(admin, url)
        try:
            load = os.getloadavg()[0]
            for round_ in (1, 2):
                print(f"round {round_}: one schema (reference) {run(url, False, transactions)}")
                print(f"round {round_}: a new schema every transaction {run(url, True, transactions)}")
            print(f"load average (1 min) {load:.2f} -> {os.getloadavg()[0]:.2f}; {transactions} "
                  f"transactions of {len(STATEMENTS)} statements each")
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main(sys.argv[1:])
