"""Public information end to end on the real demo office: versioned standards used by receipts,
print materials rendered by WeasyPrint and read back with pypdf, the publication workflow with
its dates, image checks, and `lemari publish-kit`."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import build_app
from records.calendar_id import add_working_days
from records.exceptions import InvalidTransitionError, PermissionDeniedError, ValidationError
from records.extensions import db, lemari
from records.images import check_image
from records.models import HariLibur, Layanan, Penduduk
from records.publikasi.desk import publish_desk
from records.publikasi.services import materials, publishing, standards
from records.services import persyaratan
from records.services.accounts import actor_for_username

PT_PER_MM = 72 / 25.4
A3, A4 = (297, 420), (210, 297)


@pytest.fixture(scope="module")
def app(demo_home, tmp_path_factory):
    """One demo office for the module (its render pool starts once)."""
    home = tmp_path_factory.mktemp("publishing") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    with app.app_context():
        yield app
    app.extensions["lemari"].close()


@pytest.fixture
def desk(app):
    return publish_desk(lemari())


def who(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def render(desk, key, **kwargs):
    context = materials.build_context(key, session=db.session, desk=desk, **kwargs)
    rendered = materials.render(key, context, session=db.session, desk=desk)
    return rendered, PdfReader(io.BytesIO(rendered.pdf))


def page_mm(reader, index=0):
    box = reader.pages[index].mediabox
    return round(float(box.width) / PT_PER_MM), round(float(box.height) / PT_PER_MM)


def text_of(reader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def standard_values(code, **changes):
    current = standards.current_standard(code, session=db.session)
    values = {name: getattr(current, name) for name in (
        *standards.TEXT_FIELDS, *standards.LIST_FIELDS, "waktu_hari", "biaya", "prosedur")}
    values.update(changes)
    return values


# ----- the catalogue -----

def test_every_seeded_service_has_a_full_free_standard(app):
    current = standards.list_current(session=db.session)
    codes = {s.layanan_code for s in current}
    assert {"ktp_el", "kk", "pindah", "iumk", "sk_domisili", "sktm", "sk_usaha"} <= codes
    assert codes == set(db.session.scalars(db.select(Layanan.code)))
    for s in current:
        assert s.biaya == 0 and len(s.prosedur) >= 4 and s.pengaduan and s.sarana and s.kompetensi
        assert {step["pelaksana"] for step in s.prosedur} <= set(standards.PELAKSANA)
    ktp = standards.current_standard("ktp_el", session=db.session)
    assert "dinas" in {step["pelaksana"] for step in ktp.prosedur}  # the Dinas prints the card


def test_an_edit_makes_a_new_version_and_the_next_receipt_promises_the_new_time(app):
    from records.services.requests import take_request

    admin = who(app, "admin")
    before = standards.current_standard("sk_domisili", session=db.session)
    new_list = [*persyaratan.names(before.persyaratan), "Pas foto 3x4 (satu lembar)"]
    # an item the office adds cites its own local basis (issue #15)
    saved = standards.save_standard("sk_domisili", standard_values(
        "sk_domisili", waktu_hari=3, persyaratan=persyaratan.lines_text(before.persyaratan)
        + "\nPas foto 3x4 (satu lembar) | Keputusan Camat Kota Bangun Nomor 7 Tahun 2026",
        catatan="Keputusan Camat baru"), actor=admin, session=db.session)
    assert saved.versi == before.versi + 1
    old = standards.get_version("sk_domisili", before.versi, session=db.session)
    assert old.waktu_hari == 1 and old.persyaratan == before.persyaratan
    layanan = db.session.get(Layanan, "sk_domisili")
    assert layanan.waktu_hari == 3 and persyaratan.names(layanan.persyaratan) == new_list

    person = db.session.scalar(db.select(Penduduk.id).limit(1))
    record = take_request("sk_domisili", penduduk_id=person, received=new_list,
                          values={"keperluan": "Uji versi standar"}, actor=who(app, "petugas"),
                          session=db.session, desk=lemari().desk())
    holidays = set(db.session.scalars(db.select(HariLibur.tanggal)))
    assert record.promised_date == add_working_days(lemari().desk().today(), 3, holidays)
    assert [r["name"] for r in record.data["persyaratan"]] == new_list


def test_a_bad_standard_is_refused_whole_with_every_reason(app):
    admin = who(app, "admin")
    before = standards.current_standard("kk", session=db.session).versi
    with pytest.raises(ValidationError) as caught:
        standards.save_standard("kk", standard_values(
            "kk", nama="", waktu_hari="tiga", biaya=5000, dasar_biaya="",
            prosedur="warga | Datang\nastronot | Terbang ke bulan"), actor=admin, session=db.session)
    errors = caught.value.errors
    assert set(errors) >= {"nama", "waktu_hari", "dasar_biaya", "prosedur"}
    assert "Langkah 2" in errors["prosedur"] and "astronot" in errors["prosedur"]
    db.session.rollback()
    assert standards.current_standard("kk", session=db.session).versi == before


def test_only_configuration_writers_may_change_a_standard(app):
    with pytest.raises(PermissionDeniedError):
        standards.save_standard("kk", standard_values("kk"), actor=who(app, "humas"),
                                session=db.session)


def test_steps_typed_as_lines_accept_labels_and_common_words():
    parsed = standards.parse_steps("Pemohon | Datang | 10 menit | Antrean\n\nSekcam | Paraf\n")
    extra = {"dasar_hukum": "", "jika_tidak": "", "lingkup": "lokal"}
    assert standards._clean_steps(parsed) == [
        {"pelaksana": "warga", "kegiatan": "Datang", "waktu": "10 menit", "output": "Antrean", **extra},
        {"pelaksana": "camat", "kegiatan": "Paraf", "waktu": "", "output": "", **extra}]
    assert standards.parse_steps(standards.steps_text(parsed)) == parsed


# ----- print materials -----

def test_a3_poster_prints_requirements_steps_time_free_complaints_and_the_qr_link(app, desk):
    rendered, reader = render(desk, "poster_layanan", layanan_code="ktp_el", ukuran="A3")
    assert len(reader.pages) == 1 and page_mm(reader) == A3
    text = text_of(reader)
    standard = standards.current_standard("ktp_el", session=db.session)
    for expected in ("STANDAR PELAYANAN", "GRATIS", f"{standard.waktu_hari} HARI", "PERSYARATAN",
                     "PROSEDUR", "PENGADUAN", "lapor.go.id", f"{desk.base_url}/info/layanan/ktp_el",
                     *persyaratan.names(standard.persyaratan),
                     *(s["kegiatan"] for s in standard.prosedur)):
        assert expected in text, expected
    assert reader.metadata.title.startswith("Poster standar pelayanan")


def test_every_service_poster_fits_one_page_in_a3_and_a4(app, desk):
    for standard in standards.list_current(session=db.session):
        for size, mm in (("A3", A3), ("A4", A4)):
            _, reader = render(desk, "poster_layanan", layanan_code=standard.layanan_code, ukuran=size)
            assert len(reader.pages) == 1 and page_mm(reader) == mm, (standard.layanan_code, size)


def test_a_fifteen_step_flowchart_still_fits_one_landscape_page(app, desk):
    lanes = ["warga", "rt_desa", "petugas", "camat", "dinas"]
    steps = [{"pelaksana": lanes[i % 5], "kegiatan": f"Langkah uji nomor {i + 1} dengan uraian yang "
              f"cukup panjang untuk dibungkus", "waktu": "1 hari", "output": f"Hasil {i + 1}",
              # a step at the RT/RW or desa needs a local basis (issue #15)
              "dasar_hukum": "Keputusan Camat Kota Bangun Nomor 7 Tahun 2026"}
             for i in range(15)]
    standards.save_standard("nikah", standard_values("nikah", prosedur=steps), actor=who(app, "admin"),
                            session=db.session)
    rendered, reader = render(desk, "bagan_alur", layanan_code="nikah")
    assert len(reader.pages) == 1 and page_mm(reader) == (297, 210)
    text = text_of(reader)
    assert "15 langkah" in text
    for number in (1, 8, 15):
        assert f"Langkah uji nomor {number}" in text
    for lane in standards.PELAKSANA.values():
        assert lane in text


def test_each_group_gets_a_two_sided_landscape_trifold(app, desk):
    groups = materials.kelompok_list(session=db.session)
    assert {"Kependudukan", "Surat Keterangan"} <= set(groups)
    for group in groups:
        _, reader = render(desk, "pamflet", kelompok=group)
        assert len(reader.pages) == 2 and page_mm(reader) == (297, 210) and page_mm(reader, 1) == (297, 210)
        inside = " ".join(reader.pages[1].extract_text().split())
        for s in standards.list_current(session=db.session):
            if s.kelompok == group:
                assert s.nama.split(" (")[0] in inside


def test_maklumat_is_signed_by_the_camat_and_the_ktp_poster_says_it_is_free(app, desk):
    _, reader = render(desk, "maklumat", ukuran="A3")
    text = text_of(reader)
    assert len(reader.pages) == 1 and page_mm(reader) == A3
    assert "MAKLUMAT PELAYANAN" in text and "SANGGUP" in text
    assert "Drs. H. Syahrani, M.Si." in text and "NIP 19710512 199603 1 004" in text
    _, reader = render(desk, "poster_ktp_el", ukuran="A4")
    text = text_of(reader)
    assert len(reader.pages) == 1 and "Pentingnya KTP-el" in text and "GRATIS" in text


def test_previews_are_png_of_the_requested_width(app, desk):
    rendered, _ = render(desk, "poster_layanan", layanan_code="kk", ukuran="A3")
    png = materials.preview_png(rendered.pdf, desk=desk, width=300)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 300 and abs(image.height - 300 * 420 / 297) <= 1


# ----- the workflow -----

def notice(**changes):
    return {"jenis": "pengumuman", "judul": "Kantor tutup 17 Agustus", "isi": "Baris satu.\nBaris dua.",
            "berlaku_mulai": dt.date.today().isoformat(), **changes}


def test_humas_drafts_the_camat_approves_and_only_then_the_public_sees_it(app, desk):
    registry, today = lemari().registry, desk.today()
    humas, sekcam, camat = who(app, "humas"), who(app, "sekcam"), who(app, "camat")
    item = publishing.create_publikasi(notice(berlaku_mulai=today.isoformat()), actor=humas,
                                       session=db.session, registry=registry, desk=desk)
    assert item.state == "privat" and item.pdf_sha256 and item.png_sha256 and item.halaman == 1
    assert "Kantor tutup 17 Agustus" in text_of(PdfReader(io.BytesIO(desk.blobs.read_bytes(item.pdf_sha256))))
    assert item not in publishing.public_items(session=db.session, today=today)

    with pytest.raises(InvalidTransitionError):
        publishing.fire(item.id, "setujui", actor=humas, session=db.session, registry=registry, today=today)
    db.session.rollback()
    publishing.fire(item.id, "ajukan", actor=humas, session=db.session, registry=registry, today=today)
    with pytest.raises(InvalidTransitionError):  # frozen while in review
        publishing.update_publikasi(item.id, {"judul": "Diam-diam"}, actor=humas, session=db.session,
                                    desk=desk)
    db.session.rollback()
    with pytest.raises(ValidationError):  # sending back needs a comment
        publishing.fire(item.id, "kembalikan", actor=sekcam, session=db.session, registry=registry,
                        today=today)
    db.session.rollback()
    publishing.fire(item.id, "kembalikan", note="Tambahkan jam buka kembali.", actor=sekcam,
                    session=db.session, registry=registry, today=today)
    assert item.state == "privat" and item.history[-1].note == "Tambahkan jam buka kembali."

    publishing.update_publikasi(item.id, {"isi": "Kantor buka lagi 18 Agustus pukul 08.00."},
                                actor=humas, session=db.session, desk=desk)
    publishing.fire(item.id, "ajukan", actor=humas, session=db.session, registry=registry, today=today)
    publishing.fire(item.id, "setujui", actor=camat, session=db.session, registry=registry, today=today)
    assert item.state == "terbit" and item.published_at
    assert publishing.public_item(item.id, session=db.session, today=today) is item
    assert [h.transition for h in item.history] == ["buat", "ajukan", "kembalikan", "ajukan", "setujui"]


def test_roles_without_the_right_can_neither_draft_nor_read_drafts(app, desk):
    registry = lemari().registry
    with pytest.raises(PermissionDeniedError):
        publishing.create_publikasi(notice(), actor=who(app, "petugas"), session=db.session,
                                    registry=registry, desk=desk)
    item = publishing.create_publikasi(notice(judul="Draf rahasia"), actor=who(app, "humas"),
                                       session=db.session, registry=registry, desk=desk)
    with pytest.raises(PermissionDeniedError):
        publishing.get_publikasi(item.id, actor=who(app, "petugas"), session=db.session)
    refusals = {"admin": InvalidTransitionError,  # every permission, but no workflow role
                "humas": InvalidTransitionError, "petugas": PermissionDeniedError}
    for username, refusal in refusals.items():
        with pytest.raises(refusal):
            publishing.fire(item.id, "setujui", actor=who(app, username), session=db.session,
                            registry=registry, today=desk.today())
        db.session.rollback()


def test_expiry_before_effect_is_refused_and_expired_items_leave_the_public_pages(app, desk):
    registry, today = lemari().registry, desk.today()
    humas, camat = who(app, "humas"), who(app, "camat")
    with pytest.raises(ValidationError) as caught:
        publishing.create_publikasi(notice(berlaku_mulai="2026-03-10", berlaku_sampai="2026-03-01"),
                                    actor=humas, session=db.session, registry=registry, desk=desk)
    assert "sebelum" in caught.value.errors["berlaku_sampai"]
    db.session.rollback()

    in_three_days = (today + dt.timedelta(days=3)).isoformat()
    later = publishing.create_publikasi(notice(judul="Nanti", berlaku_mulai=in_three_days),
                                        actor=humas, session=db.session, registry=registry, desk=desk)
    short = publishing.create_publikasi(notice(judul="Hari ini saja", berlaku_sampai=today.isoformat()),
                                        actor=humas, session=db.session, registry=registry, desk=desk)
    for item in (later, short):
        publishing.fire(item.id, "ajukan", actor=humas, session=db.session, registry=registry, today=today)
        publishing.fire(item.id, "setujui", actor=camat, session=db.session, registry=registry, today=today)
    shown = publishing.public_items(session=db.session, today=today)
    assert short in shown and later not in shown
    tomorrow = today + dt.timedelta(days=1)
    assert short not in publishing.public_items(session=db.session, today=tomorrow)
    assert publishing.expire_due(session=db.session, registry=registry, today=tomorrow) >= 1
    assert short.state == "kedaluwarsa" and short.history[-1].actor == "sistem"
    assert later in publishing.public_items(session=db.session, today=today + dt.timedelta(days=3))


def test_a_service_poster_goes_through_the_same_workflow(app, desk):
    registry, today = lemari().registry, desk.today()
    item = publishing.create_publikasi(
        {"jenis": "poster", "templat": "poster_layanan", "layanan_code": "ktp_el", "ukuran": "A3",
         "judul": "Poster KTP-el", "berlaku_mulai": today.isoformat()},
        actor=who(app, "humas"), session=db.session, registry=registry, desk=desk)
    reader = PdfReader(io.BytesIO(desk.blobs.read_bytes(item.pdf_sha256)))
    assert page_mm(reader) == A3 and item.halaman == 1
    assert Image.open(io.BytesIO(desk.blobs.read_bytes(item.layar_sha256))).width == materials.LARGE_WIDTH
    with pytest.raises(ValidationError) as caught:
        publishing.create_publikasi({"jenis": "poster", "templat": "poster_layanan", "judul": "x",
                                     "berlaku_mulai": today.isoformat(), "ukuran": "A5"},
                                    actor=who(app, "humas"), session=db.session, registry=registry, desk=desk)
    assert set(caught.value.errors) == {"layanan_code", "ukuran"}


# ----- images -----

def png_bytes(width, height) -> bytes:
    """A valid PNG of any size, built by hand so a giant one stays a few kilobytes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"".join(b"\x00" + b"\x00" * ((width + 7) // 8) for _ in range(height)), 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def test_images_that_are_not_images_or_are_huge_are_refused_with_a_reason():
    with pytest.raises(ValidationError, match="bukan gambar"):
        check_image(b"%PDF-1.7 pretending to be a picture")
    with pytest.raises(ValidationError, match="bukan gambar"):
        check_image(b"<svg xmlns='http://www.w3.org/2000/svg'><image href='file:///etc/passwd'/></svg>")
    with pytest.raises(ValidationError, match="piksel"):
        check_image(png_bytes(9000, 9000))
    with pytest.raises(ValidationError, match="terlalu besar"):
        check_image(b"\x89PNG" + b"\x00" * (4 * 1024 * 1024))
    with pytest.raises(ValidationError, match="bukan gambar"):
        check_image(png_bytes(50, 50)[:60])  # truncated
    assert check_image(png_bytes(640, 480)).width == 640


def test_a_free_poster_carries_its_uploaded_image(app, desk):
    image = io.BytesIO()
    Image.new("RGB", (300, 200), (11, 122, 62)).save(image, "JPEG")
    item = publishing.create_publikasi(
        {"jenis": "poster", "templat": "poster_bebas", "ukuran": "A4", "judul": "Vaksinasi",
         "isi": "Datang ke puskesmas.", "berlaku_mulai": desk.today().isoformat()},
        image=image.getvalue(), actor=who(app, "humas"), session=db.session,
        registry=lemari().registry, desk=desk)
    page = PdfReader(io.BytesIO(desk.blobs.read_bytes(item.pdf_sha256))).pages[0]
    images = [o for o in page["/Resources"]["/XObject"].values() if o.get_object()["/Subtype"] == "/Image"]
    assert item.gambar.endswith(".jpg") and images


# ----- publish-kit -----

def test_publish_kit_writes_every_material_as_pdf_and_png(app, tmp_path):
    dest = tmp_path / "kit"
    result = app.test_cli_runner().invoke(args=["publish-kit", str(dest), "--lebar-png", "400"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    services = standards.list_current(session=db.session)
    groups = materials.kelompok_list(session=db.session)
    assert len(manifest) == 3 * len(services) + len(groups) + 4
    for entry in manifest:
        reader = PdfReader(dest / entry["file"])
        assert len(reader.pages) == entry["halaman"] == (2 if entry["materi"] == "pamflet" else 1), entry
        assert len(entry["previews"]) == entry["halaman"]
        assert all(Image.open(dest / name).width == 400 for name in entry["previews"])
    for name in ("poster_layanan-ktp_el-A3", "bagan_alur-kk", "pamflet-kependudukan",
                 "poster_ktp_el-A3", "maklumat-A4"):
        assert (dest / f"{name}.pdf").is_file() and (dest / f"{name}.png").is_file()
    assert not [p for p in dest.iterdir() if p.name.startswith(".tmp-")]


def test_publish_kit_refuses_an_unknown_service(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["publish-kit", str(tmp_path / "k"), "--layanan", "sihir"])
    assert result.exit_code == 1 and "sihir" in result.output


# ----- PostgreSQL -----

@pytest.mark.postgres
def test_standards_workflow_and_templates_on_postgresql(postgres_office):
    """The same path on PostgreSQL: versions, a poster through the workflow, expiry, a template."""
    from records.publikasi.services import templates

    pg = postgres_office
    try:
        with pg.app_context():
            desk, registry = publish_desk(lemari()), lemari().registry
            assert len(standards.list_current(session=db.session)) == db.session.query(Layanan).count()
            saved = standards.save_standard("pindah", standard_values("pindah", waktu_hari=4),
                                            actor=who(pg, "admin"), session=db.session)
            assert saved.versi == 2 and db.session.get(Layanan, "pindah").waktu_hari == 4
            today = desk.today()
            item = publishing.create_publikasi(
                {"jenis": "poster", "templat": "bagan_alur", "layanan_code": "pindah",
                 "judul": "Alur pindah", "berlaku_mulai": today.isoformat(),
                 "berlaku_sampai": today.isoformat()},
                actor=who(pg, "humas"), session=db.session, registry=registry, desk=desk)
            for name, username in (("ajukan", "humas"), ("setujui", "sekcam")):
                publishing.fire(item.id, name, actor=who(pg, username), session=db.session,
                                registry=registry, today=today)
            assert publishing.public_items(session=db.session, today=today) == [item]
            assert publishing.expire_due(session=db.session, registry=registry,
                                         today=today + dt.timedelta(days=1)) == 1
            source = templates.shipped_source("pengumuman", desk=desk)
            version = templates.save_template("pengumuman", source, actor=who(pg, "humas"),
                                              session=db.session, desk=desk)
            assert version.versi == 1
    finally:
        pg.extensions["lemari"].close()
        with pg.app_context():
            db.engine.dispose()
