"""First-run office setup (issue 14 point 1) and the a.n./Plt./Plh. wording (issue 15 point 3):
the Admin's page and `lemari setup`, then a letter issued on real parts (WeasyPrint, pyHanko,
archive) read back: its QR code decodes to the configured public address, the kop prints
the uploaded logo, the body names who actually signs."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import delete, func, select

from records.exceptions import SetupRequiredError
from records.extensions import db, lemari
from records.models import AuditEvent, IssuedNumber, MasaJabatan, Penduduk, PengaturanKantor
from records.services.accounts import actor_for_username
from records.services.issuing import advance
from records.services.requests import take_request

PUBLIC = "https://kotabangun.kukarkab.example"
LOLENG = "64.02.08.2004"


def png(width: int = 90, height: int = 110, color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def form(**changes) -> dict:
    values = {"KECAMATAN": "Kota Bangun", "KABUPATEN": "Kabupaten Kutai Kartanegara",
              "OFFICE_ADDRESS": "Jl. Poros Kota Bangun No. 1, Kota Bangun Ulu 75561",
              "OFFICE_PHONE": "(0541) 123456", "OFFICE_EMAIL": "kec.kotabangun@kukarkab.example",
              "OFFICE_WEBSITE": "kotabangun.kukarkab.example", "PUBLIC_BASE_URL": PUBLIC,
              "TIMEZONE": "Asia/Makassar", "PAPER_SIZE": "F4"}
    values.update(changes)
    return values


def saved_rows(app) -> dict:
    with app.app_context():
        return {r.kunci: (r.nilai, r.berkas) for r in db.session.scalars(select(PengaturanKantor))}


def actor(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def step(app, record_id, name, username):
    ext = lemari()
    return advance(record_id, name, actor=actor(app, username), session=db.session,
                   registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)


def issue_domisili(app, signer: str) -> bytes:
    """A domisili letter taken, verified, signed by `signer` and issued; its archived PDF."""
    with app.app_context():
        resident = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG)).id
        record = take_request("sk_domisili", penduduk_id=resident,
                              received=[
                "Surat pengantar dari desa", "Fotokopi KTP-el",
                                        "Fotokopi Kartu Keluarga"], duplicate_ok=True,
                              values={"keperluan": "Melamar pekerjaan"},
                              actor=actor(app, "petugas"), session=db.session,
                              desk=lemari().desk())
        step(app, record.id, "verifikasi", "petugas")
        step(app, record.id, "tandatangani", signer)
        assert step(app, record.id, "terbitkan", "petugas") == "terbit"
        issued = [f for f in db.session.get(type(record), record.id).files if f.kind == "terbit"][0]
        return lemari().desk().blobs.read_bytes(issued.sha256), record.verify_code


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_admin_completes_setup_and_the_letter_carries_it(app, client, auth):
    zxingcpp = pytest.importorskip("zxingcpp")
    auth.login("admin")
    page = client.get("/pengaturan-kantor/")
    assert page.status_code == 200 and "URL publik" in page.get_data(as_text=True)
    answer = client.post("/pengaturan-kantor/", data={
        **form(), "logo": (io.BytesIO(png()), "lambang-kukar.png")},
        content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    rows = saved_rows(app)
    assert rows["PUBLIC_BASE_URL"][0] == PUBLIC and rows["DEMO_MODE"][0] == "0"
    assert re.fullmatch(r"[0-9a-f]{64}\.png", rows["OFFICE_LOGO"][1])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "kantor.setup")) == 1

    pdf, code = issue_domisili(app, "camat")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    decoded = [c.text for image in page.images for c in zxingcpp.read_barcodes(image.image)]
    assert decoded == [f"{PUBLIC}/verify/{code}"]
    logos = [image for image in page.images if image.image.size == (90, 110)]
    assert logos and logos[0].image.convert("RGB").getpixel((45, 55)) == (200, 30, 30)
    text = text_of(pdf)
    assert "Telp. (0541) 123456" in text and "kec.kotabangun@kukarkab.example" in text
    assert "127.0.0.1" not in text


def test_sekcam_letter_says_atas_nama_in_the_body(app):
    pdf, _code = issue_domisili(app, "sekcam")
    text = text_of(pdf)
    assert ("Yang bertanda tangan di bawah ini Sekretaris Kecamatan Kota Bangun, atas nama "
            "Camat Kota Bangun") in text
    assert "di bawah ini Camat" not in text
    assert "a.n. CAMAT KOTA BANGUN" in text and "Rusdiansyah" in text


def test_plh_period_signs_as_plh_on_the_letters_date(app):
    import datetime as dt

    with app.app_context():
        today = lemari().desk().today()
        # the Sekcam stands in for the Camat today: he signs as Plh. Camat, not a.n.
        db.session.add(MasaJabatan(kedudukan="plh_camat", username="sekcam",
                                   nama="Rusdiansyah, S.Sos.", nip="197809232005011007",
                                   pangkat="Pembina", golongan="IV/a", dasar="SP Camat (uji)",
                                   mulai=today - dt.timedelta(days=1),
                                   selesai=today + dt.timedelta(days=2)))
        db.session.commit()
    text = text_of(issue_domisili(app, "sekcam")[0])
    assert "Yang bertanda tangan di bawah ini Plh. Camat Kota Bangun" in text
    assert "Plh. CAMAT KOTA BANGUN" in text and "a.n. CAMAT" not in text


@pytest.mark.parametrize(("changes", "upload", "field", "words"), [
    ({"PUBLIC_BASE_URL": "kotabangun"}, None, "PUBLIC_BASE_URL", "diawali http:// atau https://"),
    ({"PUBLIC_BASE_URL": "http://127.0.0.1:8080"}, None, "PUBLIC_BASE_URL", "localhost/127.0.0.1"),
    ({}, (b"%PDF-1.7 not an image", "logo.png"), "logo", "PNG, JPEG atau SVG"),
    ({}, (png(4000, 3000, (1, 2, 3)) + b"\0" * 600_000, "besar.png"), "logo", "paling besar 512 KB"),
    ({}, (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg"),
     "logo", "tanpa skrip"),
])
def test_bad_setup_is_refused_whole_and_nothing_is_saved(app, client, auth, changes, upload,
                                                        field, words):
    before = saved_rows(app)
    auth.login("admin")
    data = form(**changes)
    if upload:
        data["logo"] = (io.BytesIO(upload[0]), upload[1])
    answer = client.post("/pengaturan-kantor/", data=data, content_type="multipart/form-data")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert words in body and "Pengaturan belum disimpan" in body
    assert saved_rows(app) == before  # not even the valid fields of the form


def test_overlapping_camat_periods_are_refused(app, client, auth):
    auth.login("admin")
    period = {"kedudukan": "plt_camat", "username": "sekcam", "nama": "Rusdiansyah, S.Sos.",
              "nip": "197809232005011007", "pangkat": "Pembina", "golongan": "IV/a",
              "mulai": "2026-03-01", "selesai": ""}
    answer = client.post("/pengaturan-kantor/penandatangan", data=period)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "bertumpang tindih dengan Camat Drs. H. Syahrani" in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MasaJabatan)) == 2
    # after the Camat's period ends, the Plt. may start the next day
    with app.app_context():
        camat = db.session.scalar(select(MasaJabatan).where(MasaJabatan.kedudukan == "camat"))
        camat_id = camat.id
    client.post(f"/pengaturan-kantor/penandatangan/{camat_id}/selesai", data={"selesai": "2026-02-28"})
    assert client.post("/pengaturan-kantor/penandatangan", data=period).status_code == 302


def test_cli_setup_then_issue_uses_the_public_url(app, runner):
    logo = png(64, 64, (0, 90, 0))
    path = lemari_home(app) / "lambang.png"
    path.write_bytes(logo)
    result = runner.invoke(args=["setup", "kantor", "--url-publik", "https://kb.kukar.example/",
                                 "--bukan-demo", "--logo", str(path), "--telepon", "0541 1",
                                 "--as", "admin"])
    assert result.exit_code == 0, result.output
    assert "URL publik https://kb.kukar.example;" in result.output
    pdf, code = issue_domisili(app, "camat")
    assert f"https://kb.kukar.example/verify/{code}" in text_of(pdf).replace(" ", "")
    bad = runner.invoke(args=["setup", "kantor", "--url-publik", "http://localhost:8080",
                              "--bukan-demo", "--as", "admin"])
    assert bad.exit_code == 1 and "localhost/127.0.0.1" in bad.output
    assert saved_rows(app)["PUBLIC_BASE_URL"][0] == "https://kb.kukar.example"
    overlap = runner.invoke(args=["setup", "penandatangan", "--kedudukan", "camat", "--akun",
                                  "camat", "--nama", "Drs. Baru", "--nip", "197105121996031004",
                                  "--mulai", "2025-01-01", "--as", "admin"])
    assert overlap.exit_code == 1 and "bertumpang tindih" in overlap.output


def lemari_home(app):
    from pathlib import Path

    return Path(app.config["HOME"])


def test_outside_demo_mode_a_loopback_address_prints_nothing(app, client, auth):
    with app.app_context():
        db.session.execute(delete(PengaturanKantor).where(PengaturanKantor.kunci == "DEMO_MODE"))
        db.session.commit()
        lemari().refresh_office(force=True)
        resident = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG)).id
        with pytest.raises(SetupRequiredError, match="/pengaturan-kantor/"):
            take_request("sk_domisili", penduduk_id=resident, received=[
                "Surat pengantar dari desa", "Fotokopi KTP-el",
                                            "Fotokopi Kartu Keluarga"], values={},
                         actor=actor(app, "petugas"), session=db.session, desk=lemari().desk())
        assert db.session.scalar(select(func.count()).select_from(IssuedNumber)) == 0
    auth.login("admin")
    home = client.get("/").get_data(as_text=True)
    assert "Pengaturan kantor belum lengkap" in home and 'href="/pengaturan-kantor/"' in home


def test_doctor_on_an_office_without_setup_says_so(bare_app):
    result = bare_app.test_cli_runner().invoke(args=["doctor"])
    assert "[GAGAL] kantor.setup: Pengaturan kantor belum lengkap" in result.output
    assert "lemari setup kantor" in result.output and result.exit_code == 1


def test_doctor_on_the_demo_office_is_content(app, runner):
    result = runner.invoke(args=["doctor"])
    assert "[OK] kantor.setup: URL publik http://127.0.0.1:8080 (kantor demo)" in result.output


def test_cli_issue_without_setup_writes_nothing(app, runner):
    from records.models import Record

    with app.app_context():
        db.session.execute(delete(PengaturanKantor).where(PengaturanKantor.kunci == "DEMO_MODE"))
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(Record))
        nik = db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == LOLENG))
    result = runner.invoke(args=["issue", "sk_domisili_penduduk", "--nik", nik, "--field",
                                 "keperluan=Melamar kerja", "--as", "camat"])
    assert result.exit_code == 1 and "Pengaturan kantor belum lengkap" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Record)) == before
