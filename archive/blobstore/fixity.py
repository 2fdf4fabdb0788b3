"""Fixity check: prove every blob the database expects is present and unaltered.

Modelled on paperless-ngx's ``sanity_checker``: it re-hashes every expected blob, lists the
missing and the altered ones, and reports orphans (stored blobs nothing points to, e.g. files
written before a transaction that then rolled back). It only reports; repairing from backup
is an operator's decision. Progress display is the caller's job: pass an ``iter_wrapper``
such as a progress bar over the expected refs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from archive.blobstore.base import BlobMissingError, BlobRef, BlobStore, digest, iter_chunks


@dataclass(frozen=True, slots=True)
class FixityReport:
    """The outcome of one ``verify_all`` run."""

    ok: int
    bytes_checked: int
    missing: tuple[BlobRef, ...]
    altered: tuple[BlobRef, ...]
    orphans: tuple[BlobRef, ...]
    elapsed_seconds: float

    @property
    def mb_per_second(self) -> float:
        """Re-hash throughput in MB (10**6 bytes) per second, to size the nightly window."""
        if self.elapsed_seconds <= 0:
            return 0.0
        return self.bytes_checked / 1_000_000 / self.elapsed_seconds

    @property
    def is_clean(self) -> bool:
        """True when nothing is missing, altered or orphaned: the exit status of the check."""
        return not (self.missing or self.altered or self.orphans)


def verify_all(
    store: BlobStore,
    expected: Iterable[BlobRef],
    iter_wrapper: Callable[[Iterable[BlobRef]], Iterable[BlobRef]] = lambda it: it,
    owned: Iterable[str] = (),
) -> FixityReport:
    """Re-hash each expected blob once and compare the store's contents with expected.

    A blob counts as altered when its bytes hash or size differ from its ref. Hashing is done
    here rather than by ``store.verify`` so the bytes checked are counted and a size recorded
    wrongly in the database is caught too.
    """
    started = time.perf_counter()
    seen: set[BlobRef] = set()
    missing: list[BlobRef] = []
    altered: list[BlobRef] = []
    checked = 0
    for ref in iter_wrapper(expected):
        if ref in seen:
            continue
        seen.add(ref)
        found = _rehash(store, ref)
        if found is None:
            missing.append(ref)
            continue
        checked += found.size
        if found != ref:
            altered.append(ref)
    expected_shas = {ref.sha256 for ref in seen} | set(owned)  # owned: kept, not re-hashed
    orphans = tuple(ref for ref in store.iter_refs() if ref.sha256 not in expected_shas)
    return FixityReport(
        ok=len(seen) - len(missing) - len(altered),
        bytes_checked=checked,
        missing=tuple(missing),
        altered=tuple(altered),
        orphans=orphans,
        elapsed_seconds=time.perf_counter() - started,
    )


def _rehash(store: BlobStore, ref: BlobRef) -> BlobRef | None:
    """The ref the stored bytes actually have, or None when the blob is missing."""
    try:
        stream = store.open(ref)
    except BlobMissingError:
        return None
    with stream:
        return digest(iter_chunks(stream))
