"""Appointments over REST (/api/v1/janji/, JWT): the day's slots with the places left, booking
with an Idempotency-Key, the refusals in Indonesian with nothing saved, the day's list and one
booking with the NIK masked and the read audited, the Operator Desa's scope, cancel and
check-in; and check-in from `lemari janji hadir` in-process on the same office."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from records.antrian.models import JadwalLayanan, Janji, Tiket
from records.extensions import db
from records.models import AuditEvent, Penduduk
from records.nik import mask_nik
from records.services.clock import frozen
from records.services.setup import DEMO_PASSWORD

MONDAY, TUESDAY, SATURDAY = dt.date(2026, 12, 7), dt.date(2026, 12, 8), dt.date(2026, 12, 12)


def wita(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute)) - dt.timedelta(hours=8)


def headers(client, username: str, **extra) -> dict:
    token = client.post(
        "/api/v1/security/login", json={"username": username, "password": DEMO_PASSWORD, "provider": "db"}
    ).get_json()["access_token"]
    return {"Authorization": f"Bearer {token}", **extra}


def slots(app) -> tuple[int, int]:
    """KTP-el's reserved 08.00–09.00 (quota 2) and regular 09.00–12.00 (quota 5), Mon–Fri; the
    only slots of the office (whether or not its demo came with slots)."""
    with app.app_context():
        db.session.execute(delete(JadwalLayanan))
        rows = [
            JadwalLayanan(
                layanan_code="ktp_el",
                jam_mulai=dt.time(8),
                jam_selesai=dt.time(9),
                kuota=2,
                khusus=True,
                hari="0,1,2,3,4",
                tenggang_menit=30,
                aktif=True,
            ),
            JadwalLayanan(
                layanan_code="ktp_el",
                jam_mulai=dt.time(9),
                jam_selesai=dt.time(12),
                kuota=5,
                khusus=False,
                hari="0,1,2,3,4",
                tenggang_menit=30,
                aktif=True,
            ),
        ]
        db.session.add_all(rows)
        db.session.commit()
        return rows[0].id, rows[1].id


def residents(app, desa: str | None = None, count: int = 2) -> list[Penduduk]:
    with app.app_context():
        query = select(Penduduk).order_by(Penduduk.id).limit(count)
        if desa:
            query = query.where(Penduduk.desa_code == desa)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def count(app, model=Janji) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id))) or 0


def test_slots_of_a_day_with_the_places_left(app, client):
    special, regular = slots(app)
    clerk = headers(client, "petugas")
    with frozen(wita(MONDAY, 10)):
        shown = client.get("/api/v1/janji/slot?layanan=ktp_el&tanggal=2026-12-08", headers=clerk)
        assert shown.status_code == 200, shown.get_json()
        result = shown.get_json()["result"]
        assert result["buka"] is True and [s["jadwal_id"] for s in result["items"]] == [special, regular]
        assert result["items"][0] | {"terisi": 0} == {
            "jadwal_id": special,
            "layanan": "ktp_el",
            "jam_mulai": "08:00",
            "jam_selesai": "09:00",
            "kuota": 2,
            "terisi": 0,
            "sisa": 2,
            "khusus": True,
            "tenggang_menit": 30,
        }
        every = client.get("/api/v1/janji/slot?tanggal=2026-12-08", headers=clerk).get_json()["result"]
        assert {s["layanan"] for s in every["items"]} == {"ktp_el"}
        closed = client.get("/api/v1/janji/slot?layanan=ktp_el&tanggal=2026-12-12", headers=clerk)
        assert closed.get_json()["result"] | {"keterangan": ""} == {
            "tanggal": "2026-12-12",
            "buka": False,
            "keterangan": "",
            "items": [],
        }
        assert "Kantor tutup pada 12-12-2026" in closed.get_json()["result"]["keterangan"]
        bad = client.get("/api/v1/janji/slot?layanan=ktp_el&tanggal=08-12-2026", headers=clerk)
        assert bad.status_code == 422 and "Tanggal tidak valid" in bad.get_json()["message"]
        unknown = client.get("/api/v1/janji/slot?layanan=tidak_ada&tanggal=2026-12-08", headers=clerk)
        assert unknown.status_code == 404 and "tidak dikenal" in unknown.get_json()["message"]
    assert client.get("/api/v1/janji/slot").status_code == 401
    assert client.get("/api/v1/janji/slot", headers=headers(client, "auditor")).status_code == 403


def test_book_with_an_idempotency_key_and_the_refusals(app, client):
    special, regular = slots(app)
    first, second = residents(app)
    clerk = headers(client, "petugas", **{"Idempotency-Key": "janji-kunci-0001"})
    body = {"jadwal_id": special, "tanggal": "2026-12-08", "nik": first.nik, "alasan": "lansia"}
    with frozen(wita(MONDAY, 10)):
        made = client.post("/api/v1/janji/", json=body, headers=clerk)
        assert made.status_code == 201, made.get_json()
        booking = made.get_json()["result"]
        assert booking["nik"] == mask_nik(first.nik) and first.nik not in made.get_data(as_text=True)
        assert booking["nama"] == first.nama and booking["status"] == "terjadwal"
        again = client.post("/api/v1/janji/", json=body, headers=clerk)  # the client lost the answer
        assert again.status_code == 201 and again.get_json()["result"]["kode"] == booking["kode"]
        assert count(app) == 1

        other = client.post(
            "/api/v1/janji/", json=body, headers={**clerk, "Idempotency-Key": "janji-kunci-0002"}
        )
        assert other.status_code == 422 and booking["kode"] in other.get_json()["message"]
        stolen = client.post(
            "/api/v1/janji/",
            json=body,
            headers=headers(client, "operator_loleng", **{"Idempotency-Key": "janji-kunci-0001"}),
        )
        assert stolen.status_code == 422 and "pengguna lain" in stolen.get_json()["message"]
        for wrong, words in (
            ({"jadwal_id": special, "nik": second.nik}, "khusus untuk lansia"),
            ({"tanggal": "2026-12-12", "nik": second.nik, "alasan": "lansia"}, "Kantor tutup"),
            ({"tanggal": "kemarin", "nik": second.nik}, "Tanggal tidak valid"),
            ({"jadwal_id": "satu", "nik": second.nik}, "jadwal_id"),
            ({"jadwal_id": True, "nik": second.nik}, "jadwal_id"),
            ({"jadwal_id": 2**40, "nik": second.nik}, "jam layanan"),
            ({"nik": 6402081234567890}, "nik harus berupa teks"),
            ({"nik": second.nik, "alasan": "vip"}, "Alasan layanan khusus tidak dikenal"),
        ):
            sent = {"jadwal_id": regular, "tanggal": "2026-12-08", "alasan": "", **wrong}
            refused = client.post("/api/v1/janji/", json=sent, headers=headers(client, "petugas"))
            assert refused.status_code == 422 and words in refused.get_json()["message"], (
                wrong,
                refused.get_json(),
            )
        bad_key = client.post("/api/v1/janji/", json=body, headers={**clerk, "Idempotency-Key": "pendek"})
        assert bad_key.status_code == 422 and "Kunci idempotensi" in bad_key.get_json()["message"]
        assert client.post("/api/v1/janji/", data="bukan json", headers=clerk).status_code == 422
    assert count(app) == 1


def test_day_list_and_one_booking_masked_audited_and_scoped(app, client):
    _, regular = slots(app)
    loleng = residents(app, "64.02.08.2004", 1)[0]
    pela = residents(app, "64.02.08.2009", 1)[0]
    operator = headers(client, "operator_loleng")
    with frozen(wita(MONDAY, 10)):
        mine = client.post(
            "/api/v1/janji/",
            json={"jadwal_id": regular, "tanggal": "2026-12-08", "nik": loleng.nik},
            headers=operator,
        )
        assert mine.status_code == 201 and mine.get_json()["result"]["sumber"] == "desa"
        outside = client.post(
            "/api/v1/janji/",
            json={"jadwal_id": regular, "tanggal": "2026-12-08", "nik": pela.nik},
            headers=operator,
        )
        assert outside.status_code == 422 and "desa Anda" in outside.get_json()["message"]
        theirs = client.post(
            "/api/v1/janji/",
            json={"jadwal_id": regular, "tanggal": "2026-12-08", "nik": pela.nik},
            headers=headers(client, "petugas"),
        )
        assert theirs.status_code == 201
        clerk_list = client.get("/api/v1/janji/?tanggal=2026-12-08", headers=headers(client, "petugas"))
        assert [b["nik"] for b in clerk_list.get_json()["result"]["items"]] == [
            mask_nik(loleng.nik),
            mask_nik(pela.nik),
        ]
        op_list = client.get("/api/v1/janji/?tanggal=2026-12-08", headers=operator).get_json()["result"][
            "items"
        ]
        assert [b["kode"] for b in op_list] == [mine.get_json()["result"]["kode"]]
        code = theirs.get_json()["result"]["kode"]
        assert client.get(f"/api/v1/janji/{code}", headers=operator).status_code == 404
        one = client.get(f"/api/v1/janji/{code}", headers=headers(client, "petugas"))
        assert one.status_code == 200 and one.get_json()["result"]["nik"] == mask_nik(pela.nik)
        assert client.get("/api/v1/janji/KB-TIDAKADA", headers=operator).status_code == 404
    with app.app_context():
        actions = list(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("antrian.janji%")))
        )
        assert actions.count("antrian.janji") == 2 and actions.count("antrian.janji_daftar") == 2
        assert actions.count("antrian.janji_slip") == 1


def test_cancel_and_check_in_over_rest_and_from_the_cli(app, client, runner):
    special, regular = slots(app)
    first, second = residents(app)
    clerk = headers(client, "petugas")
    with frozen(wita(MONDAY, 10)):
        kept = client.post(
            "/api/v1/janji/",
            headers=clerk,
            json={"jadwal_id": special, "tanggal": "2026-12-08", "nik": first.nik, "alasan": "lansia"},
        ).get_json()["result"]
        dropped = client.post(
            "/api/v1/janji/",
            headers=clerk,
            json={"jadwal_id": regular, "tanggal": "2026-12-08", "nik": second.nik},
        ).get_json()["result"]
        cancelled = client.post(f"/api/v1/janji/{dropped['kode']}/batal", headers=clerk)
        assert cancelled.status_code == 200 and cancelled.get_json()["result"]["status"] == "batal"
        assert client.post(f"/api/v1/janji/{dropped['kode']}/batal", headers=clerk).status_code == 409
        early = client.post(f"/api/v1/janji/{kept['kode']}/hadir", headers=clerk)
        assert early.status_code == 409 and "bukan hari ini" in early.get_json()["message"]
    with frozen(wita(TUESDAY, 8, 10)):
        operator = headers(client, "operator_loleng")
        assert client.post(f"/api/v1/janji/{kept['kode']}/hadir", headers=operator).status_code == 403
        arrived = client.post(f"/api/v1/janji/{kept['kode']}/hadir", headers=clerk)
        assert arrived.status_code == 200, arrived.get_json()
        ticket = arrived.get_json()["result"]
        assert (
            ticket["kode"] == kept["kode"] and ticket["prioritas"] is True and ticket["status"] == "menunggu"
        )
        # The same morning from the command line: a booking made by CLI, then checked in by CLI.
        made = runner.invoke(
            args=[
                "janji",
                "buat",
                "--as",
                "petugas",
                "--layanan",
                "ktp_el",
                "--tanggal",
                "2026-12-08",
                "--jam",
                "09:00",
                "--nik",
                second.nik,
            ]
        )
        assert made.exit_code == 0, made.output
        code = made.output.split("Janji dibuat: ")[1].split()[0]
        listed = runner.invoke(args=["janji", "daftar", "--as", "petugas"])
        assert code in listed.output and mask_nik(second.nik) in listed.output
        came = runner.invoke(args=["janji", "hadir", code, "--as", "petugas"])
        assert came.exit_code == 0 and f"dari janji {code}" in came.output, came.output
        twice = runner.invoke(args=["janji", "hadir", code, "--as", "petugas"])
        assert twice.exit_code == 1 and "Sudah hadir" in twice.output
    assert count(app, Tiket) == 2


def test_the_spec_lists_the_appointment_calls(client):
    spec = client.get("/api/v1/_openapi", headers=headers(client, "admin")).get_json()
    paths = {p.removeprefix("/api/v1") for p in spec["paths"] if p.startswith("/api/v1/janji/")}
    assert paths >= {"/janji/", "/janji/slot", "/janji/{kode}", "/janji/{kode}/batal", "/janji/{kode}/hadir"}
    post = spec["paths"]["/api/v1/janji/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
