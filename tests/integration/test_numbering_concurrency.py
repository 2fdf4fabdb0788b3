"""Numbers stay unique and gapless under concurrent issuers (threads and processes),
on SQLite and on PostgreSQL; a rolled-back issue gives its number back."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import threading

import pytest
from sqlalchemy import select

from records.actor import Actor
from records.extensions import db
from records.models import IssuedNumber
from records.services.numbering import allocate
from conftest import build_app, initialise_app

TESTER = Actor(user_id=None, username="tester", roles=frozenset(), permissions=frozenset())
ON = dt.date(2026, 11, 28)


def _allocate_many(app, count: int, seed: int) -> None:
    """Allocate `count` committed numbers, rolling back some extra attempts on the way."""
    rng = random.Random(seed)
    with app.app_context():
        done = 0
        while done < count:
            allocate(db.session, "surat_keluar", kode="400.12.2.1", on=ON, actor=TESTER)
            if rng.random() < 0.2:
                db.session.rollback()  # an issue that failed after taking its number
                continue
            db.session.commit()
            done += 1
        db.session.remove()


def _process_main(home: str, url: str, count: int, seed: int) -> None:
    _allocate_many(build_app(home, url), count, seed)


def _sequences(app) -> list[int]:
    with app.app_context():
        rows = db.session.scalars(select(IssuedNumber.sequence).where(IssuedNumber.year == ON.year))
        return sorted(rows)


def _assert_gapless(app, expected: int) -> None:
    sequences = _sequences(app)
    assert sequences == list(range(1, expected + 1))


def _run_threads(app, threads: int, each: int) -> None:
    workers = [threading.Thread(target=_allocate_many, args=(app, each, i)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _run_processes(home, url: str, processes: int, each: int) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_process_main, args=(str(home), url, each, i))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
        assert worker.exitcode == 0


@pytest.fixture
def sqlite_app(app):
    return app


@pytest.fixture
def pg_app(tmp_path, pg_url):
    app = build_app(tmp_path / "pg-home", pg_url)
    initialise_app(app, demo=False)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite_app", "pg_app"])
def test_threads_get_unique_gapless_numbers(request, backend):
    app = request.getfixturevalue(backend)
    _run_threads(app, threads=8, each=15)
    _assert_gapless(app, 8 * 15)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite_app", "pg_app"])
def test_processes_get_unique_gapless_numbers(request, backend):
    app = request.getfixturevalue(backend)
    _run_processes(app.config["HOME"], app.config["DATABASE_URL"], processes=3, each=15)
    _assert_gapless(app, 3 * 15)


def test_sequence_resets_each_year(app):
    with app.app_context():
        for on in (dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 1, 2)):
            issued = allocate(db.session, "surat_keluar", kode="470", on=on, actor=TESTER)
            db.session.commit()
        assert (issued.year, issued.sequence) == (2027, 2)
        assert issued.number == "470/0002/Kec.KB/2027"
