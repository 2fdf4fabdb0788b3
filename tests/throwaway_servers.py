"""Throwaway PostgreSQL clusters and Redis servers of a test's own, on free ports: the shared
servers on 5432 and 6379 are never stopped or restarted (other tests use them in parallel).

A PostgreSQL cluster runs as the `postgres` system user when the tests run as root
(PostgreSQL refuses to run as root); its folder is under /tmp so that user can reach it.
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

import pytest


def bindir() -> Path | None:
    """The newest PostgreSQL server binaries on the machine (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing(what: str) -> None:
    """Skip locally, fail on CI: `scripts/system-deps.sh test` installs every server."""
    if os.environ.get("CI") == "true":
        pytest.fail(what + " — scripts/system-deps.sh test installs it")
    pytest.skip(what)


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

    def init(self, data: Path, port: int, extra: str = "") -> None:
        """initdb (trust auth) listening on 127.0.0.1:`port`, its socket in the base folder."""
        self.run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.base}'\n{extra}")

    def start(self, data: Path) -> None:
        self.run("pg_ctl", "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w", "-t", "120",
                 "start")
        self.started.append(data)

    def stop(self, data: Path, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(data), "-m", mode, "-w", "stop")
        self.started.remove(data)

    def stop_all(self) -> None:
        """After a failed test: stop whatever still runs (errors ignored)."""
        for data in list(self.started):
            try:
                self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
            except AssertionError:
                pass


def pg_cluster(prefix: str):
    """A Cluster in a fresh folder (generator for a fixture: stopped and removed after)."""
    found_bindir = bindir()
    if found_bindir is None or not (found_bindir / "pg_ctl").exists():
        missing("PostgreSQL server binaries (initdb, pg_ctl) not installed; apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix=prefix))  # under /tmp: the server user can reach it
    found = Cluster(found_bindir, base)
    try:
        yield found
    finally:
        found.stop_all()
        shutil.rmtree(base, ignore_errors=True)


class RedisServer:
    """`redis-server` on a free port without persistence (a restart empties it, as a Redis
    without a disk would)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


def redis_server():
    """A RedisServer, started (generator for a fixture: stopped after)."""
    if shutil.which("redis-server") is None:
        missing("redis-server not installed; apt-get install redis-server")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
