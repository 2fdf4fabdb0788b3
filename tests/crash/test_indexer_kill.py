"""SIGKILL the indexer mid-batch, restart it, and the index catches up (the outbox survives).

Runs the installed `lemari` console script in a subprocess on a copy of the demo office, as
tests/integration/test_cli.py does: on SQLite with its FTS5 index, and on PostgreSQL with its full-text
backend. Set LEMARI_TEST_SCRIPT to run another script.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy

LEMARI = Path(os.environ.get("LEMARI_TEST_SCRIPT") or Path(sys.executable).with_name("lemari"))
COPIES = 40  # outbox rows per resident: tens of thousands of rows, hundreds of batches


# PostgreSQL offices: home folder → (database URL), so the helpers below serve both.
PG_URLS: dict[Path, str] = {}


def env(home: Path) -> dict:
    found = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    found.update({"LEMARI_HOME": str(home), "LEMARI_LOG_LEVEL": "WARNING"})
    if home in PG_URLS:
        found.update({"LEMARI_DATABASE_URL": PG_URLS[home], "LEMARI_SEARCH_BACKEND": "postgres"})
    return found


def lemari(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LEMARI), *args], cwd=home, env=env(home), capture_output=True,
                          text=True, timeout=300)


def sql(home: Path, statement: str, **params):
    """Run one statement on the office's database (text() parameters: :name)."""
    if home not in PG_URLS:
        with sqlite3.connect(home / "lemari.db", timeout=30) as conn:
            return conn.execute(statement, params).fetchall()
    engine = sqlalchemy.create_engine(PG_URLS[home])
    try:
        with engine.begin() as conn:
            result = conn.execute(sqlalchemy.text(statement), params)
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def pending(home: Path) -> int:
    return sql(home, "SELECT count(*) FROM search_outbox")[0][0]


@pytest.fixture
def home(demo_home, tmp_path):
    """A copy of the demo office (its template has the index built)."""
    copy = tmp_path / "home"
    shutil.copytree(demo_home, copy)
    return copy


def flood_outbox(home: Path) -> None:
    """Rename every resident (as a bulk change would) and queue COPIES rows for each."""
    sql(home, "UPDATE penduduk SET nama = 'KILLTEST ' || nama")
    sql(home, "INSERT INTO search_outbox (kind, object_id, op, created_at) "
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :copies) "
              "SELECT 'penduduk', p.id, 'upsert', CURRENT_TIMESTAMP FROM n, penduduk p "
              "ORDER BY n.i, p.id", copies=COPIES)


def kill_mid_batch(home: Path, *args: str) -> int:
    """Start `lemari ARGS`, SIGKILL it once it has applied some rows; return rows left."""
    total = pending(home)
    process = subprocess.Popen([str(LEMARI), *args], cwd=home, env=env(home),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while pending(home) > total - 500 and process.poll() is None:
        assert time.monotonic() < deadline, "the drain never started"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    return pending(home)


@pytest.fixture
def pg_home(postgres_office):
    """A copy of the PostgreSQL demo office (index built in its template)."""
    home = Path(postgres_office.config["HOME"])
    PG_URLS[home] = postgres_office.config["SQLALCHEMY_DATABASE_URI"]
    yield home
    del PG_URLS[home]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def office_home(request):
    return request.getfixturevalue("home" if request.param == "sqlite" else "pg_home")


def test_drain_killed_mid_batch_catches_up_on_restart(office_home):
    home = office_home
    flood_outbox(home)
    left = kill_mid_batch(home, "index-drain", "--batch", "50")
    assert 0 < left < COPIES * 485
    again = lemari(home, "index-drain")
    assert again.returncode == 0, again.stderr
    assert pending(home) == 0
    doctor = lemari(home, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    nik = sql(home, "SELECT nik FROM penduduk ORDER BY id DESC LIMIT 1")[0][0]
    found = lemari(home, "search", f"nik:{nik}", "--as", "petugas", "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["hits"][0]["title"].startswith("KILLTEST")


def test_reindex_killed_midway_leaves_a_working_index_and_reruns(office_home):
    home = office_home
    process = subprocess.Popen([str(LEMARI), "reindex"], cwd=home, env=env(home),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)  # start-up takes ~1 s; the kill lands during start-up or the rebuild
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    doctor = lemari(home, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    again = lemari(home, "reindex")
    assert again.returncode == 0, again.stderr
    assert lemari(home, "doctor").returncode == 0
