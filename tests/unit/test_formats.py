"""Numbers shown to people use Indonesian separators (records/formats.py)."""

from __future__ import annotations

import pytest

from records.formats import angka, rupiah, ukuran


@pytest.mark.parametrize(("value", "decimals", "shown"), [
    (90_000_000, 0, "90.000.000"), (999, 0, "999"), (1234.5, 1, "1.234,5"), (0, 0, "0"),
    (-1500, 0, "-1.500"), (None, 0, "—")])
def test_angka_uses_dots_for_thousands_and_a_comma_for_decimals(value, decimals, shown):
    assert angka(value, decimals) == shown


@pytest.mark.parametrize(("size", "shown"), [
    (153_453, "153 KB"), (2_400_000, "2,4 MB"), (512, "512 byte"), (1_000, "1,0 KB"),
    (12_345_678_901, "12 GB"), (None, "—")])
def test_ukuran_names_sizes_in_units_a_clerk_knows(size, shown):
    assert ukuran(size) == shown


def test_rupiah():
    assert (rupiah(10_000), rupiah(0), rupiah(None)) == ("Rp 10.000", "Rp 0", "Rp 0")
