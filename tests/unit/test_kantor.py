"""Office setup rules that need no database: zones by region, public addresses, logos."""

import io

import pytest
from PIL import Image

from records.exceptions import ValidationError
from records.services.kantor import (
    check_logo,
    check_public_url,
    effective,
    is_loopback_url,
    setup_problem,
    zona_wilayah,
)


@pytest.mark.parametrize(("kode", "zone"), [
    ("64.02.08", "Asia/Makassar"),  # Kutai Kartanegara, Kalimantan Timur: WITA
    ("61.71", "Asia/Jakarta"),  # Pontianak, Kalimantan Barat: WIB
    ("94.71", "Asia/Jayapura"),  # Papua: WIT
    ("", "Asia/Makassar"),
])
def test_time_zone_follows_the_province(kode, zone):
    assert zona_wilayah(kode) == zone


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:80",
                                 "http://0.0.0.0:8080", "http://127.1.2.3", "http://app.localhost"])
def test_loopback_addresses_are_recognised_and_refused_outside_demo(url):
    assert is_loopback_url(url)
    with pytest.raises(ValidationError) as caught:
        check_public_url(url, demo=False)
    assert "localhost/127.0.0.1" in caught.value.errors["PUBLIC_BASE_URL"]
    assert check_public_url(url, demo=True) == url.rstrip("/")


@pytest.mark.parametrize("url", ["kotabangun.go.id", "ftp://x.go.id", "https://", "https://a b.id",
                                 "https://x.go.id/?a=1", "https://x.go.id:99999"])
def test_malformed_public_urls_are_refused(url):
    with pytest.raises(ValidationError):
        check_public_url(url, demo=True)


def test_public_url_keeps_a_path_and_drops_the_trailing_slash():
    assert check_public_url("https://kukarkab.go.id/lemari/", demo=False) == "https://kukarkab.go.id/lemari"
    assert not is_loopback_url("http://192.168.1.10:8080")  # the office LAN is allowed


def test_setup_problem_only_outside_demo_mode():
    assert "belum lengkap" in setup_problem({"PUBLIC_BASE_URL": "http://127.0.0.1:8080"})
    assert setup_problem({"PUBLIC_BASE_URL": "http://127.0.0.1:8080", "DEMO_MODE": True}) is None
    assert setup_problem({"PUBLIC_BASE_URL": "https://kb.go.id"}) is None


def test_names_give_the_kop_lines_and_the_place():
    found = effective({}, {"KECAMATAN": "Kota Bangun", "KABUPATEN": "Kabupaten Kutai Kartanegara",
                           "DEMO_MODE": "0"})
    assert found["OFFICE_NAME"] == "KECAMATAN KOTA BANGUN"
    assert found["OFFICE_GOVERNMENT"] == "PEMERINTAH KABUPATEN KUTAI KARTANEGARA"
    assert found["OFFICE_PLACE"] == "Kota Bangun" and found["DEMO_MODE"] is False


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG")
    return out.getvalue()


def test_logo_kinds():
    assert check_logo(_png(), "x.bin", max_bytes=10_000).kind == "png"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><circle r="1"/></svg>'
    assert check_logo(svg, "lambang.svg", max_bytes=10_000).mime == "image/svg+xml"


@pytest.mark.parametrize(("data", "name", "words"), [
    (b"", "x.png", "kosong"),
    (b"GIF89a....", "x.gif", "PNG, JPEG atau SVG"),
    (b"\x89PNG\r\n\x1a\nbroken", "x.png", "tidak dapat dibaca"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>', "x.svg",
     "tanpa skrip"),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "x.svg", "SVG"),
    (b"<html><body>not svg</body></html>", "x.svg", "tanpa skrip"),
])
def test_bad_logos_are_refused_with_a_reason(data, name, words):
    with pytest.raises(ValidationError) as caught:
        check_logo(data, name, max_bytes=10_000)
    assert words in caught.value.errors["logo"]
