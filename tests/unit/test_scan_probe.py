"""The sandboxed scan probe: kinds by content, pixel and page limits, time limit with a fresh
worker afterwards, and every broken sample refused with a reason."""

from __future__ import annotations

import re

import pytest

from archive.scan_probe import ProbeError, ProbeLimits, ProbePool, kind_of, sniff
from archive.scan_samples import broken_samples, image_bytes, text_pdf


@pytest.fixture(scope="module")
def pool():
    found = ProbePool(ProbeLimits(max_pixels=90_000_000, timeout_s=20))
    yield found
    found.close()


@pytest.mark.parametrize(("head", "kind"), [(b"%PDF-1.7", "pdf"), (b"\xff\xd8\xff\xe0", "jpeg"),
                                            (b"\x89PNG\r\n\x1a\n", "png"), (b"II*\x00", "tiff"),
                                            (b"MM\x00*", "tiff"), (b"junk\n%PDF-1.4", "pdf"),
                                            (b"PK\x03\x04", None), (b"", None)])
def test_sniff(head, kind):
    assert sniff(head) == kind


def test_content_must_match_the_name(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(image_bytes(1, "JPEG", lines=2))
    assert kind_of(path, "foto.JPG") == "jpeg"
    with pytest.raises(ProbeError, match="JPEG"):
        kind_of(path, "foto.pdf")
    with pytest.raises(ProbeError, match="tidak diterima"):
        kind_of(path, "foto.gif")


def test_good_files_report_pages_and_text(pool, tmp_path):
    born = tmp_path / "a.pdf"
    born.write_bytes(text_pdf(2, pages=3))
    report = pool.probe(born, "pdf")
    assert (report["pages"], report["has_text"]) == (3, True) and "KOTA BANGUN" in report["text"]
    tiff = tmp_path / "b.tif"
    tiff.write_bytes(image_bytes(3, "TIFF", pages=2, lines=2))
    assert pool.probe(tiff, "tiff")["pages"] == 2
    scan = tmp_path / "c.pdf"
    scan.write_bytes(image_bytes(4, "PDF", lines=2))
    assert pool.probe(scan, "pdf")["has_text"] is False


@pytest.mark.parametrize("name", sorted(broken_samples()))
def test_every_broken_sample_is_refused_with_a_reason(pool, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(broken_samples()[name])
    with pytest.raises(ProbeError) as refused:
        pool.probe(path, kind_of(path, name))
    assert len(str(refused.value)) > 10
    # the reason is for a clerk: no library's exception names (those are the Admin's detail)
    assert not re.search(r"[A-Z][a-z]+[A-Z]\w*(Error|Exception)|Error\b", str(refused.value))


def test_a_library_failure_keeps_its_technical_detail_apart(pool, tmp_path):
    """What pypdf said is kept for the Admin's "detail teknis", not in the clerk's reason."""
    path = tmp_path / "potong.pdf"
    path.write_bytes(text_pdf(5, pages=2)[:300])
    with pytest.raises(ProbeError) as refused:
        pool.probe(path, "pdf")
    assert "rusak atau terpotong" in str(refused.value) and "Error" not in str(refused.value)
    assert re.match(r"\w+(Error|Exception)\b", refused.value.detail)


def test_an_image_over_the_pixel_limit_is_refused(tmp_path):
    small = ProbePool(ProbeLimits(max_pixels=1_000_000, timeout_s=20))
    try:
        path = tmp_path / "a.png"
        path.write_bytes(image_bytes(5, "PNG", lines=2))  # 2480×3508 = 8.7 million pixels
        with pytest.raises(ProbeError, match="piksel"):
            small.probe(path, "png")
    finally:
        small.close()


def test_a_file_that_takes_too_long_is_refused_and_the_next_one_works(tmp_path):
    slow = ProbePool(ProbeLimits(timeout_s=0.01))
    try:
        path = tmp_path / "a.pdf"
        path.write_bytes(text_pdf(6, pages=40))
        with pytest.raises(ProbeError, match="batas waktu"):
            slow.probe(path, "pdf")
        assert slow.pids() == []  # the stuck worker was killed (a new one starts on demand)
        slow.limits = ProbeLimits(timeout_s=20)
        assert slow.probe(path, "pdf")["pages"] == 40
    finally:
        slow.close()


def test_the_worker_runs_under_an_address_space_ceiling(tmp_path):
    tight = ProbePool(ProbeLimits(memory_bytes=400 * 1024 * 1024, timeout_s=20))
    try:
        path = tmp_path / "a.png"
        path.write_bytes(image_bytes(7, "PNG", lines=2))
        assert tight.probe(path, "png")["pages"] == 1
        [pid] = tight.pids()
        with open(f"/proc/{pid}/limits", encoding="ascii") as fh:
            line = next(row for row in fh if row.startswith("Max address space"))
        assert str(400 * 1024 * 1024) in line
    finally:
        tight.close()
