"""Searches read on a real PostgreSQL streaming replica while it is fresh, and on the primary
otherwise (records/replica.py; issue 19: "reads that tolerate lag may go to a streaming
replica"). A primary and a hot standby made by pg_basebackup run as throwaway clusters."""

from __future__ import annotations

import time

import psycopg
import pytest
from throwaway_servers import free_port, pg_cluster

from records import replica as replicas
from search import IndexDoc, Query
from search.pg_index import PgSearchIndex

pytestmark = [pytest.mark.slow]

OFFICE = frozenset({"office"})


@pytest.fixture(scope="module")
def primary_and_standby():
    """(primary URL, standby URL, cluster, standby data folder)."""
    for cluster in pg_cluster("lemari-replica-"):
        primary, standby = cluster.base / "primary", cluster.base / "standby"
        p1, p2 = free_port(), free_port()
        cluster.init(primary, p1)
        cluster.start(primary)
        with psycopg.connect(host="127.0.0.1", port=p1, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE lemari")
        with psycopg.connect(host="127.0.0.1", port=p1, user="postgres", dbname="lemari",
                             autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_trgm")
        cluster.run("pg_basebackup", "-D", str(standby), "-h", "127.0.0.1", "-p", str(p1),
                    "-U", "postgres", "-R", "-X", "stream", "-c", "fast")
        with open(standby / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {p2}\n")
        cluster.start(standby)
        try:
            yield (f"postgresql+psycopg://postgres@127.0.0.1:{p1}/lemari",
                   f"postgresql+psycopg://postgres@127.0.0.1:{p2}/lemari", cluster, standby)
        finally:
            replicas.close_watches()


def _doc(doc_id: str, word: str) -> IndexDoc:
    return IndexDoc(id=doc_id, doctype="surat_masuk", title=f"Surat {word}", text=f"Perihal {word}.",
                    desa_code="64.02.08.2004", year=2026, klasifikasi="005", status="selesai",
                    date="2026-12-01", principals=OFFICE)


def _found(index: PgSearchIndex, word: str) -> bool:
    return bool(index.search(Query(text=word, principals=OFFICE)).hits)


def _until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.2)


def _standby(url: str, statement: str) -> None:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement)


def test_a_kecamatan_reads_its_own_schema_on_the_replica(primary_and_standby):
    """The kecamatan's search_path goes with it to the replica (records.tenancy URLs)."""
    from records.tenancy import tenant_url

    primary, standby_url, _cluster, _standby_data = primary_and_standby
    with psycopg.connect(primary.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA kec_a")
        conn.execute("CREATE SCHEMA kec_b")
    indexes = {}
    for schema, word in (("kec_a", "jembatan"), ("kec_b", "sekolah")):
        url = tenant_url(primary, schema)
        replica = replicas.read_replica({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_REPLICA_URL": standby_url,
                                         "REPLICA_MAX_LAG_SECONDS": 60})
        indexes[schema] = index = PgSearchIndex(url, replica=replica)
        index.add_or_update([_doc(f"{schema}-1", word)])
    try:
        _until(replica.watch.look)
        assert replica.fresh() is not None
        assert _found(indexes["kec_a"], "jembatan") and not _found(indexes["kec_a"], "sekolah")
        assert _found(indexes["kec_b"], "sekolah") and not _found(indexes["kec_b"], "jembatan")
    finally:
        for index in indexes.values():
            index.close()


def test_searches_read_on_the_replica_within_the_lag_and_on_the_primary_beyond_it(primary_and_standby):
    """Last in the module: it stops the standby, then promotes it."""
    primary, standby_url, cluster, standby = primary_and_standby
    replica = replicas.read_replica({"SQLALCHEMY_DATABASE_URI": primary, "DATABASE_REPLICA_URL": standby_url,
                                     "REPLICA_MAX_LAG_SECONDS": 60})
    index = PgSearchIndex(primary, replica=replica)
    try:
        index.add_or_update([_doc("satu", "banjir")])
        _until(replica.watch.look)  # the standby has replayed the index
        assert _found(index, "banjir")
        assert "replika baca: segar" in index.health()["detail"]

        # replay paused: a letter indexed now is on the primary only, and within the lag
        # allowed the search is read on the replica, which does not have it yet
        _standby(standby_url, "SELECT pg_wal_replay_pause()")
        index.add_or_update([_doc("dua", "longsor")])
        assert replica.watch.look() and replica.fresh() is not None
        assert not _found(index, "longsor")

        # past the lag allowed, the same search reads on the primary
        replica.watch.max_lag = 1.0
        time.sleep(1.5)
        assert not replica.watch.look() and replica.fresh() is None
        assert _found(index, "longsor")

        # replay resumed: fresh again, and the replica has it
        _standby(standby_url, "SELECT pg_wal_replay_resume()")
        _until(replica.watch.look)
        assert _found(index, "longsor")

        # the standby stops between two looks: the search is read again on the primary at
        # once, without an error, and the replica counts as stale until it is back
        cluster.stop(standby, mode="immediate")
        assert replica.fresh() is not None  # the last look still says fresh
        index.add_or_update([_doc("tiga", "kebakaran")])
        assert _found(index, "kebakaran")
        assert replica.fresh() is None
        assert not replica.watch.look()
        assert "dibaca di primer" in index.health()["detail"]

        cluster.start(standby)  # back: it catches up and is read again
        _until(replica.watch.look)

        # promoted (a failover that went its own way): never read again as a replica
        _standby(standby_url, "SELECT pg_promote()")
        assert not replica.watch.look() and replica.fresh() is None
        assert _found(index, "kebakaran")
    finally:
        index.close()
