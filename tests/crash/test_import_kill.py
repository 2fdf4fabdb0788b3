"""SIGKILL `lemari import-scans` mid-folder, run it again, and the archive is whole: every file
imported once, no record without its file, no file without its record (`lemari doctor`).

Runs the installed `lemari` console script in a subprocess on a copy of the demo office.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.scan_samples import text_pdf

LEMARI = Path(sys.executable).with_name("lemari")
FILES = 300


def env(home: Path) -> dict:
    found = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    return {**found, "LEMARI_HOME": str(home), "LEMARI_LOG_LEVEL": "WARNING"}


def archived(home: Path) -> int:
    with sqlite3.connect(home / "lemari.db", timeout=30) as conn:
        return conn.execute("SELECT count(*) FROM arsip").fetchone()[0]


@pytest.mark.slow
def test_killed_import_resumes_without_loss_or_duplicates(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    folder = tmp_path / "pindaian"
    folder.mkdir()
    for n in range(FILES):
        (folder / f"surat-{n:04d}.pdf").write_bytes(text_pdf(40_000 + n))
    command = [str(LEMARI), "import-scans", str(folder), "--as", "arsiparis", "--report",
               str(tmp_path / "laporan.csv")]
    victim = subprocess.Popen(command, cwd=home, env=env(home), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and archived(home) < 20:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    cut = archived(home)
    assert 0 < cut < FILES, "the import must be cut off mid-folder"

    again = subprocess.run(command, cwd=home, env=env(home), capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert archived(home) == FILES
    with open(tmp_path / "laporan.csv", encoding="utf-8") as fh:
        statuses = [row["status"] for row in csv.DictReader(fh)]
    assert len(statuses) == FILES and set(statuses) <= {"diimpor", "duplikat"}
    doctor = subprocess.run([str(LEMARI), "doctor"], cwd=home, env=env(home),
                            capture_output=True, text=True, timeout=600)
    for check in ("archive.issued_files", "archive.hashes", "archive.orphans"):
        assert f"[OK] {check}" in doctor.stdout, doctor.stdout
