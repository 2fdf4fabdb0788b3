"""A folder target that goes bad under a real file system (issue 21, "Bad input"): tests run as
root, so file modes cannot make a folder read-only or full. These mount real ones: a small
tmpfs that is remounted read-only or filled up half-way through a backup, and an ext4 image on
a loop device that is unmounted in the middle of a write (the drive pulled out) and mounted
again. Each case: a clear Indonesian message, the earlier generations untouched and still
restoring, no half generation counted, and the next good run cleans up. And a target that is
filling up warns (run result, /cadangan, home page, doctor) while backups still succeed,
before the backup that no longer fits is refused.

Mounting needs CAP_SYS_ADMIN: without it (a developer's unprivileged container) the tests
skip and say why; in CI (CI set) they fail instead, so the cover cannot quietly vanish."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import test_backup_auto
from test_backup_auto import PASSPHRASE, _at, _ingest, _run

from archive.scan_samples import text_pdf
from records.extensions import db, lemari
from records.services import backup_targets as bt
from records.services.clock import frozen

pytestmark = pytest.mark.slow
office = test_backup_auto.office  # the fixture: a copy of the demo office
LABEL = "CADANGAN-KOTABANGUN"


def _sh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def _cannot_mount(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must be able to mount for the target fault tests: {reason}")
    pytest.skip(f"mount not permitted here ({reason}); these tests need root with CAP_SYS_ADMIN")


class Disk:
    """A mounted file system at `path`; `remount(...)`, `unplug()`, `plug()`, `fill(leave)`."""

    def __init__(self, path: Path, image: Path | None) -> None:
        self.path, self.image, self.mounted = path, image, True

    def remount(self, mode: str) -> None:
        done = _sh("mount", "-o", f"remount,{mode}", str(self.path))
        assert done.returncode == 0, done.stderr

    def unplug(self) -> None:
        """What pulling the drive does to the writer: the mount point is an empty folder of the
        PC's own disk from now on (lazy unmount: files already open finish on the drive)."""
        done = _sh("umount", "-l", str(self.path))
        assert done.returncode == 0, done.stderr
        self.mounted = False

    def plug(self) -> None:
        done = _sh("mount", "-o", "loop", str(self.image), str(self.path))
        assert done.returncode == 0, done.stderr
        self.mounted = True

    def fill(self, leave: int) -> Path:
        """Write a filler file until `leave` bytes stay free (0: until the disk is full)."""
        filler = self.path / f"pengisi-{uuid.uuid4().hex[:6]}"
        chunk = b"\0" * (1 << 20)
        with open(filler, "wb") as fh:
            try:
                while True:
                    room = os.statvfs(self.path).f_bavail * os.statvfs(self.path).f_frsize - leave
                    if room <= 0:
                        break
                    fh.write(chunk[:room])
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                pass
        return filler


