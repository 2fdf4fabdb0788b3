"""The archive port: content-addressed, write-once storage for the office's files.

A blob is named by the SHA-256 of its bytes. The database row that points to a file therefore
also states what the file must contain, and ``archive.blobstore.fixity`` can later prove that it still
does. Adapters (``LocalBlobStore``, ``MemoryBlobStore``, later S3) all pass
``tests/contract/test_blob_store.py``.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

# Read and hash in pieces this big, so an upload is never held whole in memory.
CHUNK_SIZE = 1024 * 1024

# Largest blob a store accepts unless told otherwise: above any single upload, below a disk-filler.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class ArchiveError(Exception):
    """Base for every error the archive raises."""


class BlobMissingError(ArchiveError):
    """No blob with this SHA-256 is stored: never written, destroyed, or lost."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"blob {sha256} is not in the archive")
        self.sha256 = sha256


class BlobCorruptError(ArchiveError):
    """The stored bytes no longer hash to their name, so they must not be served as the record."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"blob {sha256} does not match its checksum")
        self.sha256 = sha256


class BlobTooLargeError(ArchiveError):
    """The content exceeds the store's limit; nothing was kept."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"blob is larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


@dataclass(frozen=True, slots=True)
class BlobRef:
    """What a database row stores to point at a blob: its SHA-256 (lower-case hex) and size."""

    sha256: str
    size: int

    def __post_init__(self) -> None:
        check_sha256(self.sha256)


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed, write-once blob storage.

    Every method that names a blob takes its SHA-256 hex string or a ``BlobRef``. Adapters
    MUST make ``put`` atomic (a reader never sees a partial blob) and durable before it
    returns, and MUST keep one copy per content. Names that are not 64 lower-case hex
    characters raise ``ValueError`` (they are programming errors, never user input).
    """

    def put(self, data: bytes | BinaryIO) -> BlobRef:
        """Store bytes or a stream read in chunks; the same content always yields the same ref.

        Raises ``BlobTooLargeError`` past the store's limit, leaving nothing behind.
        """

    def open(self, blob: str | BlobRef) -> BinaryIO:
        """A binary stream of the blob, for sending large files without loading them.

        The stream is not checked against the hash; use ``read_bytes`` or ``verify`` for that.
        """

    def read_bytes(self, blob: str | BlobRef) -> bytes:
        """The whole blob, checked: raises ``BlobCorruptError`` if it no longer matches."""

    def exists(self, blob: str | BlobRef) -> bool:
        """Whether the blob is stored (without checking its content)."""

    def delete(self, blob: str | BlobRef) -> None:
        """Remove the blob. Only approved destruction (retention disposal) MAY call this."""

    def path_hint(self, blob: str | BlobRef) -> str:
        """Where the blob lives, for log lines and operator messages only."""

    def iter_refs(self) -> Iterator[BlobRef]:
        """Every stored blob, so fixity checks can find orphans."""

    def verify(self, blob: str | BlobRef) -> bool:
        """Re-hash the stored bytes; False means they were altered on disk."""


def check_sha256(sha256: str) -> str:
    """Return sha256 if it is 64 lower-case hex characters; a store must never build a path from
    anything else (``../`` in a name would escape the archive)."""
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def sha_of(blob: str | BlobRef) -> str:
    """The checked SHA-256 of a ref or hex string, so callers may pass whichever they hold."""
    return blob.sha256 if isinstance(blob, BlobRef) else check_sha256(blob)


def iter_chunks(source: bytes | BinaryIO, max_bytes: int | None = None) -> Iterator[bytes]:
    """Yield the source in ``CHUNK_SIZE`` pieces, raising ``BlobTooLargeError`` before the piece
    that would cross max_bytes, so an oversized upload is never fully read or written."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    total = 0
    while chunk := stream.read(CHUNK_SIZE):
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise BlobTooLargeError(max_bytes)
        yield chunk


def digest(chunks: Iterable[bytes], sink: Callable[[bytes], object] | None = None) -> BlobRef:
    """Hash and count the chunks, passing each to sink, so data is hashed as it is written."""
    hasher = hashlib.sha256()
    size = 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink(chunk)
    return BlobRef(hasher.hexdigest(), size)


def hashes_to(stream: BinaryIO, sha256: str) -> bool:
    """Whether the stream's bytes hash to sha256; closes the stream."""
    with stream:
        return digest(iter_chunks(stream)).sha256 == sha256


def read_checked(stream: BinaryIO, sha256: str) -> bytes:
    """Read the whole stream and raise ``BlobCorruptError`` unless it hashes to sha256."""
    with stream:
        data = stream.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BlobCorruptError(sha256)
    return data
