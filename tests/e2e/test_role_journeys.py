"""Each role's first minute in a real browser, at the office's two screen sizes (issue 14, "Done when").

Debian's Chromium through Playwright, one browser and one `lemari serve` for the module, on a
copy of the demo office with work waiting: a letter of Desa Loleng verified and waiting for the
Camat's signature, and a notice drafted by Humas. For every demo role at 1366×768 (the office's
laptops) and 1024×768 (the old monitors) the journey logs in, lands on the home page, reads
what the page tells the role to do next (its worklists, each with its count or a clear
"Tidak ada.", or its shortcuts), takes the role's main action one step and checks that nothing
is wider than the window, that no item of the main navigation overlaps another or the page's
heading, and that no text is cut short with an ellipsis. Screenshots go to
test-artifacts/e2e/peran-<role>-<width>-*.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select
from test_browser_journey import ARTIFACTS, PASSWORD, browser, free_port  # noqa: F401  (fixture)

from conftest import build_app, prepare_template

pytestmark = pytest.mark.slow

LOLENG = "64.02.08.2004"
SIZES = ((1366, 768), (1024, 768))

#: The worklists each role finds on its home page today (records/services/worklists.py; the
#: features add theirs, so more may follow). Roles not listed must at least see a list or a
#: shortcut.
WORKLISTS = {
    "camat": ["Menunggu tanda tangan"],
    "sekcam": ["Menunggu tanda tangan"],
    "petugas": ["Permohonan saya hari ini", "Siap diserahkan"],
    "operator_loleng": ["Permohonan warga desa yang masih berjalan", "Surat siap diambil warga desa"],
}

#: No horizontal scrolling: the page is never wider than the window.
NO_OVERFLOW = "() => document.scrollingElement.scrollWidth <= window.innerWidth"
#: Texts cut short with an ellipsis by their box (a label reading "Masa berlaku (bul…").
CLIPPED = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.offsetParent !== null && getComputedStyle(e).textOverflow === 'ellipsis'
               && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.innerText.trim())"""
#: Pairs of the main navigation's visible items (and the brand) whose boxes overlap, and
#: items sticking out of the window.
NAV_CLASHES = """() => {
  const items = [...document.querySelectorAll('.navbar-brand, .navbar-nav > li > a')]
    .filter(e => e.offsetParent !== null)
    .map(e => ({text: e.innerText.trim() || e.className, r: e.getBoundingClientRect()}))
    .filter(i => i.r.width > 0 && i.r.height > 0);
  const clashes = [];
  for (const i of items) {
    if (i.r.left < 0 || i.r.right > window.innerWidth + 1) clashes.push('outside: ' + i.text);
  }
  for (let a = 0; a < items.length; a++) for (let b = a + 1; b < items.length; b++) {
    const p = items[a].r, q = items[b].r;
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 1 && h > 1) clashes.push(items[a].text + ' / ' + items[b].text);
  }
  const nav = document.querySelector('.navbar');
  const heading = document.querySelector('.container h1, .container h2, .container h3');
  if (nav && heading && heading.offsetParent !== null
      && heading.getBoundingClientRect().top + window.scrollY
         < nav.getBoundingClientRect().bottom + window.scrollY - 1)
    clashes.push('navbar covers: ' + heading.innerText.trim());
  return clashes;
}"""


