"""Every role lands on a home page that says what waits (issue 14, part 2), and the menu shows
the same counts as badges: Humas its drafts and the ones sent back, the Camat what waits for
review and signature, the Arsiparis the OCR inbox and the records due for disposition, the
Operator Desa its desa's requests (the desa by name), the Auditor refused logins. The counts
of every list are one statement, and the home page's statements do not grow with its items."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import pytest
from sqlalchemy import select, update
from test_permission_cache import statements

from archive.desk import close_archive_desk
from archive.models import Arsip, OcrJob
from archive.scan_samples import image_bytes
from conftest import build_app
from records.extensions import db, lemari
from records.models import Penduduk
from records.services.accounts import actor_for_username
from records.services.requests import take_request

LOLENG, PELA = "64.02.08.2004", "64.02.08.2009"
ALL = ["Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"]
TODAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@pytest.fixture
def app(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    yield app
    close_archive_desk(app)
    app.extensions["lemari"].close()


def login_as(client, username):
    client.get("/logout/")
    response = client.post("/login/", data={"username": username, "password": "Demo#KotaBangun2026"})
    assert response.status_code == 302 and "/login" not in response.location


def panel(page: str, key: str) -> str:
    """The HTML of one worklist panel of the home page ('' when absent)."""
    start = page.find(f'id="worklist-{key}"')
    if start < 0:
        return ""
    end = page.find('class="panel panel-default lemari-worklist"', start)
    return page[start:end if end > 0 else len(page)]


def panel_count(page: str, key: str) -> int:
    body = panel(page, key)
    assert body, f"no worklist {key}"
    return int(re.search(r'<span class="badge">([0-9.]+)</span>', body).group(1).replace(".", ""))


def menu_badge(page: str, href: str) -> int:
    """The count on the menu item linking to `href` (0 when it shows none)."""
    found = re.search(rf'<a tabindex="-1" href="{re.escape(href)}">[^<]*'
                      r'(?:<span class="badge lemari-menu-count">([0-9.]+))?', page)
    assert found is not None, f"no menu item {href}"
    return int(found.group(1).replace(".", "")) if found.group(1) else 0


def take(app, desa: str, username: str = "petugas") -> int:
    with app.app_context():
        ext = lemari()
        actor = actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                   registry=ext.registry)
        resident = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == desa))
        return take_request("sk_domisili", penduduk_id=resident.id, received=ALL,
                            values={"keperluan": "Uji daftar kerja"}, actor=actor, duplicate_ok=True,
                            session=db.session, desk=ext.desk()).id


def test_humas_drafts_and_returned_ones_and_the_camats_review(app):
    client = app.test_client()
    login_as(client, "humas")
    made = client.post("/publikasi/baru/pengumuman", data={
        "berlaku_mulai": TODAY_PATTERN.search(client.get("/publikasi/baru/pengumuman")
                                              .get_data(as_text=True)).group(0),
        "templat": "pengumuman", "judul": "Pelayanan KTP-el hari Sabtu", "isi": "Dibuka 08.00."})
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    item = int(made.location.rstrip("/").rsplit("/", 1)[1])
    home = client.get("/").get_data(as_text=True)
    assert f"/publikasi/{item}" in panel(home, "publikasi_draf")
    assert panel_count(home, "publikasi_dikembalikan") == 0
    assert menu_badge(home, "/publikasi/") == 1  # a draft waits for Humas
    client.post(f"/publikasi/{item}/langkah/ajukan", data={"note": ""})
    assert menu_badge(client.get("/").get_data(as_text=True), "/publikasi/") == 0

    login_as(client, "camat")
    home = client.get("/").get_data(as_text=True)
    assert f"/publikasi/{item}" in panel(home, "publikasi_tinjauan")
    assert menu_badge(home, "/publikasi/") == 1
    back = client.post(f"/publikasi/{item}/langkah/kembalikan", data={"note": "Jamnya salah"})
    assert back.status_code == 302

    login_as(client, "humas")
    home = client.get("/").get_data(as_text=True)
    assert f"/publikasi/{item}" in panel(home, "publikasi_dikembalikan")
    assert f"/publikasi/{item}" not in panel(home, "publikasi_draf")
    assert "Publikasi dikembalikan dengan catatan" in home


def test_arsiparis_sees_failed_ocr_and_records_due_for_disposition(app):
    client = app.test_client()
    login_as(client, "arsiparis")
    before = client.get("/").get_data(as_text=True)
    due_before = panel_count(before, "arsip_jatuh_tempo")
    data = {"berkas": [(io.BytesIO(image_bytes(91, "PNG", lines=3)), "notulen-rapat.png")],
            "klasifikasi": "000.1.5", "tanggal": "2020-01-06", "lemari": "1"}
    sent = client.post("/arsip/unggah", data=data, content_type="multipart/form-data")
    assert sent.status_code in (200, 302), sent.get_data(as_text=True)[:2000]
    with app.app_context():
        arsip = db.session.scalar(select(Arsip).order_by(Arsip.record_id.desc()))
        assert arsip.retensi_sampai is not None and arsip.retensi_sampai.year == 2022  # over
        record_id = arsip.record_id
        # what a failed OCR run leaves (the engine's failure itself is tested in the archive)
        db.session.execute(update(OcrJob).where(OcrJob.record_id == record_id)
                           .values(status="gagal", pesan="Tesseract berhenti"))
        db.session.commit()
    home = client.get("/").get_data(as_text=True)
    inbox = panel(home, "arsip_ocr")
    assert f"/arsip/{record_id}" in inbox and "OCR gagal" in inbox
    assert panel_count(home, "arsip_jatuh_tempo") == due_before + 1
    assert f"/arsip/{record_id}" in panel(home, "arsip_jatuh_tempo")
    assert menu_badge(home, "/arsip/tugas") == panel_count(home, "arsip_ocr") >= 1
    assert menu_badge(home, "/arsip/penyusutan/") == due_before + 1


def test_operator_desa_sees_its_residents_requests_with_the_desa_by_name(app):
    ours, theirs = take(app, LOLENG), take(app, PELA)
    client = app.test_client()
    login_as(client, "operator_loleng")
    home = client.get("/").get_data(as_text=True)
    open_list = panel(home, "desa_terbuka")
    assert f"/dokumen/{ours}" in open_list and f"/dokumen/{theirs}" not in open_list
    assert "Desa Loleng" in home and LOLENG not in home
    assert menu_badge(home, "/dokumen/") >= panel_count(home, "desa_terbuka") >= 1
    login_as(client, "operator_pela")
    assert f"/dokumen/{ours}" not in client.get("/").get_data(as_text=True)


def test_auditor_is_alerted_to_refused_logins(app):
    client = app.test_client()
    refused = client.post("/login/", data={"username": "petugas", "password": "salah sekali"})
    assert refused.status_code != 302 or "/login" in refused.location
    login_as(client, "auditor")
    home = client.get("/").get_data(as_text=True)
    alerts = panel(home, "peringatan_login")
    assert "Login gagal: petugas" in alerts and "/auditview/show/" in alerts
    assert menu_badge(home, "/auditview/list/") == panel_count(home, "peringatan_login") >= 1
    login_as(client, "petugas")  # a clerk is not the Auditor: no alerts, no badge there
    assert 'id="worklist-peringatan_login"' not in client.get("/").get_data(as_text=True)


def test_camat_badge_counts_what_waits_for_a_signature(app):
    record_id = take(app, LOLENG)
    client = app.test_client()
    login_as(client, "petugas")
    client.post(f"/dokumen/{record_id}/langkah/verifikasi", data={"note": ""})
    home = client.get("/").get_data(as_text=True)
    assert f"/dokumen/{record_id}" in panel(home, "permohonan_hari_ini")
    login_as(client, "camat")
    home = client.get("/").get_data(as_text=True)
    waiting = panel_count(home, "tanda_tangan")
    assert waiting >= 1 and f"/dokumen/{record_id}/tandatangani-terbitkan" in home
    assert menu_badge(home, "/dokumen/") == waiting
    category = re.search(r'data-toggle="dropdown" href="#">\s*Layanan'
                         r' <span class="badge lemari-menu-count">([0-9.]+)', home)
    assert category and int(category.group(1).replace(".", "")) >= waiting  # the menu's sum
    other = client.get("/dokumen/").get_data(as_text=True)  # every staff page shows the badge
    assert menu_badge(other, "/dokumen/") == waiting
    login_as(client, "sekcam")  # the Sekcam signs a.n. Camat: the same list
    assert f"/dokumen/{record_id}/tandatangani-terbitkan" in panel(client.get("/").get_data(as_text=True),
                                                                   "tanda_tangan")
    login_as(client, "camat")
    client.post(f"/dokumen/{record_id}/tandatangani-terbitkan")
    assert menu_badge(client.get("/").get_data(as_text=True), "/dokumen/") == waiting - 1


def test_the_home_page_reads_the_same_number_of_statements_for_one_item_or_many(app):
    """No N+1: the lists' counts are one statement and each list reads its items at once."""
    take(app, LOLENG)
    client = app.test_client()
    login_as(client, "operator_loleng")
    client.get("/")
    one = len(statements(app, lambda: client.get("/")))
    for _ in range(4):
        take(app, LOLENG)
    many = len(statements(app, lambda: client.get("/")))
    assert many == one


