"""Wording of the Indonesian catalog that overrides Flask-AppBuilder's English (issue 15).

The catalog is compiled here as the app loads it (.mo) and every translation is scanned:
"Record" is data, not "catatan"; "Permission" is "Hak akses", not "Izin" (which means a
business licence in this office); a person has one "Nama lengkap" (mononyms are common), not
"Nama Depan / Nama Belakang"; nothing is left from FAB's example apps ("Pesan Tweet",
"Kolom Uji Satu", "Grafik Kelahiran Kontak", "No. Pegawai"); and no msgstr is empty (an empty
one shows the English to the clerk).
"""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CATALOG = (Path(__file__).resolve().parents[2] / "records" / "translations" / "id"
           / "LC_MESSAGES" / "messages.po")
BANNED = {
    r"\bcatatan\b": "Record adalah data, bukan catatan",
    r"\bizin\b": "Permission adalah hak akses (izin = izin usaha)",
    r"nama depan|nama belakang": "satu Nama lengkap (banyak orang bernama tunggal)",
    r"pegawai": "NIP, bukan No./Nomor Pegawai",
    r"tweet|uji satu|kontak|grafik kelahiran|formulir saya": "sisa aplikasi contoh FAB",
}


def compiled() -> dict[str, str]:
    """msgid → msgstr of the catalog compiled to .mo and read back by gettext."""
    with CATALOG.open("rb") as source:
        catalog = read_po(source, locale="id")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    return {k: v for k, v in translations._catalog.items() if k}  # type: ignore[attr-defined]


def test_catalog_compiles_with_every_entry():
    with CATALOG.open("rb") as source:
        entries = [m for m in read_po(source, locale="id") if m.id]
    assert entries and len(compiled()) == len(entries)


@pytest.mark.parametrize(("pattern", "why"), sorted(BANNED.items()))
def test_no_banned_wording(pattern, why):
    found = {k: v for k, v in compiled().items() if re.search(pattern, v, re.IGNORECASE)}
    assert not found, f"{why}: {found}"


def test_no_empty_msgstr_and_no_example_app_entries():
    with CATALOG.open("rb") as source:
        entries = [m for m in read_po(source, locale="id") if m.id]
    assert [m.id for m in entries if not m.string] == []
    examples = [m.id for m in entries
                if m.locations and all(f.startswith("flask_appbuilder/examples/")
                                       for f, _line in m.locations)]
    assert examples == []


def test_the_wording_the_issue_asks_for():
    catalog = compiled()
    assert catalog["No records found"] == "Data tidak ditemukan"
    assert catalog["Permissions"] == "Hak akses" == catalog["Permission"]
    assert catalog["First Name"] == "Nama lengkap"
