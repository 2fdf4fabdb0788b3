"""Archive destruction per PP 28/2012 on a real demo office (SQLite, blob store, WeasyPrint):
the panitia penilai arsip, the Bupati's (and ANRI's) written approval and two witnesses are
required, each refusal changes nothing; the berita acara read back with pypdf names the signers
with full name and NIP, prints every file's full SHA-256, the approval number, the witnesses
and its date in words; the JRA row is matched by the record's klasifikasi and series."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from archive.desk import archive_desk, close_archive_desk
from archive.models import Arsip, Penyusutan
from archive.scan_samples import text_pdf
from archive.services import archiving, disposition, retensi
from conftest import build_app
from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, JadwalRetensi, Record
from records.services import klasifikasi
from records.services.accounts import actor_for_username

TODAY = dt.date.today()
#: The panitia penilai arsip: the three unsur PP 28/2012 Pasal 67 requires.
PANITIA = {
    "panitia-0-unsur": "ketua", "panitia-0-nama": "Hj. Noorhayati, S.AP.",
    "panitia-0-nip": "19800314 200604 2 011", "panitia-0-jabatan": "Kepala Subbagian Umum",
    "panitia-1-unsur": "unit_pengolah", "panitia-1-nama": "Ahmad Rifani, S.Sos.",
    "panitia-1-nip": "198105052009011003", "panitia-1-jabatan": "Kepala Seksi Pelayanan",
    "panitia-2-unsur": "arsiparis", "panitia-2-nama": "Siti Aisyah, A.Md.",
    "panitia-2-nip": "199002022015032004", "panitia-2-jabatan": "Arsiparis Terampil",
    "penilaian_panitia": "Arsip tidak bernilai guna lagi dan retensinya telah berakhir.",
    "penilaian_tanggal": TODAY.isoformat(),
}
APPROVAL = {
    "tempat": "Kantor Camat Kota Bangun", "metode": "Pencacahan",
    "persetujuan_kepala_daerah": "000.5.6.2/412/Bag.Org", "persetujuan_kepala_daerah_tanggal":
    "20-11-2026",
    "saksi-0-nama": "Muhammad Yusuf, S.H.", "saksi-0-nip": "198501012010011001",
    "saksi-0-jabatan": "Kasi Trantib",
    "saksi-1-nama": "Rina Marlina, S.E.", "saksi-1-nip": "198707072011012002",
    "saksi-1-jabatan": "Kasubbag Program dan Keuangan",
}
APPROVE_ON = dt.date(2026, 12, 10)  # a Thursday


@pytest.fixture
def app(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    yield app
    close_archive_desk(app)
    app.extensions["lemari"].close()


def who(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def scan(app, tmp_path, seed, **values):
    path = tmp_path / f"scan-{seed}.pdf"
    path.write_bytes(text_pdf(seed))
    result = archiving.ingest_file(path, path.name, values, actor=who(app, "arsiparis"),
                                   session=db.session, desk=archive_desk(app))
    assert result.status == "diimpor", result.reason
    return result.record_id


def due(app, tmp_path, seed, **values):
    return scan(app, tmp_path, seed, klasifikasi="400.12.2.1", tanggal="2015-01-05",
                desa="Loleng", judul=f"Berkas KTP-el 2015 nomor {seed}", **values)


def refused(app, batch_id, values, match, username="camat"):
    """Approval is refused with `match` in the message, and nothing at all changed."""
    before = _state(app, batch_id)
    with pytest.raises(ValidationError, match=match):
        disposition.approve(batch_id, values, actor=who(app, username), session=db.session,
                            desk=lemari().desk(), today=APPROVE_ON)
    db.session.rollback()
    assert _state(app, batch_id) == before


def _state(app, batch_id):
    batch = db.session.get(Penyusutan, batch_id)
    items = [(i.record.state, i.record.arsip.status, bool(i.tombstone)) for i in batch.items]
    files = [archive_desk(app).blobs.exists(f.sha256)
             for i in batch.items for f in i.record.files]
    return (batch.status, batch.tempat, batch.persetujuan_kepala_daerah, batch.berita_acara_id,
            len(batch.pihak_peran("saksi")), items, files,
            db.session.scalar(select(Record.id).where(
                Record.doctype == disposition.BERITA_ACARA_DOCTYPE).limit(1)))


def test_destruction_is_refused_without_panitia_bupati_anri_or_witnesses(app, tmp_path):
    with app.app_context():
        row = db.session.scalar(select(JadwalRetensi).where(JadwalRetensi.code == "400.12.2.1"))
        retensi.save_jra({"code": row.code, "series": row.series, "jenis_arsip": row.jenis_arsip,
                              "aktif_tahun": "2", "inaktif_tahun": "8", "keterangan": "musnah",
                              "dasar": "uji: retensi 10 tahun"}, jra_id=row.id,
                             skema_code=row.skema_code, actor=who(app, "arsiparis"),
                             session=db.session)
        record_id = due(app, tmp_path, 50)
        batch = disposition.propose([record_id], "", actor=who(app, "arsiparis"),
                                    session=db.session)
        assert disposition.needs_anri_approval(batch)
        full = {**APPROVAL, "persetujuan_anri": "B-1234/ANRI/KN.01/2026",
                "persetujuan_anri_tanggal": "2026-11-25"}
        refused(app, batch.id, full, "Panitia penilai arsip belum mencatat")

        arsiparis = who(app, "arsiparis")
        for values, match in (
                ({k: v for k, v in PANITIA.items() if not k.startswith("panitia-2")},
                 "paling sedikit 3 anggota"),
                ({**PANITIA, "panitia-2-unsur": "unit_pengolah"}, "Unsur panitia belum ada: Arsiparis"),
                ({**PANITIA, "panitia-1-nip": "1981"}, "NIP harus 18 digit"),
                ({**PANITIA, "panitia-0-nip": ""}, "NIP ketua panitia wajib"),
                ({**PANITIA, "penilaian_panitia": " "}, "pertimbangan tertulis"),
                ({**PANITIA, "penilaian_tanggal": "2099-01-01"}, "tidak boleh setelah hari ini")):
            with pytest.raises(ValidationError, match=match):
                disposition.assess(batch.id, values, actor=arsiparis, session=db.session)
            db.session.rollback()
            assert not db.session.get(Penyusutan, batch.id).pihak
        disposition.assess(batch.id, PANITIA, actor=arsiparis, session=db.session)
        assert [p.nip for p in db.session.get(Penyusutan, batch.id).pihak_peran("panitia")][0] \
            == "198003142006042011"

        without = {k: v for k, v in full.items() if not k.startswith("persetujuan_kepala")}
        refused(app, batch.id, without, "persetujuan tertulis Bupati Kutai Kartanegara")
        refused(app, batch.id, {**full, "persetujuan_kepala_daerah_tanggal": ""},
                "Tanggal persetujuan tertulis Bupati")
        refused(app, batch.id, {k: v for k, v in full.items() if "anri" not in k},
                "persetujuan Kepala ANRI")
        refused(app, batch.id, {k: v for k, v in full.items() if not k.startswith("saksi-1")},
                "paling sedikit 2 orang pejabat")
        refused(app, batch.id, {**full, "saksi-1-jabatan": ""}, "Saksi: baris 2")
        refused(app, batch.id, full, "NIP Anda sebagai pejabat", username="admin")

        disposition.approve(batch.id, full, actor=who(app, "camat"), session=db.session,
                            desk=lemari().desk(), today=APPROVE_ON)
        batch = db.session.get(Penyusutan, batch.id)
        assert batch.status == "dilaksanakan"
        assert batch.syarat.persetujuan_anri_tanggal == dt.date(2026, 11, 25)
        assert batch.syarat.persetujuan_kepala_daerah_tanggal == dt.date(2026, 11, 20)
        events = {e.action: e for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "arsip_penyusutan"))}
        assert len(events["arsip.dispose.assess"].detail["panitia"]) == 3
        approved = events["arsip.dispose.approve"].detail
        assert approved["kepala_daerah"] == "000.5.6.2/412/Bag.Org" and len(approved["saksi"]) == 2
        assert approved["signer"]["nip"] == "197105121996031004"


def test_berita_acara_names_signers_full_hashes_approval_witnesses_and_date_in_words(app, tmp_path):
    with app.app_context():
        ids = [due(app, tmp_path, 60), due(app, tmp_path, 61)]
        batch = disposition.propose(ids, "Retensi berakhir", actor=who(app, "arsiparis"),
                                    session=db.session)
        shas = [f.sha256 for i in ids for f in db.session.get(Record, i).files]
        assert len(shas) >= 2 and all(len(s) == 64 for s in shas)
        disposition.assess(batch.id, PANITIA, actor=who(app, "arsiparis"), session=db.session)
        disposition.approve(batch.id, APPROVAL, actor=who(app, "camat"), session=db.session,
                            desk=lemari().desk(), today=APPROVE_ON)
        berita = db.session.get(Penyusutan, batch.id).berita_acara
        pdf = archive_desk(app).blobs.read_bytes(berita.files[0].sha256)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", " ", text)
    squeezed = re.sub(r"\s+", "", text)
    for sha in shas:
        assert sha in squeezed, f"full SHA-256 {sha} missing from the berita acara"
    assert ("Pada hari ini Kamis tanggal sepuluh bulan Desember tahun dua ribu dua puluh enam"
            in flat)
    assert "Nomor 000.5.6.2/412/Bag.Org tanggal 20 November 2026" in flat
    assert "Bupati Kutai Kartanegara" in flat
    for name, nip in (("Muhammad Yusuf, S.H.", "19850101 201001 1 001"),
                      ("Rina Marlina, S.E.", "19870707 201101 2 002"),
                      ("Hj. Noorhayati, S.AP.", "19800314 200604 2 011"),
                      ("Drs. H. Syahrani, M.Si.", "19710512 199603 1 004")):
        assert name in flat and f"NIP {nip}" in flat
    assert "Saksi 1" in flat and "Saksi 2" in flat
    assert "Berkas KTP-el 2015 nomor 61" in flat and "5 Januari 2015" in flat
    assert not re.search(r"\b(arsiparis|camat)\b", text)  # no login names
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text)  # no ISO dates


def test_jra_line_is_matched_by_klasifikasi_not_the_ktp_kk_row(app, tmp_path):
    with app.app_context():
        domisili = scan(app, tmp_path, 70, jenis="sk_domisili_penduduk", klasifikasi="400.12.2.1",
                        tanggal="2020-02-03")
        ktp = scan(app, tmp_path, 71, jenis="permohonan_ktp_el", klasifikasi="400.12.2.1",
                   tanggal="2020-02-03")
        unknown = scan(app, tmp_path, 72, klasifikasi="400.12.2.1", tanggal="2020-02-03")
        rows = {i: db.session.get(Arsip, i) for i in (domisili, ktp, unknown)}
        assert rows[domisili].seri == "surat_keterangan"
        assert rows[domisili].jra.series == "surat_keterangan"
        assert "KTP-el" not in rows[domisili].jra.jenis_arsip
        assert rows[ktp].jra.series == "ktp_kk_berkas"
        assert rows[unknown].jra.code == "400.12.2.1"  # no document type: the class's own row
        scheme = klasifikasi.CURRENT_SCHEME
        # the class wins over the series: an undangan (000.1.5) is a rapat record
        assert klasifikasi.resolve_jra(db.session, scheme, "000.1.5", "naskah_dinas").code == "000.1.5"
        assert klasifikasi.resolve_jra(db.session, scheme, "400.12.2.1",
                                       "surat_keterangan").series == "surat_keterangan"
        # correcting a scan's document type moves it to its series' row
        archiving.update_metadata(unknown, {"jenis": "sk_domisili_penduduk",
                                            "klasifikasi": "400.12.2.1", "tanggal": "2020-02-03"},
                                  "Jenis dokumen salah", actor=who(app, "arsiparis"),
                                  session=db.session, registry=lemari().registry)
        assert db.session.get(Arsip, unknown).jra.series == "surat_keterangan"


def test_the_rules_are_data_with_their_basis():
    rules = disposition.aturan()
    assert rules["panitia_penilai"]["min_anggota"] == len(rules["panitia_penilai"]["unsur"]) == 3
    assert rules["saksi"]["min"] == 2
    assert rules["persetujuan_anri"]["retensi_min_tahun"] == retensi.ANRI_THRESHOLD_YEARS
    for key in ("panitia_penilai", "saksi", "persetujuan_kepala_daerah", "persetujuan_anri",
                "berita_acara"):
        assert re.search(r"(PP 28/2012|UU 43/2009|Perka ANRI 25/2012)", rules[key]["dasar"])
