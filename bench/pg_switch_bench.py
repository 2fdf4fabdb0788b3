"""What a connection pays when it moves between kecamatan (records/pg_pool.py).

Every kecamatan of a kabupaten process shares one pool; a connection last used by one
kecamatan is put in the next one's ``search_path`` (one ``set_config`` round trip), and
PostgreSQL re-parses the statements psycopg prepared under the old path. This measures it on a
throw-away database of 20 schemas with 8 small tables each: transactions of four joined
statements, once staying in one schema (the reference, same run) and once moving to the next
schema every transaction (the worst case of a shared pool). Wall time per transaction (median,
p95), the client's CPU time and the host's load average beside.

Then the pool itself (records.pg_pool, SQLAlchemy as the app uses it): THREADS threads, each
transaction in a kecamatan drawn at random, through a shared pool that prefers a connection
already in the kecamatan's schema (now) and through the same pool taking its newest idle
connection whatever its schema (before), each after an untimed warm-up of half as many
transactions; switches per transaction, wall time per transaction, the client's CPU and the
PostgreSQL server's CPU beside (its processes' /proc counters: the server must run on this
host, and everything it serves meanwhile is counted, so run it on a quiet server).

    python -m bench.pg_switch_bench [ADMIN_URL] [TRANSACTIONS]

ADMIN_URL defaults to LEMARI_TEST_PG_URL or the local server; the database
``lemari_switchbench`` is created and dropped.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
import types

import psycopg

SCHEMAS, TABLES, ROWS = 20, 8, 2000
STATEMENTS = [f"SELECT t{t}.nama, count(*) OVER () FROM t{t} JOIN t{(t + 1) % TABLES} u USING (id) "
              f"WHERE t{t}.desa = %s AND t{t}.id < %s" for t in range(4)]
DATABASE = "lemari_switchbench"
#: Request threads of the pooled run, and the pool sizes tried (connections per schema < 1 and > 1).
THREADS, POOL_SIZES = 6, (8, 32)


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


def run_pool(url: str, affinity: bool, pool_size: int, transactions: int) -> dict:
    """THREADS threads share one records.pg_pool engine; each transaction in a random schema."""
    from sqlalchemy.pool import QueuePool
    from sqlalchemy.util.queue import Queue

    from bench.queue_bench import tree_cpu_seconds
    from records import pg_pool
    from records.tenancy import tenant_url

    sa_url = _conninfo(url, DATABASE).replace("postgresql://", "postgresql+psycopg://")
    settings = {"DATABASE_POOL_SIZE": pool_size, "DATABASE_POOL_OVERFLOW": 0}
    engines = [pg_pool.engine_for(tenant_url(sa_url, f"k{s}"), settings) for s in range(SCHEMAS)]
    if not affinity:  # the pool before: SQLAlchemy's QueuePool, its newest idle connection
        pool = engines[0].pool
        pool._pool = Queue(pool_size, use_lifo=True)
        pool._do_get = types.MethodType(QueuePool._do_get, pool)
    rng = random.Random(7)

    def drive(count: int) -> list[float]:
        """`count` transactions over THREADS threads, each in a random schema; their times."""
        times: list[float] = []
        plan = [rng.randrange(SCHEMAS) for _ in range(count)]

        def work(mine: list[int]) -> None:
            for schema in mine:
                start = time.perf_counter()
                with engines[schema].begin() as conn:
                    for statement in STATEMENTS:
                        conn.exec_driver_sql(statement, ("d3", 500)).fetchall()
                times.append((time.perf_counter() - start) * 1000)

        threads = [threading.Thread(target=work, args=(plan[t::THREADS],)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return times

    drive(transactions // 2)  # untimed: each pool opens what it opens and prepares its statements
    server = _postmaster(url)
    switches, cpu, server_cpu = pg_pool.switches(), time.process_time(), tree_cpu_seconds(server)
    began = time.perf_counter()
    times = drive(transactions)
    wall = time.perf_counter() - began
    times.sort()
    result = {"median_ms": round(statistics.median(times), 3),
              "p95_ms": round(times[int(0.95 * len(times))], 3),
              "switches_per_transaction": round((pg_pool.switches() - switches) / transactions, 3),
              "transactions_per_s": round(transactions / wall),
              "client_cpu_s": round(time.process_time() - cpu, 2),
              "server_cpu_s": round(tree_cpu_seconds(server) - server_cpu, 2)}
    pg_pool.dispose_shared()
    return result


def _postmaster(url: str) -> int:
    with psycopg.connect(_conninfo(url, DATABASE)) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        with open(f"/proc/{backend}/stat") as stat:  # while the backend lives
            return int(stat.read().rsplit(")", 1)[1].split()[1])


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
            for round_ in (1, 2):
                for size in POOL_SIZES:
                    for affinity in (True, False):
                        name = "its schema's connection first" if affinity else "the newest idle connection"
                        print(f"round {round_}: pool of {size}, {THREADS} threads, {SCHEMAS} kecamatan, "
                              f"{name}: {run_pool(url, affinity, size, transactions)}")
            print(f"load average (1 min) {load:.2f} -> {os.getloadavg()[0]:.2f}; {transactions} "
                  f"transactions of {len(STATEMENTS)} statements each")
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main(sys.argv[1:])
