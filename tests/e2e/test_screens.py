"""The waiting room's screens in Debian's Chromium at their real sizes (issue #14, part 6):
the TV at 1920×1080 (slides readable at 5 m, the anti-pungli line on screen, sound back after
a power cut without a mouse) and the kiosk in portrait at 1080×1920 and 768×1366 (one screen,
the priority choice in view, the ticket number on one line). Measured with computed styles and
bounding boxes, never timings; screenshots in test-artifacts/e2e/.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from test_browser_journey import ARTIFACTS, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

NOTICE = ("Perekaman KTP-el dibuka hari Sabtu pukul 08.00 sampai 12.00 WITA di aula kantor "
          "kecamatan. Bawa Kartu Keluarga asli. ") * 4

IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
      && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }"""
ONE_LINE = """el => { const range = document.createRange(); range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return tops.size === 1 && el.scrollWidth <= el.clientWidth + 1; }"""
NO_SCROLL = "() => document.scrollingElement.scrollHeight <= window.innerHeight"
UNCLIPPED = "el => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1"


def publish(home, *rows) -> None:
    """Published notices and posters in force today, straight into the office's database: the
    publishing workflow itself is tested in tests/web (here only the TV's drawing matters)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(home / "lemari.db") as conn:
        for jenis, templat, judul, isi, layanan in rows:
            conn.execute(
                "INSERT INTO publikasi (jenis, templat, judul, isi, layanan_code, kelompok, ukuran, "
                "gambar, state, berlaku_mulai, berlaku_sampai, pdf_sha256, png_sha256, layar_sha256, "
                "halaman, templat_sha256, created_by, created_at, updated_at, published_at) VALUES "
                "(?, ?, ?, ?, ?, '', 'A3', '', 'terbit', ?, NULL, '', '', '', 1, '', 'humas', ?, ?, ?)",
                (jenis, templat, judul, isi, layanan, (dt.date.today() - dt.timedelta(days=1)).isoformat(),
                 now, now, now))


def font_px(page, selector: str) -> list[float]:
    return page.eval_on_selector_all(
        selector, "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_tv_at_1080p_reads_from_the_benches_and_speaks_after_a_power_cut(server, browser):  # noqa: F811
    base, home = server
    publish(home, ("pengumuman", "pengumuman", "Perekaman KTP-el hari Sabtu", NOTICE, None),
            ("poster", "poster_layanan", "Cara mengurus Kartu Keluarga", "", "kk"))
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="id-ID")
    page = context.new_page()
    try:
        page.goto(base + "/antrian/layar")
        assert page.locator(".slide-card").count() == 2
        body = font_px(page, ".slide-text, .slide-list, .slide-facts")
        assert body and min(body) >= 48, body  # every slide's body text, shown or next
        assert min(font_px(page, ".slide-title")) >= 60
        assert page.eval_on_selector(".slide-card.active", IN_VIEW)
        footer = page.locator("#anti-pungli")
        assert footer.is_visible() and page.eval_on_selector("#anti-pungli", IN_VIEW)
        assert "Tolak pungutan liar" in footer.inner_text()
        assert page.evaluate(NO_SCROLL)
        shoot(page, "tv-1920x1080")

        # the clerk turns the sound on once; the power goes; the TV comes back speaking
        assert page.inner_text("#sound") == "Aktifkan suara"
        page.click("#sound")
        assert page.inner_text("#sound") == "Suara: aktif"
        page.reload()
        assert page.inner_text("#sound") == "Suara: aktif"

        page.goto(base + "/info/layar")  # the slides alone, full screen
        assert min(font_px(page, ".slide-text, .slide-list, .slide-facts")) >= 48
        assert page.eval_on_selector("#anti-pungli", IN_VIEW) and page.evaluate(NO_SCROLL)
        shoot(page, "tv-info-layar-1920x1080")
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (768, 1366)])
def test_kiosk_fits_one_portrait_screen(server, browser, width, height):  # noqa: F811
    base, _ = server
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID",
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(base + "/antrian/ambil?kertas=58")
        assert page.evaluate(NO_SCROLL)
        assert page.eval_on_selector("#prioritas", IN_VIEW)  # the priority notice, at the top
        buttons = page.locator(".kiosk-button")
        assert buttons.count() >= 8
        assert all(page.eval_on_selector_all(".kiosk-button", f"els => els.map({IN_VIEW})"))
        clipped = page.eval_on_selector_all(".kiosk-button", f"els => els.filter(e => !({UNCLIPPED})(e))"
                                            ".map(e => e.innerText)")
        assert clipped == []  # every service's name whole, none cut by its button
        assert min(font_px(page, ".kiosk-button")) >= 24
        shoot(page, f"kiosk-{width}x{height}")

        page.click(".kiosk-button >> nth=0")
        assert page.evaluate(NO_SCROLL)
        priority = page.eval_on_selector_all(".kiosk-button.priority", f"els => els.map({IN_VIEW})")
        assert len(priority) == 3 and all(priority)
        assert all(page.eval_on_selector_all(".kiosk-button", f"els => els.map({UNCLIPPED})"))
        shoot(page, f"kiosk-jalur-{width}x{height}")

        page.click(".kiosk-button.priority >> nth=0")
        page.wait_for_selector(".ticket-number")
        label = page.inner_text(".ticket-number")
        assert "\u2011" in label and "-" not in label  # a hyphen that never breaks
        assert page.eval_on_selector(".ticket-number", ONE_LINE)
        assert page.eval_on_selector(".ticket-number", IN_VIEW)
        prints = page.locator(".ticket-actions a")
        assert prints.count() == 1 and "lebar=58" in prints.get_attribute("href")
        assert " mm" not in page.inner_text(".ticket-actions")  # no paper question to the resident
        shoot(page, f"kiosk-tiket-{width}x{height}")
    finally:
        context.close()
