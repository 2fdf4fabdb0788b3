"""Numbers and dates in Indonesian words, as a berita acara states them."""

import datetime as dt

import pytest

from records.services.terbilang import kalimat_hari_ini, terbilang


@pytest.mark.parametrize(("number", "words"), [
    (0, "nol"), (1, "satu"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"),
    (19, "sembilan belas"), (20, "dua puluh"), (31, "tiga puluh satu"), (100, "seratus"),
    (101, "seratus satu"), (111, "seratus sebelas"), (250, "dua ratus lima puluh"),
    (1000, "seribu"), (1001, "seribu satu"), (1999, "seribu sembilan ratus sembilan puluh sembilan"),
    (2026, "dua ribu dua puluh enam"), (11000, "sebelas ribu"), (100000, "seratus ribu"),
    (1000000, "satu juta"), (12345678, "dua belas juta tiga ratus empat puluh lima ribu "
                                       "enam ratus tujuh puluh delapan"),
])
def test_terbilang(number, words):
    assert terbilang(number) == words


def test_out_of_range_is_refused():
    with pytest.raises(ValueError):
        terbilang(-1)


@pytest.mark.parametrize(("day", "sentence"), [
    (dt.date(2026, 12, 3), "Pada hari ini Kamis tanggal tiga bulan Desember tahun dua ribu dua "
                           "puluh enam"),
    (dt.date(2026, 1, 1), "Pada hari ini Kamis tanggal satu bulan Januari tahun dua ribu dua "
                          "puluh enam"),
    (dt.date(2024, 2, 29), "Pada hari ini Kamis tanggal dua puluh sembilan bulan Februari tahun "
                           "dua ribu dua puluh empat"),
    (dt.date(2027, 8, 17), "Pada hari ini Selasa tanggal tujuh belas bulan Agustus tahun dua ribu "
                           "dua puluh tujuh"),
])
def test_day_sentence(day, sentence):
    assert kalimat_hari_ini(day) == sentence
