"""Service standards as law with its source (issue #15): the seeds follow Perpres 96/2018, each
item carries its basis, office items need their own local basis, conditional items are missing
only when they apply, the flowchart has the decision, and an existing office is upgraded.
Real SQLite, real WeasyPrint output read back with pypdf.
"""

from __future__ import annotations

import io
import re
import shutil

import pytest
from pypdf import PdfReader

from conftest import build_app
from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, Layanan, Penduduk, RecordFile
from records.publikasi.desk import publish_desk
from records.publikasi.models import StandarPelayanan
from records.publikasi.services import materials, standards
from records.services import persyaratan
from records.services.accounts import actor_for_username
from records.services.requests import take_request

ADMINDUK = ("ktp_el", "kk", "pindah")
PENGANTAR = re.compile(r"pengantar", re.IGNORECASE)


@pytest.fixture(scope="module")
def app(demo_home, tmp_path_factory):
    """One demo office for the module (its render pool starts once)."""
    home = tmp_path_factory.mktemp("standar_dasar") / "home"
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


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def render_text(desk, key, **kwargs) -> str:
    context = materials.build_context(key, session=db.session, desk=desk, **kwargs)
    return pdf_text(materials.render(key, context, session=db.session, desk=desk).pdf)


def values_of(code, **changes):
    current = standards.current_standard(code, session=db.session)
    values = {name: getattr(current, name) for name in (
        *standards.TEXT_FIELDS, *standards.LIST_FIELDS, "waktu_hari", "biaya", "prosedur",
        "ketentuan")}
    values.update(changes)
    return values


# ----- the seeds -----

def test_ktp_el_needs_only_the_age_condition_and_the_kk_with_their_articles(app):
    ktp = standards.current_standard("ktp_el", session=db.session)
    unconditional = [e for e in persyaratan.items(ktp.persyaratan) if not e["kondisi"]]
    assert [(e["nama"], e["jenis"]) for e in unconditional] == [
        ("Berusia 17 tahun, sudah kawin, atau pernah kawin", "syarat"), ("Kartu Keluarga", "dokumen")]
    assert "Perpres 96/2018 Pasal 15 ayat (1) huruf b" in unconditional[1]["dasar_hukum"]
    assert not any(re.search(r"fotokopi", e["nama"], re.I) for e in persyaratan.items(ktp.persyaratan))


def test_ktp_kk_and_skpwni_carry_no_pengantar_requirement_or_step(app):
    for code in ADMINDUK:
        standard = standards.current_standard(code, session=db.session)
        items = persyaratan.items(standard.persyaratan)
        assert items and all(e["lingkup"] == "nasional" and e["dasar_hukum"] for e in items), code
        assert not any(PENGANTAR.search(e["nama"]) for e in items), code
        assert not any(PENGANTAR.search(s["kegiatan"]) or s["pelaksana"] == "rt_desa"
                       for s in standard.prosedur), code
        assert not PENGANTAR.search(standard.prosedur[0]["kegiatan"])
    pindah = standards.current_standard("pindah", session=db.session)
    assert persyaratan.names(pindah.persyaratan) == ["Kartu Keluarga"]


def test_every_standard_has_a_decision_and_every_step_a_basis(app):
    for standard in standards.list_current(session=db.session):
        assert any(s.get("jika_tidak") for s in standard.prosedur), standard.layanan_code
        assert all(s.get("dasar_hukum") for s in standard.prosedur), standard.layanan_code
        assert standard.dasar_waktu, standard.layanan_code


# ----- printed products -----

def test_ktp_posters_have_no_pengantar_and_no_unconditional_lifetime_validity(app, desk):
    for key, kwargs in (("poster_ktp_el", {"ukuran": "A4"}),
                        ("poster_layanan", {"layanan_code": "ktp_el", "ukuran": "A4"})):
        text = render_text(desk, key, **kwargs)
        assert "pengantar RT" not in text and "Fotokopi Kartu Keluarga" not in text, key
        for match in re.finditer(r"seumur hidup", text, re.IGNORECASE):
            assert "Warga Negara Indonesia" in text[max(0, match.start() - 60):match.start()], key
    text = render_text(desk, "poster_ktp_el", ukuran="A4")
    assert "seumur hidup" in text  # stated, for WNI, with its article
    assert "UU 24/2013 Pasal 64 ayat (7) huruf a" in text
    assert "berlaku sesuai masa berlaku ITAP" in text and "Pasal 64 ayat (7) huruf b" in text


