"""Demo population: valid numbers, consistent families, deterministic output."""

from collections import Counter
from datetime import date

import pytest

from records import codes
from records.demo_data import DESA, KAWIN, RETIRED_DESA, age_on, generate_population
from records.nik import parse_nik, parse_no_kk
from records.wilayah import load_wilayah

REF = date(2026, 11, 28)
FIELD_LISTS = {
    "golongan_darah": codes.GOLONGAN_DARAH, "agama": codes.AGAMA,
    "status_perkawinan": codes.STATUS_PERKAWINAN, "pekerjaan": codes.PEKERJAAN,
    "pendidikan": codes.PENDIDIKAN, "kewarganegaraan": codes.KEWARGANEGARAAN,
    "hubungan": codes.SHDK, "jenis_kelamin": codes.JENIS_KELAMIN,
}


@pytest.fixture(scope="module")
def families():
    return generate_population()


@pytest.fixture(scope="module")
def members(families):
    return [m for f in families for m in f["members"]]


def test_size(families, members):
    assert len(families) == 150
    assert 450 <= len(members) <= 550


def test_desa_helper_matches_wilayah_table():
    assert [(r.code, r.name) for r in load_wilayah().desa_of("64.02.08")] == list(DESA)


def test_all_eleven_desa_used(families):
    assert {f["desa_code"] for f in families} == {code for code, _ in DESA}


def test_every_nik_parses_and_agrees_with_declared_data(members):
    for m in members:
        parsed = parse_nik(m["nik"], ref_date=REF, declared_birth_date=m["tanggal_lahir"],
                           declared_sex=m["jenis_kelamin"])
        assert parsed.birth_date == m["tanggal_lahir"]
        assert all(w.startswith("Kode kecamatan") for w in parsed.warnings), (m["nik"], parsed.warnings)


def test_every_no_kk_parses_cleanly(families):
    for f in families:
        parsed = parse_no_kk(f["no_kk"], ref_date=REF)
        assert parsed.kecamatan_code == "64.02.08"
        assert parsed.warnings == ()


def test_numbers_are_unique_strings(families, members):
    niks = [m["nik"] for m in members]
    kks = [f["no_kk"] for f in families]
    assert len(set(niks)) == len(niks)
    assert len(set(kks)) == len(kks)
    assert all(isinstance(n, str) and len(n) == 16 for n in niks + kks)


def test_mostly_local_niks_with_some_moved_in(members):
    prefixes = Counter(m["nik"][:6] for m in members)
    assert prefixes["640208"] / len(members) > 0.8
    assert any(m["nik"][:4] == "6402" and m["nik"][:6] != "640208" for m in members)
    assert any(m["nik"][:2] != "64" for m in members)


def test_some_older_households_come_from_retired_desa(families):
    former = [f for f in families if f["desa_asal_code"]]
    assert former
    wilayah = load_wilayah()
    for f in former:
        assert f["desa_asal_code"] in RETIRED_DESA
        assert not wilayah.is_current(f["desa_asal_code"])
        assert wilayah.name(f["desa_asal_code"])
        assert age_on(f["members"][0]["tanggal_lahir"], REF) >= 50


def test_labels_come_from_code_lists(members):
    for m in members:
        for field, code_list in FIELD_LISTS.items():
            assert codes.label_valid(code_list, m[field]), (field, m[field])


def test_one_head_per_family_listed_first(families):
    for f in families:
        roles = [m["hubungan"] for m in f["members"]]
        assert roles[0] == "KEPALA KELUARGA"
        assert roles.count("KEPALA KELUARGA") == 1


def test_household_shapes(families, members):
    sizes = Counter(len(f["members"]) for f in families)
    assert sizes[1] >= 5
    assert max(sizes) >= 5
    assert sum(1 for m in members if age_on(m["tanggal_lahir"], REF) >= 60) >= 20
    assert any(m["hubungan"] in ("ORANGTUA", "MERTUA") for m in members)


def test_ages_consistent_with_relationships(families):
    for f in families:
        head = f["members"][0]
        head_age = age_on(head["tanggal_lahir"], REF)
        assert head_age >= 17
        for m in f["members"][1:]:
            age = age_on(m["tanggal_lahir"], REF)
            if m["hubungan"] == "ANAK":
                assert head_age - age >= 15
            elif m["hubungan"] in ("ORANGTUA", "MERTUA"):
                assert age - head_age >= 15
            elif m["hubungan"] == "CUCU":
                assert head_age - age >= 30
            elif m["hubungan"] == "ISTRI":
                assert age >= 19


def test_marital_status_consistent(families, members):
    for m in members:
        if age_on(m["tanggal_lahir"], REF) < 17:
            assert m["status_perkawinan"] == "BELUM KAWIN"
    for f in families:
        head, spouses = f["members"][0], [m for m in f["members"] if m["hubungan"] == "ISTRI"]
        if spouses:
            assert head["status_perkawinan"] in KAWIN
            assert all(s["status_perkawinan"] == head["status_perkawinan"] for s in spouses)
            assert head["jenis_kelamin"] == "LAKI-LAKI"
        else:
            assert head["status_perkawinan"] not in KAWIN


def test_children_name_their_parents(families):
    for f in families:
        head = f["members"][0]
        spouse = next((m for m in f["members"] if m["hubungan"] == "ISTRI"), None)
        for child in (m for m in f["members"] if m["hubungan"] == "ANAK"):
            if spouse:
                assert (child["nama_ayah"], child["nama_ibu"]) == (head["nama"], spouse["nama"])
            else:
                assert head["nama"] in (child["nama_ayah"], child["nama_ibu"])


def test_young_children_are_not_working(members):
    for m in members:
        age = age_on(m["tanggal_lahir"], REF)
        if age < 5:
            assert m["pekerjaan"] == "BELUM/TIDAK BEKERJA"
            assert m["pendidikan"] == "TIDAK/BELUM SEKOLAH"
        elif age <= 18:
            assert m["pekerjaan"] == "PELAJAR/MAHASISWA"


def test_deterministic():
    assert generate_population(seed=7, families=20) == generate_population(seed=7, families=20)
    assert generate_population(seed=7, families=20) != generate_population(seed=8, families=20)


def test_reference_date_bounds_birth_dates():
    ref = date(2020, 1, 1)
    for f in generate_population(seed=3, families=30, ref_date=ref):
        assert all(m["tanggal_lahir"] <= ref for m in f["members"])
        assert parse_no_kk(f["no_kk"], ref_date=ref).recorded_on <= ref
