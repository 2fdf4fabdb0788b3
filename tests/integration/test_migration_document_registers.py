"""Migration 0005 on an office of the previous release: the form and receipt registers
are added with the office's own unit code, the keputusan register gets a naskah dinas format
instead of the bare "{urut}", and going back down restores it."""

from __future__ import annotations

import tarfile
from pathlib import Path

import sqlalchemy

from records.services import schema

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "release-6c75a7e"


def registers(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name, number_format, unit FROM register").all()
    return {name: (fmt, unit) for name, fmt, unit in rows}


def test_registers_per_kind_of_document_come_with_the_upgrade_and_go_with_the_downgrade(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with tarfile.open(FIXTURE / "sqlite-home.tar.gz") as tar:
        tar.extractall(home, filter="data")
    engine = sqlalchemy.create_engine(f"sqlite:///{home / 'lemari.db'}")
    before = registers(engine)
    assert before["keputusan"][0] == "{urut}" and "formulir_pemohon" not in before
    unit = before["surat_keluar"][1]

    schema.upgrade(engine)
    after = registers(engine)
    assert after["keputusan"][0] == "{kode}/{urut}/{unit}/{tahun}"
    assert after["formulir_pemohon"] == ("F-{urut:05}/{kode}/{unit}/{tahun}", unit)
    assert after["tanda_terima"] == ("TT-{urut:05}/{unit}/{tahun}", unit)
    assert {k: v for k, v in after.items() if k in before and k != "keputusan"} == \
        {k: v for k, v in before.items() if k != "keputusan"}

    schema.downgrade(engine, "0004")
    assert registers(engine) == before
    engine.dispose()
