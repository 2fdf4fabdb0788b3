"""Numbers inside free text are masked the way lists mask a NIK, and come back on save."""

from __future__ import annotations

import pytest

from records.nik import (
    mask_nik,
    mask_numbers_deep,
    mask_numbers_in_text,
    restore_masked_numbers,
)

NIK = "6402081708900001"
MASKED = mask_nik(NIK)  # 640208●●●●●●0001


@pytest.mark.parametrize("written", [
    NIK, "6402 0817 0890 0001", "64.02.08.170890.0001", "640208-170890-0001",
    "6 4 0 2 0 8 1 7 0 8 9 0 0 0 0 1",
])
def test_a_number_written_any_usual_way_is_masked(written):
    assert mask_numbers_in_text(f"NIK: {written}, lahir di Kota Bangun") == \
        f"NIK: {MASKED}, lahir di Kota Bangun"


@pytest.mark.parametrize("text", [
    "Nomor 470/0001/Kec.KB/2026", "HP 0812 3456 7890", "12345678901234567 (17 digit)",
    "123456789012345 (15 digit)", "", "tanpa angka",
])
def test_other_numbers_are_left_alone(text):
    assert mask_numbers_in_text(text) == text


def test_a_number_glued_to_words_is_masked_but_not_one_inside_a_longer_number():
    assert mask_numbers_in_text(f"NIK{NIK}.") == f"NIK{MASKED}."
    assert mask_numbers_in_text(f"9{NIK}") == f"9{NIK}"


def test_deep_masking_reaches_dicts_lists_and_tuples_and_keeps_other_values():
    value = {"nik": NIK, "anggota": [{"nik": NIK, "umur": 36}], "pasangan": (f"KK {NIK}",),
             "tanggal": None}
    assert mask_numbers_deep(value) == {"nik": MASKED, "anggota": [{"nik": MASKED, "umur": 36}],
                                        "pasangan": (f"KK {MASKED}",), "tanggal": None}


def test_a_masked_text_sent_back_gets_its_numbers_as_they_were_written():
    original = "Pengantar untuk 6402 0817 0890 0001 dan KK 6402081501240002"
    edited = mask_numbers_in_text(original) + " (diperiksa)"
    assert restore_masked_numbers(edited, original) == original + " (diperiksa)"
    # a masked number that was not in the stored text stays masked (nothing is invented)
    assert restore_masked_numbers("lain 640208●●●●●●9999", original) == "lain 640208●●●●●●9999"
    assert restore_masked_numbers("tanpa samaran", original) == "tanpa samaran"


def test_search_snippets_mask_numbers_written_with_separators_too():
    from records.services.searching import mask_numbers

    assert mask_numbers("pemohon NIK <b>6402 0817 0890 0001</b>") == f"pemohon NIK <b>{MASKED}</b>"
    assert mask_numbers(f"NIK {NIK}") == f"NIK {MASKED}"
