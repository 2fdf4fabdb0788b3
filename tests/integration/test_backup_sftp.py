"""Backups to the kabupaten's OpenSSH server over SFTP (issue 21), against a real sshd started by
the test (tests/sshd_rig.py): the office makes its SSH key, the kabupaten authorizes it and gives
its host key fingerprint; backups are incremental, encrypted and rotated there; a drill restores
the newest from there. A server with another host key gets nothing; a read-only server, a disk
that fills up half-way through and an unreachable server each fail clearly, with the earlier
generations untouched and no half generation counted; the next good run cleans up."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import test_backup_auto
from sqlalchemy import select
from sshd_rig import SshdRig, sshd_fixture  # noqa: F401  (the `sshd` fixture)
from test_backup_auto import PASSPHRASE, _at, _ingest, _run, _secrets, _target_bytes

from archive.scan_samples import text_pdf
from records.extensions import db
from records.models.backup import BackupRun, BackupTarget
from records.services import backup_targets as bt

pytestmark = pytest.mark.slow
office = test_backup_auto.office  # the fixture: a copy of the demo office


def _set_up(app, runner, rig: SshdRig, folder) -> None:
    """The office: a passphrase, its SSH key (the line goes to the kabupaten), the target with
    the host key fingerprint the kabupaten gave."""
    done = runner.invoke(args=["backup", "passphrase"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert done.exit_code == 0, done.output
    key = runner.invoke(args=["backup", "sftp-key"])
    assert key.exit_code == 0, key.output
    line = next(x for x in key.output.splitlines() if x.startswith("ssh-ed25519 "))
    rig.authorize(line)
    folder.mkdir(parents=True)
    added = runner.invoke(args=["backup", "target", "add", "kabupaten", rig.url(folder),
                                "--label", f"256 {rig.fingerprint} root@kabupaten (ED25519)"])
    assert added.exit_code == 0, added.output


def _generations(app, home) -> list[str]:
    with app.app_context():
        row = db.session.scalar(select(BackupTarget).where(BackupTarget.nama == "kabupaten"))
        with bt.open_target(row, home=home, settings=app.extensions["lemari"].settings) as opened:
            return [g.name for g in bt.generations(opened)]


def test_backups_go_encrypted_and_rotated_to_the_kabupaten_and_a_drill_restores_from_there(
        office, sshd, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "surat-0.pdf", text_pdf(700), judul="Surat rahasia kabupaten")
    folder = tmp_path / "kabupaten" / "kotabangun"
    app.extensions["lemari"].settings["BACKUP_KEEP_DAILY"] = 3
    app.extensions["lemari"].settings["BACKUP_KEEP_WEEKLY"] = 1
    _set_up(app, runner, sshd, folder)
    for offset in range(5):
        if offset == 2:
            _ingest(app, tmp_path, "surat-1.pdf", text_pdf(701), judul="Surat rahasia dua")
        result = _run(runner, _at(dt.date(2026, 12, 1) + dt.timedelta(days=offset)))
        assert result.exit_code == 0 and "[OK] kabupaten" in result.output, result.output
    with app.app_context():
        runs = list(db.session.scalars(select(BackupRun).order_by(BackupRun.id)))
    assert [r.berkas_baru > 0 for r in runs] == [True, False, True, False, False]  # incremental
    assert _generations(app, home) == ["20261203T093000Z", "20261204T093000Z", "20261205T093000Z"]
    assert not list(folder.rglob("*.tmp"))
    data = _target_bytes(folder)
    for secret in _secrets(app, home):
        assert secret not in data, secret[:20]
    assert b"SQLite format 3" not in data and b"Surat rahasia" not in data and b"%PDF" not in data

    drill = runner.invoke(args=["backup", "drill"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert drill.exit_code == 0 and "log audit utuh" in drill.output, drill.output
    listed = runner.invoke(args=["backup", "target", "list"])
    assert "kabupaten\tsftp://" in listed.output and "3 generasi" in listed.output


def test_a_wrong_host_key_a_read_only_or_full_or_unreachable_server_fail_clearly(office, sshd, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(800))
    folder = tmp_path / "kabupaten" / "kotabangun"
    _set_up(app, runner, sshd, folder)
    other = SshdRig(tmp_path / "palsu")  # never started: nobody answers on its port
    refused = runner.invoke(args=["backup", "target", "add", "palsu", other.url(folder),
                                  "--label", sshd.fingerprint])
    assert refused.exit_code == 1 and "tidak dapat dihubungi" in refused.output
    no_pin = runner.invoke(args=["backup", "target", "add", "palsu", sshd.url(folder)])
    assert no_pin.exit_code == 1 and "Sidik jari kunci host" in no_pin.output
    wrong_pin = runner.invoke(args=["backup", "target", "add", "palsu", sshd.url(folder),
                                    "--label", other.fingerprint])
    assert wrong_pin.exit_code == 1 and "tidak dikenal" in wrong_pin.output
    with app.app_context():
        assert [t.nama for t in bt.list_targets(db.session)] == ["kabupaten"]

    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    before = _generations(app, home)
    state = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    _ingest(app, tmp_path, "b.pdf", text_pdf(801))  # each later run has a new file to copy

    # the server was replaced (or someone sits in between): another host key, nothing sent
    sshd.stop()
    impostor = SshdRig(tmp_path / "pengganti")
    impostor.port = sshd.port
    impostor.authorize(sshd.authorized.read_text())
    impostor.start()
    result = _run(runner, _at(dt.date(2026, 12, 2)))
    assert result.exit_code == 1 and "kunci host server 127.0.0.1 tidak dikenal" in result.output
    assert "Tidak ada yang dikirim" in result.output
    assert "Accepted publickey" not in impostor.log.read_text()  # the office never logged in there
    impostor.stop()

    # read-only
    sshd.start(read_only=True)
    result = _run(runner, _at(dt.date(2026, 12, 3)))
    assert result.exit_code == 1 and "[GAGAL] kabupaten" in result.output
    assert "menolak" in result.output and "hanya-baca" in result.output
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == state

    # the server's disk fills up half-way through the generation
    sshd.restart(file_limit=64 * 1024)
    result = _run(runner, _at(dt.date(2026, 12, 4)))
    assert result.exit_code == 1 and "[GAGAL] kabupaten" in result.output, result.output
    assert "basisdata.enc" in result.output and "Generasi sebelumnya tetap utuh" in result.output
    sshd.restart()
    assert _generations(app, home) == before  # the half one does not count
    assert list(folder.rglob("*.tmp"))  # ...though its pieces are there

    # unreachable
    sshd.stop()
    result = _run(runner, _at(dt.date(2026, 12, 5)))
    assert result.exit_code == 1 and "tidak dapat dihubungi" in result.output
    with app.app_context():
        from records.extensions import lemari

        problems = bt.status(db.session, home=home, settings=lemari().settings).problems
    assert any("kabupaten gagal" in p and "tidak dapat dihubungi" in p for p in problems), problems

    # back: the next run writes a generation and removes the half one's pieces
    sshd.start()
    result = _run(runner, _at(dt.date(2026, 12, 6)))
    assert result.exit_code == 0, result.output
    assert _generations(app, home) == [*before, "20261206T093000Z"]
    assert not list(folder.rglob("*.tmp"))
    staging = tmp_path / "pulih"
    with app.app_context():
        row = db.session.scalar(select(BackupTarget).where(BackupTarget.nama == "kabupaten"))
        with bt.open_target(row, home=home, settings=app.extensions["lemari"].settings) as opened:
            older = bt.open_generation(opened, staging, passphrase=PASSPHRASE, generation=before[-1])
    assert older.generation == before[-1] and (staging / "database.sqlite").is_file()
    shutil.rmtree(staging, ignore_errors=True)


def _titles(app) -> set[str]:
    from records.models import Record

    with app.app_context():
        titles = set(db.session.scalars(select(Record.title).where(Record.doctype == "arsip_pindaian")))
        db.session.remove()
    return titles


def test_restore_and_drill_straight_from_the_kabupaten_server(office, sshd, tmp_path):
    """No `sftp -r` first: `lemari restore kabupaten` (the target's name) or `lemari restore
    sftp://… --host-key SHA256:…` (a PC whose database lost the target) decrypts the newest or
    a chosen generation from the server, through the same Target interface, into the data
    folder's staging area; verified before anything is replaced. A wrong host key or passphrase
    replaces nothing."""
    app, home = office
    runner = app.test_cli_runner()
    phrase = {"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE}
    _ingest(app, tmp_path, "a.pdf", text_pdf(900), judul="Surat hari pertama")
    folder = tmp_path / "kabupaten" / "kotabangun"
    _set_up(app, runner, sshd, folder)
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    _ingest(app, tmp_path, "b.pdf", text_pdf(901), judul="Surat hari kedua")
    assert _run(runner, _at(dt.date(2026, 12, 2))).exit_code == 0
    _ingest(app, tmp_path, "c.pdf", text_pdf(902), judul="Surat sesudah cadangan")
    first, second = _generations(app, home)

    listed = runner.invoke(args=["backup", "target", "generations", "kabupaten"])
    assert listed.exit_code == 0 and first in listed.output and second in listed.output, listed.output
    assert "WITA" in listed.output or "2026" in listed.output

    drill = runner.invoke(args=["backup", "drill", "--target", "kabupaten", "--generation", first],
                          env=phrase)
    assert drill.exit_code == 0 and f"Generasi {first}" in drill.output, drill.output
    missing = runner.invoke(args=["backup", "drill", "--target", "kabupaten", "--generation", "1999"],
                            env=phrase)
    assert missing.exit_code == 1 and "Generasi 1999 tidak ada" in missing.output

    database = (home / "lemari.db").read_bytes()
    wrong = runner.invoke(args=["restore", "kabupaten", "--yes"], env={"LEMARI_BACKUP_PASSPHRASE": "salah"})
    assert wrong.exit_code == 1 and "Frasa sandi cadangan salah" in wrong.output
    unknown = runner.invoke(args=["restore", "tidak-terdaftar", "--yes"], env=phrase)
    assert unknown.exit_code == 1 and "bukan nama target" in unknown.output
    impostor = SshdRig(tmp_path / "palsu")
    pinned_wrong = runner.invoke(args=["restore", sshd.url(folder), "--host-key", impostor.fingerprint,
                                       "--yes"], env=phrase)
    assert pinned_wrong.exit_code == 1 and "tidak dikenal" in pinned_wrong.output, pinned_wrong.output
    assert (home / "lemari.db").read_bytes() == database
    assert not (home / "cadangan" / "pulih").exists()  # no plaintext left behind

    done = runner.invoke(args=["restore", "kabupaten", "--yes"], env=phrase)
    assert done.exit_code == 0 and "Mengunduh dan mendekripsi dari sftp://" in done.output, done.output
    assert "Surat hari kedua" in _titles(app) and "Surat sesudah cadangan" not in _titles(app)
    assert not (home / "cadangan" / "pulih").exists()

    # a PC set up afresh knows the server only by its address and pin: the first generation
    older = runner.invoke(args=["restore", sshd.url(folder), "--host-key", sshd.fingerprint,
                                "--generation", first, "--yes"], env=phrase)
    assert older.exit_code == 0, older.output
    titles = _titles(app)
    assert "Surat hari pertama" in titles and "Surat hari kedua" not in titles
