"""On-disk layout of a rebuildable index: sealed versions behind an atomically replaced pointer.

Engine-neutral, so any file-based adapter gets the same crash behaviour::

    root/CURRENT                  name of the live version (tmp, fsync, rename, fsync dir)
    root/v-xxxxxxxx/              one complete index per version
    root/v-xxxxxxxx/MANIFEST.json SHA-256 of every file of the last commit: "the seal"

An adapter seals a version after every commit (fsync the new files, hash them, write the
manifest atomically) and verifies the seal when it opens one, so a file torn or zero-filled by a
power cut is caught instead of served. A new version is filled and sealed before ``CURRENT``
names it, so a crash at any point leaves the previous version live. POSIX only.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

from archive.blobstore.atomic import TEMP_PREFIX, atomic_write_text, fsync_dir, fsync_file
from search.base import IndexBusyError, IndexCorruptError

POINTER = "CURRENT"
MANIFEST = "MANIFEST.json"
VERSION_PREFIX = "v-"
_VERSION_NAME = re.compile(r"v-[A-Za-z0-9_]+")
# Lock files, the manifest itself and temp files are not part of a commit.
_UNSEALED = re.compile(rf"(.*LOCK|{re.escape(MANIFEST)}|{re.escape(TEMP_PREFIX)}.*)")
_LOCK_POLL = 0.05

Handle = TypeVar("Handle")


class VersionedStore(Generic[Handle]):
    """The live version of an index under root, opened through the adapter's callbacks.

    ``create(directory)`` MUST write an empty index; ``open(directory)`` MUST return a handle
    or raise if anything is damaged (including a failed ``verify``). The store follows
    ``CURRENT`` when another process switches it, remembers why the live version is damaged,
    and raises ``IndexCorruptError`` for it until a rebuild succeeds.
    """

    def __init__(self, root: Path, *, create: Callable[[Path], None],
                 open: Callable[[Path], Handle], lock_timeout: float) -> None:
        self.root = root
        self.lock_timeout = lock_timeout
        self._create, self._open_handle = create, open
        self._lock = threading.RLock()
        self._handle: Handle | None = None
        self.version: str | None = None
        self._error = ""
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not (root / POINTER).exists():
            install(root, self._empty().name)
        self._open()

    def current(self) -> Handle:
        """The live version's handle, reopened if another process switched versions."""
        with self._lock:
            try:
                if read_pointer(self.root) != self.version:
                    self._open()
            except IndexCorruptError as exc:
                self._handle, self.version, self._error = None, None, str(exc)
            if self._handle is None:
                raise IndexCorruptError(self._error)
            return self._handle

    def damaged(self, reason: str) -> IndexCorruptError:
        """Mark the live version damaged (until a rebuild) and return the error to raise."""
        with self._lock:
            self._handle, self._error = None, f"Indeks pencarian rusak: {reason}"
            return IndexCorruptError(self._error)

    @contextmanager
    def writing(self) -> Iterator[Handle]:
        """The live handle under the write lock, sealed after the caller's commit.

        This lock, not the engine's, spans commit and seal, so processes seal in commit order.
        """
        with self._lock, file_lock(self.root / "WRITE_LOCK", self.lock_timeout):
            yield self.current()
            assert self.version is not None  # current() raises while no version is open
            seal(self.root / self.version)

    def rebuild(self, fill: Callable[[Path], int]) -> int:
        """Fill a new version with ``fill(directory)``, seal it and switch to it.

        If fill raises, the new version is deleted and the live one stays. Raises
        ``IndexBusyError`` if another process is rebuilding.
        """
        with self._lock, file_lock(self.root / "REBUILD_LOCK", timeout=0):
            directory = self._empty()
            try:
                count = fill(directory)
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
            seal(directory)
            previous = self.version
            install(self.root, directory.name)
            self._open()
            sweep(self.root, keep={directory.name, previous})
        return count

    def _empty(self) -> Path:
        """A new version directory holding an empty, sealed index."""
        directory = new_version(self.root)
        self._create(directory)
        seal(directory)
        return directory

    def _open(self) -> None:
        """Open the live version, remembering why if it is damaged."""
        self._handle, self._error = None, ""
        try:
            self.version = read_pointer(self.root)
            self._handle = self._open_handle(self.root / self.version)
        except Exception as exc:  # any failure to read the files means a torn index
            self._error = f"Indeks pencarian rusak dan perlu dibangun ulang: {exc}"


