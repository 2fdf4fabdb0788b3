"""Atomic, durable file writes for the whole app (engineering-facts §5.3).

The recipe: write a temp file in the target's directory, fsync it, ``os.replace`` it over the
target, then fsync the directory so the rename itself survives a power cut. A reader sees the
old file or the new one, never half of either. If an fsync fails, the write raises and the
caller must treat the file as not written: retrying fsync can falsely succeed (PostgreSQL's
"fsyncgate" lesson). POSIX only; the office server runs Linux.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# Every temp file starts with this, so stores can skip and sweep leftovers after a crash.
TEMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (creations, renames, deletions) to disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file already on disk, e.g. one found in place rather than written now."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create path and its missing parents, fsyncing each parent so the new directories survive a
    power cut along with the files later put in them."""
    missing = []
    current = Path(path)
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        fsync_dir(directory.parent)


@contextmanager
def temp_file(directory: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A fresh ``TEMP_PREFIX`` file in directory, deleted on exit unless ``durable_replace`` moved
    it into place, so a failed write leaves nothing behind."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield tmp, fh
    finally:
        tmp.unlink(missing_ok=True)


def durable_replace(fh: BinaryIO, tmp: Path, target: Path, mode: int) -> None:
    """Flush and fsync tmp, give it its final mode, rename it over target and fsync the
    directories involved, so target is complete on disk when this returns."""
    fh.flush()
    os.fsync(fh.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, target)
    fsync_dir(target.parent)
    if tmp.parent != target.parent:
        fsync_dir(tmp.parent)


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int = 0o644) -> None:
    """Replace the file at path with data atomically and durably, creating parent directories.

    mode is applied before the rename, so a secret written with ``mode=0o600`` is never readable
    by others, not even for a moment.
    """
    target = Path(path)
    ensure_dir(target.parent)
    with temp_file(target.parent) as (tmp, fh):
        fh.write(data)
        durable_replace(fh, tmp, target, mode)


def atomic_write_text(
    path: Path | str, text: str, *, encoding: str = "utf-8", mode: int = 0o644
) -> None:
    """``atomic_write_bytes`` for text (UTF-8 unless told otherwise)."""
    atomic_write_bytes(path, text.encode(encoding), mode=mode)
