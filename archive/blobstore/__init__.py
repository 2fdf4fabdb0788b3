"""Lemari's archive: content-addressed, write-once storage for issued documents and scans.

Pure standard library: this package imports neither ``records`` nor Flask, so the port and its
adapters can be tested, and reused by the CLI, without an app.
"""

from archive.blobstore.atomic import atomic_write_bytes, atomic_write_text
from archive.blobstore.base import (
    ArchiveError,
    BlobCorruptError,
    BlobMissingError,
    BlobRef,
    BlobStore,
    BlobTooLargeError,
)
from archive.blobstore.fixity import FixityReport, verify_all
from archive.blobstore.local import LocalBlobStore
from archive.blobstore.memory import MemoryBlobStore

__all__ = [
    "ArchiveError",
    "BlobCorruptError",
    "BlobMissingError",
    "BlobRef",
    "BlobStore",
    "BlobTooLargeError",
    "FixityReport",
    "LocalBlobStore",
    "MemoryBlobStore",
    "atomic_write_bytes",
    "atomic_write_text",
    "verify_all",
]
