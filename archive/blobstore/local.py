"""Blobs as read-only files on the local disk: ``<root>/ab/cd/<sha256>``.

Two levels of two hex characters keep every directory small (65,536 shards) however many
documents the office archives. Uploads are streamed to a temp file in ``root`` while they are
hashed, because the final directory is known only once the last byte is hashed; ``root`` is on
the same filesystem as every shard, so the final ``os.replace`` is still atomic.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from archive.blobstore.atomic import (
    TEMP_PREFIX,
    durable_replace,
    ensure_dir,
    fsync_dir,
    fsync_file,
    temp_file,
)
from archive.blobstore.base import (
    DEFAULT_MAX_BYTES,
    BlobMissingError,
    BlobRef,
    digest,
    hashes_to,
    iter_chunks,
    read_checked,
    sha_of,
)

# Stored blobs are never modified in place; read-only also stops careless edits by hand.
READ_ONLY = 0o444

# A temp file younger than this may belong to a put still running in another worker.
STALE_TEMP_SECONDS = 3600


class LocalBlobStore:
    """The default ``BlobStore``: content-addressed, write-once files under one directory."""

    def __init__(self, root: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def put(self, data: bytes | BinaryIO) -> BlobRef:
        """Stream data to disk while hashing it; keep an intact existing copy, replace a corrupt
        one, and fsync the file and every directory touched before returning."""
        ensure_dir(self.root)
        with temp_file(self.root) as (tmp, fh):
            ref = digest(iter_chunks(data, self.max_bytes), sink=fh.write)
            target = self._path(ref.sha256)
            if self._intact(target, ref.sha256):
                self._make_durable(target)
            else:
                ensure_dir(target.parent)
                durable_replace(fh, tmp, target, READ_ONLY)
        return ref

    def open(self, blob: str | BlobRef) -> BinaryIO:
        try:
            return self._path(sha_of(blob)).open("rb")
        except FileNotFoundError:
            raise BlobMissingError(sha_of(blob)) from None

    def read_bytes(self, blob: str | BlobRef) -> bytes:
        return read_checked(self.open(blob), sha_of(blob))

    def exists(self, blob: str | BlobRef) -> bool:
        return self._path(sha_of(blob)).is_file()

    def delete(self, blob: str | BlobRef) -> None:
        """Unlink the file and fsync its directory, so a destroyed record stays destroyed."""
        path = self._path(sha_of(blob))
        try:
            path.unlink()
        except FileNotFoundError:
            raise BlobMissingError(sha_of(blob)) from None
        fsync_dir(path.parent)

    def path_hint(self, blob: str | BlobRef) -> str:
        return str(self._path(sha_of(blob)))

    def iter_refs(self) -> Iterator[BlobRef]:
        """Every correctly placed blob file, in name order; temp files and strays are skipped."""
        for path in sorted(self.root.glob("??/??/*")):
            if path.is_file() and path == self._path_or_none(path.name):
                yield BlobRef(path.name, path.stat().st_size)

    def verify(self, blob: str | BlobRef) -> bool:
        return hashes_to(self.open(blob), sha_of(blob))

    def cleanup_temp(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Delete temp files left by a crash mid-put and return how many went.

        Only files older than ``older_than`` seconds are removed, so running this at startup
        cannot pull a temp file from under a put in progress in another worker.
        """
        cutoff = time.time() - older_than
        removed = 0
        for path in self.root.glob(f"{TEMP_PREFIX}*"):
            if path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _path_or_none(self, name: str) -> Path | None:
        """The path a blob called name belongs at, or None when name is not a SHA-256."""
        try:
            return self._path(sha_of(name))
        except ValueError:
            return None

    def _make_durable(self, path: Path) -> None:
        """Fsync a copy found in place: an earlier put may have died between its rename and its
        fsyncs, and this put must not report success for bytes still only in the page cache."""
        fsync_file(path)
        fsync_dir(path.parent)

    def _intact(self, path: Path, sha256: str) -> bool:
        try:
            return hashes_to(path.open("rb"), sha256)
        except FileNotFoundError:
            return False
