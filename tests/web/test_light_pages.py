"""Light pages on a resident's phone and a slow office LAN (issue #14, part 7), and the TV's
slides (part 6): static files are fingerprinted, cached a year and gzipped; a public page with
everything it loads stays under 100 KB; every page has its own tab title; /lacak speaks plain
words; the kiosk's paper width is the device's; notices and posters reach the queue TV as text.
Sizes are bytes transferred (gzip accepted, as every browser does), never timings."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from html.parser import HTMLParser

import pytest

from records.extensions import db, lemari
from records.services.lacak import plain_status
from records.services.setup import DEMO_PASSWORD

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
#: What a resident opens on a phone or the kiosk shows; each with all it loads ≤ 100 KB.
PUBLIC = ("/lacak", "/survei", "/pengaduan", "/pengaduan/lacak", "/verify", "/info/",
          "/antrian/ambil", "/antrian/ambil/ktp_el", "/antrian/layar", "/info/layar")
BUDGET = 100 * 1024


class Page(HTMLParser):
    """The <title> and every URL a browser fetches to draw the page."""

    WANTED = {"link": "href", "script": "src", "img": "src"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.title, self._in_title = "", False

    def handle_starttag(self, tag, attrs):
        url = dict(attrs).get(self.WANTED.get(tag, ""))
        if url:
            self.urls.append(url)
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.title = " ".join(page.title.split())
    return page


def first_load(client, url: str, headers=None, follow_css=True) -> tuple[int, dict[str, int]]:
    """Bytes transferred for the page and everything it references (and what its CSS refers
    to), each fetched once, as a browser with an empty cache does."""
    headers = headers or GZIP
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    sizes = {url: len(response.data)}
    pending = parse(response.get_data(as_text=True)).urls
    while pending:
        asset = pending.pop()
        if asset in sizes or asset.startswith("data:"):
            continue
        got = client.get(asset, headers=headers)
        assert got.status_code == 200, asset
        sizes[asset] = len(got.data)
        if got.mimetype == "text/css" and follow_css:
            text = gzip.decompress(got.data) if got.headers.get("Content-Encoding") == "gzip" else got.data
            base = asset.split("?")[0].rsplit("/", 1)[0]
            found = re.findall(r"url\(['\"]?([^'\")?#]+)", text.decode())
            pending += [u if u.startswith("/") else f"{base}/{u}" for u in found if not u.startswith("data:")]
    return sum(sizes.values()), sizes


@pytest.mark.parametrize("url", PUBLIC)
def test_a_public_page_with_all_it_loads_is_under_100_kb(client, url):
    client.get("/antrian/ambil")  # the queue opens its services on first use
    total, sizes = first_load(client, url)
    assert total <= BUDGET, (total, sizes)
    assert not any("/static/appbuilder/" in u for u in sizes), "the staff bundle on a public page"


def test_staff_bundle_is_fingerprinted_cached_a_year_and_gzipped(client, auth):
    auth.login("petugas")
    html = client.get("/dokumen/").get_data(as_text=True)
    assets = parse(html).urls
    ours = [u for u in assets if u.startswith("/static/")]
    assert ours and all(re.search(r"\?v=[0-9a-f]{12}$", u) for u in ours), ours
    css = next(u for u in assets if "bootstrap.min.css" in u)
    fresh = client.get(css, headers=GZIP)
    assert fresh.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert fresh.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in fresh.headers["Vary"]
    plain = client.get(css, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and gzip.decompress(fresh.data) == plain.data
    assert len(fresh.data) < len(plain.data) / 3
    # an address without the hash (or an old one) revalidates instead of living a year
    for stale in (css.split("?")[0], css.split("?")[0] + "?v=000000000000"):
        answer = client.get(stale, headers=GZIP)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-cache"
        again = client.get(stale, headers={**GZIP, "If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304
    # the page, its stylesheets and scripts (fonts come from the CSS as the page needs them)
    packed, _ = first_load(client, "/dokumen/", follow_css=False)
    unpacked, _ = first_load(client, "/dokumen/", {"Accept-Encoding": "identity"}, follow_css=False)
    assert packed < 200 * 1024 and packed < unpacked * 0.4, (packed, unpacked)


def test_static_files_refuse_what_is_not_there(client):
    assert client.get("/static/lemari/tidak-ada.css").status_code == 404
    assert client.get("/static/lemari/../app.py").status_code == 404
    assert client.get("/static/lemari/%2e%2e/app.py").status_code == 404
    ours = client.get("/static/lemari/info.css", headers=GZIP)
    assert ours.status_code == 200 and ours.headers["Content-Encoding"] == "gzip"


STAFF_SKIP = re.compile(r"^/(api|static|lang|logout|login|register|swagger|health|favicon)"
                        r"|/(data|download)/?$")


def page_titles(app, client, urls) -> dict[str, str]:
    titles = {}
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        titles[url] = parse(response.get_data(as_text=True)).title
    return titles


def test_every_page_has_its_own_title(app, client, auth):
    public = page_titles(app, client, PUBLIC + ("/info/layanan", "/info/pengumuman", "/info/poster"))
    auth.login("admin")
    routes = sorted({r.rule for r in app.url_map.iter_rules()
                     if "GET" in r.methods and not r.arguments and not STAFF_SKIP.search(r.rule)})
    staff = page_titles(app, client, [r for r in routes if r not in public])
    assert len(staff) > 30, sorted(staff)
    titles = {**public, **staff}
    assert all(t for t in titles.values()), [u for u, t in titles.items() if not t]
    seen: dict[str, list[str]] = {}
    for url, title in titles.items():
        seen.setdefault(title, []).append(url)
    shared = {title: urls for title, urls in seen.items() if len(urls) > 1}
    assert not shared, "\n".join(f"{t}: {u}" for t, u in shared.items())


def test_survey_choices_are_touch_sized(client):
    css = client.get("/static/lemari/info.css").get_data(as_text=True)
    rule = re.search(r"\.lemari-survey-answers label \{([^}]*)\}", css).group(1)
    assert "min-height: 44px" in rule


def test_lacak_words_come_from_the_workflow_tags(app):
    with app.app_context():
        registry = lemari().registry
        said = {state: plain_status(registry, "sk_domisili_penduduk", state)
                for state in registry.workflow_of("sk_domisili_penduduk").states}
    assert said == {"diajukan": "proses", "diverifikasi": "proses", "ditandatangani": "proses",
                    "terbit": "siap", "diserahkan": "diambil", "ditolak": "berhenti",
                    "dicabut": "dicabut"}


def test_the_kiosk_paper_width_is_the_device_setting(client):
    refused = client.get("/antrian/ambil?kertas=99")
    assert refused.status_code == 400 and "lemari_kios_kertas" not in str(refused.headers)
    assert "Lebar kertas tiket harus 58 atau 80 mm" in refused.get_data(as_text=True)
    answer = client.get("/antrian/ambil?kertas=58")
    assert "lemari_kios_kertas=58" in answer.headers["Set-Cookie"]
    taken = client.post("/antrian/ambil/ktp_el", data={"prioritas": ""})
    ticket = client.get(taken.location).get_data(as_text=True)
    assert "lebar=58" in ticket and "lebar=80" not in ticket and " mm" not in ticket
    pdf = client.get(re.search(r'href="([^"]+/cetak\?lebar=58)"', ticket).group(1))
    assert pdf.mimetype == "application/pdf"


def test_notices_and_posters_reach_the_queue_tv_as_text(app, client, auth):
    today = dt.date.today().isoformat()
    long_text = "Perekaman KTP-el dibuka hari Sabtu pukul 08.00 sampai 12.00 WITA. " * 8
    auth.login("humas")
    made = []
    for jenis, fields in (("pengumuman", {"templat": "pengumuman", "judul": "Perekaman KTP-el Sabtu",
                                          "isi": long_text}),
                          ("poster", {"templat": "poster_layanan", "layanan_code": "kk", "ukuran": "A3",
                                      "judul": "Cara mengurus KK"})):
        response = client.post(f"/publikasi/baru/{jenis}", data={"berlaku_mulai": today, **fields})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        made.append(int(response.location.rstrip("/").rsplit("/", 1)[1]))
    for item in made:
        client.post(f"/publikasi/{item}/langkah/ajukan", data={"note": ""})
    auth.logout()
    auth.login("camat", DEMO_PASSWORD)
    for item in made:
        client.post(f"/publikasi/{item}/langkah/setujui", data={"note": ""})
    auth.logout()
    tv = client.get("/antrian/layar").get_data(as_text=True)
    assert "Perekaman KTP-el Sabtu" in tv and "Cara mengurus KK" in tv
    assert f"Selengkapnya: /info/pengumuman/{made[0]}" in tv and long_text not in tv
    assert "GRATIS" in tv and "/info/berkas/" not in tv  # text for the TV, not the A3 print
    assert 'id="anti-pungli"' in tv and "Tolak pungutan liar" in tv
    with app.app_context():  # the poster's slide lists the service's requirements
        from records.publikasi.services.standards import current_standard, standard_dict

        first = standard_dict(current_standard("kk", session=db.session))["persyaratan"][0]["nama"]
    assert first in tv
