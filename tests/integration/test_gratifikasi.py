"""The gratification register on a real database: declaring (30 working days, late ones flagged),
bad input refused whole, review through the one workflow history, who sees what, and the
quarterly and yearly report to the Inspektorat read back from its PDF and XLSX; the same
through the web form, the REST API and `lemari gratifikasi`."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from records.exceptions import InvalidTransitionError, NotFoundError, PermissionDeniedError, ValidationError
from records.extensions import db, lemari
from records.gratifikasi import services as gratifikasi
from records.gratifikasi.models import Gratifikasi
from records.gratifikasi.plugin import UPG
from records.models import AuditEvent, WorkflowStep
from records.services.accounts import actor_for_username, ensure_user

TZ = "Asia/Makassar"
PASSWORD = "Demo#KotaBangun2026"
# Friday 4 December 2026, 10:00 WITA
FRIDAY = dt.datetime(2026, 12, 4, 2, 0)


def who(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session, registry=lemari().registry)


def values(**changes):
    base = {"uraian": "Amplop berisi uang", "pemberi": "Pak Darto", "hubungan": "pemohon KTP-el",
            "nilai": "Rp 1.500.000", "tanggal": "2026-12-01", "tempat": "Loket 2 kantor kecamatan",
            "sikap": "ditolak", "layanan": "ktp_el"}
    return {**base, **changes}


def declare(app, username="petugas", now=FRIDAY, **changes):
    return gratifikasi.declare(values(**changes), actor=who(app, username), session=db.session,
                               registry=lemari().registry, tz=TZ, now=now)


def counts():
    return (db.session.scalar(select(func.count()).select_from(Gratifikasi)),
            db.session.scalar(select(func.count()).select_from(WorkflowStep)
                              .where(WorkflowStep.subject == "gratifikasi")),
            db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action.like("gratifikasi.%"))))


@pytest.fixture
def upg(app):
    with app.app_context():
        ensure_user(app.appbuilder.sm, username="upg", role=UPG, password=PASSWORD,
                    first_name="Sari UPG", session=db.session)
        db.session.commit()
    return "upg"


def test_parse_rupiah_reads_the_indonesian_way_and_refuses_the_rest():
    for text, value in (("Rp 1.500.000", 1_500_000), ("1.500.000", 1_500_000), ("1500000", 1_500_000),
                        ("Rp1.500.000,00", 1_500_000), (" 250.000 ", 250_000), (75000, 75_000)):
        assert gratifikasi.parse_rupiah(text) == value, text
    for text, message in (("", "wajib diisi"), ("-50.000", "tidak boleh negatif"),
                          (-1, "tidak boleh negatif"), ("0", "lebih dari Rp 0"),
                          ("1,500,000", "rupiah penuh"), ("1.50.000", "angka rupiah"),
                          ("satu juta", "angka rupiah"), ("１０００", "angka rupiah"), (True, "angka rupiah"),
                          ("9" * 16, "terlalu besar")):
        with pytest.raises(ValueError, match=message):
            gratifikasi.parse_rupiah(text)
    assert gratifikasi.rupiah(1_500_000) == "Rp 1.500.000"


def test_a_declaration_is_recorded_with_its_deadline_history_and_audit(app):
    with app.app_context():
        row = declare(app)
        assert row.kode == f"GR-2026-{row.id:04d}" and row.state == "dilaporkan"
        assert row.nilai == 1_500_000 and row.tanggal_lapor == dt.date(2026, 12, 4)
        assert row.batas_lapor > dt.date(2027, 1, 1) and row.terlambat is False
        assert [(h.from_state, h.to_state, h.actor) for h in row.history] == [(None, "dilaporkan", "petugas")]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "gratifikasi.lapor"))
        assert event.actor == "petugas" and str(event.object_id) == str(row.id)


def test_thirty_working_days_skip_weekends_and_holidays_and_a_late_one_is_accepted_but_flagged(app):
    with app.app_context():
        # Monday 16 November 2026 + 30 working days: Natal (Friday 25 December) skipped → 29 December
        on_time = declare(app, tanggal="16-11-2026", now=dt.datetime(2026, 12, 29, 8))
        assert on_time.batas_lapor == dt.date(2026, 12, 29) and on_time.terlambat is False
        late = declare(app, tanggal="16/11/2026", now=dt.datetime(2026, 12, 30, 1))
        assert late.batas_lapor == dt.date(2026, 12, 29) and late.terlambat is True
        assert late.state == "dilaporkan"  # accepted, only flagged


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"nilai": ""}, "nilai", "Nilai wajib diisi"),
    ({"nilai": "-250.000"}, "nilai", "Nilai tidak boleh negatif"),
    ({"tanggal": ""}, "tanggal", "Tanggal pemberian wajib diisi"),
    ({"tanggal": "2026-12-05"}, "tanggal", "tidak boleh di masa depan"),
    ({"tanggal": "31-02-2026"}, "tanggal", "Tanggal tidak dikenali"),
    ({"sikap": "disimpan"}, "sikap", "ditolak atau diterima"),
    ({"pemberi": " "}, "pemberi", "Nama pemberi wajib diisi"),
    ({"layanan": "tidak_ada"}, "layanan", "Layanan tidak dikenal"),
])
def test_bad_input_is_refused_in_indonesian_and_nothing_is_saved(app, changes, field, message):
    with app.app_context():
        before = counts()
        with pytest.raises(ValidationError) as refused:
            declare(app, **changes)
        assert message in refused.value.errors[field]
        db.session.rollback()
        assert counts() == before


def test_every_problem_is_named_at_once(app):
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            declare(app, nilai="-1", tanggal="2099-01-01", uraian="", tempat="")
        assert set(refused.value.errors) == {"nilai", "tanggal", "uraian", "tempat"}


def test_review_moves_through_the_one_workflow_history(app, upg):
    with app.app_context():
        registry = lemari().registry
        row = declare(app)
        step = dict(note="", session=db.session, registry=registry, tz=TZ)
        with pytest.raises(PermissionDeniedError):
            gratifikasi.fire(row.id, "telaah", actor=who(app, "sekcam"), **step)
        gratifikasi.fire(row.id, "telaah", actor=who(app, "camat"), **step)
        with pytest.raises(ValidationError):  # a decision needs its grounds
            gratifikasi.fire(row.id, "catat_penolakan", actor=who(app, "camat"), **step)
        with pytest.raises(InvalidTransitionError):  # not from ditelaah back to ditelaah
            gratifikasi.fire(row.id, "telaah", actor=who(app, "camat"), **step)
        step["note"] = "Amplop dikembalikan di tempat; dicatat sebagai penolakan."
        done = gratifikasi.fire(row.id, "catat_penolakan", actor=who(app, upg), **step)
        assert done.state == "ditolak" and done.ditelaah_oleh == "upg" and done.selesai_on is not None
        assert [h.to_state for h in done.history] == ["dilaporkan", "ditelaah", "ditolak"]
        assert registry.workflows["gratifikasi"].state_is(done.state, "closed")
        actions = {e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "gratifikasi", AuditEvent.object_id == str(row.id)))}
        assert actions == {"gratifikasi.lapor", "gratifikasi.telaah", "gratifikasi.catat_penolakan"}


def test_nobody_reviews_their_own_declaration(app, upg):
    with app.app_context():
        own = declare(app, "camat")
        with pytest.raises(PermissionDeniedError, match="sendiri"):
            gratifikasi.fire(own.id, "telaah", note="", actor=who(app, "camat"), session=db.session,
                             registry=lemari().registry, tz=TZ)
        gratifikasi.fire(own.id, "telaah", note="", actor=who(app, upg), session=db.session,
                         registry=lemari().registry, tz=TZ)


def test_who_sees_what(app, upg):
    with app.app_context():
        registry = lemari().registry
        mine, theirs = declare(app, "petugas"), declare(app, "humas")
        for username, sees_all in (("camat", True), (upg, True), ("auditor", True), ("petugas", False),
                                   ("humas", False), ("sekcam", False), ("admin", False)):
            rows = gratifikasi.list_declarations(actor=who(app, username), session=db.session,
                                                 registry=registry)
            listed = {r.id for r in rows}
            assert (listed >= {mine.id, theirs.id}) is sees_all, username
        assert {r.id for r in gratifikasi.list_declarations(actor=who(app, "petugas"), session=db.session,
                                                            registry=registry)} == {mine.id}
        with pytest.raises(NotFoundError):
            gratifikasi.get_declaration(theirs.id, actor=who(app, "petugas"), session=db.session,
                                        registry=registry)
        with pytest.raises(PermissionDeniedError):
            gratifikasi.list_declarations(actor=who(app, "operator_loleng"), session=db.session,
                                          registry=registry)
        for username in ("admin", "sekcam", "petugas"):
            with pytest.raises(PermissionDeniedError):
                gratifikasi.report("2026-T4", actor=who(app, username), session=db.session, registry=registry)


def test_quarterly_and_yearly_report_to_the_inspektorat(app, upg):
    with app.app_context():
        registry, desk = lemari().registry, lemari().desk()
        refused = declare(app)
        declare(app, "humas", nilai="250.000", sikap="diterima", uraian="Parsel buah", layanan="",
                tanggal="2026-10-01", now=dt.datetime(2026, 12, 3, 2))  # 45 working days: late
        declare(app, now=dt.datetime(2026, 9, 30, 2), tanggal="2026-09-29", uraian="Rokok satu slop",
                nilai="150.000")  # third quarter
        gratifikasi.fire(refused.id, "telaah", note="", actor=who(app, "camat"), session=db.session,
                         registry=registry, tz=TZ)
        data = gratifikasi.report("2026-t4", actor=who(app, "auditor"), session=db.session, registry=registry)
        assert data["label"] == "Triwulan IV 2026" and data["jumlah"] == 2 and data["nilai"] == 1_750_000
        assert data["terlambat"] == 1 and data["selesai"] == 0
        by_state = {s["state"]: s["jumlah"] for s in data["per_state"]}
        assert by_state["ditelaah"] == 1 and by_state["dilaporkan"] == 1
        assert gratifikasi.report("2026", actor=who(app, upg), session=db.session,
                                  registry=registry)["jumlah"] == 3
        with pytest.raises(ValidationError, match="Periode tidak valid"):
            gratifikasi.report("2026-T5", actor=who(app, "camat"), session=db.session, registry=registry)

        pdf = gratifikasi.report_pdf("2026-T4", actor=who(app, "camat"), session=db.session, desk=desk)
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
        assert "LAPORAN PENGENDALIAN GRATIFIKASI" in text and "Triwulan IV 2026" in text
        assert "Rp 1.750.000" in text and "Parsel buah" in text and "(terlambat)" in text
        assert "Rokok satu slop" not in text  # third quarter
        book = load_workbook(io.BytesIO(gratifikasi.report_xlsx(data)))
        listing = book["Daftar"]
        assert listing.max_row == 3 and listing["G2"].value == 1_500_000
        reports = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                    .where(AuditEvent.action == "gratifikasi.laporan"))
        assert reports == 3


def test_web_form_rest_and_cli(app, runner, tmp_path):
    client = app.test_client()
    client.post("/login/", data={"username": "petugas", "password": PASSWORD})
    assert client.get("/gratifikasi/baru").status_code == 200
    with app.app_context():
        before = counts()
    bad = client.post("/gratifikasi/baru", data={**values(nilai="-5.000", tanggal="")})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Nilai tidak boleh negatif" in page and "wajib diisi" in page
    with app.app_context():
        assert counts() == before
    good = client.post("/gratifikasi/baru", data=values(tanggal=dt.date.today().isoformat()))
    assert good.status_code == 302
    shown = client.get(good.location).get_data(as_text=True)
    assert "Rp 1.500.000" in shown and "Pak Darto" in shown
    assert client.get("/gratifikasi/laporan?periode=2026").status_code == 403  # petugas: no report right
    assert "Amplop berisi uang" in client.get("/gratifikasi/").get_data(as_text=True)
    show = good.location.split("?")[0]

    camat = app.test_client()
    camat.post("/login/", data={"username": "camat", "password": PASSWORD})
    assert "Mulai telaah" in camat.get(show).get_data(as_text=True)
    assert camat.post(f"{show}/langkah/telaah").status_code == 302
    assert "Sedang ditelaah" in camat.get(show).get_data(as_text=True)
    assert camat.get("/gratifikasi/laporan?periode=2026-T9").status_code == 422
    report = camat.get(f"/gratifikasi/laporan?periode={dt.date.today().year}&format=xlsx")
    assert report.status_code == 200 and report.data[:2] == b"PK"

    token = client.post("/api/v1/security/login", json={"username": "petugas", "password": PASSWORD,
                                                         "provider": "db"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/gratifikasi/", headers=headers,
                          json={**values(tanggal=dt.date.today().isoformat()), "nilai": 300000})
    assert created.status_code == 201 and created.get_json()["result"]["nilai"] == 300000
    refused = client.post("/api/v1/gratifikasi/", headers=headers, json=values(nilai="-1", tanggal=""))
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"nilai", "tanggal"}
    assert len(client.get("/api/v1/gratifikasi/", headers=headers).get_json()["result"]) == 2

    out = runner.invoke(args=["gratifikasi", "lapor", "--as", "humas", "--uraian", "Voucher belanja",
                              "--pemberi", "CV Maju", "--hubungan", "rekanan", "--nilai", "500.000",
                              "--tanggal", dt.date.today().isoformat(), "--tempat", "Kantor",
                              "--sikap", "ditolak"])
    assert out.exit_code == 0, out.output
    assert "tercatat" in out.output
    out = runner.invoke(args=["gratifikasi", "lapor", "--as", "humas", "--uraian", "Voucher",
                              "--pemberi", "CV Maju", "--hubungan", "rekanan", "--nilai", "-1",
                              "--tanggal", "2099-01-01", "--tempat", "Kantor", "--sikap", "ditolak"])
    assert out.exit_code == 1 and "tidak boleh negatif" in out.output
    dest = tmp_path / "laporan.xlsx"
    year = dt.date.today().year
    out = runner.invoke(args=["gratifikasi", "laporan", str(year), str(dest), "--as", "camat"])
    assert out.exit_code == 0, out.output
    assert load_workbook(dest)["Daftar"].max_row == 4


@pytest.mark.postgres
def test_declare_review_and_report_on_postgresql(postgres_office):
    pg = postgres_office
    with pg.app_context():
        registry = lemari().registry
        row = declare(pg, nilai="Rp 12.500.000", sikap="diterima")
        gratifikasi.fire(row.id, "telaah", note="", actor=who(pg, "camat"), session=db.session,
                         registry=registry, tz=TZ)
        gratifikasi.fire(row.id, "tetapkan_negara", note="Disetor ke kas negara.", actor=who(pg, "camat"),
                         session=db.session, registry=registry, tz=TZ)
        assert [h.to_state for h in row.history] == ["dilaporkan", "ditelaah", "milik_negara"]
        data = gratifikasi.report("2026-T4", actor=who(pg, "camat"), session=db.session, registry=registry)
        assert data["jumlah"] == 1 and data["nilai"] == 12_500_000 and data["selesai"] == 1
        with pytest.raises(ValidationError):
            declare(pg, nilai="-1")
        db.session.rollback()
        assert counts()[0] == 1
