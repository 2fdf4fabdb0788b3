"""Indonesian analysis shared by every search adapter: folding, stopwords, stems, name keys."""

from __future__ import annotations

import pytest

from search.analysis import (
    STOPWORDS,
    body_terms,
    digits_key,
    exact_key,
    fold,
    fuzzy_match,
    name_key,
    name_keys,
    stem,
    vocabulary,
    within_edits,
)
from search.highlight import SNIPPET_CHARS, snippet


def test_fold_lowercases_and_strips_accents():
    assert fold("DÉSA Kota Bangun") == "desa kota bangun"


def test_the_stopword_list_is_a_standard_sized_tuple_without_meaningful_words():
    assert isinstance(STOPWORDS, tuple) and len(STOPWORDS) >= 200
    assert len(set(STOPWORDS)) == len(STOPWORDS)
    common = {"yang", "dan", "di", "ke", "dari", "untuk", "dengan", "ini", "itu", "pada", "adalah"}
    assert common <= set(STOPWORDS)
    assert not {"tidak", "belum", "surat", "desa", "tahun", "nomor"} & set(STOPWORDS)


@pytest.mark.parametrize(("word", "root"), [("pindahan", "pindah"), ("kepindahan", "pindah"),
                                            ("berdomisili", "domisili"), ("kelahiran", "lahir"),
                                            ("2024", "2024"), ("rt03", "rt03")])
def test_stem_finds_the_root_and_leaves_numbers(word, root):
    assert stem(word) == root


def test_body_terms_drop_stopwords_and_stem():
    assert body_terms("Yang bertanda tangan di bawah ini, Kepindahan 2024") == [
        "tanda", "tangan", "bawah", "pindah", "2024"]


def test_vocabulary_keeps_readable_unstemmed_words():
    assert vocabulary("Surat pindahan di RT 03 ke Samarinda") == ["surat", "pindahan", "samarinda"]


@pytest.mark.parametrize("variants", [
    ("Muhammad", "Muhamad", "Mohammad", "Mohamad", "Mochammad", "Mohamed", "Moh.", "Muh", "Mhd", "M."),
    ("Nur", "Noor", "Nor", "Nour"),
    ("Siti", "Sitti", "Sity", "Sitty"),
    ("Djoko", "Joko"),
    ("Soeharto", "Suharto"),
    ("Chairul", "Khairul", "Hairul"),
    ("Achmad", "Akhmad", "Ahmad"),
    ("Sjamsul", "Syamsul", "Samsul"),
    ("Ramadhan", "Ramadan"),
    ("Taufiq", "Taufik"),
    ("Rudy", "Rudi"),
    ("Stephanus", "Stefanus"),
    ("Dzulkifli", "Zulkifli"),
    ("Thamrin", "Tamrin"),
    ("Tjahjo", "Cahjo"),
    ("Njoman", "Nyoman"),
    ("Abd.", "Abdul"),
])
def test_name_variants_share_one_key(variants):
    assert len({name_key(v) for v in variants}) == 1, {v: name_key(v) for v in variants}


def test_name_keys_of_a_full_name():
    assert name_keys("Muhamad Nor") == name_keys("MUHAMMAD NUR") == ["muhamad", "nur"]
    assert name_keys("Ma'ruf Amin") == ["maruf", "amin"]


@pytest.mark.parametrize(("typed", "stored", "match"), [
    ("rahmawti", "rahmawati", True),   # deletion
    ("rahnawati", "rahmawati", True),  # substitution
    ("rahmawatii", "rahmawati", True),  # insertion (collapsed anyway)
    ("rahmwti", "rahmawati", False),   # two edits
    ("bahmawati", "rahmawati", False),  # first letter differs
    ("ani", "ana", False),             # too short for a typo
    ("ani", "ani", True),
])
def test_fuzzy_match_allows_one_typo_after_the_first_letter(typed, stored, match):
    assert fuzzy_match(typed, stored) is match


def test_within_edits_counts_levenshtein_distance():
    assert within_edits("kitten", "sitting", 3) and not within_edits("kitten", "sitting", 2)
    assert within_edits("", "ab", 2) and not within_edits("", "abc", 2)


def test_exact_and_digit_keys():
    assert exact_key(" 474 / 012 / DS ") == "474/012/ds"
    assert digits_key("6402 0812 3456 0001") == "6402081234560001"
    assert digits_key("0012") == "0012"


def test_snippet_escapes_and_marks_stems_and_names():
    text = "Saudara MOH. NOOR <b>pindah</b> ke Samarinda & sekitarnya."
    html = snippet(text, stems={"pindah"}, names={"muhamad", "nur"})
    assert "<mark>MOH</mark>" in html and "<mark>NOOR</mark>" in html
    assert "&lt;b&gt;<mark>pindah</mark>&lt;/b&gt;" in html and "&amp;" in html


def test_snippet_is_a_window_around_the_first_match():
    text = "awal " * 200 + "pindah " + "akhir " * 200
    html = snippet(text, stems={"pindah"}, names=set())
    assert html.startswith("…") and html.endswith("…") and "<mark>pindah</mark>" in html
    assert len(html.replace("<mark>", "").replace("</mark>", "")) <= SNIPPET_CHARS + 2


def test_snippet_without_a_match_is_the_start_of_the_text():
    assert snippet("Surat <keterangan>", stems=set(), names=set()) == "Surat &lt;keterangan&gt;"
