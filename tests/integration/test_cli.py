"""The installed `lemari` console script, run as the office runs it (a subprocess).

In-process CliRunner tests would miss the entry point, the FlaskGroup app loading and the real
exit codes that `make run` and shell scripts rely on. Each call costs ~2 s, so one data folder
is initialised per module and shared; tests that damage data work on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from records.services.setup import DEMO_PASSWORD

LEMARI = Path(sys.executable).with_name("lemari")
HEADER = ("nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,alamat,desa_code,agama,"
          "status_perkawinan,pekerjaan\n")
ROW = ("{nik},{nama},KOTA BANGUN,2005-08-17,LAKI-LAKI,JL. MAHAKAM,64.02.08.2004,ISLAM,BELUM KAWIN,"
       "PELAJAR/MAHASISWA\n")


def lemari(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `lemari ARGS` on the data folder home, from a neutral working directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    env.update(LEMARI_HOME=str(home), LEMARI_LOG_LEVEL="WARNING")
    return subprocess.run([str(LEMARI), *args], cwd=home, env=env, capture_output=True,
                          text=True, timeout=120)


def query(home: Path, sql: str, *params):
    with sqlite3.connect(home / "lemari.db") as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def home(cli_demo_home, tmp_path_factory):
    """A copy of the data folder after `lemari init` and `lemari demo` (conftest)."""
    made, demo_output = cli_demo_home
    assert int(demo_output.split("Penduduk demo ditambahkan:")[1].split()[0]) > 0
    home = tmp_path_factory.mktemp("cli") / "home"
    shutil.copytree(made, home)
    return home


def test_init_and_demo_are_idempotent(home):
    residents = query(home, "SELECT count(*) FROM penduduk")
    assert lemari(home, "init").returncode == 0
    again = lemari(home, "demo")
    assert again.returncode == 0, again.stderr
    assert "Penduduk demo ditambahkan: 0" in again.stdout
    assert DEMO_PASSWORD in again.stdout
    for username in ("admin", "camat", "petugas", "auditor", "operator_loleng"):
        assert username in again.stdout
    assert query(home, "SELECT count(*) FROM penduduk") == residents


def test_nik_prints_its_parts(home):
    result = lemari(home, "nik", "6402081708050001")
    assert result.returncode == 0
    parts = json.loads(result.stdout)
    assert parts["valid"] is True
    assert (parts["birth_date"], parts["sex"]) == ("2005-08-17", "L")


def test_invalid_nik_exits_1_with_the_reason(home):
    result = lemari(home, "nik", "640208170805000")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "valid": False, "error": "NIK harus 16 digit angka (ditemukan 15 digit)"}


def test_audit_verify_finds_a_tampered_entry(home, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    intact = lemari(copy, "audit", "verify")
    assert intact.returncode == 0, intact.stdout + intact.stderr

    [(last,)] = query(copy, "SELECT max(id) FROM audit_event")
    query(copy, "UPDATE audit_event SET actor = 'x' WHERE id = ?", last)
    broken = lemari(copy, "audit", "verify")
    assert broken.returncode == 1
    assert f"#{last} " in broken.stdout


def test_import_penduduk_saves_a_valid_file(home, tmp_path):
    path = tmp_path / "baru.csv"
    path.write_text(HEADER + ROW.format(nik="6402081708059901", nama="ADI SAPUTRA"), encoding="utf-8")
    result = lemari(home, "import-penduduk", str(path), "--as", "petugas")
    assert result.returncode == 0, result.stderr
    assert "1 penduduk diimpor." in result.stdout
    assert query(home, "SELECT nama FROM penduduk WHERE nik = '6402081708059901'") == [("ADI SAPUTRA",)]


def test_import_penduduk_rejects_the_whole_file_naming_row_and_field(home, tmp_path):
    path = tmp_path / "salah.csv"
    path.write_text(HEADER + ROW.format(nik="6402081708059902", nama="BUDI")
                    + ROW.format(nik="640208170805000", nama=""), encoding="utf-8")
    result = lemari(home, "import-penduduk", str(path), "--as", "petugas")
    assert result.returncode == 1
    assert "baris 3 · NIK:" in result.stderr
    assert "baris 3 · Nama: Nama wajib diisi." in result.stderr
    assert query(home, "SELECT count(*) FROM penduduk WHERE nik = '6402081708059902'") == [(0,)]


def test_fab_commands_are_included(home):
    result = lemari(home, "fab", "--help")
    assert result.returncode == 0
    assert "create-admin" in result.stdout and "reset-password" in result.stdout


def test_a_command_that_builds_the_app_prints_no_library_warnings(home):
    """A clerk's terminal shows the command's answer, not Flask-AppBuilder's start-up noise
    (it warned twice per time-of-day column at every command)."""
    result = lemari(home, "db", "current")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
