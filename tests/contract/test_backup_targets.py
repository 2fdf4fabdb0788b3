"""The backup target contract (records.services.backup_targets.Target), run against every kind
of target: a folder and an SFTP server (a real OpenSSH sshd started by the test). What the
backup's safety rests on: a file appears under its name only when whole; a writer that fails
half-way leaves at most a `*.tmp` that nothing counts; listing, sizes and removal agree."""

from __future__ import annotations

import hashlib
import os

import pytest
from sshd_rig import sshd_fixture  # noqa: F401  (the `sshd` fixture)

from records.models.backup import BackupTarget
from records.services import backup_targets as bt
from records.services.backup_sftp import make_key


@pytest.fixture(params=["folder", "sftp"])
def target(request, tmp_path):
    """An open target of each kind, on an empty folder."""
    folder = tmp_path / "tujuan"
    folder.mkdir()
    if request.param == "folder":
        row = BackupTarget(nama="folder", jenis="folder", lokasi=str(folder), label="")
        yield bt.FolderTarget(row), folder
        return
    rig = request.getfixturevalue("sshd")
    home = tmp_path / "home"
    home.mkdir()
    settings = {"BACKUP_SFTP_TIMEOUT_SECONDS": 10}
    rig.authorize(make_key(bt.sftp_key_file(home, settings), "uji"))
    row = BackupTarget(nama="kabupaten", jenis="sftp", lokasi=rig.url(folder), label=rig.fingerprint)
    with bt.open_target(row, home=home, settings=settings) as opened:
        yield opened, folder


def test_a_written_file_is_there_whole_with_its_hash(target):
    opened, folder = target
    opened.check()
    data = os.urandom(300_000)
    digest = opened.write_stream("objek/ab/satu", lambda fh: [fh.write(data[i:i + 7000])
                                                               for i in range(0, len(data), 7000)])
    assert digest == hashlib.sha256(data).hexdigest()
    assert (folder / "lemari-cadangan" / "objek" / "ab" / "satu").read_bytes() == data
    assert opened.exists("objek/ab/satu") and not opened.exists("objek/ab/dua")
    assert opened.is_dir("objek/ab") and not opened.is_dir("objek/ab/satu")
    with opened.open("objek/ab/satu") as fh:
        assert fh.read() == data
    opened.write_text("KANTOR.json", '{"kantor": "x"}')
    opened.write_text("KANTOR.json", '{"kantor": "y"}')  # replaced in place, atomically
    assert opened.read_text("KANTOR.json") == '{"kantor": "y"}'


def test_a_writer_that_fails_half_way_leaves_nothing_under_the_name(target):
    opened, folder = target

    def half(fh):
        fh.write(b"x" * 100_000)
        raise RuntimeError("listrik padam")

    with pytest.raises(RuntimeError):
        opened.write_stream("generasi/20261201T093000Z/basisdata.enc", half)
    assert not opened.exists("generasi/20261201T093000Z/basisdata.enc")
    assert not (folder / "lemari-cadangan" / "generasi" / "20261201T093000Z" / "basisdata.enc").exists()


def test_listing_sizes_and_removal_agree(target):
    opened, folder = target
    for name in ("20261201T093000Z", "20261202T093000Z"):
        opened.write_text(f"generasi/{name}/SELESAI.json", "{}")
        opened.write_stream(f"generasi/{name}/isi.enc", lambda fh: fh.write(b"a" * 1000))
    for obj in ("objek/ab/ab01", "objek/cd/cd02"):
        opened.write_text(obj, "z")
    assert opened.folders("generasi") == ["20261201T093000Z", "20261202T093000Z"]
    assert opened.folders("tidak-ada") == []
    assert opened.tree_size("generasi/20261201T093000Z") == 1002
    assert sorted(opened.object_rels()) == ["objek/ab/ab01", "objek/cd/cd02"]
    opened.remove("objek/ab/ab01")
    opened.remove("objek/ab/ab01")  # already gone: not an error
    opened.remove_tree("generasi/20261201T093000Z")
    assert opened.folders("generasi") == ["20261202T093000Z"]
    assert sorted(opened.object_rels()) == ["objek/cd/cd02"]
    assert not (folder / "lemari-cadangan" / "generasi" / "20261201T093000Z").exists()
    space = opened.free()
    assert space is not None and 0 < space[0] <= space[1]  # statvfs@openssh.com answers too
