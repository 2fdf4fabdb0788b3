"""Region table: shipped data coverage, retired codes, and date-aware lookups."""

from datetime import date

import pytest

from records.wilayah import Region, Wilayah, dotted, level_of, load_wilayah

CURRENT_PROVINCES = {
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36",
    "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82",
    "91", "92", "93", "94", "95", "96",
}
KOTA_BANGUN_DESA = [
    ("64.02.08.2004", "Loleng"), ("64.02.08.2005", "Kota Bangun Ulu"),
    ("64.02.08.2006", "Kota Bangun Ilir"), ("64.02.08.2007", "Liang"), ("64.02.08.2008", "Muhuran"),
    ("64.02.08.2009", "Pela"), ("64.02.08.2017", "Kedang Murung"),
    ("64.02.08.2018", "Kota Bangun Seberang"), ("64.02.08.2019", "Liang Ulu"),
    ("64.02.08.2020", "Sebelimbingan"), ("64.02.08.2021", "Sangkuliman"),
]


@pytest.fixture(scope="module")
def wilayah():
    return load_wilayah()


@pytest.mark.parametrize("raw, expected", [
    ("64", "64"), ("6402", "64.02"), ("640208", "64.02.08"), ("6402082004", "64.02.08.2004"),
    ("64.02.08.2004", "64.02.08.2004"), (" 640208 ", "64.02.08"),
])
def test_dotted_normalises(raw, expected):
    assert dotted(raw) == expected


@pytest.mark.parametrize("raw", ["6", "64020", "64.2.08", "64020820040", "64a2", "", "64.02.08.204"])
def test_dotted_rejects_malformed(raw):
    with pytest.raises(ValueError):
        dotted(raw)


def test_level_of():
    assert [level_of(c) for c in ("64", "6402", "640208", "6402082004")] == list(
        ("provinsi", "kabkota", "kecamatan", "desa"))


def test_all_38_current_provinces(wilayah):
    current = {c for c in wilayah.province_codes() if wilayah.is_current(c)}
    assert current == CURRENT_PROVINCES
    assert wilayah.name("96") == "Papua Barat Daya"
    assert wilayah.name("65") == "Kalimantan Utara"


def test_national_kabkota_list_is_complete(wilayah):
    current = {c for c in wilayah.kabkota_codes() if wilayah.is_current(c)}
    assert len(current) == 514
    assert wilayah.name("64.02") == "Kabupaten Kutai Kartanegara"
    assert wilayah.name("6472") == "Kota Samarinda"
    assert wilayah.name("31.71") == "Kota Administrasi Jakarta Pusat"


def test_kemendagri_not_bps_codes(wilayah):
    assert wilayah.name("64.03") == "Kabupaten Berau"
    assert wilayah.name("64.07") == "Kabupaten Kutai Barat"
    assert not wilayah.is_known("64.99")


def test_retired_kabkota_codes_still_resolve(wilayah):
    assert wilayah.name("64.73") == "Kota Tarakan"
    assert not wilayah.is_current("64.73")
    assert wilayah.name("91.01") == "Kabupaten Merauke"
    assert wilayah.name("93.01") == "Kabupaten Merauke"
    assert wilayah.name("91.01", on=date(2019, 1, 1)) == "Kabupaten Merauke"
    assert wilayah.name("91.01", on=date(2024, 1, 1)) is None


def test_kukar_has_20_kecamatan(wilayah):
    kecamatan = wilayah.children("64.02")
    assert [r.code for r in kecamatan] == [f"64.02.{i:02d}" for i in range(1, 21)]
    assert wilayah.name("64.02.08") == "Kota Bangun"
    assert wilayah.name("64.02.19") == "Kota Bangun Darat"


def test_kota_bangun_darat_did_not_exist_before_split(wilayah):
    assert wilayah.get("64.02.19", on=date(2019, 6, 1)) is None
    assert len(wilayah.children("64.02", on=date(2019, 6, 1))) == 18


def test_current_desa_of_kota_bangun(wilayah):
    desa = wilayah.desa_of("64.02.08")
    assert [(r.code, r.name) for r in desa] == KOTA_BANGUN_DESA
    assert all(r.level == "desa" and r.code[9] == "2" for r in desa)


def test_desa_of_kota_bangun_before_split_had_21(wilayah):
    desa = wilayah.desa_of("640208", on=date(2018, 1, 1))
    assert len(desa) == 21
    assert ("64.02.08.2010", "Kota Bangun I") in [(r.code, r.name) for r in desa]


def test_retired_desa_codes_keep_their_names(wilayah):
    retired = {"2001": "Kedang Ipil", "2002": "Benua Baru", "2003": "Sedulang",
               "2010": "Kota Bangun I", "2011": "Kota Bangun II", "2012": "Kota Bangun III",
               "2013": "Sumber Sari", "2014": "Sari Nadi", "2015": "Suka Bumi", "2016": "Wonosari"}
    for suffix, name in retired.items():
        region = wilayah.get(f"64.02.08.{suffix}")
        assert region.name == name
        assert region.valid_to == date(2020, 10, 20)
        assert not region.is_current
        assert region.source


def test_kota_bangun_darat_has_10_desa(wilayah):
    names = [r.name for r in wilayah.desa_of("64.02.19")]
    assert names == ["Kedang Ipil", "Sedulang", "Benua Baru", "Kota Bangun I", "Kota Bangun II",
                     "Kota Bangun III", "Sumber Sari", "Sari Nadi", "Suka Bumi", "Wonosari"]


def test_desa_of_rejects_non_kecamatan(wilayah):
    with pytest.raises(ValueError):
        wilayah.desa_of("64.02")


def test_is_known_tolerates_garbage(wilayah):
    assert wilayah.is_known("6402082004")
    assert not wilayah.is_known("not-a-code")


def test_every_row_has_source_and_level_matching_code(wilayah):
    for code in wilayah.codes("desa") | wilayah.kecamatan_codes():
        for region in wilayah.versions(code):
            assert region.source
            assert region.level == level_of(region.code)


def test_validity_interval_end_is_exclusive():
    region = Region("64.02.08.2010", "Kota Bangun I", "desa", None, date(2020, 10, 20), "test")
    assert region.valid_on(date(2020, 10, 19))
    assert not region.valid_on(date(2020, 10, 20))


def test_loads_custom_csv(tmp_path):
    path = tmp_path / "mini.csv"
    path.write_text("code,name,level,valid_from,valid_to,source\n"
                    "64,Kalimantan Timur,provinsi,,,x\n"
                    "64.02,Kutai,kabkota,2000-01-01,,x\n", encoding="utf-8")
    mini = Wilayah.from_csv(path)
    assert len(mini) == 2
    assert mini.name("6402", on=date(1999, 1, 1)) is None
    assert mini.name("6402", on=date(2001, 1, 1)) == "Kutai"


def test_csv_level_mismatch_is_rejected(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,level,valid_from,valid_to,source\n64.02,X,provinsi,,,x\n",
                    encoding="utf-8")
    with pytest.raises(ValueError):
        Wilayah.from_csv(path)
