"""Moving in (issue 22, item 2): residents from a desa's OpenSID export and from the Dinas's
DKB file, per desa, repeatable (an update, not duplicates), all rows or none, a report per row.

The fixture files are built here with openpyxl in the layouts of records/data/
impor_penduduk.json (OpenSID's FormatImportExcel columns, codes as numbers or labels)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from records.actor import Actor
from records.exceptions import ImportRejectedError
from records.extensions import db
from records.models import Keluarga, Penduduk
from records.services.impor_kependudukan import import_from_source, read_source

LOLENG, ULU = "64.02.08.2004", "64.02.08.2005"
ADMIN = Actor(user_id=None, username="admin", roles=frozenset({"Admin"}),
              permissions=frozenset({"penduduk.import", "penduduk.write", "keluarga.write",
                                     "penduduk.read"}))
OPENSID = ("alamat", "dusun", "rw", "rt", "nama", "no_kk", "nik", "sex", "tempatlahir",
           "tanggallahir", "agama_id", "pendidikan_kk_id", "pendidikan_sedang_id", "pekerjaan_id",
           "status_kawin", "kk_level", "warganegara_id", "nama_ayah", "nama_ibu",
           "golongan_darah_id", "akta_lahir", "status_dasar")
# (alamat, dusun, rw, rt, nama, no_kk, nik, sex, tempat, tanggal, agama, pendidikan, sedang,
#  pekerjaan, kawin, hubungan, wn, ayah, ibu, goldar, akta, status dasar)
LOLENG_ROWS = [
    ("JL. POROS LOLENG", "Dusun I", "1", "3", "AHMAD SUBHAN", "6402081203150001",
     "6402081708800001", "1", "KOTA BANGUN", "17-08-1980", "1", "5", "", "9", "2", "1", "1",
     "SUBHAN", "ASMAH", "13", "", "1"),
    ("JL. POROS LOLENG", "Dusun I", "1", "3", "SITI AMINAH", "6402081203150001",
     "6402084502850002", "P", "TENGGARONG", "1985-02-05", "ISLAM", "TIDAK / BELUM SEKOLAH", "",
     "MENGURUS RUMAH TANGGA", "K", "3", "1", "BADRUN", "HALIMAH", "O", "", "HIDUP"),
    ("", "Dusun II", "2", "5", "RUSLAN", "6402081203150003", "6402080101600003", "L",
     "KOTA BANGUN", "01/01/1960", "1", "3", "", "19", "4", "1", "1", "-", "-", "13", "", "2"),
]
ULU_ROWS = [
    ("JL. MERDEKA", "Dusun Ulu", "1", "1", "BUDI SANTOSO", "6402081509160004",
     "6402081509900004", "1", "SAMARINDA", "15-09-1990", "2", "8", "", "5", "1", "1", "1",
     "SANTOSO", "MARIA", "1", "", "1"),
]


def opensid_xlsx(rows, header=OPENSID, merge: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row)[:len(header)])
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(data: bytes, desa: str, fmt: str = "opensid"):
    rows = read_source(data, "penduduk.xlsx", fmt, max_bytes=2_000_000, max_rows=5000)
    return import_from_source(rows, fmt, desa_code=desa, actor=ADMIN, session=db.session,
                              source="penduduk.xlsx")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_two_desas_opensid_exports_import_and_a_second_run_updates(bare_app):
    with bare_app.app_context():
        loleng = run(opensid_xlsx(LOLENG_ROWS), LOLENG)
        assert (loleng.created, loleng.updated) == (2, 0)
        statuses = {row: status for row, status, _ in loleng.rows}
        assert statuses == {2: "dibuat", 3: "dibuat", 4: "dilewati"}  # RUSLAN is MATI
        ulu = run(opensid_xlsx(ULU_ROWS), ULU)
        assert ulu.created == 1
        siti = db.session.scalar(select(Penduduk).where(Penduduk.nik == "6402084502850002"))
        assert (siti.jenis_kelamin, siti.agama, siti.pendidikan, siti.pekerjaan) == (
            "PEREMPUAN", "ISLAM", "TIDAK/BELUM SEKOLAH", "MENGURUS RUMAH TANGGA")
        assert (siti.status_perkawinan, siti.hubungan, siti.golongan_darah) == (
            "KAWIN TERCATAT", "ISTRI", "O")
        ahmad = db.session.scalar(select(Penduduk).where(Penduduk.nik == "6402081708800001"))
        assert (ahmad.pekerjaan, ahmad.pendidikan, ahmad.rt, ahmad.desa_code) == (
            "PETANI/PEKEBUN", "SLTA/SEDERAJAT", "003", LOLENG)
        assert ahmad.keluarga is siti.keluarga and ahmad.keluarga.desa_code == LOLENG
        budi = db.session.scalar(select(Penduduk).where(Penduduk.nik == "6402081509900004"))
        assert (budi.agama, budi.pekerjaan, budi.desa_code) == ("KRISTEN", "PEGAWAI NEGERI SIPIL (PNS)", ULU)
        # the same export a week later, one name corrected: an update, not duplicates
        changed = [list(r) for r in LOLENG_ROWS]
        changed[0][4] = "AHMAD SUBHAN, S.P."
        again = run(opensid_xlsx(changed), LOLENG)
        assert (again.created, again.updated) == (0, 2)
        assert count(Penduduk) == 3 and count(Keluarga) == 2
        db.session.refresh(ahmad)
        assert ahmad.nama == "AHMAD SUBHAN, S.P."


def test_a_nik_of_another_desa_refuses_the_whole_file(bare_app):
    with bare_app.app_context():
        run(opensid_xlsx(ULU_ROWS), ULU)
        moved = [list(LOLENG_ROWS[0]), list(ULU_ROWS[0])]
        moved[1][5] = "6402081203150001"  # BUDI listed in Loleng's export under Ahmad's KK
        with pytest.raises(ImportRejectedError) as caught:
            run(opensid_xlsx(moved), LOLENG)
        problems = {(row, fld): msg for row, fld, msg in caught.value.rows}
        assert "sudah terdaftar di desa Kota Bangun Ulu" in problems[(3, "NIK")]
        assert count(Penduduk) == 1  # nothing of Loleng saved


def test_unknown_codes_and_bad_niks_are_named_by_row_and_field(bare_app):
    with bare_app.app_context():
        bad = [list(r) for r in LOLENG_ROWS[:2]]
        bad[0][10] = "9"      # agama 9 does not exist
        bad[1][6] = "64020845028500"  # a short NIK
        with pytest.raises(ImportRejectedError) as caught:
            run(opensid_xlsx(bad), LOLENG)
        problems = {(row, fld): msg for row, fld, msg in caught.value.rows}
        assert "Kode agama '9' tidak dikenal" in problems[(2, "Agama")]
        assert (3, "NIK") in problems
        assert count(Penduduk) == 0


def test_an_older_opensid_file_and_merged_cells_are_refused(bare_app):
    with bare_app.app_context():
        old = opensid_xlsx([r[:10] for r in LOLENG_ROWS], header=OPENSID[:10])
        with pytest.raises(ImportRejectedError, match="versi lama.*agama_id"):
            run(old, LOLENG)
        with pytest.raises(ImportRejectedError, match="sel gabungan.*A2:A3"):
            run(opensid_xlsx(LOLENG_ROWS, merge="A2:A3"), LOLENG)
        with pytest.raises(ImportRejectedError, match="bukan berkas"):
            run(opensid_xlsx(LOLENG_ROWS, header=[h.upper() + "X" for h in OPENSID]), LOLENG)


def test_a_file_of_another_kecamatan_is_refused(bare_app):
    with bare_app.app_context():
        other = [list(r) for r in LOLENG_ROWS[:2]]
        for row in other:  # families of Kecamatan Tenggarong (64.02.06)
            row[5] = "6402061203150009"
        with pytest.raises(ImportRejectedError) as caught:
            run(opensid_xlsx(other), LOLENG)
        assert any("bukan dari kecamatan ini" in msg for _, _, msg in caught.value.rows)


def test_a_dkb_file_of_the_dinas_imports_and_rows_of_another_desa_are_refused(bare_app):
    header = ("NO_KK", "NIK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "GOL_DRH",
              "AGAMA", "STAT_KWN", "STAT_HBKEL", "PDDK_AKH", "JENIS_PKRJN", "NAMA_LGKP_AYAH",
              "NAMA_LGKP_IBU", "ALAMAT", "NO_RT", "NO_RW", "NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")
    row = ("6402081203150001", "6402081708800001", "AHMAD SUBHAN", "1", "KOTA BANGUN",
           "1980-08-17", "13", "1", "2", "1", "5", "9", "SUBHAN", "ASMAH", "JL. POROS LOLENG",
           "3", "1", "64", "2", "8", "2004")
    with bare_app.app_context():
        report = run(opensid_xlsx([row], header=header), LOLENG, fmt="dkb")
        assert report.created == 1
        elsewhere = list(row)
        elsewhere[1], elsewhere[-1] = "6402081509900004", "2005"
        with pytest.raises(ImportRejectedError) as caught:
            run(opensid_xlsx([row, elsewhere], header=header), LOLENG, fmt="dkb")
        assert any("bukan desa yang dipilih" in msg for _, _, msg in caught.value.rows)
