"""Per-document rules (issue 15), each on real parts: the demo office on SQLite, the issuing
service with WeasyPrint and pyHanko, the issued PDF read back with pypdf. One test per rule of
docs/documents.md: the element is on the letter, or the draft is refused with its Indonesian
message and nothing is saved."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, IssuedNumber, Penduduk, Record
from records.nik import make_nik, mask_nik
from records.services.accounts import actor_for_username
from records.services.drafting import office_today
from records.services.issuing import advance, issue
from records.services.personal_data import preview_letter
from records.services.records import create_record, new_record

LOLENG = "64.02.08.2004"
CAMAT_NAME = "Drs. H. Syahrani"
PETUGAS_NAME = "Nurhayati, A.Md."


def actor(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                    .split())


def step(app, record_id, name, username, note=""):
    ext = lemari()
    return advance(record_id, name, note=note, actor=actor(app, username), session=db.session,
                   registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)


def draft(app, doctype, values, *, penduduk_id=None, username="petugas", today=None):
    """A record drafted through the service every adapter uses, committed."""
    record = new_record(doctype, values, penduduk_id=penduduk_id, actor=actor(app, username),
                        session=db.session, registry=lemari().registry, today=today,
                        policy=lemari().desk().policy)
    db.session.commit()
    return record


def refused(app, doctype, values, **kwargs) -> dict:
    """The field errors of a refused draft; asserts that no record was saved."""
    before = db.session.scalar(select(func.count()).select_from(Record))
    with pytest.raises(ValidationError) as caught:
        draft(app, doctype, values, **kwargs)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Record)) == before
    return caught.value.errors or {"": str(caught.value)}


def issued_pdf(app, record_id, steps=(("verifikasi", "petugas"), ("tandatangani", "camat"),
                                      ("terbitkan", "petugas"))) -> tuple[Record, str]:
    for name, username in steps:
        step(app, record_id, name, username)
    record = db.session.get(Record, record_id)
    files = [f for f in record.files if f.kind == "terbit"]
    return record, text_of(lemari().desk().blobs.read_bytes(files[0].sha256))


@pytest.fixture
def resident(app):
    with app.app_context():
        return db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG)).id


# --- 1. Registers and klasifikasi per letter ---------------------------------------------------

LETTER = {"sifat": "Biasa", "hal": "Penyampaian poster layanan", "tujuan": "Kepala Dinas Kominfo",
          "tempat_tujuan": "Tenggarong", "isi": "Dengan hormat, bersama ini kami sampaikan."}


def test_klasifikasi_is_chosen_per_letter_and_the_number_follows_it(app):
    with app.app_context():
        record = draft(app, "surat_dinas", {**LETTER, "klasifikasi": "400.14.9"}, username="camat")
        record, text = issued_pdf(app, record.id)
        assert re.fullmatch(r"400\.14\.9/0001/Kec\.KB/20\d\d", record.number)
        assert record.number in text
        issued = db.session.scalar(select(IssuedNumber).where(IssuedNumber.record_id == record.id))
        assert issued.klasifikasi == "400.14.9"  # the archive files it under the chosen code
        default = draft(app, "surat_dinas", LETTER, username="camat")
        assert default.data["klasifikasi"] == "000.1"  # the type's code when none is chosen


def test_unknown_klasifikasi_is_refused_with_an_indonesian_message(app):
    with app.app_context():
        errors = refused(app, "surat_dinas", {**LETTER, "klasifikasi": "999.9"}, username="camat")
        assert "999.9 tidak ada dalam daftar klasifikasi arsip Permendagri 83/2022" in \
            errors["klasifikasi"]


def test_the_f101_is_the_familys_form_numbered_in_its_own_series_never_signed_by_the_camat(
        app, resident):
    with app.app_context():
        record = draft(app, "permohonan_kk", {"jenis": "Perubahan data"}, penduduk_id=resident)
        workflow = lemari().registry.workflow_of("permohonan_kk")
        assert "tandatangani" not in {t.name for t in workflow.transitions}
        record, text = issued_pdf(app, record.id, (("verifikasi", "petugas"),
                                                   ("daftarkan", "petugas")))
        assert re.fullmatch(r"F-00001/400\.12\.2\.1/Kec\.KB/20\d\d", record.number)
        assert "Kepala Keluarga" in text and PETUGAS_NAME in text
        assert CAMAT_NAME not in text and "CAMAT KOTA BANGUN," not in text
        assert "Surat pengantar RT/RW" not in text  # Perpres 96/2018 abolished it
        outgoing = db.session.scalar(select(func.count()).select_from(IssuedNumber).where(
            IssuedNumber.number.like("%/0001/Kec.KB/%")))
        assert outgoing == 0  # the Camat's outgoing register was not touched


def test_ktp_el_pickup_receipt_is_signed_by_petugas_and_receiver_in_the_receipt_series(
        app, resident):
    with app.app_context():
        record = draft(app, "tanda_terima_penyerahan_ktp_el", {"diambil_oleh": "Pemohon sendiri"},
                       penduduk_id=resident)
        record, text = issued_pdf(app, record.id, (("terbitkan", "petugas"),))
        assert re.fullmatch(r"TT-00001/Kec\.KB/20\d\d", record.number)
        assert PETUGAS_NAME in text and "NIP 19920314 201903 2 011" in text
        assert CAMAT_NAME not in text
        assert "Pada hari ini" in text and "tahun dua ribu" in text


# --- 2. Refuse what the law does not allow -----------------------------------------------------

IUMK = {"nama_usaha": "Kios", "kegiatan_usaha": "Dagang", "sarana_usaha": "Kios",
        "alamat_usaha": "Pasar", "jumlah_modal": 1000000}


def test_no_new_iumk_and_an_old_draft_is_never_numbered(app, resident):
    with app.app_context():
        errors = refused(app, "iumk", IUMK, penduduk_id=resident)
        assert "tidak lagi diterbitkan" in errors[""] or "tidak lagi diterbitkan" in str(errors)
        # a draft left from before the IUMK was closed
        old = Record(doctype="iumk", state="ditandatangani", title="IUMK lama", data=IUMK,
                     created_by="petugas", penduduk_id=resident, desa_code=LOLENG)
        db.session.add(old)
        db.session.commit()
        with pytest.raises(ValidationError, match="PP 5/2021 dan PP 7/2021"):
            issue(old.id, actor=actor(app, "petugas"), session=db.session, desk=lemari().desk())
        assert db.session.scalar(select(func.count()).select_from(IssuedNumber)) == 0


def _nik(day: int) -> str:
    return make_nik("64.02.08", dt.date(1990, 1, day), "L", day)


@pytest.mark.parametrize("doctype", ["berita_acara_pengiriman_ktp_el",
                                     "berita_acara_penyerahan_berkas_kk"])
def test_berita_acara_without_any_item_is_refused(app, doctype):
    with app.app_context():
        errors = refused(app, doctype, {"daftar_berkas": "\n  \n"}, username="camat")
        assert "wajib diisi" in errors["daftar_berkas"]
        errors = refused(app, doctype, {"daftar_berkas": "|||"}, username="camat")
        assert "baris 1" in errors["daftar_berkas"]


def test_berita_acara_list_with_a_bad_nik_is_refused(app):
    with app.app_context():
        errors = refused(app, "berita_acara_pengiriman_ktp_el", {
            "daftar_berkas": f"{_nik(3)} | ANI | Baru | 2026-11-20\n1234 | BUDI | Baru | 2026-11-20"},
            username="camat")
        assert "baris 2: NIK tidak valid" in errors["daftar_berkas"]


def test_berita_acara_lists_and_counts_items_with_the_date_in_words_and_both_parties(app):
    with app.app_context():
        record = draft(app, "berita_acara_pengiriman_ktp_el", {
            "daftar_berkas": f"{_nik(3)} | ANI | Baru | 2026-11-20 | Loleng\n"
                             f"{_nik(4)} | BUDI | Perubahan data | 2026-11-21",
            "nama_penerima": "RAHMAT HIDAYAT"}, username="camat")
        assert len(record.data["items"]) == 2
        record, text = issued_pdf(app, record.id)
        assert "Jumlah: 2 berkas permohonan." in text
        assert "ANI" in text and _nik(3) in text  # the Dinas needs the full NIK
        assert re.search(r"Pada hari ini \w+ tanggal [a-z ]+ bulan \w+ tahun dua ribu", text)
        assert "PIHAK KESATU" in text and "PIHAK KEDUA" in text


@pytest.mark.parametrize(("days", "field"), [(0, "tanggal_mulai"), (-1, "tanggal_mulai")])
def test_event_recommendation_for_today_or_the_past_is_refused(app, resident, days, field):
    with app.app_context():
        today = office_today(lemari().desk().policy)
        errors = refused(app, "rekomendasi_izin_keramaian", keramaian(today + dt.timedelta(days)),
                         penduduk_id=resident)
        assert "sudah lewat atau hari ini" in errors[field]


def keramaian(start: dt.date, end: dt.date | None = None) -> dict:
    return {"jenis_kegiatan": "Resepsi", "tanggal_mulai": start.isoformat(),
            "tanggal_selesai": end.isoformat() if end else "", "waktu": "09.00 WITA",
            "tempat": "Loleng", "jumlah_undangan": 200, "tujuan": "Kapolsek Kota Bangun"}


def test_event_dates_are_judged_by_the_office_day_in_wita(app, resident):
    """At 23.30 UTC on 4 December it is already 5 December in Kota Bangun: an event on the 5th
    is today there, refused; one on the 6th is accepted."""
    with app.app_context():
        wita_day = dt.date(2026, 12, 5)
        errors = refused(app, "rekomendasi_izin_keramaian", keramaian(wita_day),
                         penduduk_id=resident, today=wita_day)
        assert "tanggal_mulai" in errors
        ok = draft(app, "rekomendasi_izin_keramaian", keramaian(dt.date(2026, 12, 6)),
                   penduduk_id=resident, today=wita_day)
        assert ok.id


def test_event_ending_before_it_starts_is_refused(app, resident):
    with app.app_context():
        start = office_today() + dt.timedelta(10)
        errors = refused(app, "rekomendasi_izin_keramaian",
                         keramaian(start, start - dt.timedelta(1)), penduduk_id=resident)
        assert "tidak boleh sebelum tanggal mulai" in errors["tanggal_selesai"]


def test_marriage_recommendation_for_a_past_date_is_refused(app, resident):
    with app.app_context():
        errors = refused(app, "rekomendasi_nikah", {
            "nama_pasangan": "NURUL", "tempat_lahir_pasangan": "Tenggarong",
            "tanggal_lahir_pasangan": "1995-10-04", "alamat_pasangan": "Tenggarong",
            "tanggal_nikah": (office_today() - dt.timedelta(3)).isoformat(),
            "tujuan": "Kepala KUA"}, penduduk_id=resident)
        assert "sudah lewat" in errors["tanggal_nikah"]


@pytest.mark.parametrize("months", ["0", "-2", "600"])
def test_validity_months_must_be_positive_and_sensible(app, resident, months):
    with app.app_context():
        errors = refused(app, "sk_domisili_penduduk",
                         {"keperluan": "Bank", "masa_berlaku_bulan": months}, penduduk_id=resident)
        assert errors["masa_berlaku_bulan"] == "Masa berlaku harus antara 1 dan 60 bulan."


# --- 3. Smaller items --------------------------------------------------------------------------

def test_sktm_endorsement_refuses_a_stale_desa_letter_within_the_office_limit(app, resident):
    with app.app_context():
        today = office_today()
        values = {"nomor_surat_desa": "401/1/2026", "keperluan": "Berobat"}
        errors = refused(app, "endorsement_sktm", {
            **values, "tanggal_surat_desa": (today - dt.timedelta(120)).isoformat()},
            penduduk_id=resident)
        assert "sudah 120 hari; batas yang berlaku 90 hari" in errors["tanggal_surat_desa"]
        fresh = draft(app, "endorsement_sktm", {
            **values, "tanggal_surat_desa": (today - dt.timedelta(10)).isoformat()},
            penduduk_id=resident)
        assert fresh.id
        lenient = new_record("endorsement_sktm", {
            **values, "tanggal_surat_desa": (today - dt.timedelta(120)).isoformat()},
            penduduk_id=resident, actor=actor(app, "petugas"), session=db.session,
            registry=lemari().registry, policy={"SKTM_BATAS_UMUR_HARI": 180})
        assert lenient.id  # the limit is the office's setting


def test_skck_pengantar_names_the_desa_and_addresses_with_yth(app, resident):
    with app.app_context():
        record = draft(app, "pengantar_skck", {
            "tujuan": "Kepala Kepolisian Sektor Kota Bangun", "keperluan": "Melamar kerja",
            "nomor_pengantar_desa": "300/45/2026",
            "tanggal_pengantar_desa": office_today().isoformat()}, penduduk_id=resident)
        record, text = issued_pdf(app, record.id)
        assert "Kepala Desa Loleng Nomor 300/45/2026" in text
        assert "Yth. Kepala Kepolisian Sektor Kota Bangun" in text and "Kepada Yth" not in text


def test_receipt_prints_the_officers_name_and_nip_never_the_login(app, resident):
    from records.services.requests import take_request

    with app.app_context():
        record = take_request("sk_domisili", penduduk_id=resident, received=[
                "Surat pengantar dari desa", "Fotokopi KTP-el",
                                            "Fotokopi Kartu Keluarga"],
                              values={"keperluan": "Bank"}, actor=actor(app, "petugas"),
                              session=db.session, desk=lemari().desk())
        receipt = [f for f in record.files if f.kind == "tanda_terima"][0]
        text = text_of(lemari().desk().blobs.read_bytes(receipt.sha256))
        assert PETUGAS_NAME in text and "NIP 19920314 201903 2 011" in text
        assert not re.search(r"\bpetugas\b", text)  # the login name is never printed


def test_rt_rw_zero_is_never_printed(app, resident):
    with app.app_context():
        person = db.session.get(Penduduk, resident)
        person.rt, person.rw = "000", "000"
        db.session.commit()
        record = draft(app, "sk_domisili_penduduk", {"keperluan": "Bank"}, penduduk_id=resident)
        _, text = issued_pdf(app, record.id)
        assert "RT 000" not in text and "RW 000" not in text and "Desa Loleng" in text


def test_keputusan_carries_a_full_number_lampiran_and_certified_copy_block(app):
    with app.app_context():
        record = draft(app, "keputusan_camat", {
            "tentang": "Pembentukan Tim Pelayanan", "menimbang": "bahwa perlu",
            "mengingat": "UU 23/2014", "memutuskan": "Membentuk tim.",
            "lampiran": "Susunan tim: Ketua, Sekretaris, Anggota.",
            "pengesah_salinan": "Rusdiansyah, S.Sos. | 197809232005011007 | Sekretaris Kecamatan"},
            username="camat")
        record, text = issued_pdf(app, record.id)
        assert re.fullmatch(r"100\.3\.3/1/Kec\.KB/20\d\d", record.number)
        assert f"NOMOR {record.number}" in text and f"NOMOR {record.number} TAHUN" not in text
        assert "LAMPIRAN KEPUTUSAN CAMAT KOTA BANGUN" in text and "Susunan tim" in text
        assert "Salinan sesuai dengan aslinya" in text and "NIP 19780923 200501 1 007" in text


def test_general_berita_acara_names_both_parties_and_witnesses(app):
    with app.app_context():
        record = draft(app, "berita_acara", {
            "hal": "Serah terima inventaris", "isi": "Diserahkan satu unit komputer.",
            "pihak_kedua": "Kepala Desa Loleng", "nama_pihak_kedua": "SUPRIADI",
            "saksi": "AHMAD | Kasi Pemerintahan\nRINA | Staf"}, username="camat")
        _, text = issued_pdf(app, record.id)
        assert "PIHAK KESATU" in text and "PIHAK KEDUA" in text and "SUPRIADI" in text
        assert "Saksi-saksi:" in text and "AHMAD, Kasi Pemerintahan" in text
        assert "tahun dua ribu" in text


# --- 4. Non-resident applicants ------------------------------------------------------------------

def nonpermanen(**overrides) -> dict:
    values = {"keperluan": "Melamar pekerjaan", "pemohon_nonpermanen": "1",
              "np_nik": make_nik("64.02.05", dt.date(1995, 10, 4), "P", 2),
              "np_nama": "Nurul Hidayah", "np_tempat_lahir": "Tenggarong",
              "np_tanggal_lahir": "1995-10-04", "np_jenis_kelamin": "PEREMPUAN",
              "np_alamat_asal": "Jl. Diponegoro 5, Timbau, Tenggarong",
              "np_alamat": "Jl. Pesut 3 (kos)", "np_desa": LOLENG}
    values.update(overrides)
    return values


def test_domisili_for_a_non_resident_is_marked_on_the_record_and_the_letter(app):
    with app.app_context():
        record = draft(app, "sk_domisili_penduduk", nonpermanen())
        luar = record.data["pemohon_nonpermanen"]
        assert record.penduduk_id is None and record.desa_code == LOLENG
        assert luar["nama"] == "NURUL HIDAYAH" and "Permendagri 14/2015" in luar["dasar_hukum"]
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "record.create", AuditEvent.object_id == str(record.id)))
        assert event.detail["pemohon_nonpermanen"] is True
        record, text = issued_pdf(app, record.id)
        assert "penduduk nonpermanen" in text and "NURUL HIDAYAH" in text
        assert luar["nik"] in text and "Timbau, Tenggarong" in text
        # a role without the full-NIK right sees the preview masked
        pdf = preview_letter(record.id, paper="F4", actor=actor(app, "auditor"),
                             session=db.session, desk=lemari().desk())
        masked = text_of(pdf)
        assert luar["nik"] not in masked.replace(" ", "") and mask_nik(luar["nik"])[:6] in masked


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"np_nik": "1234567890123456"}, "np_nik", "NIK tidak valid"),
    ({"np_tanggal_lahir": "1995-10-05"}, "np_tanggal_lahir", "tidak sesuai dengan NIK"),
    ({"np_jenis_kelamin": "LAKI-LAKI"}, "np_jenis_kelamin", "tidak sesuai dengan NIK"),
    ({"np_desa": "64.02.05.1001"}, "np_desa", "Desa tidak dikenal"),
    ({"np_nama": ""}, "np_nama", "wajib diisi"),
])
def test_non_resident_identity_is_checked(app, overrides, field, message):
    with app.app_context():
        errors = refused(app, "sk_domisili_penduduk", nonpermanen(**overrides))
        assert message in errors[field]


def test_a_registered_resident_cannot_be_entered_as_non_resident(app, resident):
    with app.app_context():
        person = db.session.get(Penduduk, resident)
        errors = refused(app, "sk_domisili_penduduk", nonpermanen(
            np_nik=person.nik, np_tanggal_lahir=person.tanggal_lahir.isoformat(),
            np_jenis_kelamin=person.jenis_kelamin))
        assert "terdaftar sebagai penduduk" in errors["np_nik"]


def test_types_that_do_not_declare_it_refuse_non_residents(app):
    with app.app_context():
        errors = refused(app, "pengantar_skck", nonpermanen(
            tujuan="Kapolsek", keperluan="Kerja"))
        assert "Pemohon harus penduduk terdaftar." in errors["nik"]


def test_create_record_passes_the_office_policy(app, resident):
    """The adapters' path (create_record) applies the same rules."""
    with app.app_context():
        with pytest.raises(ValidationError):
            create_record("sk_domisili_penduduk", {"keperluan": "x", "masa_berlaku_bulan": "0"},
                          penduduk_id=resident, actor=actor(app, "petugas"), session=db.session,
                          registry=lemari().registry, policy=lemari().settings)