@pytest.fixture
def tmpfs(tmp_path):
    path = tmp_path / "disk-kecil"
    path.mkdir()
    done = _sh("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(path))
    if done.returncode != 0:
        _cannot_mount(done.stderr.strip())
    disk = Disk(path, None)
    yield disk
    _sh("umount", "-l", str(path))


@pytest.fixture
def usb_image(tmp_path):
    """An ext4 file system in a file, mounted through a loop device: a drive that can be pulled
    out and plugged back in with what it held."""
    image, path = tmp_path / "usb.img", tmp_path / "media-usb"
    path.mkdir()
    with open(image, "wb") as fh:
        fh.truncate(96 * 1024 * 1024)
    made = _sh("mkfs.ext4", "-q", "-F", str(image))
    if made.returncode != 0:
        _cannot_mount(f"mkfs.ext4: {made.stderr.strip()}")
    done = _sh("mount", "-o", "loop", str(image), str(path))
    if done.returncode != 0:
        _cannot_mount(done.stderr.strip())
    disk = Disk(path, image)
    yield disk
    if disk.mounted:
        _sh("umount", str(path))


def _add_target(runner, disk: Disk, label: str = "") -> None:
    done = runner.invoke(args=["backup", "passphrase"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert done.exit_code == 0, done.output
    if label:
        (disk.path / "LEMARI-LABEL").write_text(label + "\n")
    args = ["backup", "target", "add", "usb", str(disk.path)] + (["--label", label] if label else [])
    added = runner.invoke(args=args)
    assert added.exit_code == 0, added.output


def _names(disk: Disk) -> list[str]:
    return [g.name for g in bt.generations(bt.FolderTarget(path=disk.path))]


def _restores(disk: Disk, tmp_path: Path, expected: str) -> None:
    """The newest complete generation still decrypts whole (every SHA-256 checked)."""
    opened = bt.open_generation(bt.FolderTarget(path=disk.path), tmp_path / f"cek-{expected}",
                                passphrase=PASSPHRASE)
    assert opened.generation == expected


def _next_run_cleans_up(runner, disk: Disk, before: list[str], day: dt.date) -> None:
    after = _run(runner, _at(day))
    assert after.exit_code == 0, after.output
    names = _names(disk)
    assert names[:-1] == before and len(names) == len(before) + 1
    root = disk.path / "lemari-cadangan"
    assert not list(root.rglob("*.tmp"))
    assert {p.name for p in (root / "generasi").iterdir()} == set(names)  # no half folder left


def test_a_read_only_target_fails_clearly_and_keeps_its_generations(office, tmpfs, tmp_path):
    app, _home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(510))
    _add_target(runner, tmpfs)
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    before = _names(tmpfs)

    tmpfs.remount("ro")  # what the kernel does to a drive with errors, or a locked SD card
    result = _run(runner, _at(dt.date(2026, 12, 2)))
    assert result.exit_code == 1
    assert "[GAGAL] usb" in result.output and "hanya-baca" in result.output, result.output
    assert "Read-only" not in result.output  # the operator reads Indonesian, not strerror
    assert _names(tmpfs) == before
    _restores(tmpfs, tmp_path, before[-1])

    tmpfs.remount("rw")
    _next_run_cleans_up(runner, tmpfs, before, dt.date(2026, 12, 3))


def test_a_target_that_fills_up_mid_write_fails_clearly_and_keeps_its_generations(
        office, tmpfs, tmp_path, monkeypatch):
    app, _home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(520))
    _add_target(runner, tmpfs)
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    before = _names(tmpfs)
    _ingest(app, tmp_path, "b.pdf", text_pdf(521))  # the next run has a new file to copy

    # something else fills the drive after the space check passed (another copy to the same
    # disk): the backup's own writes then meet a really full file system
    original, fillers = bt.FolderTarget.write_stream, []

    def crowded(self, rel, writer):
        if not fillers:
            fillers.append(tmpfs.fill(leave=0))
        return original(self, rel, writer)

    monkeypatch.setattr(bt.FolderTarget, "write_stream", crowded)
    result = _run(runner, _at(dt.date(2026, 12, 2)))
    assert result.exit_code == 1
    assert "[GAGAL] usb" in result.output and "disk penuh" in result.output, result.output
    assert "No space" not in result.output
    assert _names(tmpfs) == before
    assert not list((tmpfs.path / "lemari-cadangan").rglob("*.tmp"))  # the cut write let go
    _restores(tmpfs, tmp_path, before[-1])
    with app.app_context(), frozen(_at(dt.date(2026, 12, 2), 18)):
        problems = bt.status(db.session, home=_home, settings=lemari().settings).problems
        assert any("usb gagal" in p and "disk penuh" in p for p in problems), problems

    monkeypatch.setattr(bt.FolderTarget, "write_stream", original)
    fillers[0].unlink()
    _next_run_cleans_up(runner, tmpfs, before, dt.date(2026, 12, 3))


@pytest.mark.parametrize(("moment", "label"), [("during", LABEL), ("after", LABEL), ("after", "")])
def test_a_drive_pulled_out_mid_write_is_not_written_past_and_keeps_its_generations(
        office, usb_image, tmp_path, monkeypatch, moment, label):
    """Pulled while the database is being written (the rename then finds no folder), or just
    after it was written (the next file would otherwise make `lemari-cadangan/` afresh on the
    bare mount point, the PC's own disk, and finish a generation nobody can find there); with
    a label file, and without one (then the vanished `lemari-cadangan/` tells)."""
    app, _home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(530))
    _add_target(runner, usb_image, label=label)
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    before = _names(usb_image)

    original = bt.FolderTarget.write_stream

    def pulled(self, rel, writer):
        if not rel.endswith(bt.DATABASE_ENC):
            return original(self, rel, writer)
        if moment == "after":
            digest = original(self, rel, writer)
            usb_image.unplug()
            return digest

        def half(fh):
            fh.write(os.urandom(8192))
            usb_image.unplug()  # the cable comes out while the database is being written
            writer(fh)
        return original(self, rel, half)

    monkeypatch.setattr(bt.FolderTarget, "write_stream", pulled)
    result = _run(runner, _at(dt.date(2026, 12, 2)))
    assert result.exit_code == 1
    assert "[GAGAL] usb" in result.output and "terlepas" in result.output, result.output
    # nothing landed on the bare mount point (the PC's own disk)
    assert not usb_image.mounted and list(usb_image.path.iterdir()) == []

    usb_image.plug()  # plugged back in: what it held before the cut is all there and restores
    assert _names(usb_image) == before
    half_gen = usb_image.path / "lemari-cadangan" / "generasi" / "20261202T093000Z"
    assert half_gen.is_dir() and not (half_gen / bt.DONE).exists()  # there, not counted
    _restores(usb_image, tmp_path, before[-1])
    monkeypatch.setattr(bt.FolderTarget, "write_stream", original)
    _next_run_cleans_up(runner, usb_image, before, dt.date(2026, 12, 3))


