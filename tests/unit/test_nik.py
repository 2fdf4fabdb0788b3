"""NIK / No. KK validation per research note §2.4, including the python-stdnum counter-examples (§2.5)."""

from datetime import date

import pytest

from records.nik import (
    NikError,
    ParsedNik,
    make_nik,
    make_no_kk,
    mask_nik,
    mask_no_kk,
    normalise,
    parse_nik,
    parse_no_kk,
)

REF = date(2026, 11, 28)


def parse(raw, **kwargs):
    return parse_nik(raw, ref_date=REF, **kwargs)


def error_of(raw, **kwargs):
    with pytest.raises(NikError) as caught:
        parse(raw, **kwargs)
    return str(caught.value)


# --- python-stdnum counter-examples (§2.5) ----------------------------------------------

def test_kota_bangun_man_born_2005_not_1905():
    parsed = parse("6402081708050001")
    assert parsed.birth_date == date(2005, 8, 17)
    assert parsed.sex == "L"
    assert parsed.kecamatan_code == "64.02.08"
    assert parsed.kabkota_code == "64.02"
    assert parsed.province_code == "64"
    assert parsed.region_name == "Kota Bangun"
    assert parsed.serial == "0001"
    assert parsed.warnings == ()


@pytest.mark.parametrize("nik, kabkota", [("6501011708050001", "65.01"), ("9601011708050001", "96.01")])
def test_new_provinces_are_accepted(nik, kabkota):
    parsed = parse(nik)
    assert parsed.kabkota_code == kabkota
    assert parsed.warnings == (f"Kode kecamatan {kabkota}.01 tidak ada di tabel wilayah",)


def test_unknown_regency_rejected():
    assert error_of("6499011708050001") == "Kode kabupaten/kota pada NIK tidak dikenal: 64.99"


def test_serial_0000_rejected():
    assert error_of("6402081708050000") == "Nomor urut NIK tidak boleh 0000"


@pytest.mark.parametrize("digit", ["１", "٣", "²"])
def test_non_ascii_digit_rejected(digit):
    message = error_of("640208170805000" + digit)
    assert message.startswith("NIK harus 16 digit angka (ditemukan karakter bukan angka")


# --- normalisation -----------------------------------------------------------------------

@pytest.mark.parametrize("raw", [" 6402081708050001 ", "640208.170805.0001", "6402 0817 0805 0001",
                                 "640208-170805-0001"])
def test_separators_and_outer_space_are_removed(raw):
    assert normalise(raw) == "6402081708050001"


@pytest.mark.parametrize("raw, found", [("640208170805001", 15), ("64020817080500011", 17), ("", 0)])
def test_wrong_length_message_counts_digits(raw, found):
    assert error_of(raw) == f"NIK harus 16 digit angka (ditemukan {found} digit)"


def test_non_string_rejected():
    assert "teks" in error_of(6402081708050001)


def test_tab_inside_is_not_a_separator():
    assert "bukan angka" in error_of("640208\t1708050001")


# --- region rules ------------------------------------------------------------------------

def test_leading_zero_rejected():
    assert error_of("0402081708050001") == "NIK tidak boleh diawali 0"


def test_unknown_province_rejected():
    assert error_of("2002081708050001") == "Kode provinsi pada NIK tidak dikenal: 20"


@pytest.mark.parametrize("kk", ["00", "70"])
def test_kabkota_outside_ranges_rejected(kk):
    assert error_of(f"64{kk}081708050001") == f"Kode kabupaten/kota pada NIK tidak valid: 64.{kk}"


def test_kecamatan_00_rejected():
    assert error_of("6402001708050001") == "Kode kecamatan pada NIK tidak boleh 00"


def test_unknown_kecamatan_is_only_a_warning():
    parsed = parse("6402991708050001")
    assert parsed.warnings == ("Kode kecamatan 64.02.99 tidak ada di tabel wilayah",)
    assert parsed.region_name is None


def test_retired_kabkota_code_still_valid():
    parsed = parse("6473011708800001")
    assert parsed.kabkota_code == "64.73"


def test_region_name_from_version_in_force_falls_back_to_current():
    parsed = parse("6402191708050001")
    assert parsed.region_name == "Kota Bangun Darat"


# --- date and sex ------------------------------------------------------------------------

def test_woman_day_plus_40():
    parsed = parse("6402085708050001")
    assert (parsed.sex, parsed.birth_date) == ("P", date(2005, 8, 17))


@pytest.mark.parametrize("dd", ["00", "32", "35", "40", "72", "99"])
def test_invalid_day_rejected(dd):
    assert error_of(f"640208{dd}08050001") == f"Tanggal lahir pada NIK tidak valid: hari {dd}"


@pytest.mark.parametrize("mm", ["00", "13"])
def test_invalid_month_rejected(mm):
    assert error_of(f"64020817{mm}050001") == f"Tanggal lahir pada NIK tidak valid: bulan {mm}"


def test_nonexistent_day_rejected():
    assert error_of("6402083102900001") == "Tanggal lahir pada NIK tidak valid: 31-02-90 tidak ada"


