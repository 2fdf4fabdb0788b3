"""The one-box query parser, above all on hostile input: it returns a query or a QueryError."""

from __future__ import annotations

import pytest

from search import MAX_QUERY_CHARS, MAX_TERMS, Query, QueryError, parse_query
from search.plan import plan_query
from search.query_parser import (
    NOTE_OPERATORS,
    NOTE_STRIPPED,
    NOTE_TOO_MANY,
    NOTE_TRUNCATED,
    NOTE_UNBALANCED,
    NOTE_WILDCARDS,
)
from search.spelling import replace_words


def test_plain_words_phrases_and_fields():
    parsed = parse_query('surat "pindah ke Samarinda" nik:6402081234560001 tahun:2024 desa:64.02.08.2004')
    assert parsed.words == ("surat",)
    assert parsed.phrases == ("pindah ke Samarinda",)
    assert parsed.fields == (("nik", "6402081234560001"), ("tahun", "2024"), ("desa", "64.02.08.2004"))
    assert parsed.notes == ()


@pytest.mark.parametrize("name", ["nik", "kk", "nomor", "desa", "tahun", "jenis", "status", "klasifikasi"])
def test_every_field_is_recognised_in_any_case(name):
    value = "2024" if name == "tahun" else "6402081234560001"
    assert parse_query(f"{name.upper()}:{value}").fields == ((name, value),)


def test_a_quoted_field_value_keeps_its_spaces():
    assert parse_query('nomor:"474 / 012 / DS"').fields == (("nomor", "474 / 012 / DS"),)


@pytest.mark.parametrize("text", ['"surat pindah', 'surat "pindah', '"', 'nomor:"474/012', 'a " b " c "'])
def test_unbalanced_quotes_fall_back_to_words(text):
    parsed = parse_query(text)
    assert NOTE_UNBALANCED in parsed.notes
    assert all('"' not in w for w in parsed.words)


def test_an_unclosed_phrase_is_searched_word_by_word():
    assert parse_query('"surat pindah').words == ("surat", "pindah")


@pytest.mark.parametrize("text", ["AND", "OR", "NOT", "-", "+", "&&", "||", "!", "and or not", "- + -"])
def test_lone_operators_are_ignored_with_a_note(text):
    parsed = parse_query(text)
    assert parsed.words == () and parsed.fields == ()
    assert NOTE_OPERATORS in parsed.notes


def test_operators_between_words_are_dropped_and_signs_stripped():
    parsed = parse_query("surat AND pindah OR -domisili +usaha")
    assert parsed.words == ("surat", "pindah", "domisili", "usaha")
    assert NOTE_OPERATORS in parsed.notes


@pytest.mark.parametrize("text", ["*", "**", "?", "*?*", "* ? *", "nik:*", '"*"', "*:*"])
def test_wildcard_only_queries_are_refused(text):
    with pytest.raises(QueryError, match=r"\*"):
        parse_query(text)


def test_wildcards_inside_words_are_removed_with_a_note():
    parsed = parse_query("rahma* pin?ah")
    assert parsed.words == ("rahma", "pinah")
    assert NOTE_WILDCARDS in parsed.notes


def test_a_10000_character_query_is_truncated():
    parsed = parse_query("surat " * 2000)
    assert NOTE_TRUNCATED in parsed.notes
    assert len(" ".join(parsed.words)) <= MAX_QUERY_CHARS


def test_a_10000_character_single_word_is_truncated():
    (word,) = parse_query("a" * 10_000).words
    assert len(word) == MAX_QUERY_CHARS


def test_words_beyond_the_term_limit_are_dropped():
    parsed = parse_query(" ".join(f"kata{i}" for i in range(50)))
    assert len(parsed.words) == MAX_TERMS
    assert NOTE_TOO_MANY in parsed.notes


def test_a_long_phrase_is_cut_to_the_term_limit():
    parsed = parse_query('"' + " ".join(f"kata{i}" for i in range(50)) + '"')
    assert len(parsed.phrases[0].split()) == MAX_TERMS


