"""Dukcapil reference lists: sizes, key values and the label-as-value convention."""

import pytest

from records import codes

ALL_LISTS = ["AGAMA", "SHDK", "PENDIDIKAN", "GOLONGAN_DARAH", "JENIS_KELAMIN", "KEWARGANEGARAAN",
             "STATUS_PERKAWINAN", "PEKERJAAN", "PENYANDANG_CACAT"]


@pytest.mark.parametrize("name, size", [
    ("AGAMA", 7), ("SHDK", 11), ("PENDIDIKAN", 10), ("GOLONGAN_DARAH", 13), ("JENIS_KELAMIN", 2),
    ("KEWARGANEGARAAN", 3), ("STATUS_PERKAWINAN", 6), ("PEKERJAAN", 89), ("PENYANDANG_CACAT", 7),
])
def test_list_sizes(name, size):
    assert len(getattr(codes, name)) == size


@pytest.mark.parametrize("name", ALL_LISTS)
def test_codes_are_1_to_n_and_labels_unique(name):
    code_list = getattr(codes, name)
    assert [number for number, _ in code_list] == list(range(1, len(code_list) + 1))
    labels = codes.labels(code_list)
    assert len(set(labels)) == len(labels)
    assert all(label == label.strip() and label == label.upper() for label in labels)


@pytest.mark.parametrize("name", ALL_LISTS)
def test_every_list_has_a_source(name):
    assert codes.SOURCES[name]


def test_status_perkawinan_has_the_six_values_of_permendagri_118_2017():
    assert codes.labels(codes.STATUS_PERKAWINAN) == (
        "BELUM KAWIN", "KAWIN TERCATAT", "KAWIN BELUM TERCATAT",
        "CERAI HIDUP TERCATAT", "CERAI HIDUP BELUM TERCATAT", "CERAI MATI")


def test_pekerjaan_anchor_values():
    assert codes.label_of(codes.PEKERJAAN, 1) == "BELUM/TIDAK BEKERJA"
    assert codes.label_of(codes.PEKERJAAN, 5) == "PEGAWAI NEGERI SIPIL (PNS)"
    assert codes.label_of(codes.PEKERJAAN, 11) == "NELAYAN/PERIKANAN"
    assert codes.label_of(codes.PEKERJAAN, 86) == "KEPALA DESA"
    assert codes.label_of(codes.PEKERJAAN, 88) == "WIRASWASTA"
    assert codes.label_of(codes.PEKERJAAN, 89) == "LAINNYA"


def test_pendidikan_top_labels_are_not_the_opensid_copy_paste_bug():
    assert codes.label_of(codes.PENDIDIKAN, 9) == "STRATA II"
    assert codes.label_of(codes.PENDIDIKAN, 10) == "STRATA III"


def test_choices_store_the_label():
    assert codes.choices(codes.JENIS_KELAMIN) == [("LAKI-LAKI", "LAKI-LAKI"), ("PEREMPUAN", "PEREMPUAN")]


@pytest.mark.parametrize("value, valid", [
    ("KAWIN TERCATAT", True), ("KAWIN", False), ("kawin tercatat", False), (" KAWIN TERCATAT", False),
    (2, False), (None, False),
])
def test_label_valid(value, valid):
    assert codes.label_valid(codes.STATUS_PERKAWINAN, value) is valid


def test_code_and_label_lookups():
    assert codes.code_of(codes.SHDK, "ISTRI") == 3
    assert codes.label_of(codes.AGAMA, 6) == "KHONGHUCU"
    with pytest.raises(KeyError):
        codes.code_of(codes.SHDK, "ISTERI")
    with pytest.raises(KeyError):
        codes.label_of(codes.AGAMA, 8)
