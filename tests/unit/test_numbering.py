"""Number formats: both styles in use, tokens, and refusal of unsafe or incomplete formats."""

import datetime as dt

import pytest

from records.calendar_id import add_working_days
from records.numbering import (
    LEGACY_FORMAT,
    PERMENDAGRI_83_FORMAT,
    NumberFormatError,
    NumberParts,
    check_format,
    format_number,
)

NOV = dt.date(2026, 11, 28)


def test_legacy_style():
    parts = NumberParts(kode="470", urut=123, unit="KB", on=NOV)
    assert format_number(LEGACY_FORMAT, parts) == "470/0123/KB/XI/2026"


def test_permendagri_83_style():
    parts = NumberParts(kode="400.12.2.1", urut=123, unit="Kec.KB", on=NOV)
    assert format_number(PERMENDAGRI_83_FORMAT, parts) == "400.12.2.1/0123/Kec.KB/2026"


def test_every_token():
    parts = NumberParts(kode="140", urut=7, unit="PEM", on=dt.date(2026, 1, 5),
                        kode_desa="64.02.08.2004")
    text = format_number("{kode}/{urut:03}/{kode_desa}/{bulan_romawi}/{bulan2}/{tahun}", parts)
    assert text == "140/007/6402082004/I/01/2026"


@pytest.mark.parametrize("bad", ["{kode}/{unit}", "{urut}/{nama}", "{urut}/{kode.__class__}",
                                 "{urut}/{kode[0]}", "{urut}/{kode!r}", "{urut", "{urut}/{tahun:>9}"])
def test_unsafe_or_incomplete_formats_are_refused(bad):
    with pytest.raises(NumberFormatError):
        check_format(bad)


def test_working_days_skip_weekends_and_holidays():
    friday = dt.date(2026, 11, 27)
    assert add_working_days(friday, 1, set()) == dt.date(2026, 11, 30)
    assert add_working_days(friday, 1, {dt.date(2026, 11, 30)}) == dt.date(2026, 12, 1)
    assert add_working_days(dt.date(2026, 11, 28), 0, set()) == dt.date(2026, 11, 30)
    assert add_working_days(friday, 5, set()) == dt.date(2026, 12, 4)