def test_the_standard_prints_the_legal_basis_of_each_item(app, desk):
    text = render_text(desk, "poster_layanan", layanan_code="ktp_el", ukuran="A3")
    for expected in ("Perpres 96/2018 Pasal 15 ayat (1) huruf a", "Perpres 96/2018 Pasal 15 ayat (1) huruf b",
                     "jika KTP-el hilang", "Syarat: Berusia 17 tahun"):
        assert expected in text, expected
    pamflet = render_text(desk, "pamflet", kelompok="Kependudukan")
    assert "Perpres 96/2018 Pasal 11 ayat (1) huruf a" in pamflet and "pengantar desa" not in pamflet


def test_the_flowchart_has_the_decision_returning_the_file(app, desk):
    context = materials.build_context("bagan_alur", session=db.session, desk=desk, layanan_code="kk")
    assert "data-keputusan" in str(context["chart"]) and ">Tidak</text>" in str(context["chart"])
    text = render_text(desk, "bagan_alur", layanan_code="kk")
    assert "dikembalikan kepada pemohon dengan alasan tertulis" in text and "Dikembalikan" in text


# ----- local items -----

def test_a_local_requirement_without_a_local_basis_is_refused(app):
    admin = who(app, "admin")
    before = standards.current_standard("ktp_el", session=db.session)
    lines = persyaratan.lines_text(before.persyaratan)
    for extra, words in (("Surat pengantar RT/RW", "wajib menyebut dasar hukumnya"),
                         ("Surat pengantar RT/RW | Perpres 96/2018 Pasal 15", "telah dihapus"),
                         ("Pas foto | kebiasaan kantor", "Perbup")):
        with pytest.raises(ValidationError) as caught:
            standards.save_standard("ktp_el", values_of("ktp_el", persyaratan=lines + "\n" + extra),
                                    actor=admin, session=db.session)
        assert words in caught.value.errors["persyaratan"], extra
        db.session.rollback()
    assert standards.current_standard("ktp_el", session=db.session).versi == before.versi


def test_a_local_requirement_with_its_perbup_is_saved_and_printed_as_lokal(app, desk):
    admin = who(app, "admin")
    lines = persyaratan.lines_text(standards.current_standard("sk_usaha", session=db.session).persyaratan)
    basis = "Perbup Kutai Kartanegara Nomor 12 Tahun 2024 Pasal 4"
    saved = standards.save_standard("sk_usaha", values_of(
        "sk_usaha", persyaratan=f"{lines}\nSurat keterangan tidak keberatan tetangga | {basis}"),
        actor=admin, session=db.session)
    added = persyaratan.items(saved.persyaratan)[-1]
    assert added == {"nama": "Surat keterangan tidak keberatan tetangga", "dasar_hukum": basis,
                     "jenis": "dokumen", "kondisi": "", "lingkup": "lokal"}
    text = render_text(desk, "poster_layanan", layanan_code="sk_usaha", ukuran="A4")
    assert f"LOKAL · {basis}" in text


def test_an_office_item_cannot_pass_as_national(app):
    cleaned = persyaratan.clean_requirements(
        [{"nama": "Kartu Keluarga", "dasar_hukum": "apa saja", "lingkup": "nasional"},
         {"nama": "Akta kelahiran", "dasar_hukum": "Perda Kukar Nomor 3 Tahun 2020", "lingkup": "nasional"}],
        national=standards.national_items("ktp_el")[0])
    assert cleaned[0]["dasar_hukum"] == "Perpres 96/2018 Pasal 15 ayat (1) huruf b"
    assert cleaned[1]["lingkup"] == "lokal"


# ----- conditional requirements on the receipt -----

def _receipt_text(record) -> str:
    ref = db.session.scalar(db.select(RecordFile).where(RecordFile.record_id == record.id,
                                                        RecordFile.kind == "tanda_terima"))
    return pdf_text(lemari().desk().blobs.read_bytes(ref.sha256))


