"""Per-officer statistics for the recognition scheme, on a simulated morning at Kota Bangun.

Three clerks work the KTP-el desk through the real queue, request, workflow and survey
services: `cepat` is quick at the counter but finishes most requests after their promised date
and citizens rate him poorly; `petugas` is slower at the counter, finishes almost everything on
time and is rated well; `baru` is new, fast and perfect on a handful of requests. The numbers
are checked by hand (medians, nearest-rank p90, on-time shares, IKM), then the rule: speed alone
never ranks first, and a small sample is flagged and not ranked. Last, who may see what.
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from records.antrian import services as antrian
from records.builtin.core import PETUGAS
from records.dashboard import petugas as kinerja
from records.exceptions import PermissionDeniedError
from records.extensions import db, lemari
from records.models import Layanan, Penduduk, Record
from records.pengaduan import services as pengaduan
from records.services import persyaratan
from records.services.accounts import actor_for_username, ensure_user
from records.services.clock import frozen
from records.services.issuing import advance
from records.services.public_guard import form_token
from records.survei import services as survei

TZ = "Asia/Makassar"
PASSWORD = "Demo#KotaBangun2026"
TO_READY = ("rekam", "kirim", "catat_cetak", "siapkan")


@pytest.fixture
def app(office_app):
    """The demo office on SQLite and on PostgreSQL (the queries group and join by subquery)."""
    return office_app


def _actor(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session, registry=lemari().registry)


def _morning() -> dt.datetime:
    """08:00 WITA today, as naive UTC (the office's day the services count in)."""
    today = dt.datetime.now(ZoneInfo(TZ)).date()
    local = dt.datetime.combine(today, dt.time(8, 0), ZoneInfo(TZ))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _serve(app, officer, loket_id, penduduk_id, start, minutes):
    """A citizen takes a KTP-el ticket, the officer calls it and, `minutes` later, takes the
    request under the ticket's code (which finishes the ticket)."""
    ticket = antrian.issue_ticket("ktp_el", actor=None, session=db.session, tz=TZ, now=start)
    called = antrian.call_next(loket_id, actor=_actor(app, officer), session=db.session, tz=TZ,
                               now=start + dt.timedelta(minutes=1))
    assert called.id == ticket.id
    with frozen(start + dt.timedelta(minutes=1 + minutes)):
        record = antrian.take_request_for_ticket(
            ticket.id, penduduk_id=penduduk_id, values={"jenis": "Baru"},
            received=persyaratan.names(db.session.get(Layanan, "ktp_el").persyaratan),
            actor=_actor(app, officer), session=db.session, desk=lemari().desk())
    return record


def _finish(app, officer, record, when, *, hand_over=True):
    ext = lemari()
    with frozen(when):
        for name in TO_READY + (("serahkan",) if hand_over else ()):
            advance(record.id, name, actor=_actor(app, officer), session=db.session,
                    registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)


def _survey(record, score, when):
    survei.submit(record.tracking_code, {f"u{i}": str(score) for i in range(1, 10)}, session=db.session,
                  registry=lemari().registry, tz=TZ, now=when)


@pytest.fixture
def morning(app):
    """The simulated morning; returns the month (year, month) it happened in."""
    with app.app_context():
        sm = app.appbuilder.sm
        for username, name in (("cepat", "Budi Cepat"), ("baru", "Rina Baru")):
            ensure_user(sm, username=username, role=PETUGAS, password=PASSWORD, first_name=name,
                        session=db.session)
        db.session.commit()
        from records.services.setup import catalogue

        antrian.ensure_setup(db.session, [s["code"] for s in catalogue()["layanan"]])
        adults = list(db.session.scalars(select(Penduduk.id).where(
            Penduduk.tanggal_lahir < dt.date(1990, 1, 1)).order_by(Penduduk.id).limit(40)))
        base = _morning()
        late_day = None
        plan = {  # officer: (counter, minutes at the counter per ticket, on time?, survey score)
            "cepat": (1, [1, 2, 2, 2, 3, 2, 2, 2, 2, 4], [True] * 4 + [False] * 6, [2] * 5),
            "petugas": (2, [8, 9, 10, 10, 11, 12, 9, 10, 10, 25], [True] * 9 + [False], [4, 4, 4, 3, 3]),
            "baru": (3, [1, 1, 1], [True] * 3, [4]),
        }
        people = iter(adults)
        clock_minutes = 0
        for officer, (loket, minutes, on_time, scores) in plan.items():
            records = []
            for spent in minutes:
                start = base + dt.timedelta(minutes=clock_minutes)
                clock_minutes += spent + 2
                records.append(_serve(app, officer, loket, next(people), start, spent))
            for record, in_time in zip(records, on_time, strict=True):
                promised = db.session.get(Record, record.id).promised_date
                if in_time:
                    when = base + dt.timedelta(hours=3)
                else:  # two days after the promised date, at 09:00 WITA
                    late_day = promised + dt.timedelta(days=2)
                    when = dt.datetime.combine(late_day, dt.time(1, 0))
                _finish(app, officer, record, when)
            for record, score in zip(records, scores, strict=False):
                _survey(record, score, base + dt.timedelta(hours=5))
        # a complaint about the KTP-el service, and a question (not a complaint) about it
        for kategori, client in (("keluhan", "a"), ("pertanyaan", "b")):
            token = form_token(app.config["SECRET_KEY"], base - dt.timedelta(minutes=5))
            pengaduan.submit({"kategori": kategori, "layanan": "ktp_el", "judul": "Soal KTP-el",
                              "isi": "Pelayanan KTP-el di kantor kecamatan"}, client=client, token=token,
                             honeypot="", session=db.session, secret=app.config["SECRET_KEY"], tz=TZ,
                             limit=5, now=base)
        assert late_day is not None
        return base.year, base.month  # 08:00 WITA is 00:00 UTC: the same day


def test_a_morning_gives_sensible_numbers_and_speed_alone_never_ranks_first(app, morning):
    year, month = morning
    with app.app_context():
        stats = kinerja.officer_statistics(year, month, actor=_actor(app, "camat"), session=db.session,
                                           registry=lemari().registry, tz=TZ)
        rows = {r.username: r for r in stats["rows"]}
        cepat, good, new = rows["cepat"], rows["petugas"], rows["baru"]

        # counter minutes: median and nearest-rank p90
        assert (cepat.tiket, cepat.median_menit, cepat.p90_menit) == (10, 2.0, 3.0)
        assert (good.tiket, good.median_menit, good.p90_menit) == (10, 10.0, 12.0)
        assert (new.tiket, new.median_menit, new.p90_menit) == (3, 1.0, 1.0)
        # requests taken in, completed, on time
        assert (cepat.permohonan, cepat.selesai, cepat.tepat_waktu, cepat.terlambat) == (10, 10, 4, 6)
        assert (good.permohonan, good.tepat_waktu, good.terlambat) == (10, 9, 1)
        assert (cepat.persen_tepat, good.persen_tepat, new.persen_tepat) == (40.0, 90.0, 100.0)
        # IKM of what each handed over: all 2s → 50; (3×4 + 2×3) / 5 = 3.6 → 90
        assert (cepat.responden, cepat.ikm, cepat.mutu) == (5, 50.0, "D")
        assert (good.responden, good.ikm, good.mutu) == (5, 90.0, "A")
        # one complaint (not the question) names the KTP-el service each of them served
        assert cepat.pengaduan == good.pengaduan == new.pengaduan == 1
        assert good.nama == "Nurhayati, A.Md."  # as on the receipts: the Pejabat entry
        assert cepat.nama == "Budi Cepat"  # else the account's full name

        # the rule: 0.5 × on-time % + 0.5 × IKM; the fast officer is second, the new one unranked
        assert (good.skor, good.peringkat) == (90.0, 1)
        assert (cepat.skor, cepat.peringkat) == (45.0, 2)
        assert new.skor is None and new.peringkat is None
        assert new.keterangan.startswith("data belum cukup")
        assert [r.username for r in stats["rows"]] == ["petugas", "cepat", "baru"]
        assert cepat.median_menit < good.median_menit  # faster, and still not first

        # the XLSX and the monthly PDF say the same
        book = load_workbook(io.BytesIO(kinerja.export_xlsx(stats)))
        sheet = book.worksheets[0]
        header = [c.value for c in sheet[1]]
        first = dict(zip(header, [c.value for c in sheet[2]], strict=True))
        assert first["Petugas"] == "petugas" and first["Peringkat"] == 1 and first["Skor"] == 90
        pdf = kinerja.report_pdf(year, month, actor=_actor(app, "sekcam"), session=db.session,
                                 desk=lemari().desk(), tz=TZ)
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
        assert "LAPORAN BULANAN KINERJA PETUGAS PELAYANAN" in text
        assert "Budi Cepat" in text and "data belum cukup" in text


def test_only_camat_sekcam_admin_see_everyone_and_a_clerk_sees_only_their_own_row(app, morning):
    year, month = morning
    with app.app_context():
        registry = lemari().registry
        for username in ("camat", "sekcam", "admin"):
            stats = kinerja.officer_statistics(year, month, actor=_actor(app, username), session=db.session,
                                               registry=registry, tz=TZ)
            assert {r.username for r in stats["rows"]} >= {"cepat", "petugas", "baru"}, username
        mine = kinerja.officer_statistics(year, month, actor=_actor(app, "cepat"), session=db.session,
                                          registry=registry, tz=TZ)
        assert [r.username for r in mine["rows"]] == ["cepat"] and mine["rows"][0].peringkat is None
        asked = kinerja.officer_statistics(year, month, actor=_actor(app, "admin"), session=db.session,
                                           registry=registry, tz=TZ, own_only=True)
        assert asked["rows"] == [] and asked["semua"] is False  # Admin served nobody
        for username in ("auditor", "arsiparis", "humas"):
            with pytest.raises(PermissionDeniedError):
                kinerja.officer_statistics(year, month, actor=_actor(app, username), session=db.session,
                                           registry=registry, tz=TZ)

    client = app.test_client()
    bulan = f"{year}-{month:02d}"
    everyone, own = "/dasbor/petugas/", "/dasbor/petugas/saya"
    for username, page, status in (("camat", everyone, 200), ("sekcam", everyone, 200),
                                   ("admin", everyone, 200), ("petugas", everyone, 403),
                                   ("auditor", everyone, 403), ("petugas", own, 200), ("camat", own, 403)):
        client.get("/logout/")
        client.post("/login/", data={"username": username, "password": PASSWORD})
        response = client.get(f"{page}?bulan={bulan}")
        assert response.status_code == status, (username, page)
        if username == "petugas" and status == 200:
            html = response.get_data(as_text=True)
            assert "Budi Cepat" not in html and "Kinerja Saya" in html
        if username == "camat" and status == 200:
            html = response.get_data(as_text=True)
            assert "Budi Cepat" in html and "data belum cukup" in html
            assert client.get(f"/dasbor/petugas/laporan?bulan={bulan}").mimetype == "application/pdf"
            assert client.get(f"/dasbor/petugas/ekspor.xlsx?bulan={bulan}").status_code == 200
    assert client.get("/dasbor/petugas/?bulan=2026-13").status_code == 400


def test_percentile_is_nearest_rank():
    assert kinerja.percentile([], 0.9) is None
    assert kinerja.percentile([5.0], 0.9) == 5.0
    assert kinerja.percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert kinerja.percentile([float(v) for v in range(1, 12)], 0.9) == 10.0
    assert kinerja.score(100.0, 25.0) == 62.5
