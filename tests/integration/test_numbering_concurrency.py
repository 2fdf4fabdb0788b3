"""Numbers stay unique and gapless under concurrent issuers (threads and processes),
on SQLite and on PostgreSQL; a rolled-back issue gives its number back."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import threading

import pytest
from sqlalchemy import select

from conftest import build_app
from records.actor import Actor
from records.extensions import db
from records.models import IssuedNumber
from records.services.numbering import allocate

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
def pg_app(pg_bare_app):
    return pg_bare_app


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


# --- the whole issuing path under concurrency ------------------------------------------------

def _signed_records(app, count: int) -> list[int]:
    """`count` requests taken, verified and signed, ready to be issued."""
    from records.extensions import lemari
    from records.models import Penduduk
    from records.services.accounts import actor_for_username
    from records.services.issuing import advance
    from records.services.requests import take_request

    with app.app_context():
        ext = lemari()

        def who(username):
            return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                      registry=ext.registry)

        people = db.session.scalars(select(Penduduk.id).limit(count)).all()
        ids = []
        for person in people:
            record = take_request("sk_domisili", penduduk_id=person, received=[
                "Surat pengantar dari desa", "Fotokopi KTP-el",
                                            "Fotokopi Kartu Keluarga"],
                                  values={"keperluan": "Uji bersamaan"}, actor=who("petugas"),
                                  session=db.session, desk=ext.desk())
            for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat")):
                advance(record.id, name, actor=who(username), session=db.session,
                        registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
            ids.append(record.id)
        return ids


def _issue_concurrently(app, record_ids: list[int]) -> list:
    """One thread per record id (ids may repeat: double clicks); each returns its number or
    the domain error it got."""
    from records.exceptions import RecordsError
    from records.extensions import lemari
    from records.services.accounts import actor_for_username
    from records.services.issuing import issue

    results, barrier = [None] * len(record_ids), threading.Barrier(len(record_ids))

    def run(position: int, record_id: int) -> None:
        with app.app_context():
            petugas = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                         registry=lemari().registry)
            barrier.wait()
            try:
                results[position] = issue(record_id, actor=petugas, session=db.session,
                                          desk=lemari().desk()).number
            except RecordsError as error:
                results[position] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, rid)) for i, rid in enumerate(record_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


@pytest.fixture
def pg_demo_app(postgres_office):
    return postgres_office


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite_app", "pg_demo_app"])
def test_simultaneous_issue_clicks_and_issuers_stay_unique_and_gapless(request, backend):
    """Four clerks press Terbitkan on one letter at once, while three other letters are
    issued at the same moment: one number for the first letter, gapless numbers overall."""
    from records.models import Record, RecordFile

    app = request.getfixturevalue(backend)
    first, *others = _signed_records(app, 4)
    results = _issue_concurrently(app, [first] * 4 + others)
    clicks, rest = results[:4], results[4:]
    assert all(isinstance(r, str) or "petugas lain" in str(r) for r in clicks), clicks
    assert len({r for r in clicks if isinstance(r, str)}) == 1, clicks
    assert all(isinstance(r, str) for r in rest), rest
    numbers = [r for r in results if isinstance(r, str)]
    with app.app_context():
        issued = db.session.scalars(select(IssuedNumber)).all()
        assert sorted(n.sequence for n in issued) == [1, 2, 3, 4]
        assert len({n.record_id for n in issued}) == 4
        assert db.session.get(Record, first).number in numbers
        files = db.session.scalars(select(RecordFile).where(RecordFile.kind == "terbit")).all()
        assert sorted(f.record_id for f in files) == sorted([first, *others])
