"""verify_all reports missing, altered and orphaned blobs (on the in-memory fake)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from archive.blobstore import BlobRef, FixityReport, MemoryBlobStore, verify_all


def _ref(data: bytes) -> BlobRef:
    return BlobRef(hashlib.sha256(data).hexdigest(), len(data))


def test_clean_archive_reports_all_ok():
    store = MemoryBlobStore()
    refs = [store.put(b"surat 1"), store.put(b"surat 22")]
    report = verify_all(store, refs)
    assert (report.ok, report.bytes_checked) == (2, 15)
    assert report.is_clean
    assert report.elapsed_seconds >= 0
    assert report.mb_per_second >= 0


def test_missing_blob_is_reported():
    store = MemoryBlobStore()
    kept = store.put(b"kept")
    lost = _ref(b"lost in a disk failure")
    report = verify_all(store, [kept, lost])
    assert report.missing == (lost,)
    assert report.ok == 1
    assert not report.is_clean


def test_altered_blob_is_reported():
    store = MemoryBlobStore()
    good = store.put(b"good")
    rotten = store.put(b"original bytes")
    store.blobs[rotten.sha256] = b"bit-rotted bytes"
    report = verify_all(store, [good, rotten])
    assert report.altered == (rotten,)
    assert report.ok == 1
    assert report.bytes_checked == len(b"good") + len(b"bit-rotted bytes")


def test_wrong_size_in_database_counts_as_altered():
    store = MemoryBlobStore()
    ref = store.put(b"twelve bytes")
    wrong = BlobRef(ref.sha256, 99)
    assert verify_all(store, [wrong]).altered == (wrong,)


def test_orphan_blob_is_reported():
    store = MemoryBlobStore()
    expected = store.put(b"registered")
    orphan = store.put(b"written, then the transaction rolled back")
    report = verify_all(store, [expected])
    assert report.orphans == (orphan,)
    assert report.ok == 1


def test_all_problems_at_once():
    store = MemoryBlobStore()
    ok = store.put(b"ok")
    altered = store.put(b"will change")
    store.blobs[altered.sha256] = b"changed"
    orphan = store.put(b"orphan")
    missing = _ref(b"missing")
    report = verify_all(store, [ok, altered, missing])
    assert (report.ok, report.missing, report.altered, report.orphans) == (
        1, (missing,), (altered,), (orphan,)
    )


def test_duplicate_expected_refs_are_checked_once():
    store = MemoryBlobStore()
    ref = store.put(b"one file, two records")
    report = verify_all(store, [ref, ref])
    assert (report.ok, report.bytes_checked) == (1, len(b"one file, two records"))


def test_iter_wrapper_sees_every_expected_ref():
    store = MemoryBlobStore()
    refs = [store.put(b"a"), store.put(b"b")]
    seen = []

    def progress(it):
        for ref in it:
            seen.append(ref)
            yield ref

    verify_all(store, refs, iter_wrapper=progress)
    assert seen == refs


def test_empty_archive_is_clean():
    report = verify_all(MemoryBlobStore(), [])
    assert (report.ok, report.bytes_checked, report.is_clean) == (0, 0, True)


def test_mb_per_second():
    report = FixityReport(ok=1, bytes_checked=3_000_000, missing=(), altered=(), orphans=(),
                          elapsed_seconds=1.5)
    assert report.mb_per_second == 2.0
    assert replace(report, elapsed_seconds=0.0).mb_per_second == 0.0