@pytest.fixture(scope="module")
def office(demo_home, tmp_path_factory):
    """`lemari serve` on a copy of the demo office with work waiting; yields (base URL, facts)."""
    home = tmp_path_factory.mktemp("peran") / "home"
    shutil.copytree(demo_home, home)
    facts = _work_waiting(home)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    # sixteen logins from one address within a minute: more than the office's limit allows
    env.update(LEMARI_HOME=str(home), LEMARI_LOG_LEVEL="WARNING", LEMARI_LOGIN_RATE_LIMIT="100 per minute",
               LEMARI_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    process = subprocess.Popen([str(Path(sys.executable).with_name("lemari")), "serve",
                                "--port", str(port)], cwd=home, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=2)
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
    yield base, facts
    process.terminate()
    process.wait(timeout=30)


def _work_waiting(home: Path) -> dict:
    """A Loleng letter verified and waiting for a signature, and Humas's draft notice."""
    from records.extensions import db, lemari
    from records.models import Penduduk
    from records.publikasi.desk import publish_desk
    from records.publikasi.services.publishing import create_publikasi
    from records.services.accounts import actor_for_username
    from records.services.issuing import advance
    from records.services.requests import take_request

    app = build_app(home)
    with app.app_context():
        ext = lemari()

        def who(username):
            return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                      registry=ext.registry)

        person = db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code == LOLENG))
        record = take_request("sk_domisili", penduduk_id=person, received=[
            "Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"],
            values={"keperluan": "Melamar pekerjaan"}, actor=who("petugas"),
            session=db.session, desk=ext.desk())
        advance(record.id, "verifikasi", actor=who("petugas"), session=db.session,
                registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
        draft = create_publikasi(
            {"jenis": "pengumuman", "judul": "Perekaman KTP-el hari Sabtu",
             "isi": "Bawa Kartu Keluarga asli.", "berlaku_mulai": ext.desk().today().isoformat()},
            actor=who("humas"), session=db.session, registry=ext.registry, desk=publish_desk(ext))
        facts = {"record": record.id, "title": record.title, "draft": draft.id}
    prepare_template(app)
    return facts


class Journey:
    """One role at one screen size: its own browser context and numbered screenshots."""

    def __init__(self, chromium, base: str, role: str, size: tuple[int, int]) -> None:
        self.base, self.role, self.size, self.shots = base, role, size, 0
        self.context = chromium.new_context(viewport={"width": size[0], "height": size[1]},
                                           locale="id-ID")
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}")
                     if r.status >= 400 else None)

    def login(self) -> None:
        self.page.goto(self.base + "/login/")
        self.page.fill("#username", self.role)
        self.page.fill("#password", PASSWORD)
        self.page.click("input[type=submit], button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url and "/resetmypassword" not in self.page.url, self.role

    def fits(self, label: str) -> None:
        """Screenshot, then: no horizontal overflow, no navigation item on another."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(ARTIFACTS / f"peran-{self.role}-{self.size[0]}-{self.shots:02d}"
                                                  f"-{label}.png"), full_page=True)
        assert self.page.evaluate(NO_OVERFLOW), f"{self.role} {self.size}: {label} wider than the window"
        assert self.page.evaluate(NAV_CLASHES) == [], f"{self.role} {self.size}: {label}"
        assert self.page.evaluate(CLIPPED) == [], f"{self.role} {self.size}: {label}"

    def close(self) -> None:
        self.context.close()


def home_tells_what_to_do(journey: Journey) -> list[str]:
    """The home page's worklist titles; fails when it offers neither a list nor a shortcut, or
    a list without its count or its "nothing waiting" line."""
    page = journey.page
    assert page.url.rstrip("/") == journey.base
    assert page.locator("h2", has_text="Selamat datang").is_visible()
    panels = page.locator(".lemari-worklist")
    titles = [t.strip() for t in page.locator(".lemari-worklist .panel-heading strong").all_inner_texts()]
    for i in range(panels.count()):
        panel = panels.nth(i)
        count = int(panel.locator(".panel-heading .badge").inner_text())
        if count == 0:
            assert panel.locator(".panel-body", has_text="Tidak ada.").is_visible(), titles[i]
        else:
            assert panel.locator(".list-group-item a").count() >= 1, titles[i]
    shortcuts = page.locator(".lemari-tiles a").count()
    assert titles or shortcuts, f"{journey.role}: the home page tells nothing to do"
    return titles


def open_worklist_item(journey: Journey, key: str, title: str) -> None:
    """Click the waiting letter in the worklist `key`: its page opens."""
    item = journey.page.locator(f"#worklist-{key} .list-group-item a", has_text=title).first
    item.click()
    journey.page.wait_for_load_state()
    assert "/dokumen/" in journey.page.url


def main_action(journey: Journey, facts: dict) -> str:
    """The role's main action, one step; returns the screenshot's label."""
    page, role = journey.page, journey.role
    if role in ("camat", "sekcam"):
        badge = page.locator("#worklist-tanda_tangan .badge").inner_text()
        assert int(badge) >= 1
        open_worklist_item(journey, "tanda_tangan", facts["title"])
        assert page.locator("button", has_text="Setujui dan tandatangani").is_visible()
        return "menunggu-tanda-tangan"
    if role == "operator_loleng":
        assert "Loleng" in page.inner_text("body") and LOLENG not in page.inner_text("body")
        open_worklist_item(journey, "desa_terbuka", facts["title"])
        return "permohonan-desa"
    if role == "petugas":
        page.click(".lemari-tiles a:has-text('Buat dokumen / permohonan')")
        page.wait_for_load_state()
        page.locator("a", has_text="Surat Keterangan Domisili").first.click()
        page.wait_for_load_state()
        assert page.locator("#nik").is_visible()
        return "permohonan-baru"
    if role == "humas":
        page.goto(journey.base + "/publikasi/")
        page.locator("a", has_text="Perekaman KTP-el hari Sabtu").first.click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/publikasi/{facts['draft']}")
        return "draf"
    if role == "arsiparis":
        page.goto(journey.base + "/arsip/unggah")
        assert page.locator("input[type=file]").first.is_visible()
        return "unggah"
    if role == "auditor":
        page.click(".lemari-tiles a:has-text('Log audit')")
        page.wait_for_load_state()
        assert page.locator("table tbody tr:visible").count() >= 1
        assert "WITA" in page.inner_text("body")
        return "log-audit"
    page.goto(journey.base + "/pengaturan-kantor/")  # the Admin: the office's setup
    assert page.locator("form input[name]:visible").count() >= 3
    return "pengaturan-kantor"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("role", ("admin", "camat", "sekcam", "petugas", "humas", "arsiparis",
                                  "operator_loleng", "auditor"))
def test_a_role_lands_home_and_takes_its_first_step(office, browser, role, size):  # noqa: F811
    base, facts = office
    journey = Journey(browser, base, role, size)
    try:
        journey.login()
        titles = home_tells_what_to_do(journey)
        for title in WORKLISTS.get(role, ()):
            assert title in titles, (role, titles)
        journey.fits("beranda")
        journey.fits(main_action(journey, facts))
        assert journey.errors == [], journey.errors
    finally:
        journey.close()


def test_the_layout_checks_can_fail(browser):  # noqa: F811
    """Each check above reports a planted fault: overlapping menu items, a navbar covering the
    heading, a page wider than the window, a label cut short."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.set_content("""<div class="navbar" style="position:fixed;top:0;width:100%;height:80px">
          <a class="navbar-brand" style="position:absolute;left:0;width:300px">Lemari</a>
          <ul class="navbar-nav"><li><a style="position:absolute;left:250px;width:100px">Layanan</a></li>
          <li><a style="position:absolute;left:1000px;width:100px">Arsip</a></li></ul></div>
          <div class="container"><h2 style="margin-top:20px">Judul</h2>
          <div style="width:1200px">lebar</div>
          <dl><dt style="width:60px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis">
            Masa berlaku (bulan)</dt></dl>
          </div>""")
        clashes = page.evaluate(NAV_CLASHES)
        assert "Lemari / Layanan" in clashes and "outside: Arsip" in clashes
        assert "navbar covers: Judul" in clashes
        assert not page.evaluate(NO_OVERFLOW)
        assert page.evaluate(CLIPPED) == ["Masa berlaku (bulan)"]
    finally:
        context.close()
