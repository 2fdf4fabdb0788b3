"""Appointments from the installed `lemari` script on the office `make run` leaves (`lemari
init` + `lemari demo`): the demo slots are there without configuration, a clerk books a lansia
caller into the reserved window, the bad bookings are refused in Indonesian with nothing saved,
the day's list shows the NIK masked, and a cancel frees the place. Run as a subprocess, so the
real clock: the day booked is the next working day the office is open."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import run_lemari
from records.services.clock import clock


@pytest.fixture(scope="module")
def home(cli_demo_home, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("janji-cli") / "home"
    shutil.copytree(cli_demo_home[0], home)
    return home


def query(home: Path, sql: str, *params):
    with sqlite3.connect(home / "lemari.db") as conn:
        return conn.execute(sql, params).fetchall()


def lemari(home: Path, *args: str):
    return run_lemari(home, *args, timeout=120)


def open_day(home: Path) -> dt.date:
    """The first weekday after today that is not a holiday in the office's table."""
    day = clock("Asia/Makassar")[1]
    holidays = {row[0] for row in query(home, "SELECT tanggal FROM hari_libur")}
    while True:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day.isoformat() not in holidays:
            return day


def elderly(home: Path) -> list[str]:
    return [
        row[0]
        for row in query(
            home, "SELECT nik FROM penduduk WHERE tanggal_lahir < '1960-01-01' ORDER BY id LIMIT 2"
        )
    ]


def test_demo_office_has_slots_and_a_clerk_books_a_lansia_by_phone(home):
    day = open_day(home)
    shown = lemari(home, "janji", "slot", "--as", "petugas", "--tanggal", day.isoformat())
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    for code in ("ktp_el", "kk"):
        assert f"{code}\t08:00–09:00\tkhusus lansia/disabilitas/ibu hamil\tsisa 4 dari 4" in lines
        assert f"{code}\t09:00–12:00\tumum\tsisa 15 dari 15" in lines

    first, second = elderly(home)
    made = lemari(
        home,
        "janji",
        "buat",
        "--as",
        "petugas",
        "--layanan",
        "ktp_el",
        "--tanggal",
        day.isoformat(),
        "--jam",
        "08:00",
        "--nik",
        first,
        "--alasan",
        "lansia",
    )
    assert made.returncode == 0, made.stderr
    code = made.stdout.split("Janji dibuat: ")[1].split()[0]
    assert query(home, "SELECT status, alasan_prioritas, sumber FROM antrian_janji WHERE kode = ?", code) == [
        ("terjadwal", "lansia", "petugas")
    ]
    after = lemari(
        home, "janji", "slot", "--as", "petugas", "--layanan", "ktp_el", "--tanggal", day.isoformat()
    )
    assert "08:00–09:00\tkhusus lansia/disabilitas/ibu hamil\tsisa 3 dari 4" in after.stdout

    listed = lemari(home, "janji", "daftar", "--as", "petugas", "--tanggal", day.isoformat())
    assert code in listed.stdout and first[:6] + "●●●●●●" + first[-4:] in listed.stdout
    assert first not in listed.stdout  # never the whole NIK
    assert query(home, "SELECT count(*) FROM audit_event WHERE action = 'antrian.janji_daftar'")[0][0] >= 1

    # The bad bookings: a clear Indonesian message, exit 1, nothing saved.
    count = query(home, "SELECT count(*) FROM antrian_janji")
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    for args, words in (
        (("--jam", "09:00", "--nik", first), "sudah memiliki janji"),
        (("--jam", "08:00", "--nik", second), "khusus untuk lansia"),
        (("--jam", "10:00", "--nik", second), "tersedia: 08:00, 09:00"),
        (("--jam", "08:00", "--nik", "1234"), "NIK"),
    ):
        refused = lemari(
            home,
            "janji",
            "buat",
            "--as",
            "petugas",
            "--layanan",
            "ktp_el",
            "--tanggal",
            day.isoformat(),
            *args,
        )
        assert refused.returncode == 1 and words in refused.stderr, (args, refused.stderr)
    closed = lemari(
        home,
        "janji",
        "buat",
        "--as",
        "petugas",
        "--layanan",
        "ktp_el",
        "--tanggal",
        saturday.isoformat(),
        "--jam",
        "08:00",
        "--nik",
        second,
        "--alasan",
        "lansia",
    )
    assert closed.returncode == 1 and "Kantor tutup" in closed.stderr
    assert query(home, "SELECT count(*) FROM antrian_janji") == count

    cancelled = lemari(home, "janji", "batal", code, "--as", "petugas")
    assert cancelled.returncode == 0 and f"Janji {code} dibatalkan." in cancelled.stdout
    again = lemari(home, "janji", "batal", code, "--as", "petugas")
    assert again.returncode == 1 and "masih terjadwal" in again.stderr
    freed = lemari(
        home, "janji", "slot", "--as", "petugas", "--layanan", "ktp_el", "--tanggal", day.isoformat()
    )
    assert "08:00–09:00\tkhusus lansia/disabilitas/ibu hamil\tsisa 4 dari 4" in freed.stdout


def test_cli_refuses_those_without_the_permission_and_other_desa(home):
    day = open_day(home)
    first, _ = elderly(home)
    denied = lemari(
        home,
        "janji",
        "buat",
        "--as",
        "auditor",
        "--layanan",
        "kk",
        "--tanggal",
        day.isoformat(),
        "--jam",
        "09:00",
        "--nik",
        first,
    )
    assert denied.returncode == 1 and "tidak berwenang" in denied.stderr
    desa = query(home, "SELECT desa_code FROM penduduk WHERE nik = ?", first)[0][0]
    outsider = "operator_loleng" if desa != "64.02.08.2004" else "operator_pela"
    foreign = lemari(
        home,
        "janji",
        "buat",
        "--as",
        outsider,
        "--layanan",
        "kk",
        "--tanggal",
        day.isoformat(),
        "--jam",
        "09:00",
        "--nik",
        first,
    )
    assert foreign.returncode == 1 and "tidak terdaftar di data penduduk desa Anda" in foreign.stderr
    assert query(home, "SELECT count(*) FROM antrian_janji WHERE layanan_code = 'kk'") == [(0,)]
