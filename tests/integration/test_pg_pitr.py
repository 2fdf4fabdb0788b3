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
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _bindir() -> Path | None:
    """The newest PostgreSQL server binaries on the machine (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throwaway cluster's commands, run as the server's user."""

    def __init__(self, bindir: Path, base: Path) -> None:
        self.bindir, self.base = bindir, base
        self.uid = self.gid = None
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            self.uid, self.gid = user.pw_uid, user.pw_gid
            os.chown(base, self.uid, self.gid)
        self.started: list[Path] = []

    def run(self, *args: str) -> str:
        def as_server_user() -> None:
            if self.gid is not None:
                os.setgid(self.gid)
                os.setuid(self.uid)

        done = subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True,
                              preexec_fn=as_server_user, cwd=self.base, timeout=300)
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, data: Path) -> None:
        self.run("pg_ctl", "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w", "-t", "120",
                 "start")
        self.started.append(data)

    def stop(self, data: Path) -> None:
        self.run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        self.started.remove(data)

    def stop_all(self) -> None:
        """After a failed test: stop whatever still runs (errors ignored)."""
        for data in list(self.started):
            try:
                self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
            except AssertionError:
                pass


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
    bindir = _bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not installed; apt-get install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — scripts/system-deps.sh test installs it")
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="lemari-pitr-"))  # under /tmp: the server user can reach it
    found = Cluster(bindir, base)
    yield found
    found.stop_all()
    shutil.rmtree(base, ignore_errors=True)


def test_restore_to_a_chosen_time_keeps_what_came_before_and_nothing_after(cluster):
    base = cluster.base
    data, archive, basis, restored = base / "data", base / "wal-arsip", base / "basis", base / "pulih"
    archive.mkdir()
    if cluster.uid is not None:
        os.chown(archive, cluster.uid, cluster.gid)
    port = _free_port()
    cluster.run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(f"""
port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{base}'
wal_level = replica
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
    new_port = _free_port()
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
