"""Numbers and dates written in Indonesian words, as a berita acara states them.

A berita acara states its day and date in words ("Pada hari ini Kamis tanggal empat bulan
Desember tahun dua ribu dua puluh enam") so the figure cannot be altered afterwards
(Perka ANRI 25/2012 on the berita acara pemusnahan; Tata Naskah Dinas practice).
"""

from __future__ import annotations

import datetime as dt

SATUAN = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
          "sembilan", "sepuluh", "sebelas")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def terbilang(number: int) -> str:
    """0 ≤ number < 10^12 in words: 2026 → "dua ribu dua puluh enam", 1000 → "seribu"."""
    if number < 0 or number >= 10**12:
        raise ValueError("terbilang: 0 sampai 999.999.999.999")
    if number < 12:
        return SATUAN[number]
    if number < 20:
        return f"{SATUAN[number - 10]} belas"
    if number < 100:
        return _join(f"{SATUAN[number // 10]} puluh", number % 10)
    if number < 200:
        return _join("seratus", number - 100)
    if number < 1000:
        return _join(f"{SATUAN[number // 100]} ratus", number % 100)
    if number < 2000:
        return _join("seribu", number - 1000)
    for size, word in ((10**9, "miliar"), (10**6, "juta"), (10**3, "ribu")):
        if number >= size:
            return _join(f"{terbilang(number // size)} {word}", number % size)
    raise AssertionError("unreachable")  # pragma: no cover


def _join(head: str, rest: int) -> str:
    return head if rest == 0 else f"{head} {terbilang(rest)}"


def tanggal_angka(day: dt.date) -> str:
    """"4 Desember 2026" (the short form beside the words)."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def kalimat_hari_ini(day: dt.date) -> str:
    """"Pada hari ini Kamis tanggal empat bulan Desember tahun dua ribu dua puluh enam"."""
    return (f"Pada hari ini {HARI[day.weekday()]} tanggal {terbilang(day.day)} bulan "
            f"{BULAN[day.month - 1]} tahun {terbilang(day.year)}")