def new_version(root: Path) -> Path:
    """A fresh, empty, private version directory under root."""
    return Path(tempfile.mkdtemp(prefix=VERSION_PREFIX, dir=root))


def read_pointer(root: Path) -> str:
    """The live version's name, checked so a damaged pointer cannot name a path outside root."""
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"Penunjuk indeks {POINTER} tidak terbaca: {exc}") from exc
    if not _VERSION_NAME.fullmatch(name) or not (root / name).is_dir():
        raise IndexCorruptError(f"Penunjuk indeks {POINTER} rusak: {name[:40]!r}")
    return name


def install(root: Path, version: str) -> None:
    """Point ``CURRENT`` at a sealed version, durably and atomically."""
    fsync_dir(root)
    atomic_write_text(root / POINTER, version + "\n", mode=0o600)


def sweep(root: Path, keep: set[str | None]) -> None:
    """Delete versions other than keep: leftovers of crashed rebuilds and retired versions.

    Callers SHOULD keep the previous version, so searches other processes started just before
    the switch can finish, and MUST hold the rebuild lock, so no version being filled is lost.
    """
    for child in root.iterdir():
        if child.name.startswith(VERSION_PREFIX) and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


def seal(directory: Path) -> None:
    """fsync every file of the commit and record its SHA-256 in the manifest.

    Index segment files never change once written, so hashes the last manifest already holds
    are reused: a commit costs the fsync and hashing of its new files only.
    """
    sealed = _manifest(directory) if (directory / MANIFEST).exists() else {}
    files = {}
    for path in sorted(directory.iterdir()):
        if _UNSEALED.fullmatch(path.name):
            continue
        if path.name not in sealed:
            fsync_file(path)
        files[path.name] = sealed.get(path.name) or _sha256(path)
    fsync_dir(directory)
    atomic_write_text(directory / MANIFEST, json.dumps(files, sort_keys=True), mode=0o600)


def verify(directory: Path, required: str) -> None:
    """Raise ``IndexCorruptError`` unless the commit naming ``required`` (its table of
    contents) is sealed and every sealed file still has its hash."""
    try:
        files = _manifest(directory)
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"Segel indeks tidak terbaca: {exc!r}") from exc
    if required not in files:
        raise IndexCorruptError(f"Komit terakhir ({required}) tidak tersegel.")
    for name, digest in files.items():
        try:
            intact = _sha256(directory / name) == digest
        except OSError:
            intact = False
        if not intact:
            raise IndexCorruptError(f"Berkas indeks {name} hilang atau tidak cocok dengan segel.")


@contextmanager
def file_lock(path: Path, timeout: float) -> Iterator[None]:
    """An exclusive lock on path shared by every process; ``IndexBusyError`` after timeout."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise IndexBusyError("Indeks sedang dipakai proses lain; coba lagi sebentar lagi.")
            time.sleep(_LOCK_POLL)
        with holding(fd):
            yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# Descriptors of flock()s this process holds. A forked child inherits them, and with them the
# lock: a child that outlives a killed parent would keep the index locked. Children that
# need no lock call ``drop_inherited_locks`` first thing.
_HELD: set[int] = set()


@contextmanager
def holding(fd: int) -> Iterator[None]:
    """Record fd as a held lock for as long as the block runs."""
    _HELD.add(fd)
    try:
        yield
    finally:
        _HELD.discard(fd)


def drop_inherited_locks() -> None:
    """In a freshly forked child: close the lock descriptors inherited from the parent (the
    parent's own descriptors keep its locks)."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


def _try_lock(fd: int) -> bool:
    """Take the lock without waiting; False if another holder has it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _manifest(directory: Path) -> dict[str, str]:
    """The sealed file hashes of a version."""
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def _sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
