"""Appointments (janji layanan) on a real database: the booking rules (closed days, holidays,
full slots, one booking per NIK, service and day, the reserved window, desa scope) with nothing
half-saved; check-in turning a booking into a ticket called at its time ahead of walk-ins and
within the no-starvation rule; no-shows released after the grace period; the TV and /lacak
showing codes only; and two clerks taking the last place at the same instant (threads on SQLite
and on PostgreSQL): exactly one wins."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from records.antrian import jadwal
from records.antrian import services as antrian
from records.antrian.models import JadwalIsi, JadwalLayanan, Janji, Panggilan, Tiket
from records.antrian.rules import MAX_PRIORITY_STREAK, PRIORITY
from records.exceptions import InvalidTransitionError, PermissionDeniedError, ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, Penduduk
from records.services.accounts import actor_for_username
from records.services.lacak import track

TZ = "Asia/Makassar"
MONDAY = dt.date(2026, 12, 7)
TUESDAY = dt.date(2026, 12, 8)


def wita(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """Naive UTC of a WITA wall-clock time (WITA = UTC+8)."""
    return dt.datetime.combine(day, dt.time(hour, minute)) - dt.timedelta(hours=8)


def who(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session, registry=lemari().registry)


def setup(app, *, quota_special=2, quota_regular=3):
    """The queue plus two slots of KTP-el: the reserved 08.00–09.00 and a regular 09.00–12.00."""
    from records.services.setup import catalogue

    antrian.ensure_setup(db.session, [s["code"] for s in catalogue()["layanan"]])
    special = JadwalLayanan(
        layanan_code="ktp_el",
        jam_mulai=dt.time(8),
        jam_selesai=dt.time(9),
        kuota=quota_special,
        khusus=True,
        hari="0,1,2,3,4",
        tenggang_menit=30,
        aktif=True,
    )
    regular = JadwalLayanan(
        layanan_code="ktp_el",
        jam_mulai=dt.time(9),
        jam_selesai=dt.time(12),
        kuota=quota_regular,
        khusus=False,
        hari="0,1,2,3,4",
        tenggang_menit=30,
        aktif=True,
    )
    db.session.add_all([special, regular])
    db.session.commit()
    return special.id, regular.id


def niks(count: int) -> list[str]:
    return list(db.session.scalars(select(Penduduk.nik).order_by(Penduduk.id).limit(count)))


def book(app, slot, day=TUESDAY, *, nik, reason="", user="petugas", now=None, nama=""):
    return jadwal.book(
        slot,
        day,
        nik=nik,
        nama=nama,
        reason=reason,
        actor=who(app, user),
        source=jadwal.CLERK,
        session=db.session,
        tz=TZ,
        now=now or wita(MONDAY, 10),
    )


def saved() -> tuple[int, int]:
    """(bookings, places taken): what a refused booking must leave unchanged."""
    return (
        db.session.scalar(select(func.count(Janji.id))) or 0,
        db.session.scalar(select(func.coalesce(func.sum(JadwalIsi.terisi), 0))) or 0,
    )


def refused(call, *words) -> str:
    before = saved()
    with pytest.raises(ValidationError) as caught:
        call()
    db.session.rollback()
    assert saved() == before
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


def test_bad_bookings_get_a_clear_message_and_nothing_is_saved(app):
    with app.app_context():
        special, regular = setup(app, quota_special=1)
        nik_a, nik_b, nik_c = niks(3)
        refused(lambda: book(app, regular, dt.date(2026, 12, 12), nik=nik_a), "Kantor tutup", "12-12-2026")
        refused(lambda: book(app, regular, dt.date(2026, 12, 25), nik=nik_a), "Kantor tutup", "(")
        refused(lambda: book(app, regular, dt.date(2026, 12, 4), nik=nik_a), "sudah lewat")
        refused(lambda: book(app, regular, MONDAY + dt.timedelta(days=40), nik=nik_a), "30 hari")
        refused(lambda: book(app, special, nik=nik_a), "khusus untuk lansia")
        refused(lambda: book(app, regular, nik="1234"), "16 digit")
        refused(lambda: book(app, 99999, nik=nik_a), "jam layanan")
        refused(lambda: book(app, regular, MONDAY, nik=nik_a, now=wita(MONDAY, 9, 5)), "sudah dimulai")

        first = book(app, special, nik=nik_a, reason="lansia")
        assert first.kode.startswith("KB-") and first.nama and first.penduduk_id is not None
        refused(lambda: book(app, special, nik=nik_b, reason="hamil"), "sudah penuh", "08.00–09.00")
        message = refused(lambda: book(app, regular, nik=nik_a), "sudah memiliki janji")
        assert first.kode in message
        # Another service on the same day, or the same service another day, is fine.
        assert book(app, regular, dt.date(2026, 12, 9), nik=nik_a).kode
        assert book(app, regular, nik=nik_c).jam_mulai == dt.time(9)


def test_only_bookers_book_and_a_desa_operator_only_for_their_desa(app):
    with app.app_context():
        _, regular = setup(app)
        operator = who(app, "operator_loleng")
        own = db.session.scalar(select(Penduduk).where(Penduduk.desa_code.in_(sorted(operator.desa_scope))))
        other = db.session.scalar(
            select(Penduduk).where(Penduduk.desa_code.not_in(sorted(operator.desa_scope)))
        )
        with pytest.raises(PermissionDeniedError):
            book(app, regular, nik=own.nik, user="arsiparis")
        message = refused(lambda: book(app, regular, nik=other.nik, user="operator_loleng"), "desa Anda")
        assert other.nama not in message
        booking = jadwal.book(
            regular,
            TUESDAY,
            nik=own.nik,
            actor=operator,
            source=jadwal.DESA,
            session=db.session,
            tz=TZ,
            now=wita(MONDAY, 10),
        )
        assert booking.desa_code == own.desa_code and booking.nama == own.nama
        book(app, regular, nik=other.nik)  # the clerk books anyone
        assert [b.kode for b in jadwal.bookings_on(TUESDAY, actor=operator, session=db.session)] == [
            booking.kode
        ]
        assert len(jadwal.bookings_on(TUESDAY, actor=who(app, "petugas"), session=db.session)) == 2


def test_a_second_booking_names_the_first_code_only_to_staff_who_may_see_it(app):
    """The code checks the booking in: the public page (anyone who knows a NIK) and an Operator
    Desa for a booking outside their desa never learn it from the refusal; the clerk does."""
    with app.app_context():
        _, regular = setup(app)
        operator = who(app, "operator_loleng")
        own, neighbour = db.session.scalars(
            select(Penduduk).where(Penduduk.desa_code.in_(sorted(operator.desa_scope))).limit(2)
        ).all()

        def public(nik):
            return jadwal.book(
                regular,
                TUESDAY,
                nik=nik,
                nama="Warga Uji",
                actor=None,
                source=jadwal.PUBLIC,
                session=db.session,
                tz=TZ,
                now=wita(MONDAY, 10),
            )

        def by_operator(nik):
            return jadwal.book(
                regular,
                TUESDAY,
                nik=nik,
                actor=operator,
                source=jadwal.DESA,
                session=db.session,
                tz=TZ,
                now=wita(MONDAY, 10),
            )

        by_clerk = book(app, regular, nik=own.nik)
        message = refused(lambda: public(own.nik), "sudah memiliki janji", "bukti janji", "petugas loket")
        assert by_clerk.kode not in message and by_clerk.kode[3:] not in message
        # The clerk booked the operator's resident: the operator may see it, so it is named.
        refused(lambda: by_operator(own.nik), "sudah memiliki janji", by_clerk.kode)

        by_public = public(neighbour.nik)  # a public booking has no desa: not the operator's
        message = refused(lambda: by_operator(neighbour.nik), "sudah memiliki janji", "bukti janji")
        assert by_public.kode not in message
        message = refused(lambda: public(neighbour.nik), "sudah memiliki janji")
        assert by_public.kode not in message
        refused(lambda: book(app, regular, nik=neighbour.nik), by_public.kode)  # the clerk sees all


def test_every_nik_access_is_audited_masked(app):
    with app.app_context():
        _, regular = setup(app)
        (nik,) = niks(1)
        booking = book(app, regular, nik=nik)
        jadwal.bookings_on(TUESDAY, actor=who(app, "petugas"), session=db.session)
        jadwal.audit_slip(booking, actor="publik", session=db.session)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("antrian.janji%"))).all()
        assert {e.action for e in events} == {"antrian.janji", "antrian.janji_daftar", "antrian.janji_slip"}
        for event in events:
            assert nik not in str(event.detail)
        assert any(nik[:6] in str(e.detail) for e in events)


def test_booked_visitor_is_called_at_the_time_ahead_of_walk_ins(app):
    with app.app_context():
        _, regular = setup(app)
        (nik,) = niks(1)
        booking = book(app, regular, nik=nik)  # 09.00 on Tuesday
        walk = [
            antrian.issue_ticket(
                "ktp_el", actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 8, 30 + i)
            )
            for i in range(3)
        ]
        ticket = jadwal.check_in(
            booking.kode, actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 8, 40)
        )
        assert ticket.tracking_code == booking.kode and not ticket.prioritas
        petugas = who(app, "petugas")

        def call(hour, minute):
            return antrian.call_next(
                1, actor=petugas, session=db.session, tz=TZ, now=wita(TUESDAY, hour, minute)
            )

        assert call(8, 45).id == walk[0].id  # before its time the booking waits its turn
        assert call(9, 0).id == ticket.id  # at its time it goes ahead of the walk-ins
        assert [call(9, 10).id, call(9, 20).id] == [walk[1].id, walk[2].id]
        with pytest.raises(InvalidTransitionError):
            jadwal.check_in(booking.kode, actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 9, 30))


def test_booked_priority_tickets_keep_the_no_starvation_rule(app):
    with app.app_context():
        special, _ = setup(app, quota_special=3)
        codes = [book(app, special, nik=n, reason="lansia").kode for n in niks(3)]
        regular = [
            antrian.issue_ticket(
                "ktp_el", actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 7, 50 + i)
            )
            for i in range(3)
        ]
        booked = [
            jadwal.check_in(c, actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 7, 55)) for c in codes
        ]
        assert all(t.prioritas for t in booked)
        petugas = who(app, "petugas")
        order = [
            antrian.call_next(1, actor=petugas, session=db.session, tz=TZ, now=wita(TUESDAY, 8, i))
            for i in range(6)
        ]
        b, r = [t.id for t in booked], [t.id for t in regular]
        assert [t.id for t in order] == [b[0], b[1], r[0], b[2], r[1], r[2]]
        lanes = db.session.execute(
            select(Panggilan.jalur, Panggilan.umum_menunggu).order_by(Panggilan.id)
        ).all()
        streak = 0
        for lane, regular_waiting in lanes:
            streak = streak + 1 if lane == PRIORITY and regular_waiting else 0
            assert streak <= MAX_PRIORITY_STREAK


def test_no_show_is_released_after_the_grace_period(app):
    with app.app_context():
        special, regular = setup(app)
        nik, other = niks(2)
        late = book(app, special, nik=nik, reason="lansia")
        kept = book(app, regular, nik=other)
        antrian.issue_ticket("ktp_el", actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 8))
        petugas = who(app, "petugas")
        shown = jadwal.todays_board(db.session, TZ, TUESDAY)
        assert {row["kode"] for row in shown} == {jadwal.board_code(late.kode), jadwal.board_code(kept.kode)}
        assert late.kode not in str(shown) and kept.kode not in str(shown)
        antrian.call_next(1, actor=petugas, session=db.session, tz=TZ, now=wita(TUESDAY, 8, 29))
        db.session.refresh(late)
        assert late.status == "terjadwal"
        antrian.call_next(1, actor=petugas, session=db.session, tz=TZ, now=wita(TUESDAY, 8, 31))
        db.session.refresh(late)
        db.session.refresh(kept)
        assert (late.status, late.nik_aktif, kept.status) == ("tidak_hadir", None, "terjadwal")
        assert [row["kode"] for row in jadwal.todays_board(db.session, TZ, TUESDAY)] == [
            jadwal.board_code(kept.kode)
        ]
        assert db.session.scalar(select(JadwalIsi.terisi).where(JadwalIsi.jadwal_id == special)) == 0
        with pytest.raises(InvalidTransitionError):
            jadwal.check_in(late.kode, actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 8, 40))
        db.session.rollback()
        # The periodic job releases too, with no counter calling.
        assert jadwal.release_job(db.session, tz=TZ, now=wita(TUESDAY, 9, 31)) == 1
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "antrian.janji_lepas")
            )
            == 2
        )


def test_tv_and_lacak_show_codes_only(app):
    with app.app_context():
        _, regular = setup(app)
        (nik,) = niks(1)
        booking = book(app, regular, nik=nik)
        board = jadwal.todays_board(db.session, TZ, TUESDAY)
        # The TV shows the code's last 3 characters, never the whole code (it checks in).
        assert jadwal.board_code(booking.kode) == "…" + booking.kode[-3:]
        assert board == [{"kode": "…" + booking.kode[-3:], "jam": "09.00", "status": "terjadwal"}]
        assert booking.kode not in str(board) and booking.kode[3:] not in str(board)
        found = track(booking.kode.lower(), session=db.session, registry=lemari().registry, tz=TZ)
        assert found["kind"] == "janji" and found["jam"] == "09.00–12.00"
        assert booking.nama not in str(found) and nik not in str(found) and "nama" not in found
        jadwal.check_in(booking.kode, actor=None, session=db.session, tz=TZ, now=wita(TUESDAY, 8, 50))
        assert track(booking.kode, session=db.session, registry=lemari().registry, tz=TZ)["kind"] == "tiket"
        arrived = jadwal.todays_board(db.session, TZ, TUESDAY)
        assert arrived[0]["status"] == "hadir" and booking.kode not in str(arrived)
        assert jadwal.board_code("") == "" and jadwal.board_code(" KB-7K2QM9XD ") == "…9XD"


def test_cancel_frees_the_place_and_the_nik(app):
    with app.app_context():
        _, regular = setup(app, quota_regular=1)
        nik, other = niks(2)
        booking = book(app, regular, nik=nik)
        refused(lambda: book(app, regular, nik=other), "penuh")
        jadwal.cancel(
            booking.kode, actor=who(app, "petugas"), session=db.session, tz=TZ, now=wita(MONDAY, 11)
        )
        assert book(app, regular, nik=nik).kode != booking.kode
        with pytest.raises(InvalidTransitionError):
            jadwal.cancel(booking.kode, actor=who(app, "petugas"), session=db.session, tz=TZ)


def _last_place_race(app, clerks: int = 4) -> None:
    """Clerks book the one place left from the same start signal: exactly one wins."""
    with app.app_context():
        _, regular = setup(app, quota_regular=1)
        numbers = niks(clerks)
        db.session.remove()
    start, won, lost, errors = threading.Barrier(clerks), [], [], []

    def clerk(nik):
        with app.app_context():
            actor = who(app, "petugas")
            start.wait()
            try:
                won.append(
                    jadwal.book(
                        regular,
                        TUESDAY,
                        nik=nik,
                        actor=actor,
                        source=jadwal.CLERK,
                        session=db.session,
                        tz=TZ,
                        now=wita(MONDAY, 10),
                    ).kode
                )
            except ValidationError as exc:
                lost.append(str(exc))
            except Exception as exc:  # noqa: BLE001 — any other error fails the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(won) == 1 and len(lost) == clerks - 1
    assert all("penuh" in message for message in lost)
    with app.app_context():
        assert db.session.scalar(select(func.count(Janji.id))) == 1
        assert db.session.scalar(select(JadwalIsi.terisi)) == 1


def test_two_clerks_one_last_place_sqlite(app):
    _last_place_race(app)


@pytest.mark.postgres
def test_two_clerks_one_last_place_postgres(postgres_office):
    _last_place_race(postgres_office)


def test_check_in_only_on_the_day(app):
    with app.app_context():
        _, regular = setup(app)
        (nik,) = niks(1)
        booking = book(app, regular, nik=nik)
        with pytest.raises(InvalidTransitionError, match="bukan hari ini"):
            jadwal.check_in(booking.kode, actor=None, session=db.session, tz=TZ, now=wita(MONDAY, 11))
        db.session.rollback()
        assert db.session.scalar(select(func.count(Tiket.id))) == 0
