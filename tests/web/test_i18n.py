"""Language and offline promises of the web UI.

Indonesian is the default for everyone (the office's language), English is one click away and
comes from Lemari's own en catalog, and every asset a page loads is served by Lemari itself:
the office works through power and Internet cuts, so a CDN link would break pages.
"""

from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "records" / "translations"


class AssetLinks(HTMLParser):
    """Collect what a browser fetches to render the page: stylesheets, scripts, images."""

    WANTED = {"link": "href", "script": "src", "img": "src"}

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        url = dict(attrs).get(self.WANTED.get(tag, ""))
        if url:
            self.urls.append(url)


def assets(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


def catalog(lang: str) -> dict:
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def test_login_page_is_indonesian_by_default(client):
    page = client.get("/login/").get_data(as_text=True)
    for word in ("Masuk", "Nama Pengguna", "Kata Sandi"):
        assert word in page
    assert "Sign In" not in page


def test_petugas_switches_to_english_and_back(client, auth):
    auth.login("petugas")
    home = client.get("/").get_data(as_text=True)
    assert "Daftar Dokumen" in home and "Data Penduduk" in home

    assert client.get("/lang/en").status_code == 302
    home = client.get("/").get_data(as_text=True)
    for label in ("Documents", "Services", "Residents", "Families", "Import Residents", "Welcome"):
        assert label in home, label
    assert "Daftar Dokumen" not in home and "Selamat datang" not in home

    client.get("/lang/id")
    home = client.get("/").get_data(as_text=True)
    assert "Daftar Dokumen" in home and "Selamat datang" in home
    assert "Documents" not in home


def test_unknown_language_is_refused(client):
    assert client.get("/lang/xx").status_code == 404


def test_en_catalog_holds_only_lemari_strings():
    """FAB's msgids are English already; an en entry for one would be a stale override."""
    english, fab = catalog("en"), catalog("id")
    assert english and not set(english) & set(fab)
    assert all(english.values()), "every Indonesian msgid needs its English"


def test_every_lemari_string_has_its_english(tmp_path):
    """Run the extraction from babel.cfg: a new _("...") without an en entry would show
    Indonesian to English users. Fix: the refresh commands at the top of babel.cfg."""
    from babel.messages.frontend import CommandLineInterface

    pot = tmp_path / "lemari.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(TRANSLATIONS / "babel.cfg"),
                                "-k", "_l", "-k", "lazy_gettext", "-o", str(pot),
                                str(TRANSLATIONS.parents[1])])
    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    assert wanted - set(catalog("en")) == set()


def test_every_page_asset_is_served_locally(client, auth):
    pages = [client.get("/login/").get_data(as_text=True)]
    auth.login("petugas")
    pages.append(client.get("/").get_data(as_text=True))
    urls = {url for page in pages for url in assets(page)}
    assert urls, "the pages load no assets at all?"
    for url in sorted(urls):
        assert url.startswith("/") and not url.startswith("//"), f"external asset {url}"
        assert client.get(url).status_code == 200, url
