"""Registry import from CSV and XLSX: all rows or none, with row-and-field error reports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from records.exceptions import ImportRejectedError
from records.extensions import db, lemari
from records.models import AuditEvent, Keluarga, Penduduk
from records.nik import make_nik, make_no_kk
from records.services.accounts import actor_for_username
from records.services.importing import import_penduduk, read_table

LOLENG, ULU = "64.02.08.2004", "64.02.08.2005"
HEADER = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "alamat", "rt", "rw",
          "desa_code", "agama", "status_perkawinan", "pekerjaan", "no_kk", "hubungan"]
KK_A = make_no_kk("64.02.08", dt.date(2024, 1, 15), 9901)
KK_B = make_no_kk("64.02.08", dt.date(2024, 1, 15), 9902)
NIK_HEAD = make_nik("64.02.08", dt.date(1980, 5, 12), "L", 9901)
NIK_WIFE = make_nik("64.02.08", dt.date(1984, 3, 2), "P", 9901)
NIK_SOLO = make_nik("64.02.08", dt.date(1999, 11, 30), "P", 9902)


def good_rows() -> list[list[str]]:
    """Two families: a couple on KK_A (Loleng) and a single woman on KK_B (Kota Bangun Ulu)."""
    return [
        [NIK_HEAD, "JAILANI NOOR", "KOTA BANGUN", "1980-05-12", "LAKI-LAKI", "JL. PESUT, GG. 2",
         "001", "002", LOLENG, "ISLAM", "KAWIN TERCATAT", "NELAYAN/PERIKANAN", KK_A, "KEPALA KELUARGA"],
        [NIK_WIFE, "SITI AMINAH", "TENGGARONG", "1984-03-02", "PEREMPUAN", "JL. PESUT, GG. 2",
         "001", "002", LOLENG, "ISLAM", "KAWIN TERCATAT", "MENGURUS RUMAH TANGGA", KK_A, "ISTRI"],
        [NIK_SOLO, "NOOR HASANAH", "SAMARINDA", "1999-11-30", "PEREMPUAN", "JL. MERDEKA",
         "003", "001", ULU, "ISLAM", "BELUM KAWIN", "GURU", KK_B, "KEPALA KELUARGA"],
    ]


def csv_bytes(rows, header=HEADER, sep=",", encoding="utf-8") -> bytes:
    def line(cells):
        return sep.join(f'"{c}"' if sep in c else c for c in cells)
    return "\r\n".join(line(r) for r in [header, *rows]).encode(encoding) + b"\r\n"


def xlsx_bytes(rows, header=HEADER) -> bytes:
    """A real workbook: dates as Excel dates, RT/RW as numbers, NIK as text."""
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        cells = list(row)
        cells[3] = dt.datetime.fromisoformat(cells[3])
        cells[6], cells[7] = int(cells[6]), int(cells[7])
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(app, data: bytes, name: str, **limits):
    limits = {"max_bytes": app.config["IMPORT_MAX_BYTES"],
              "max_rows": app.config["IMPORT_MAX_ROWS"], **limits}
    return read_table(data, name, **limits)


def run_import(app, data: bytes, name: str, username: str = "petugas"):
    """read_table + import_penduduk as the web page and the CLI do."""
    with app.app_context():
        who = actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                 registry=lemari().registry)
        return import_penduduk(read(app, data, name), actor=who, session=db.session, source=name)


def refusal(app, data: bytes, name: str, username: str = "petugas") -> ImportRejectedError:
    with pytest.raises(ImportRejectedError) as info:
        run_import(app, data, name, username)
    return info.value


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id)))
                     for m in (Penduduk, Keluarga, AuditEvent))


def assert_imported(app, report) -> None:
    assert report.created == 3
    with app.app_context():
        family = db.session.scalar(select(Keluarga).where(Keluarga.no_kk == KK_A))
        assert sorted(p.nik for p in family.anggota) == sorted([NIK_HEAD, NIK_WIFE])
        assert family.kepala.nik == NIK_HEAD and family.desa_code == LOLENG
        solo = db.session.scalar(select(Penduduk).where(Penduduk.nik == NIK_SOLO))
        assert solo.keluarga.no_kk == KK_B and solo.tanggal_lahir == dt.date(1999, 11, 30)
        assert (solo.golongan_darah, solo.kewarganegaraan, solo.rt) == ("TIDAK TAHU", "WNI", "003")


@pytest.mark.parametrize(("name", "build"), [("warga.csv", csv_bytes), ("warga.xlsx", xlsx_bytes)])
def test_valid_file_imports_every_row_and_links_families(app, name, build):
    before = counts(app)
    assert_imported(app, run_import(app, build(good_rows()), name))
    assert counts(app) == (before[0] + 3, before[1] + 2, before[2] + 1)


@pytest.mark.postgres
def test_core_import_on_postgresql(postgres_office):
    app = postgres_office
    before = counts(app)
    bad = good_rows()
    bad[1][0] = "6402084303840000"
    error = refusal(app, xlsx_bytes(bad), "warga.xlsx")
    assert (3, "NIK", "Nomor urut NIK tidak boleh 0000") in error.rows
    assert counts(app) == before
    assert_imported(app, run_import(app, csv_bytes(good_rows()), "warga.csv"))
    assert counts(app) == (before[0] + 3, before[1] + 2, before[2] + 1)


@pytest.mark.parametrize(("name", "build"), [("warga.csv", csv_bytes), ("warga.xlsx", xlsx_bytes)])
def test_one_bad_row_among_good_ones_imports_nothing(app, name, build):
    rows = good_rows()
    rows[1][0] = rows[1][0][:15]          # row 3: NIK of 15 digits
    rows[2][10] = "KAWIN"                 # row 4: not in the 2017 list
    before = counts(app)
    error = refusal(app, build(rows), name)
    assert (3, "NIK", "NIK harus 16 digit angka (ditemukan 15 digit)") in error.rows
    assert (4, "Status perkawinan", "Status perkawinan 'KAWIN' tidak ada dalam daftar resmi.") in error.rows
    assert "tidak ada data yang disimpan" in str(error)
    assert counts(app) == before


def test_row_numbers_follow_the_file_across_blank_lines(app):
    rows = good_rows()
    rows[2][1] = ""
    data = csv_bytes(rows).replace(b"\r\n" + NIK_SOLO.encode(), b"\r\n\r\n" + NIK_SOLO.encode())
    assert refusal(app, data, "warga.csv").rows == [(5, "Nama", "Nama wajib diisi.")]


def test_xlsx_row_numbers_are_the_sheet_rows(app):
    rows = good_rows()
    rows[2][1] = ""
    book = load_workbook(io.BytesIO(xlsx_bytes(rows)))
    book.active.insert_rows(4, amount=2)  # two empty rows before the last resident
    out = io.BytesIO()
    book.save(out)
    assert refusal(app, out.getvalue(), "warga.xlsx").rows == [(6, "Nama", "Nama wajib diisi.")]


def test_duplicate_nik_inside_the_file_is_refused(app):
    rows = good_rows()
    rows[2][0] = NIK_HEAD
    rows[2][3], rows[2][4] = "1980-05-12", "LAKI-LAKI"
    error = refusal(app, csv_bytes(rows), "warga.csv")
    assert error.rows == [(4, "NIK", f"NIK {NIK_HEAD} sama dengan baris 2.")]


def test_duplicate_nik_against_the_database_is_refused(app):
    with app.app_context():
        person = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG).limit(1))
        taken, born, sex = person.nik, person.tanggal_lahir.isoformat(), person.jenis_kelamin
    rows = good_rows()
    rows[0][0], rows[0][3], rows[0][4] = taken, born, sex
    before = counts(app)
    error = refusal(app, csv_bytes(rows), "warga.csv")
    assert error.rows == [(2, "NIK", f"NIK {taken} sudah terdaftar untuk penduduk lain.")]
    assert counts(app) == before


def test_oversized_file_is_refused(app):
    limit = app.config["IMPORT_MAX_BYTES"]
    data = csv_bytes(good_rows())
    with pytest.raises(ImportRejectedError, match="Berkas terlalu besar"):
        read(app, data + b" " * (limit + 1 - len(data)), "warga.csv")


@pytest.mark.parametrize(("name", "build"), [("warga.csv", csv_bytes), ("warga.xlsx", xlsx_bytes)])
def test_too_many_rows_are_refused(app, name, build):
    with pytest.raises(ImportRejectedError, match="Terlalu banyak baris data .*maksimal 2"):
        read(app, build(good_rows()), name, max_rows=2)
    assert len(read(app, build(good_rows()), name, max_rows=3)) == 3


def test_latin1_csv_is_refused_naming_the_line(app):
    rows = good_rows()
    rows[1][1] = "JOSÉ AMINAH"
    with pytest.raises(ImportRejectedError) as info:
        read(app, csv_bytes(rows, encoding="cp1252"), "warga.csv")
    assert "bukan UTF-8 (baris 3)" in str(info.value)
    assert info.value.rows == [(3, "", "bukan UTF-8")]


def test_unknown_columns_are_refused_naming_them(app):
    rows = [r + ["MEMANCING"] for r in good_rows()]
    with pytest.raises(ImportRejectedError) as info:
        read(app, csv_bytes(rows, header=HEADER + ["Hobi"]), "warga.csv")
    assert "Kolom tidak dikenal pada baris 1: Hobi" in str(info.value)
    assert info.value.rows == [(1, "Hobi", "kolom tidak dikenal")]


def test_cells_beyond_the_header_are_refused(app):
    rows = good_rows()
    rows[1] = rows[1] + ["TAMBAHAN"]
    error = refusal(app, csv_bytes(rows), "warga.csv")
    assert error.rows == [(3, "", "Baris berisi sel di luar 14 kolom judul.")]


def test_missing_required_column_is_refused_once(app):
    header = [h for h in HEADER if h != "agama"]
    rows = [[c for h, c in zip(HEADER, r, strict=True) if h != "agama"] for r in good_rows()]
    with pytest.raises(ImportRejectedError, match="Kolom wajib tidak ada pada baris 1: agama"):
        read(app, csv_bytes(rows, header=header), "warga.csv")


@pytest.mark.parametrize(("data", "message"), [
    (b"", "Berkas kosong."),
    (b"\r\n  \r\n", "Berkas kosong."),
    (",".join(HEADER).encode() + b"\r\n", "Berkas hanya berisi judul kolom"),
])
def test_empty_file_is_refused(app, data, message):
    with pytest.raises(ImportRejectedError, match=message):
        read(app, data, "warga.csv")


@pytest.mark.parametrize(("data", "message"), [
    (csv_bytes(good_rows()), "bukan berkas Excel \\(.xlsx\\) yang sah"),
    (b"PK\x03\x04 this is no workbook", "Berkas XLSX rusak atau bukan berkas Excel."),
    (bytes(range(256)) * 4, "bukan berkas Excel \\(.xlsx\\) yang sah"),
])
def test_xlsx_that_is_not_a_workbook_is_refused_clearly(app, data, message):
    with pytest.raises(ImportRejectedError, match=message):
        read(app, data, "warga.xlsx")


def test_workbook_named_csv_is_refused_clearly(app):
    with pytest.raises(ImportRejectedError, match="isinya berkas Excel"):
        read(app, xlsx_bytes(good_rows()), "warga.csv")


def test_unsupported_extension_is_refused(app):
    with pytest.raises(ImportRejectedError, match="harus .csv atau .xlsx"):
        read(app, csv_bytes(good_rows()), "warga.xls")


def test_semicolon_csv_from_indonesian_excel_is_accepted(app):
    """Excel in Indonesian locale writes ';' and a BOM; addresses keep their commas."""
    data = b"\xef\xbb\xbf" + csv_bytes(good_rows(), sep=";")
    assert_imported(app, run_import(app, data, "warga.csv"))
    with app.app_context():
        assert db.session.scalar(select(Penduduk.alamat).where(Penduduk.nik == NIK_HEAD)) \
            == "JL. PESUT, GG. 2"


def test_day_first_dates_are_accepted(app):
    rows = good_rows()
    rows[0][3], rows[1][3], rows[2][3] = "12-05-1980", "02/03/1984", "30-11-1999"
    assert_imported(app, run_import(app, csv_bytes(rows), "warga.csv"))


def test_lower_case_labels_are_stored_as_official_labels(app):
    rows = good_rows()
    rows[0][9], rows[0][4] = "Islam", "Laki-laki"
    run_import(app, csv_bytes(rows), "warga.csv")
    with app.app_context():
        person = db.session.scalar(select(Penduduk).where(Penduduk.nik == NIK_HEAD))
        assert (person.agama, person.jenis_kelamin) == ("ISLAM", "LAKI-LAKI")


def test_operator_cannot_import_residents_of_another_desa(app):
    before = counts(app)
    error = refusal(app, csv_bytes(good_rows()), "warga.csv", username="operator_loleng")
    assert error.rows == [(4, "Desa", "Anda hanya dapat mengelola penduduk desa Anda sendiri.")]
    assert counts(app) == before


def test_family_members_in_different_desa_are_refused(app):
    rows = good_rows()
    rows[1][8] = ULU
    error = refusal(app, csv_bytes(rows), "warga.csv")
    assert error.rows == [(3, "No. KK", f"No. KK {KK_A} pada baris 2 berada di desa {LOLENG}, bukan {ULU}.")]


def test_row_joining_an_existing_family_of_another_desa_is_refused(app):
    with app.app_context():
        known = db.session.scalar(select(Keluarga).where(Keluarga.desa_code == ULU).limit(1))
        no_kk = known.no_kk
    rows = good_rows()
    rows[0][12] = rows[1][12] = no_kk
    error = refusal(app, csv_bytes(rows), "warga.csv", username="petugas")
    assert (2, "No. KK", f"No. KK {no_kk} terdaftar di desa {ULU}, bukan {LOLENG}.") in error.rows


def test_csv_with_nul_bytes_is_refused_not_crashing(app):
    with pytest.raises(ImportRejectedError, match="karakter NUL"):
        read(app, csv_bytes(good_rows()).replace(b"JAILANI", b"JAI\x00LANI"), "warga.csv")
