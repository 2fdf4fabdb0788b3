"""An in-process ``BlobStore`` for unit tests: same contract, nothing touches the disk."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

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


class MemoryBlobStore:
    """Blobs in a dict keyed by SHA-256.

    ``blobs`` is public on purpose: a test may pass or edit it to simulate loss or bit rot,
    as it would delete or overwrite a file under ``LocalBlobStore``.
    """

    def __init__(
        self, blobs: dict[str, bytes] | None = None, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.blobs = {} if blobs is None else blobs
        self.max_bytes = max_bytes

    def put(self, data: bytes | BinaryIO) -> BlobRef:
        """Hash data in chunks like the disk store; keep an intact copy, replace a corrupt one."""
        parts: list[bytes] = []
        ref = digest(iter_chunks(data, self.max_bytes), sink=parts.append)
        if not self._intact(ref.sha256):
            self.blobs[ref.sha256] = b"".join(parts)
        return ref

    def open(self, blob: str | BlobRef) -> BinaryIO:
        try:
            return io.BytesIO(self.blobs[sha_of(blob)])
        except KeyError:
            raise BlobMissingError(sha_of(blob)) from None

    def read_bytes(self, blob: str | BlobRef) -> bytes:
        return read_checked(self.open(blob), sha_of(blob))

    def exists(self, blob: str | BlobRef) -> bool:
        return sha_of(blob) in self.blobs

    def delete(self, blob: str | BlobRef) -> None:
        try:
            del self.blobs[sha_of(blob)]
        except KeyError:
            raise BlobMissingError(sha_of(blob)) from None

    def path_hint(self, blob: str | BlobRef) -> str:
        return f"memory://{sha_of(blob)}"

    def iter_refs(self) -> Iterator[BlobRef]:
        for sha256 in sorted(self.blobs):
            yield BlobRef(sha256, len(self.blobs[sha256]))

    def verify(self, blob: str | BlobRef) -> bool:
        return hashes_to(self.open(blob), sha_of(blob))

    def _intact(self, sha256: str) -> bool:
        return sha256 in self.blobs and self.verify(sha256)