def test_century_uses_reference_year():
    assert parse("6402081708270001").birth_date == date(1927, 8, 17)
    assert parse("6402081708260001").birth_date == date(2026, 8, 17)
    assert parse("6402081708990001").birth_date == date(1999, 8, 17)


def test_29_february_2000_is_leap():
    assert parse("6402082902000001").birth_date == date(2000, 2, 29)


def test_future_birth_date_rejected():
    assert error_of("6402081512260001") == "Tanggal lahir pada NIK (2026-12-15) belum terjadi"


def test_declared_year_resolves_century_before_future_check():
    parsed = parse("6402081512260001", declared_birth_date=date(1926, 12, 15))
    assert parsed.birth_date == date(1926, 12, 15)
    assert parsed.warnings == ()


def test_declared_date_mismatch_is_warning_not_error():
    parsed = parse("6402081708050001", declared_birth_date=date(2005, 8, 18))
    assert parsed.birth_date == date(2005, 8, 17)
    assert parsed.warnings == ("Tanggal lahir berbeda dengan NIK (NIK tetap berlaku)",)


@pytest.mark.parametrize("declared", ["P", "PEREMPUAN", "perempuan"])
def test_declared_sex_mismatch_is_warning(declared):
    parsed = parse("6402081708050001", declared_sex=declared)
    assert parsed.warnings == ("Jenis kelamin berbeda dengan NIK",)


@pytest.mark.parametrize("declared", ["L", "LAKI-LAKI"])
def test_declared_sex_agreeing_gives_no_warning(declared):
    assert parse("6402081708050001", declared_sex=declared).warnings == ()


def test_age_over_110_warns():
    parsed = parse("6402081708100001", declared_birth_date=date(1910, 8, 17))
    assert parsed.birth_date == date(1910, 8, 17)
    assert parsed.warnings == ("Umur lebih dari 110 tahun; periksa abad tahun lahir",)


def test_default_reference_date_is_today():
    assert parse_nik("6402081708050001").birth_date == date(2005, 8, 17)


def test_to_json():
    data = parse("6402085708050001").to_json()
    assert data == {
        "nik": "6402085708050001", "province_code": "64", "kabkota_code": "64.02",
        "kecamatan_code": "64.02.08", "region_name": "Kota Bangun", "birth_date": "2005-08-17",
        "sex": "P", "serial": "0001", "warnings": [],
    }


def test_parsed_nik_is_frozen():
    parsed = parse("6402081708050001")
    assert isinstance(parsed, ParsedNik)
    with pytest.raises(AttributeError):
        parsed.sex = "P"


# --- No. KK ------------------------------------------------------------------------------

def test_no_kk_recording_date_has_no_plus_40():
    parsed = parse_no_kk("6402081512180003", ref_date=REF)
    assert parsed.recorded_on == date(2018, 12, 15)
    assert parsed.serial == "0003"
    assert parsed.region_name == "Kota Bangun"
    assert parsed.warnings == ()
    assert parsed.to_json()["recorded_on"] == "2018-12-15"


@pytest.mark.parametrize("no_kk", ["6402085512180003", "6402081513180003", "6402080112270003"])
def test_no_kk_bad_recording_date_is_warning(no_kk):
    parsed = parse_no_kk(no_kk, ref_date=REF)
    assert parsed.recorded_on is None
    assert parsed.warnings == ("Tanggal pencatatan KK tidak valid",)


def test_no_kk_errors_name_the_kk():
    with pytest.raises(NikError, match="^No. KK harus 16 digit angka"):
        parse_no_kk("64020815121800", ref_date=REF)
    with pytest.raises(NikError, match="^Nomor urut KK tidak boleh 0000$"):
        parse_no_kk("6402081512180000", ref_date=REF)
    with pytest.raises(NikError, match="^Kode kabupaten/kota pada No. KK tidak dikenal: 64.99$"):
        parse_no_kk("6499081512180001", ref_date=REF)


# --- masking and composition -------------------------------------------------------------

def test_mask_hides_date_digits():
    assert mask_nik("6402081708050001") == "640208●●●●●●0001"
    assert mask_no_kk("6402 0815 1218 0003") == "640208●●●●●●0003"


def test_mask_rejects_invalid_input():
    with pytest.raises(NikError):
        mask_nik("12345")


def test_make_nik_round_trips():
    nik = make_nik("64.02.08", date(1987, 3, 9), "P", 12)
    assert nik == "6402084903870012"
    parsed = parse(nik)
    assert (parsed.birth_date, parsed.sex, parsed.serial) == (date(1987, 3, 9), "P", "0012")


def test_make_no_kk_round_trips():
    no_kk = make_no_kk("640208", date(2019, 1, 5), 7)
    assert no_kk == "6402080501190007"
    assert parse_no_kk(no_kk, ref_date=REF).recorded_on == date(2019, 1, 5)


@pytest.mark.parametrize("serial", [0, 10000])
def test_make_nik_rejects_bad_serial(serial):
    with pytest.raises(ValueError):
        make_nik("64.02.08", date(2000, 1, 1), "L", serial)


def test_make_nik_needs_kecamatan_code():
    with pytest.raises(ValueError):
        make_nik("64.02", date(2000, 1, 1), "L", 1)
