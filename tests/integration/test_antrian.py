"""The queue on a real database: numbering per service and day, the fair priority lane,
counter actions, the daily reset in the office's time zone, and a ticket becoming its request.
Concurrency: two counters calling at the same instant never get the same ticket (threads on
SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conftest import build_app
from records.antrian import services as antrian
from records.antrian.models import Loket, Panggilan, Tiket
from records.antrian.rules import MAX_PRIORITY_STREAK
from records.exceptions import InvalidTransitionError, NotFoundError, PermissionDeniedError, ValidationError
from records.extensions import db, lemari
from records.models import Penduduk
from records.services.accounts import actor_for_username
from records.services.lacak import track

TZ = "Asia/Makassar"
# 08:00 WITA on a Monday = 00:00 UTC
MORNING = dt.datetime(2026, 12, 7, 0, 0)


def at(minutes: float, day: dt.datetime = MORNING) -> dt.datetime:
    return day + dt.timedelta(minutes=minutes)


def who(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def setup_queue(app):
    from records.services.setup import catalogue

    antrian.ensure_setup(db.session, [s["code"] for s in catalogue()["layanan"]])


def take(code="ktp_el", reason="", minutes=0.0, day=MORNING):
    return antrian.issue_ticket(code, reason=reason, actor=None, session=db.session, tz=TZ,
                                now=at(minutes, day))


def call(app, loket_id=1, minutes=0.0, day=MORNING, user="petugas"):
    return antrian.call_next(loket_id, actor=who(app, user), session=db.session, tz=TZ,
                             now=at(minutes, day))


def test_setup_gives_each_service_a_letter_and_three_counters(app):
    with app.app_context():
        setup_queue(app)
        setup_queue(app)  # idempotent
        services = antrian.queue_services(db.session)
        assert [s.prefix for s in services][:3] == ["A", "B", "C"]
        assert services[0].layanan_code == "ktp_el" and services[1].layanan_code == "kk"
        assert len({s.prefix for s in services}) == len(services) == 11
        assert [c.nama for c in antrian.counters(db.session)] == ["Loket 1", "Loket 2", "Loket 3"]


def test_numbers_per_service_prefix_and_daily_reset_in_office_time(app):
    with app.app_context():
        setup_queue(app)
        assert take("ktp_el").label == "A-001"
        assert take("ktp_el").label == "A-002"
        assert take("kk").label == "B-001"
        # 23:59 WITA is still the same office day; 00:01 WITA (16:01 UTC) is the next one
        late = take("ktp_el", day=dt.datetime(2026, 12, 7, 15, 59))
        assert late.label == "A-003" and late.tanggal == dt.date(2026, 12, 7)
        next_day = take("ktp_el", day=dt.datetime(2026, 12, 7, 16, 1))
        assert next_day.label == "A-001" and next_day.tanggal == dt.date(2026, 12, 8)


def test_yesterdays_waiting_ticket_is_not_called_today(app):
    with app.app_context():
        setup_queue(app)
        take("ktp_el", day=MORNING - dt.timedelta(days=1))
        assert call(app) is None
        assert track(take().tracking_code, session=db.session, registry=lemari().registry,
                     tz=TZ)["kind"] == "tiket"


def test_empty_queue_is_a_clear_none_not_an_error(app):
    with app.app_context():
        setup_queue(app)
        assert call(app) is None
        assert db.session.scalar(select(func.count(Panggilan.id))) == 0


def test_a_call_on_an_empty_queue_writes_nothing(app):
    """Nothing to finish, release or call: the counter is not locked and nothing is written
    (the other counters and the kiosk do not wait for it)."""
    from sqlalchemy import event

    with app.app_context():
        setup_queue(app)
        versi = db.session.get(Loket, 1).versi
        db.session.commit()
        writes = []

        def seen(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith("SELECT"):
                writes.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert call(app) is None
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        db.session.rollback()
        assert writes == [] and db.session.get(Loket, 1).versi == versi
        take()
        assert call(app, minutes=1).label == "A-001"  # the next call, with one waiting, does
        assert db.session.get(Loket, 1).versi == versi + 1


def _four_statements(app) -> None:
    """Each statement is a wait for a core when the clerks keep the CPU busy (issue 17): the
    counter, the no-shows due, its current ticket with every lane's head (one statement), and
    its recent lanes when both lanes wait; the answer's label and state need no re-read. Under
    the lock, audit entries wait for the commit on both engines, so the audit chain's head is
    read once for both entries; on PostgreSQL both call-log rows go out in one INSERT (SQLite's
    driver sends one per row)."""
    from sqlalchemy import event

    with app.app_context():
        setup_queue(app)
        take(minutes=0)
        take(minutes=1)
        take(reason="lansia", minutes=2)
        take(reason="hamil", minutes=2.5)
        assert call(app, minutes=3).label == "A-003"  # the priority lane first
        db.session.remove()
        actor, statements = who(app, "petugas"), []

        def seen(conn, cursor, statement, *args):
            statements.append(" ".join(statement.split()[:3]).upper())

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            ticket = antrian.call_next(1, actor=actor, session=db.session, tz=TZ, now=at(4))
            answered = len(statements)
            assert (ticket.label, ticket.status, ticket.loket_id) == ("A-004", "dipanggil", 1)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        first_write = next(i for i, words in enumerate(statements) if words.startswith("UPDATE"))
        assert [words.split()[0] for words in statements[:first_write]] == ["SELECT"] * 4
        if db.engine.dialect.name == "postgresql":
            assert statements.count("INSERT INTO ANTRIAN_PANGGILAN") == 1, "\n".join(statements)
        assert statements.count("SELECT AUDIT_EVENT.HASH FROM") == 1, "\n".join(statements)
        assert len(statements) == answered  # the answer read nothing
        kinds = db.session.scalars(select(Panggilan.jenis).order_by(Panggilan.id)).all()
        assert kinds[-2:] == ["selesai", "panggil"]  # the log keeps the order of events


def test_a_call_reads_in_four_statements_and_nothing_after_its_commit_sqlite(app):
    _four_statements(app)


def test_a_call_reads_in_four_statements_and_nothing_after_its_commit_postgres(postgres_office):
    _four_statements(postgres_office)


def test_bad_tickets_are_refused_clearly(app):
    with app.app_context():
        setup_queue(app)
        with pytest.raises(NotFoundError):
            take("tidak_ada")
        with pytest.raises(ValidationError):
            take("ktp_el", reason="pejabat")
        with pytest.raises(PermissionDeniedError):
            antrian.call_next(1, actor=who(app, "auditor"), session=db.session, tz=TZ)
        with pytest.raises(NotFoundError):
            call(app, loket_id=999)
        assert db.session.scalar(select(func.count(Tiket.id))) == 0


def test_priority_lane_two_then_one_regular(app):
    with app.app_context():
        setup_queue(app)
        regular = [take(minutes=i) for i in range(3)]
        priority = [take(reason="lansia", minutes=3 + i) for i in range(4)]
        order = [call(app, minutes=10 + i).label for i in range(7)]
        p, u = [t.label for t in priority], [t.label for t in regular]
        assert order == [p[0], p[1], u[0], p[2], p[3], u[1], u[2]]


def test_counter_calls_only_its_services(app):
    with app.app_context():
        setup_queue(app)
        loket = db.session.get(Loket, 2)
        loket.layanan = "kk"
        db.session.commit()
        take("ktp_el")
        kk = take("kk", minutes=1)
        assert call(app, loket_id=2, minutes=2).id == kk.id
        assert call(app, loket_id=2, minutes=3) is None


def test_next_finishes_current_and_recall_skip_reinstate_transfer(app):
    with app.app_context():
        setup_queue(app)
        first, second, third = take(minutes=0), take(minutes=1), take(minutes=2)
        actor = who(app, "petugas")
        assert call(app, minutes=5).id == first.id
        again = antrian.counter_action(1, "ulang", actor=actor, session=db.session, tz=TZ, now=at(6))
        assert again.jumlah_panggil == 2
        assert call(app, minutes=7).id == second.id
        db.session.refresh(first)
        assert first.status == "selesai"
        skipped = antrian.counter_action(1, "lewati", actor=actor, session=db.session, tz=TZ, now=at(8))
        assert skipped.status == "dilewati"
        with pytest.raises(InvalidTransitionError):
            antrian.counter_action(1, "ulang", actor=actor, session=db.session, tz=TZ, now=at(8))
        antrian.reinstate(second.id, actor=actor, session=db.session, tz=TZ, now=at(9))
        assert call(app, minutes=10).id == second.id  # back at its old place, before third
        moved = antrian.counter_action(1, "alih", actor=actor, session=db.session, tz=TZ, now=at(11),
                                       to_layanan="kk", to_loket=3)
        assert moved.status == "menunggu" and moved.layanan_code == "kk" and moved.label == second.label
        assert call(app, loket_id=2, minutes=12).id == third.id  # reserved for Loket 3
        assert call(app, loket_id=3, minutes=13).id == second.id
        with pytest.raises(ValidationError):
            antrian.counter_action(3, "alih", actor=actor, session=db.session, tz=TZ, now=at(14))
        with pytest.raises(NotFoundError):
            antrian.counter_action(3, "terbang", actor=actor, session=db.session, tz=TZ, now=at(14))


def test_people_ahead_counts_lane_order(app):
    with app.app_context():
        setup_queue(app)
        take(minutes=0)
        take(minutes=1)
        p = take(reason="hamil", minutes=2)
        u = take(minutes=3)
        assert antrian.people_ahead(p, session=db.session) == 0
        assert antrian.people_ahead(u, session=db.session) == 3


def test_ticket_becomes_its_request_with_the_same_code(app):
    with app.app_context():
        setup_queue(app)
        ticket = antrian.issue_ticket("sk_domisili", actor=who(app, "petugas"), session=db.session, tz=TZ)
        assert ticket.sumber == "petugas"
        antrian.call_next(1, actor=who(app, "petugas"), session=db.session, tz=TZ)
        person = db.session.scalar(select(Penduduk.id).limit(1))
        record = antrian.take_request_for_ticket(ticket.id, penduduk_id=person, received=[],
                                                 values={"keperluan": "Melamar kerja"},
                                                 actor=who(app, "petugas"), session=db.session,
                                                 desk=lemari().desk())
        db.session.refresh(ticket)
        assert record.tracking_code == ticket.tracking_code
        assert ticket.record_id == record.id and ticket.status == "selesai"
        assert track(ticket.tracking_code, session=db.session, registry=lemari().registry,
                     tz=TZ)["kind"] == "permohonan"
        with pytest.raises(InvalidTransitionError):
            antrian.take_request_for_ticket(ticket.id, penduduk_id=person, received=[], values={},
                                            actor=who(app, "petugas"), session=db.session,
                                            desk=lemari().desk())


@pytest.fixture(scope="module")
def queue_app(demo_home, tmp_path_factory):
    import shutil

    home = tmp_path_factory.mktemp("queue-property") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    with app.app_context():
        setup_queue(app)
    yield app
    app.extensions["lemari"].close()


DAYS = iter(range(10_000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["P", "U", "call"]), min_size=1, max_size=40))
def test_database_queue_follows_the_fairness_rule(queue_app, events):
    """The real service, on generated mornings (each on its own day): never more than two
    priority calls in a row while a regular citizen waits, and first come first served."""
    day = MORNING + dt.timedelta(days=next(DAYS))
    with queue_app.app_context():
        waiting = {True: [], False: []}
        streak, minute = 0, 0.0
        for event in events:
            minute += 1
            if event != "call":
                ticket = take(reason="lansia" if event == "P" else "", minutes=minute, day=day)
                waiting[ticket.prioritas].append(ticket.id)
                continue
            regular_waiting = bool(waiting[False])
            ticket = call(queue_app, minutes=minute, day=day)
            if ticket is None:
                assert not waiting[True] and not waiting[False]
                continue
            assert waiting[ticket.prioritas][0] == ticket.id
            waiting[ticket.prioritas].pop(0)
            streak = streak + 1 if (ticket.prioritas and regular_waiting) else 0
            assert streak <= MAX_PRIORITY_STREAK
        db.session.remove()


def _race(app, counters: int, tickets: int) -> None:
    """Every counter calls as fast as it can from the same start signal."""
    with app.app_context():
        setup_queue(app)
        for index in range(counters - 3):
            db.session.add(Loket(nama=f"Loket {index + 4}", layanan=""))
        db.session.commit()
        for _ in range(tickets):
            antrian.issue_ticket("ktp_el", actor=None, session=db.session, tz=TZ)
        ids = [c.id for c in antrian.counters(db.session)]
        db.session.remove()
    start, errors, got = threading.Barrier(counters), [], []

    def counter(loket_id):
        with app.app_context():
            actor = who(app, "petugas")
            start.wait()
            try:
                while True:
                    ticket = antrian.call_next(loket_id, actor=actor, session=db.session, tz=TZ)
                    if ticket is None:
                        break
                    got.append(ticket.id)
            except Exception as exc:  # noqa: BLE001 — any error is a failure of the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=counter, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(got) == len(set(got)) == tickets
    with app.app_context():
        calls = db.session.execute(select(Panggilan.tiket_id, func.count())
                                   .where(Panggilan.jenis == "panggil")
                                   .group_by(Panggilan.tiket_id)).all()
        assert len(calls) == tickets and all(n == 1 for _, n in calls)


def test_simultaneous_counters_never_share_a_ticket_sqlite(app):
    _race(app, counters=6, tickets=60)


@pytest.mark.postgres
def test_simultaneous_counters_never_share_a_ticket_postgres(postgres_office):
    _race(postgres_office, counters=6, tickets=60)


def _double_click(app) -> None:
    """A second call on the same counter lands between the first call's reads and its lock
    (the reads happen before the lock, records/antrian/services.py): the first call must see
    the counter's version move and read again, so the counter ends with one active ticket."""
    from sqlalchemy import event

    with app.app_context():
        setup_queue(app)
        for minute in range(3):
            take(minutes=minute)
        first = call(app, minutes=5).label
        db.session.remove()
        fired = []

        def competitor():
            with app.app_context():
                try:
                    fired.append(call(app, minutes=6).label)
                finally:
                    db.session.remove()

        def between_read_and_lock(conn, cursor, statement, *args):
            # the call's last read before its lock: its current ticket and lane heads (its
            # counter's recent lanes are read only when both lanes wait; here only one does)
            if "UNION ALL" in statement and not fired:
                fired.append("")
                thread = threading.Thread(target=competitor)
                thread.start()
                thread.join(timeout=60)

        event.listen(db.engine, "after_cursor_execute", between_read_and_lock)
        try:
            last = call(app, minutes=6).label
        finally:
            event.remove(db.engine, "after_cursor_execute", between_read_and_lock)
        db.session.remove()
        second = fired[1]
        assert {first, second, last} == {"A-001", "A-002", "A-003"}
        tickets = {t.label: t for t in db.session.scalars(select(Tiket))}
        assert [tickets[first].status, tickets[second].status, tickets[last].status] == \
            ["selesai", "selesai", "dipanggil"]
        events = db.session.execute(select(Panggilan.tiket_id, Panggilan.jenis, func.count())
                                    .group_by(Panggilan.tiket_id, Panggilan.jenis)).all()
        assert all(n == 1 for _, _, n in events), events


def test_a_double_click_between_read_and_lock_leaves_one_active_ticket_sqlite(app):
    _double_click(app)


@pytest.mark.postgres
def test_a_double_click_between_read_and_lock_leaves_one_active_ticket_postgres(postgres_office):
    _double_click(postgres_office)


def _kiosk_race(app) -> None:
    with app.app_context():
        setup_queue(app)
        db.session.remove()
    start, errors = threading.Barrier(4), []

    def kiosk():
        with app.app_context():
            start.wait()
            try:
                for _ in range(10):
                    antrian.issue_ticket("kk", actor=None, session=db.session, tz=TZ)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=kiosk) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Tiket.nomor).where(Tiket.prefix == "B")))
        assert numbers == list(range(1, 41))


def test_simultaneous_kiosks_get_gapless_numbers_sqlite(app):
    _kiosk_race(app)


@pytest.mark.postgres
def test_simultaneous_kiosks_get_gapless_numbers_postgres(pg_bare_app):
    _kiosk_race(pg_bare_app)