def test_a_conditional_requirement_is_missing_only_when_its_condition_applies(app):
    person = db.session.scalar(db.select(Penduduk.id).limit(1))
    officer = who(app, "petugas")
    base = ["Berusia 17 tahun, sudah kawin, atau pernah kawin", "Kartu Keluarga"]
    plain = take_request("ktp_el", penduduk_id=person, received=base, values={"jenis": "Baru"},
                         actor=officer, session=db.session, desk=lemari().desk())
    rows = plain.data["persyaratan"]
    assert persyaratan.missing(rows) == []
    lost = next(r for r in rows if r["name"] == "Surat keterangan kehilangan dari Kepolisian")
    assert lost["berlaku"] is False and lost["received"] is False
    text = _receipt_text(plain)
    assert "belum diterima" not in text and "Tidak berlaku untuk permohonan ini" in text

    hilang = take_request("ktp_el", penduduk_id=person, received=base, values={"jenis": "Hilang / rusak"},
                          actor=officer, session=db.session, desk=lemari().desk(),
                          berlaku=["Surat keterangan kehilangan dari Kepolisian"], duplicate_ok=True)
    assert [r["name"] for r in persyaratan.missing(hilang.data["persyaratan"])] == [
        "Surat keterangan kehilangan dari Kepolisian"]
    assert "Surat keterangan kehilangan dari Kepolisian (jika KTP-el hilang) (belum diterima)" in \
        _receipt_text(hilang)
    assert "Syarat: Berusia 17 tahun" in text


def test_an_unmet_condition_is_not_called_a_document_not_received(app):
    person = db.session.scalar(db.select(Penduduk.id).limit(1))
    record = take_request("ktp_el", penduduk_id=person, received=["Kartu Keluarga"], values={"jenis": "Baru"},
                          actor=who(app, "petugas"), session=db.session, desk=lemari().desk(),
                          duplicate_ok=True)  # the module's app may hold an earlier request
    text = _receipt_text(record)
    assert "pernah kawin (belum terpenuhi)" in text
    assert "pernah kawin (belum diterima)" not in text


# ----- an existing office -----

LEGACY_KTP = ["Berusia 17 tahun, sudah kawin atau pernah kawin", "Fotokopi Kartu Keluarga",
              "Surat pengantar RT/RW dan desa", "Surat keterangan kehilangan dari Polsek (jika hilang)"]
LEGACY_STEPS = [
    {"pelaksana": "warga", "kegiatan": "Meminta surat pengantar RT/RW dan desa", "waktu": "1 hari",
     "output": ""},
    {"pelaksana": "petugas", "kegiatan": "Memeriksa kelengkapan berkas", "waktu": "15 menit", "output": ""},
    {"pelaksana": "dinas", "kegiatan": "Mencetak KTP-el", "waktu": "", "output": ""}]


def test_the_upgrade_replaces_abolished_items_in_a_new_version_and_is_idempotent(app):
    layanan = db.session.get(Layanan, "ktp_el")
    current = standards.current_standard("ktp_el", session=db.session)
    legacy = StandarPelayanan(**{c.name: getattr(current, c.name) for c in StandarPelayanan.__table__.columns
                                 if c.name not in ("id", "versi", "persyaratan", "prosedur", "ketentuan",
                                                   "dasar_waktu")},
                              versi=current.versi + 1, persyaratan=LEGACY_KTP, prosedur=LEGACY_STEPS,
                              ketentuan=[], dasar_waktu="")
    db.session.add(legacy)
    layanan.persyaratan = LEGACY_KTP
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["standar-nasional", "--as", "admin"])
    assert result.exit_code == 0, result.output
    upgraded = standards.current_standard("ktp_el", session=db.session)
    assert upgraded.versi == legacy.versi + 1
    assert not any(PENGANTAR.search(n) for n in persyaratan.names(upgraded.persyaratan))
    assert not any(PENGANTAR.search(s["kegiatan"]) for s in upgraded.prosedur)
    assert persyaratan.names(db.session.get(Layanan, "ktp_el").persyaratan) == \
        persyaratan.names(upgraded.persyaratan)
    assert standards.get_version("ktp_el", legacy.versi, session=db.session).persyaratan == LEGACY_KTP
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "standar.nasional",
                                                          AuditEvent.object_id == "ktp_el"))
    assert event is not None and "Surat pengantar RT/RW dan desa" in str(event.detail)
    assert "ktp_el: versi" in result.output

    again = app.test_cli_runner().invoke(args=["standar-nasional", "--as", "admin"])
    assert again.exit_code == 0 and "0 standar diperbarui" in again.output
    assert standards.current_standard("ktp_el", session=db.session).versi == upgraded.versi