@pytest.mark.parametrize(("text", "word"), [("nama:Rahmawati", "Rahmawati"), ("foo:bar", "bar")])
def test_unknown_fields_are_searched_as_plain_text_with_a_note(text, word):
    parsed = parse_query(text)
    assert parsed.words == (word,) and parsed.fields == ()
    assert any("tidak dikenal" in note for note in parsed.notes)


def test_an_unknown_field_with_a_quoted_value_becomes_a_phrase():
    assert parse_query('nama:"Siti Aminah"').phrases == ("Siti Aminah",)


def test_times_and_urls_are_not_fields():
    assert parse_query("10:30").words == ("10:30",)


@pytest.mark.parametrize("raw", [b"surat \xff\xfe pindah", "surat \udcff pindah",
                                 "surat\x00\x07\x1b pindah\x7f", "surat\u200b pindah\ufeff",
                                 "surat\ue000 pindah"])
def test_undecodable_and_control_characters_are_stripped(raw):
    parsed = parse_query(raw)
    assert parsed.words[0] == "surat" and parsed.words[-1] == "pindah"
    assert all(ch.isprintable() for w in parsed.words for ch in w)
    assert NOTE_STRIPPED in parsed.notes


def test_newlines_and_tabs_separate_words():
    assert parse_query("surat\npindah\tdomisili").words == ("surat", "pindah", "domisili")


def test_fullwidth_characters_are_normalised():
    assert parse_query("ｎｉｋ：１２３").fields == (("nik", "123"),)


@pytest.mark.parametrize(("text", "message"), [("nik:abc", "NIK"), ("kk:x", "KK"),
                                               ("tahun:24", "Tahun"), ("tahun:dua", "Tahun")])
def test_impossible_field_values_raise_query_error_in_indonesian(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_an_empty_field_is_ignored_with_a_note():
    parsed = parse_query("desa: surat")
    assert parsed.fields == () and parsed.words == ("surat",)
    assert any("kosong" in note for note in parsed.notes)


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", '""', "..."])
def test_empty_input_is_an_empty_query(text):
    parsed = parse_query(text)
    assert parsed.words == () and parsed.phrases == () and parsed.fields == ()


HOSTILE = ['"', "'", "\\", ":", "::::", "nik:", "*:*", "((((", "a" * 10_000, "\x00" * 5000,
           '"' * 333, "-" * 1000, "AND " * 500, "ﷺ" * 600, "\ud800", "tahun:" + "9" * 4000,
           "nik:" + "1" * 9000, "%00%ff", "<script>alert(1)</script>", "desa:../../etc/passwd"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_yields_a_query_or_a_query_error(text):
    try:
        parsed = parse_query(text)
    except QueryError as exc:
        assert str(exc)
    else:
        assert len(parsed.words) + len(parsed.fields) + len(parsed.phrases) <= MAX_TERMS


def test_plan_rejects_unknown_filter_keys_in_indonesian():
    with pytest.raises(QueryError, match="Filter tidak dikenal"):
        plan_query(Query(text="surat", filters={"kecamatan": "x"}))


def test_plan_drops_words_that_are_only_stopwords():
    plan = plan_query(Query(text="yang dan di surat"))
    assert [w.text for w in plan.words] == ["surat"]


def test_plan_merges_field_syntax_and_filters_normalised():
    plan = plan_query(Query(text="nomor:474/012/DS", filters={"tahun": 2024, "jenis": "SKU"}))
    assert plan.filters == (("nomor", "474/012/ds"), ("tahun", "2024"), ("jenis", "sku"))


def test_plan_gives_a_bare_nik_its_identifier_path():
    (word,) = plan_query(Query(text="6402081234560001")).words
    assert word.digits == "6402081234560001"


def test_page_size_is_capped_and_deep_pages_refused():
    assert Query(page_size=10_000).page_size == 100
    with pytest.raises(QueryError, match="Halaman"):
        Query(page=101, page_size=100)


def test_replace_words_keeps_the_rest_of_the_query():
    assert replace_words("Surat DOMISLI desa:1", {"domisli": "domisili"}) == "Surat domisili desa:1"
    assert replace_words("surat", {}) is None
