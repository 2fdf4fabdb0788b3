"""The archive end to end on a real demo office: folder import with a report, OCR with real
Tesseract, search, retention, disposition with its berita acara, versions, fixity, doctor,
BagIt export. Jobs run immediately (JOBS_IMMEDIATE) so a test sees their outcome."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import time

import bagit
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from archive.desk import archive_desk, close_archive_desk
from archive.models import Arsip, ArsipVersi, OcrJob
from archive.scan_samples import image_bytes, text_pdf, write_sample_folder
from archive.services import archiving, disposition, retensi
from conftest import build_app
from records.extensions import db, lemari
from records.models import AuditEvent, JadwalRetensi, Penduduk, Record, RecordFile
from records.services.accounts import actor_for_username

LOLENG = "64.02.08.2004"


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


def ingest(app, name, data, tmp_path, **values):
    path = tmp_path / f"upload-{name}"
    path.write_bytes(data)
    return archiving.ingest_file(path, name, values, actor=who(app, "arsiparis"),
                                 session=db.session, desk=archive_desk(app))


def read_report(path):
    with open(path, encoding="utf-8") as fh:
        return {row["berkas"]: row for row in csv.DictReader(fh)}


@pytest.mark.slow
def test_mixed_folder_imports_with_report_ocr_and_search(app, tmp_path):
    folder = tmp_path / "pindaian"
    expected = write_sample_folder(folder)
    report = tmp_path / "laporan.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-scans", str(folder), "--metadata",
                                 str(folder / "metadata.csv"), "--as", "arsiparis",
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    rows = read_report(report)
    assert {name: row["status"] for name, row in rows.items()} == expected
    assert "bom dekompresi" in rows["bom-dekompresi.png"]["keterangan"]
    assert "terenkripsi" in rows["terkunci.pdf"]["keterangan"]
    assert "JPEG" in rows["foto-bernama-pdf.pdf"]["keterangan"]
    assert "0 byte" in rows["kosong.pdf"]["keterangan"]
    assert "tidak ada di folder" in rows["hilang.pdf"]["keterangan"]
    assert "UTF-8" in rows["nama-\\xff\\xfe.png"]["keterangan"]
    assert rows["ulang-surat-domisili.png"]["sha256"] == rows["surat-domisili-2019.png"]["sha256"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Arsip)) == 5
        jobs = db.session.scalars(select(OcrJob)).all()
        assert len(jobs) == 4 and {j.status for j in jobs} == {"selesai"}, [j.pesan for j in jobs]
        tiff = db.session.get(Record, int(rows["kk-berkas-3-halaman.tif"]["dokumen"]))
        assert tiff.arsip.halaman == 3 and {f.kind for f in tiff.files} == {"asli", "ocr"}
        ocr_pdf = next(f for f in tiff.files if f.kind == "ocr")
        reader = PdfReader(archive_desk(app).blobs.open(ocr_pdf.sha256))
        assert len(reader.pages) == 3 and "KOTA BANGUN" in reader.pages[2].extract_text().upper()
        domisili = db.session.get(Arsip, int(rows["surat-domisili-2019.png"]["dokumen"]))
        assert (domisili.klasifikasi, domisili.record.desa_code, domisili.lokasi) == (
            "400.12.2.1", LOLENG, "Lemari 1 / Rak 2 / Boks 14 / Map 3")
        assert domisili.retensi_sampai == dt.date(2022, 8, 17) and domisili.nasib_akhir == "musnah"
        lemari().search().drain()
    search = runner.invoke(args=["search", "elektronik", "--as", "arsiparis", "--json"])
    assert search.exit_code == 0, search.output
    found = search.output
    assert f"record:{rows['kk-berkas-3-halaman.tif']['dokumen']}" in found

    again = runner.invoke(args=["import-scans", str(folder), "--metadata",
                                str(folder / "metadata.csv"), "--as", "arsiparis",
                                "--report", str(tmp_path / "lagi.csv")])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Arsip)) == 5
    moved = tmp_path / "salinan"
    shutil.copytree(folder, moved)  # another folder: no journal, duplicates by SHA-256
    third = runner.invoke(args=["import-scans", str(moved), "--as", "arsiparis",
                                "--report", str(tmp_path / "tiga.csv")])
    statuses = {n: r["status"] for n, r in read_report(tmp_path / "tiga.csv").items()}
    assert third.exit_code == 0 and statuses["surat-domisili-2019.png"] == "duplikat"
    assert statuses["keputusan-camat-digital.pdf"] == "duplikat"


def test_a_2_gb_file_is_refused_without_being_read(app, tmp_path):
    huge = tmp_path / "raksasa.pdf"
    with open(huge, "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(2 * 1024**3)  # sparse: 2 GB that never touch the disk
    with app.app_context():
        result = archiving.ingest_file(huge, "raksasa.pdf", {}, actor=who(app, "arsiparis"),
                                       session=db.session, desk=archive_desk(app))
        assert result.status == "gagal" and "melebihi batas" in result.reason
        assert db.session.scalar(select(func.count()).select_from(Arsip)) == 0


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "a/b.pdf", "nul\x00.pdf", "..", ""])
def test_hostile_names_are_refused(app, tmp_path, name):
    with app.app_context():
        path = tmp_path / "x.pdf"
        path.write_bytes(text_pdf(1))
        result = archiving.ingest_file(path, name, {}, actor=who(app, "arsiparis"),
                                       session=db.session, desk=archive_desk(app))
        assert result.status == "gagal" and result.reason


def test_csv_rows_naming_paths_outside_the_folder_fail(app, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(text_pdf(3))
    sidecar = tmp_path / "meta.csv"
    sidecar.write_text("berkas,judul,klasifikasi\n../rahasia.pdf,X,000.1\na.pdf,Surat A,000.1.5\n"
                       "a.pdf\x00,Y,000.1\n", encoding="utf-8")
    report = tmp_path / "r.csv"
    result = app.test_cli_runner().invoke(args=["import-scans", str(folder), "--metadata",
                                                str(sidecar), "--as", "arsiparis", "--report",
                                                str(report)])
    assert result.exit_code == 0, result.output
    rows = read_report(report)
    assert rows["../rahasia.pdf"]["status"] == "gagal" and rows["a.pdf"]["status"] == "diimpor"
    with app.app_context():
        arsip = db.session.get(Arsip, int(rows["a.pdf"]["dokumen"]))
        assert arsip.record.title == "Surat A" and arsip.ocr_status == "teks_asli"


def test_bad_metadata_is_reported_and_nothing_is_stored(app, tmp_path):
    with app.app_context():
        result = ingest(app, "a.pdf", text_pdf(4), tmp_path, klasifikasi="999.9",
                        nik="1234", tanggal="2999-01-01", desa="Atlantis")
        assert result.status == "gagal"
        for part in ("999.9", "NIK", "belum terjadi", "Atlantis"):
            assert part in result.reason
        assert db.session.scalar(select(func.count()).select_from(RecordFile)) == 0
        assert list(archive_desk(app).blobs.iter_refs()) == []


def test_only_the_arsiparis_ingests(app, tmp_path):
    from records.exceptions import PermissionDeniedError

    with app.app_context():
        path = tmp_path / "a.pdf"
        path.write_bytes(text_pdf(5))
        with pytest.raises(PermissionDeniedError):
            archiving.ingest_file(path, "a.pdf", {}, actor=who(app, "petugas"),
                                  session=db.session, desk=archive_desk(app))


def test_correction_adds_a_version_and_keeps_the_old_one(app, tmp_path):
    with app.app_context():
        first = ingest(app, "keputusan.pdf", text_pdf(6), tmp_path, klasifikasi="100.3.3",
                       tanggal="2020-01-06")
        arsiparis = who(app, "arsiparis")
        archiving.update_metadata(first.record_id, {"klasifikasi": "000.1.5", "judul": "Notula",
                                                    "tanggal": "2020-01-06", "lemari": "3"},
                                  "Salah kode klasifikasi", actor=arsiparis, session=db.session,
                                  registry=lemari().registry)
        path = tmp_path / "baru.pdf"
        path.write_bytes(text_pdf(7, pages=2))
        replaced = archiving.replace_file(first.record_id, path, "baru.pdf", "Halaman 2 terlewat",
                                          actor=arsiparis, session=db.session,
                                          desk=archive_desk(app))
        assert replaced.status == "diimpor"
        history = archiving.versions(first.record_id, session=db.session)
        assert [(v.versi, v.alasan) for v in history] == [
            (1, "Pindaian pertama"), (2, "Salah kode klasifikasi"), (3, "Halaman 2 terlewat")]
        assert history[0].metadata_json["klasifikasi"] == "100.3.3"
        arsip = db.session.get(Arsip, first.record_id)
        assert (arsip.klasifikasi, arsip.halaman, arsip.lemari) == ("000.1.5", 2, "3")
        assert arsip.retensi_sampai == dt.date(2022, 1, 6)  # rapat: 1 + 1 years, musnah
        assert all(archive_desk(app).blobs.exists(v.file_asli.sha256) for v in history)
        with pytest.raises(Exception, match="Alasan"):
            archiving.update_metadata(first.record_id, {}, "  ", actor=arsiparis,
                                      session=db.session, registry=lemari().registry)


def test_jra_edit_recomputes_and_revoked_scheme_is_read_only(app, tmp_path):
    from records.exceptions import ValidationError

    with app.app_context():
        old = ingest(app, "lama.pdf", text_pdf(8), tmp_path, skema="permendagri-78-2012",
                     klasifikasi="471.13", tanggal="2015-03-02")
        arsip = db.session.get(Arsip, old.record_id)
        assert arsip.klasifikasi == "471.13" and arsip.jra.code == "400.12.2.1"
        assert arsip.retensi_sampai == dt.date(2018, 3, 2)
        row = arsip.jra
        retensi.save_jra({"code": row.code, "series": row.series, "jenis_arsip": row.jenis_arsip,
                              "aktif_tahun": "5", "inaktif_tahun": "6", "keterangan": "musnah",
                              "dasar": "JRA Kabupaten Kutai Kartanegara (uji)"}, jra_id=row.id,
                             skema_code=row.skema_code, actor=who(app, "arsiparis"),
                             session=db.session)
        db.session.refresh(arsip)
        assert arsip.retensi_sampai == dt.date(2026, 3, 2) and arsip.retensi_tahun == 11
        assert retensi.needs_anri(arsip)
        with pytest.raises(ValidationError, match="dicabut"):
            retensi.save_jra({}, jra_id=None, skema_code="permendagri-78-2012",
                                 actor=who(app, "arsiparis"), session=db.session)
        with pytest.raises(ValidationError):
            retensi.save_jra({"code": "1.2.3", "jenis_arsip": "", "inaktif_tahun": "x",
                                  "keterangan": "dibakar", "dasar": ""}, jra_id=None,
                                 skema_code="permendagri-83-2022", actor=who(app, "arsiparis"),
                                 session=db.session)


# The panitia penilai arsip and the Bupati's approval with two witnesses (PP 28/2012; the full
# procedure and its refusals: test_pemusnahan.py).
PANITIA = {"panitia-0-unsur": "ketua", "panitia-0-nama": "Hj. Noorhayati, S.AP.",
           "panitia-0-nip": "198003142006042011", "panitia-0-jabatan": "Kepala Subbagian Umum",
           "panitia-1-unsur": "unit_pengolah", "panitia-1-nama": "Ahmad Rifani, S.Sos.",
           "panitia-1-jabatan": "Kepala Seksi Pelayanan", "panitia-2-unsur": "arsiparis",
           "panitia-2-nama": "Siti Aisyah, A.Md.", "panitia-2-jabatan": "Arsiparis",
           "penilaian_panitia": "Tidak bernilai guna lagi.",
           "penilaian_tanggal": dt.date.today().isoformat()}
APPROVAL = {"persetujuan_kepala_daerah": "000.5.6.2/412/Bag.Org",
            "persetujuan_kepala_daerah_tanggal": "2026-11-20",
            "saksi-0-nama": "Muhammad Yusuf, S.H.", "saksi-0-jabatan": "Kasi Trantib",
            "saksi-1-nama": "Rina Marlina, S.E.", "saksi-1-jabatan": "Kasubbag Program"}


def _due_scan(app, tmp_path, seed, **values):
    result = ingest(app, f"due-{seed}.pdf", text_pdf(seed), tmp_path, klasifikasi="400.12.2.1",
                    tanggal="2015-01-05", desa="Loleng", **values)
    assert result.status == "diimpor", result.reason
    return result.record_id


def test_disposition_destroys_with_tombstone_and_berita_acara(app, tmp_path):
    with app.app_context():
        ids = [_due_scan(app, tmp_path, 20), _due_scan(app, tmp_path, 21)]
        held = _due_scan(app, tmp_path, 22)
        archiving.set_legal_hold(held, True, "Perkara perdata 12/2026", actor=who(app, "camat"),
                                 session=db.session)
        groups = disposition.due_list(actor=who(app, "arsiparis"), session=db.session,
                                      registry=lemari().registry)
        assert {a.record_id for a in groups["musnah"]} == set(ids)
        assert [a.record_id for a in groups["ditahan"]] == [held]
        with pytest.raises(Exception, match="legal hold"):
            disposition.propose([held], "", actor=who(app, "arsiparis"), session=db.session)
        batch = disposition.propose(ids, "Retensi berakhir", actor=who(app, "arsiparis"),
                                    session=db.session)
        shas = [f.sha256 for i in ids for f in db.session.get(Record, i).files]
        disposition.assess(batch.id, PANITIA, actor=who(app, "arsiparis"), session=db.session)
        with pytest.raises(Exception, match="Tempat"):
            disposition.approve(batch.id, APPROVAL, actor=who(app, "camat"), session=db.session,
                                desk=lemari().desk())
        db.session.rollback()
        disposition.approve(batch.id, {**APPROVAL, "tempat": "Kantor Camat Kota Bangun"},
                            actor=who(app, "camat"), session=db.session, desk=lemari().desk())
        batch = disposition.get_batch(batch.id, actor=who(app, "camat"), session=db.session)
        assert batch.status == "dilaksanakan"
        for record_id, sha in zip(ids, shas, strict=True):
            record = db.session.get(Record, record_id)
            assert record.state == "musnah" and record.arsip.status == "musnah"
            assert not archive_desk(app).blobs.exists(sha)
        tombstone = batch.items[0].tombstone
        assert tombstone["approved_by"] == "camat" and tombstone["files"][0]["sha256"] == shas[0]
        berita = batch.berita_acara
        assert berita.number.startswith("000.5.6.2/") and berita.arsip.nasib_akhir == "permanen"
        pdf = archive_desk(app).blobs.read_bytes(berita.files[0].sha256)
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
        assert "BERITA ACARA PEMUSNAHAN ARSIP" in text and berita.number in text
        assert "Kantor Camat Kota Bangun" in text and db.session.get(Record, ids[1]).title in text
        again = ingest(app, "due-20.pdf", text_pdf(20), tmp_path)
        assert again.status == "duplikat" and "dimusnahkan" in again.reason
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"arsip.dispose.propose", "arsip.dispose.approve", "arsip.hold"} <= actions


def test_ten_year_series_need_the_anri_reference(app, tmp_path):
    from records.exceptions import PermissionDeniedError, ValidationError

    with app.app_context():
        row = db.session.scalar(select(JadwalRetensi).where(JadwalRetensi.code == "400.12.2.1"))
        retensi.save_jra({"code": row.code, "series": row.series, "jenis_arsip": row.jenis_arsip,
                              "aktif_tahun": "2", "inaktif_tahun": "8", "keterangan": "musnah",
                              "dasar": "uji"}, jra_id=row.id, skema_code=row.skema_code,
                             actor=who(app, "arsiparis"), session=db.session)
        record_id = _due_scan(app, tmp_path, 30)
        batch = disposition.propose([record_id], "", actor=who(app, "arsiparis"), session=db.session)
        disposition.assess(batch.id, PANITIA, actor=who(app, "arsiparis"), session=db.session)
        with pytest.raises(ValidationError, match="ANRI"):
            disposition.approve(batch.id, {**APPROVAL, "tempat": "Kantor"}, actor=who(app, "camat"),
                                session=db.session, desk=lemari().desk())
        db.session.rollback()
        with pytest.raises(PermissionDeniedError):
            disposition.approve(batch.id, {**APPROVAL, "tempat": "Kantor", "persetujuan_anri": "X",
                                           "persetujuan_anri_tanggal": "2026-11-01"},
                                actor=who(app, "arsiparis"), session=db.session,
                                desk=lemari().desk())
        disposition.reject(batch.id, "Belum ada persetujuan ANRI", actor=who(app, "camat"),
                           session=db.session)
        assert db.session.get(Arsip, record_id).status == "tersimpan"


def test_fixity_finds_a_file_altered_by_hand_and_doctor_finds_orphans(app, tmp_path):
    with app.app_context():
        result = ingest(app, "a.pdf", text_pdf(40), tmp_path)
        blobs = archive_desk(app).blobs
        path = blobs.path_hint(result.sha256)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["fixity"]).exit_code == 0
    os.chmod(path, 0o644)
    with open(path, "ab") as fh:
        fh.write(b"diubah")
    checked = runner.invoke(args=["fixity"])
    assert checked.exit_code == 1 and "BERUBAH" in checked.output and path in checked.output
    with app.app_context():
        orphan = blobs.put(b"orphan written before a rolled-back transaction")
    fresh = runner.invoke(args=["doctor"])
    assert "[OK] archive.orphans" in fresh.output and "1 berkas baru tanpa dokumen" in fresh.output
    two_hours_ago = time.time() - 7200
    os.utime(blobs.path_hint(orphan), (two_hours_ago, two_hours_ago))
    doctor = runner.invoke(args=["doctor"])
    assert doctor.exit_code == 1
    assert "[GAGAL] archive.hashes" in doctor.output and "[GAGAL] archive.orphans" in doctor.output


def test_files_owned_by_publications_and_templates_are_not_orphans(app):
    """Posters, previews and template images live in the archive without a record; fixity
    must keep them (removing "orphans" once deleted every published poster)."""
    import datetime as dt

    from archive.services import fixity
    from records.publikasi.models import TemplatAset

    with app.app_context():
        blobs = archive_desk(app).blobs
        logo = blobs.put(b"\x89PNG logo kecamatan")
        stray = blobs.put(b"left by a crash")
        for ref in (logo, stray):
            old = time.time() - 7200
            os.utime(blobs.path_hint(ref), (old, old))
        db.session.add(TemplatAset(nama="logo.png", sha256=logo.sha256, mime="image/png",
                                   size=logo.size, width=1, height=1, uploaded_by="humas",
                                   uploaded_at=dt.datetime(2026, 12, 1)))
        db.session.commit()
        assert logo.sha256 in fixity.owned_shas(db.session)
        removed = fixity.remove_orphans(session=db.session, blobs=blobs, by="test")
        assert removed == [stray.sha256]
        assert blobs.exists(logo) and not blobs.exists(stray)
        db.session.delete(db.session.get(TemplatAset, "logo.png"))
        db.session.commit()
        blobs.delete(logo)
    doctor = app.test_cli_runner().invoke(args=["doctor"])
    assert "[OK] archive.owned" in doctor.output


def test_issued_documents_join_the_archive_and_doctor_checks_their_files(app, tmp_path):
    from records.services.issuing import advance
    from records.services.requests import take_request

    with app.app_context():
        ext = lemari()
        person = db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code == LOLENG))
        record = take_request("sk_domisili", penduduk_id=person, received=[
                "Surat pengantar dari desa", "Fotokopi KTP-el",
                                            "Fotokopi Kartu Keluarga"],
                              values={"keperluan": "Arsip"}, actor=who(app, "petugas"),
                              session=db.session, desk=ext.desk())
        for name, user in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                           ("terbitkan", "petugas")):
            advance(record.id, name, actor=who(app, user), session=db.session,
                    registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
        rows, _ = archiving.list_arsip(actor=who(app, "arsiparis"), session=db.session,
                                       registry=ext.registry, filter_="terbit")
        arsip = next(a for a in rows if a.record_id == record.id)
        assert arsip.klasifikasi == "400.12.2.1" and arsip.seri == "surat_keterangan"
        assert arsip.retensi_sampai == arsip.tanggal_dokumen.replace(year=arsip.tanggal_dokumen.year + 3)
        record_id = record.id
        issued = next(f for f in db.session.get(Record, record_id).files if f.kind == "terbit")
        db.session.delete(issued)
        db.session.commit()
    doctor = app.test_cli_runner().invoke(args=["doctor"])
    assert "[GAGAL] archive.issued_files" in doctor.output and f"#{record_id}" in doctor.output


def test_permanen_records_export_as_a_valid_bag(app, tmp_path):
    with app.app_context():
        kept = ingest(app, "keputusan.pdf", text_pdf(50), tmp_path, klasifikasi="100.3.3",
                      tanggal="2001-05-02")
        scan = ingest(app, "scan.png", image_bytes(51, "PNG", lines=3), tmp_path,
                      klasifikasi="100.3.3", tanggal="2002-05-02")
        assert {kept.status, scan.status} == {"diimpor"}
    dest = tmp_path / "paket"
    result = app.test_cli_runner().invoke(args=["export-bag", "permanen", str(dest), "--as",
                                                "arsiparis", "--serahkan"])
    assert result.exit_code == 0, result.output
    bag = bagit.Bag(str(dest))
    bag.validate()
    assert "sha256" in bag.algorithms
    meta = (dest / "data" / str(kept.record_id) / "metadata.json").read_text(encoding="utf-8")
    assert '"kode_klasifikasi": "100.3.3"' in meta
    assert (dest / "data" / str(scan.record_id) / "01-asli.png").is_file()
    assert (dest / "data" / str(scan.record_id) / "02-ocr.pdf").is_file()
    with app.app_context():
        assert db.session.get(Arsip, kept.record_id).status == "diserahkan"
    refused = app.test_cli_runner().invoke(args=["export-bag", "semua", str(tmp_path / "x"),
                                                 "--as", "arsiparis"])
    assert refused.exit_code == 1 and "tidak dikenal" in refused.output


def test_versions_table_keeps_every_original(app, tmp_path):
    with app.app_context():
        result = ingest(app, "a.jpg", image_bytes(60, "JPEG", lines=3), tmp_path)
        version = db.session.scalar(select(ArsipVersi).where(ArsipVersi.record_id == result.record_id))
        assert version.jenis_berkas == "jpeg" and version.file_ocr is not None


def test_the_nightly_fixity_job_stores_its_run_for_the_status_page(app, tmp_path, client, auth):
    from records.jobs import jobs_of

    with app.app_context():
        ingest(app, "a.pdf", text_pdf(61), tmp_path)
    task = jobs_of(app).tasks["fixity"]
    assert task.name == "fixity" and jobs_of(app).huey.immediate
    task()
    auth.login("auditor")
    page = client.get("/arsip/fixity").get_data(as_text=True)
    assert "alert-success" in page and "jadwal" in page