def test_gratifikasi_waits_for_the_camat_and_a_late_one_flags_the_auditor(app):
    """A gift reported 90 days after it was given: the Camat reviews it, the Auditor sees it."""
    from records.gratifikasi.services import declare

    with app.app_context():
        ext = lemari()
        actor = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                   registry=ext.registry)
        given = ext.desk().today() - dt.timedelta(days=90)
        row = declare({"uraian": "Parsel lebaran", "pemberi": "Pak Amir", "hubungan": "Pemohon",
                       "tempat": "Loket", "sikap": "ditolak", "nilai": "250.000",
                       "tanggal": given.isoformat()}, actor=actor, session=db.session,
                      registry=ext.registry, tz=ext.settings["TIMEZONE"])
        assert row.terlambat
        declaration = row.id
    client = app.test_client()
    login_as(client, "camat")
    home = client.get("/").get_data(as_text=True)
    assert f"/gratifikasi/{declaration}" in panel(home, "gratifikasi_telaah")
    assert menu_badge(home, "/gratifikasi/") == panel_count(home, "gratifikasi_telaah") >= 1
    login_as(client, "auditor")
    home = client.get("/").get_data(as_text=True)
    assert f"/gratifikasi/{declaration}" in panel(home, "gratifikasi_terlambat")
    assert 'id="worklist-gratifikasi_telaah"' not in home  # the Auditor reads, never reviews
    login_as(client, "petugas")
    assert 'id="worklist-gratifikasi' not in client.get("/").get_data(as_text=True)
