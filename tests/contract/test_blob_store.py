"""The BlobStore contract: every adapter must pass these, the fake included."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
import tracemalloc

import pytest

from archive.blobstore import (
    BlobCorruptError,
    BlobMissingError,
    BlobRef,
    BlobStore,
    BlobTooLargeError,
    LocalBlobStore,
    MemoryBlobStore,
)
from archive.blobstore.atomic import TEMP_PREFIX, atomic_write_bytes, atomic_write_text

MB = 1024 * 1024


class GeneratedStream(io.RawIOBase):
    """A deterministic stream of `size` bytes that never exists whole in memory.

    After `fail_after` bytes it raises OSError, like a client that drops mid-upload.
    """

    def __init__(self, size: int, fail_after: int | None = None) -> None:
        self.size = size
        self.fail_after = fail_after
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.fail_after is not None and self.pos >= self.fail_after:
            raise OSError("connection reset by peer")
        n = min(len(buffer), self.size - self.pos)
        buffer[:n] = _pattern(self.pos, n)
        self.pos += n
        return n


def _pattern(start: int, n: int) -> bytes:
    """Bytes start..start+n of an endless, non-repeating-per-MB pattern."""
    block = start // MB
    seed = hashlib.sha256(str(block).encode()).digest() * (MB // 32 + 1)
    offset = start % MB
    piece = seed[offset:offset + n]
    return piece if len(piece) == n else piece + _pattern(start + len(piece), n - len(piece))


def _sha_of_generated(size: int) -> str:
    hasher = hashlib.sha256()
    for start in range(0, size, MB):
        hasher.update(_pattern(start, min(MB, size - start)))
    return hasher.hexdigest()


def _files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path) -> BlobStore:
    if request.param == "memory":
        return MemoryBlobStore(max_bytes=32 * MB)
    return LocalBlobStore(tmp_path / "archive", max_bytes=32 * MB)


@pytest.fixture
def local(tmp_path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "archive", max_bytes=32 * MB)


def test_store_satisfies_protocol(store):
    assert isinstance(store, BlobStore)


def test_put_then_read_round_trips(store):
    ref = store.put(b"Surat Keterangan Domisili")
    assert ref == BlobRef(hashlib.sha256(b"Surat Keterangan Domisili").hexdigest(), 25)
    assert store.read_bytes(ref.sha256) == b"Surat Keterangan Domisili"
    with store.open(ref) as fh:
        assert fh.read() == b"Surat Keterangan Domisili"


def test_put_accepts_a_stream(store):
    ref = store.put(io.BytesIO(b"%PDF-1.7 scan"))
    assert store.read_bytes(ref) == b"%PDF-1.7 scan"


def test_put_is_idempotent_and_stores_once(store):
    first = store.put(b"same content")
    second = store.put(io.BytesIO(b"same content"))
    assert first == second
    assert list(store.iter_refs()) == [first]


def test_empty_blob_is_allowed(store):
    ref = store.put(b"")
    assert ref.size == 0
    assert store.read_bytes(ref) == b""


def test_exists_and_delete(store):
    ref = store.put(b"to be destroyed")
    assert store.exists(ref.sha256)
    store.delete(ref.sha256)
    assert not store.exists(ref.sha256)
    assert list(store.iter_refs()) == []


def test_missing_blob_raises(store):
    absent = hashlib.sha256(b"never stored").hexdigest()
    for call in (store.open, store.read_bytes, store.delete, store.verify):
        with pytest.raises(BlobMissingError) as caught:
            call(absent)
        assert caught.value.sha256 == absent


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", "a" * 63, "A" * 64])
def test_malformed_name_is_refused(store, name):
    with pytest.raises(ValueError):
        store.exists(name)


def test_verify_passes_for_intact_blob(store):
    ref = store.put(b"intact")
    assert store.verify(ref) is True


def test_too_large_is_refused_and_leaves_nothing(store, tmp_path):
    with pytest.raises(BlobTooLargeError):
        store.put(GeneratedStream(32 * MB + 1))
    with pytest.raises(BlobTooLargeError):
        store.put(b"x" * (32 * MB + 1))
    assert list(store.iter_refs()) == []
    assert _files_under(tmp_path) == []


def test_exactly_max_bytes_is_accepted(tmp_path):
    store = LocalBlobStore(tmp_path, max_bytes=10)
    assert store.put(b"0123456789").size == 10


def test_streaming_put_of_20_mb(store):
    size = 20 * MB + 123
    ref = store.put(GeneratedStream(size))
    assert ref == BlobRef(_sha_of_generated(size), size)
    assert store.verify(ref)
    assert [r.sha256 for r in store.iter_refs()] == [ref.sha256]


# --- LocalBlobStore only: what the disk adds to the contract ---------------------------------


def test_local_layout_is_sharded_and_read_only(local):
    ref = local.put(b"arsip")
    path = local.root / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert local.path_hint(ref) == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_local_streaming_put_uses_bounded_memory(local):
    tracemalloc.start()
    try:
        local.put(GeneratedStream(20 * MB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A few 1 MB chunks in flight (the test stream's own buffers included), never the 20 MB.
    assert peak < 8 * MB


def test_local_second_put_does_not_rewrite(local):
    ref = local.put(b"write once")
    before = os.stat(local.path_hint(ref))
    local.put(b"write once")
    after = os.stat(local.path_hint(ref))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _files_under(local.root) == [local.root / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256]


def test_local_corruption_is_detected_and_healed_by_put(local):
    ref = local.put(b"akta kelahiran asli")
    path = local.root / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    path.chmod(0o644)
    path.write_bytes(b"akta kelahiran palsu")
    assert local.verify(ref) is False
    with pytest.raises(BlobCorruptError):
        local.read_bytes(ref)
    assert local.put(b"akta kelahiran asli") == ref
    assert local.verify(ref) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_local_leftover_temp_is_ignored_and_cleaned(local):
    ref = local.put(b"kept")
    stale = local.root / f"{TEMP_PREFIX}crashed"
    stale.write_bytes(b"half an upload")
    an_hour_ago = time.time() - 3601
    os.utime(stale, (an_hour_ago, an_hour_ago))
    fresh = local.root / f"{TEMP_PREFIX}in-progress"
    fresh.write_bytes(b"another worker is writing")
    assert list(local.iter_refs()) == [ref]
    assert local.cleanup_temp() == 1
    assert not stale.exists()
    assert fresh.exists()
    assert local.cleanup_temp(older_than=0) == 1
    assert list(local.iter_refs()) == [ref]


def test_local_stray_files_are_not_refs(local):
    ref = local.put(b"real")
    misplaced = local.root / "00" / "00" / ref.sha256
    misplaced.parent.mkdir(parents=True)
    misplaced.write_bytes(b"real")
    (local.root / "00" / "00" / "notes.txt").write_text("not a blob")
    assert list(local.iter_refs()) == [ref]


def test_local_put_failing_midway_leaves_nothing(local):
    with pytest.raises(OSError, match="connection reset"):
        local.put(GeneratedStream(5 * MB, fail_after=3 * MB))
    assert _files_under(local.root) == []
    assert list(local.iter_refs()) == []


# --- atomic_write_* helpers ------------------------------------------------------------------


def test_atomic_write_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "settings.json"
    atomic_write_text(target, "{}")
    atomic_write_bytes(target, b'{"v": 2}')
    assert target.read_bytes() == b'{"v": 2}'
    assert [p.name for p in target.parent.iterdir()] == ["settings.json"]


def test_atomic_write_applies_mode_before_rename(tmp_path):
    target = tmp_path / "secret_key"
    atomic_write_text(target, "rahasia", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