def test_a_target_filling_up_warns_while_backups_still_succeed_then_refuses(office, tmpfs, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    settings = app.extensions["lemari"].settings
    _ingest(app, tmp_path, "a.pdf", text_pdf(540))
    _add_target(runner, tmpfs)
    first = _run(runner, _at(dt.date(2026, 12, 1)))
    assert first.exit_code == 0 and "hampir penuh" not in first.output, first.output
    gen = _names(tmpfs)[-1]
    size = bt.FolderTarget(path=tmpfs.path).tree_size(f"generasi/{gen}")
    need = size + settings["BACKUP_RESERVE_MB"] * 1024 * 1024

    # room for about two more backups of this size: the next one succeeds and warns
    tmpfs.fill(leave=2 * need + size // 2)
    second = _run(runner, _at(dt.date(2026, 12, 2)))
    assert second.exit_code == 0, second.output
    assert "[OK] usb" in second.output and "hampir penuh" in second.output
    assert "cadangan lagi" in second.output
    with app.app_context(), frozen(_at(dt.date(2026, 12, 2), 18)):
        problems = bt.status(db.session, home=home, settings=lemari().settings).problems
        assert any("usb hampir penuh" in p for p in problems), problems
        doctor = runner.invoke(args=["doctor"])
        assert "hampir penuh" in doctor.output, doctor.output
        client = app.test_client()
        client.post("/login/", data={"username": "admin", "password": "Demo#KotaBangun2026"})
        page = client.get("/cadangan/").get_data(as_text=True)
        assert "hampir penuh" in page and "cadangan lagi" in page

    # then less than one backup's worth: refused before writing, generations untouched
    before = _names(tmpfs)
    tmpfs.fill(leave=need // 2)
    third = _run(runner, _at(dt.date(2026, 12, 3)))
    assert third.exit_code == 1 and "hampir penuh: perlu" in third.output, third.output
    assert _names(tmpfs) == before
    _restores(tmpfs, tmp_path, before[-1])


def test_an_os_error_reads_as_indonesian():
    """The words shown for what a target's file system answers (errno, not the English text)."""
    import errno

    assert bt.os_reason(OSError(errno.ENOSPC, "No space left on device")) == "disk penuh"
    assert "hanya-baca" in bt.os_reason(OSError(errno.EROFS, "Read-only file system"))
    assert "terlepas" in bt.os_reason(OSError(errno.EIO, "Input/output error"))
    assert bt.os_reason(OSError(errno.EBADF, "Bad file descriptor")) == "Bad file descriptor"
