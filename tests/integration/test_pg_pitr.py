"""PostgreSQL point-in-time recovery at the kabupaten scale (issue 21), exactly as
docs/operations.md ("Pemulihan ke suatu waktu") tells the operator: a cluster with WAL archiving
(`archive_mode=on`, an `archive_command` copying each WAL segment to the archive folder), a base
backup with `pg_basebackup`, rows A written, the time noted, rows B written; then the base backup
is restored into a new data folder with `restore_command`, `recovery_target_time` and
`recovery.signal`, started, and holds A but not B.

The test runs its OWN throwaway cluster (initdb/pg_ctl of the machine's PostgreSQL) on a free
port and a socket folder of its own; the shared PostgreSQL on 5432 is never touched. As root
the server runs as the `postgres` system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import time

import psycopg
import pytest
from throwaway_servers import free_port, pg_cluster

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _connect(port: int) -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True)


def _promoted(port: int) -> bool:
    with _connect(port) as conn:
        return bool(conn.execute("SELECT NOT pg_is_in_recovery()").fetchone()[0])


def _wait(predicate, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = predicate()
        except psycopg.OperationalError:
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def cluster():
    yield from pg_cluster("lemari-pitr-")


def test_restore_to_a_chosen_time_keeps_what_came_before_and_nothing_after(cluster):
    base = cluster.base
    data, archive, basis, restored = base / "data", base / "wal-arsip", base / "basis", base / "pulih"
    archive.mkdir()
    if cluster.uid is not None:
        os.chown(archive, cluster.uid, cluster.gid)
    port = free_port()
    cluster.init(data, port, f"""wal_level = replica
archive_mode = on
archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'
""")
    cluster.start(data)
    with _connect(port) as conn:
        conn.execute("CREATE TABLE surat (id serial PRIMARY KEY, nomor text NOT NULL)")
    cluster.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-D", str(basis),
                "-X", "stream", "-c", "fast")
    with _connect(port) as conn:
        conn.execute("INSERT INTO surat (nomor) SELECT 'A-' || n FROM generate_series(1, 50) n")
        chosen = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # the operator notes the time
        time.sleep(0.05)  # the next commit is after the chosen time, whatever the clock's grain
        conn.execute("INSERT INTO surat (nomor) SELECT 'B-' || n FROM generate_series(1, 30) n")
        conn.execute("UPDATE surat SET nomor = 'DIUBAH' WHERE nomor = 'A-1'")
        segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
    _wait(lambda: (archive / segment).is_file(), f"WAL segment {segment} archived")
    cluster.stop(data)  # the server is lost; the base backup and the WAL archive remain

    shutil.copytree(basis, restored)
    if cluster.uid is not None:
        for path in [restored, *restored.rglob("*")]:
            os.chown(path, cluster.uid, cluster.gid)
    restored.chmod(0o700)
    new_port = free_port()
    with open(restored / "postgresql.conf", "a") as conf:  # later lines win
        conf.write(f"""
port = {new_port}
archive_mode = off
restore_command = 'cp {archive}/%f %p'
recovery_target_time = '{chosen.isoformat()}'
recovery_target_action = 'promote'
""")
    (restored / "recovery.signal").touch()
    cluster.start(restored)
    _wait(lambda: _promoted(new_port), "recovery to the chosen time")
    with _connect(new_port) as conn:
        rows = {nomor for (nomor,) in conn.execute("SELECT nomor FROM surat")}
        conn.execute("INSERT INTO surat (nomor) VALUES ('sesudah-pemulihan')")  # writable again
    assert rows == {f"A-{n}" for n in range(1, 51)}  # A whole, A-1 as it was, no B
    log = (base / "pulih.log").read_text()
    assert "recovery stopping before commit" in log and "archive recovery complete" in log
