"""Outages in one process on the demo office (real SQLite): the record and its audit, the
banners on staff pages and the TV, the held long jobs, and the dashboard's power-cut days."""

import datetime as dt

from sqlalchemy import select

from records.daya import services
from records.daya.models import Padam
from records.daya.nut import Reading
from records.extensions import db
from records.jobs import jobs_of
from records.models import AuditEvent

UPS = "kantor"


def reading(status: str, charge: int | None = None) -> Reading:
    variables = {"ups.status": status}
    if charge is not None:
        variables["battery.charge"] = str(charge)
    return Reading(UPS, frozenset(status.split()), variables)


def record(status, charge=None, *, at=None, error=""):
    return services.record_reading(db.session, reading(status, charge) if status else None,
                                   ups=UPS, error=error, now=at)


def actions():
    return [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("daya.%")).order_by(AuditEvent.id))]


def watched(app):
    app.extensions["lemari"].settings.update(UPS_HOST="127.0.0.1", UPS_NAME=UPS)


def test_an_outage_is_opened_once_stamped_low_once_and_closed(app):
    t0 = dt.datetime(2026, 3, 2, 1, 0)  # 09.00 WITA
    with app.app_context():
        steps = [record("OL", 100, at=t0), record("OB DISCHRG", 80, at=t0 + dt.timedelta(minutes=1)),
                 record("OB", 40, at=t0 + dt.timedelta(minutes=10)),
                 record("OB LB", 9, at=t0 + dt.timedelta(minutes=20)),
                 record("OB LB", 7, at=t0 + dt.timedelta(minutes=21)),
                 record("OL CHRG", 8, at=t0 + dt.timedelta(minutes=50))]
        assert [s.event for s in steps] == [None, "padam", None, "rendah", None, "pulih"]
        assert [s.stop for s in steps] == [False, False, False, True, True, False]
        (padam,) = db.session.scalars(select(Padam)).all()
        assert padam.mulai == t0 + dt.timedelta(minutes=1)
        assert padam.baterai_rendah == t0 + dt.timedelta(minutes=20)
        assert padam.selesai == t0 + dt.timedelta(minutes=50)
        assert padam.detik_baterai == 49 * 60 and padam.muatan_terendah == 7 and padam.dimatikan
        assert actions() == ["daya.padam", "daya.baterai_rendah", "daya.pulih"]
        assert services.record_reading(db.session, reading("OL"), ups=UPS).event is None
        assert len(db.session.scalars(select(Padam)).all()) == 1


def test_a_ups_that_disappears_is_audited_once_and_then_found_again(app):
    with app.app_context():
        assert record(None, error="upsd menolak sambungan").event == "hilang"
        assert record(None, error="upsd menolak sambungan").event is None
        assert record("OL", 100).event == "kembali"
        assert actions() == ["daya.tidak_terpantau", "daya.terpantau"]
        state = services.current(db.session, configured=True, poll_seconds=5)
        assert state.terpantau and not state.baterai


def test_the_banner_shows_on_staff_pages_and_the_tv_while_on_battery(app, client, auth):
    watched(app)
    auth.login("petugas")
    assert "Listrik padam" not in client.get("/dokumen/").get_data(as_text=True)
    with app.app_context():
        record("OB", 62)
    assert "server berjalan dengan baterai UPS 62%" in client.get("/dokumen/").get_data(as_text=True)
    tv = client.get("/antrian/layar").get_data(as_text=True)
    assert "Pelayanan tetap berjalan dengan daya cadangan" in tv
    notices = client.get("/pemberitahuan.json").get_json()["pemberitahuan"]
    assert [n["level"] for n in notices] == ["warning"]
    with app.app_context():
        record("OB LB", 9)
    assert "Baterai UPS hampir habis 9%" in client.get("/dokumen/").get_data(as_text=True)
    with app.app_context():
        record("OL", 10)
    assert "Listrik padam" not in client.get("/dokumen/").get_data(as_text=True)
    assert client.get("/pemberitahuan.json").get_json()["pemberitahuan"] == []


def test_only_the_admin_is_told_the_ups_is_not_watched(app, client, auth):
    watched(app)
    with app.app_context():
        record(None, error="upsd di 127.0.0.1:3493 menolak sambungan (tidak berjalan?)")
    auth.login("petugas")
    assert "UPS tidak terpantau" not in client.get("/dokumen/").get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    page = client.get("/dokumen/").get_data(as_text=True)
    assert "UPS tidak terpantau: upsd di 127.0.0.1:3493 menolak sambungan" in page
    assert client.get("/pemberitahuan.json").get_json()["pemberitahuan"] == []


def test_a_stale_reading_shows_no_battery_banner(app):
    with app.app_context():
        record("OB", 50, at=dt.datetime(2026, 3, 2, 1, 0))
        state = services.current(db.session, configured=True, poll_seconds=5,
                                 now=dt.datetime(2026, 3, 2, 1, 5))
        assert not state.baterai and not state.terpantau and state.galat


def test_long_jobs_wait_on_battery_and_run_when_power_returns(app):
    watched(app)
    app.extensions["lemari"].settings["JOBS_IMMEDIATE"] = True
    jobs = jobs_of(app)
    done = []
    jobs.task("uji_panjang", lambda _app, n: done.append(n), long=True)
    jobs.task("uji_pendek", lambda _app, n: done.append(-n))
    with app.app_context():
        record("OB", 70)
    jobs.enqueue("uji_panjang", 1)
    jobs.enqueue("uji_pendek", 2)
    assert done == [-2]
    assert jobs.huey.scheduled_count() == 1  # deferred, not lost
    with app.app_context():
        record("OL", 70)
    (task,) = jobs.huey.scheduled()
    jobs.huey.execute(task, timestamp=task.eta + dt.timedelta(seconds=1))  # the consumer, at its time
    assert done == [-2, 1]


def test_the_dashboard_shows_the_outage_beside_the_day_it_delayed(app, client, auth):
    with app.app_context():
        start = dt.datetime(2026, 3, 2, 1, 0)  # 09.00 WITA
        record("OB", 90, at=start)
        record("OL", 90, at=start + dt.timedelta(minutes=95))
    auth.login("camat")
    page = client.get("/dasbor/?dari=2026-03-01&sampai=2026-03-31").get_data(as_text=True)
    section = page.split('id="padam"')[1]
    assert "02-03-2026" in section and "09.00–10.35" in section and "<td>95</td>" in section
    other = client.get("/dasbor/?dari=2026-04-01&sampai=2026-04-30").get_data(as_text=True)
    assert "Tidak ada pemadaman listrik tercatat" in other
