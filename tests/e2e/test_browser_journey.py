"""A clerk's day in a real browser: Debian's Chromium driven by Playwright against `lemari serve`.

Nothing is mocked: the server is the installed console script on a copy of the demo office,
the browser is /usr/bin/chromium (never a downloaded one). Every request the pages make is
recorded, and any that leaves the server fails the test (offline first). Screenshots of each
step are kept in test-artifacts/e2e/.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("LEMARI_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "Demo#KotaBangun2026"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_home, tmp_path_factory):
    """`lemari serve` on a free port and a copy of the demo office; yields (base URL, home)."""
    home = tmp_path_factory.mktemp("e2e") / "home"
    shutil.copytree(demo_home, home)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    env.update(LEMARI_HOME=str(home), LEMARI_LOG_LEVEL="WARNING",
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
    yield base, home
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} missing (scripts/system-deps.sh test installs it)")
        pytest.skip(f"{CHROMIUM} missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield found
        found.close()


class Visit:
    """One browser context with its request log and numbered screenshots."""

    def __init__(self, browser, base: str, name: str) -> None:
        self.base, self.name, self.shots, self.requests = base, name, 0, []
        self.context = browser.new_context(accept_downloads=True, locale="id-ID")
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}")
                     if r.status >= 400 else None)

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def shot(self, label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"),
                             full_page=True)

    def login(self, username: str) -> None:
        self.go("/login/")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("input[type=submit], button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, username

    def logout(self) -> None:
        self.go("/logout/")

    def offsite(self) -> list[str]:
        """Network requests to anywhere but the server (the browser's own PDF viewer loads
        chrome:// and chrome-extension:// resources from disk; data: and blob: stay local)."""
        return [u for u in self.requests if u.split(":", 1)[0] in ("http", "https", "ws", "wss")
                and not u.startswith(self.base + "/")]

    def close(self) -> None:
        self.context.close()


def a_resident(home: Path) -> tuple[str, str]:
    with sqlite3.connect(home / "lemari.db") as conn:
        return conn.execute("SELECT nik, nama FROM penduduk WHERE desa_code = '64.02.08.2004' "
                            "ORDER BY id LIMIT 1 OFFSET 3").fetchone()


def step(visit: Visit, record_url: str, button: str) -> None:
    visit.page.goto(record_url)
    visit.page.click(f"button:has-text('{button}')")
    visit.page.wait_for_load_state()


def test_a_clerks_day(server, browser):
    base, home = server
    nik, nama = a_resident(home)

    citizen = Visit(browser, base, "warga")  # the kiosk in the waiting room
    citizen.go("/antrian/ambil")
    citizen.page.click("a.kiosk-button:has-text('Surat Keterangan Domisili Penduduk')")
    citizen.page.click("button:has-text('Antrian umum')")
    citizen.page.wait_for_load_state()
    shown = citizen.page.inner_text(".ticket-number").strip()  # "A‑001": a hyphen that never breaks
    label = shown.replace("\u2011", "-")
    assert shown != label
    tracking = citizen.page.inner_text(".ticket-code").strip()
    citizen.shot("tiket")
    tv = Visit(browser, base, "layar")
    tv.go("/antrian/layar")

    clerk = Visit(browser, base, "petugas")
    clerk.login("petugas")
    assert clerk.page.locator("text=Layanan").first.is_visible()
    clerk.shot("beranda")
    clerk.go("/antrian/loket/")
    clerk.page.click(".lemari-tiles a >> nth=0")
    clerk.page.click("button:has-text('Panggil berikutnya')")
    clerk.page.wait_for_load_state()
    assert label in clerk.page.inner_text(".lemari-current-ticket")
    called = time.monotonic()
    tv.page.wait_for_function(  # the TV polls: the call shows within the promised 2 s
        "label => document.getElementById('board').innerText.includes(label)", arg=shown,
        timeout=10_000)
    assert time.monotonic() - called < 4.0
    tv.shot("dipanggil")
    clerk.shot("loket")

    clerk.page.click(".lemari-counter-actions a:has-text('Terima permohonan')")
    clerk.page.fill("#nik", nik)
    for box in clerk.page.locator("input[name=persyaratan]").all():
        box.check()
    clerk.page.fill("[name=keperluan]", "Melamar pekerjaan di Tenggarong")
    clerk.shot("permohonan")
    clerk.page.click("text=Terima dan cetak tanda terima")
    clerk.page.wait_for_load_state()
    assert tracking in clerk.page.content()  # the ticket became its request, same code
    record_url = clerk.page.url
    assert re.search(r"/dokumen/\d+$", record_url)
    clerk.shot("tanda-terima")
    step(clerk, record_url, "Verifikasi berkas")
    clerk.logout()

    camat = Visit(browser, base, "camat")
    camat.login("camat")
    step(camat, record_url, "Setujui dan tandatangani")
    camat.shot("ditandatangani")
    camat.logout()

    clerk.login("petugas")
    clerk.page.goto(record_url)
    clerk.page.select_option("select[name=kertas]", "F4")
    clerk.page.click("button:has-text('Terbitkan')")
    clerk.page.wait_for_load_state()
    content = clerk.page.content()
    number = re.search(r"\d{3}\.\d+(?:\.\d+)*/\d{4}/Kec\.KB/\d{4}", content).group(0)
    clerk.shot("terbit")
    href = clerk.page.get_attribute("a:has-text('Terbit')", "href")
    answer = clerk.context.request.get(base + href)  # the browser's own session and cookies
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    pdf = answer.body()
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert number in text and nama in text

    clerk.go("/dokumen/")
    record_id = record_url.rsplit("/", 1)[1]
    clerk.page.check(f"input[name=ids][value='{record_id}']")
    token = clerk.page.get_attribute("#batch-print input[name=csrf_token]", "value")
    with clerk.page.expect_response(lambda r: r.url.endswith("/dokumen/cetak")) as printed:
        clerk.page.click("text=Cetak dokumen terpilih")
    job = printed.value
    assert job.status == 200 and job.headers["content-type"] == "application/pdf"
    again = clerk.context.request.post(base + "/dokumen/cetak",  # the body the viewer showed
                                       form={"ids": record_id, "csrf_token": token})
    assert number in PdfReader(io.BytesIO(again.body())).pages[0].extract_text()
    clerk.shot("cetak")

    clerk.go("/cari/?q=" + urllib.request.quote(f"nomor:{number}"))
    assert nama in clerk.page.content()
    clerk.shot("cari")
    clerk.logout()
    assert clerk.page.url.startswith(base + "/login")

    for visit in (citizen, tv, clerk, camat):
        assert visit.offsite() == [], visit.offsite()
        assert visit.errors == [], visit.errors
        visit.close()

    with sqlite3.connect(home / "lemari.db") as conn:
        code = conn.execute("SELECT verify_code FROM record WHERE number = ?", (number,)).fetchone()[0]
    public = Visit(browser, base, "publik")
    public.go(f"/verify/{code}")
    assert "SAH" in public.page.content()
    assert nik not in public.page.content()
    public.shot("verifikasi")
    public.go("/verify")
    public.page.set_input_files("input[type=file]", files=[{
        "name": "surat.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    public.page.click("text=Unggah dan periksa")
    public.page.wait_for_load_state()
    assert "SAH" in public.page.content()
    public.shot("verifikasi-unggah")
    public.go(f"/lacak?kode={tracking}")
    tracked = public.page.content()
    assert "Siap diambil" in tracked  # the issued letter in plain words
    assert nama not in tracked and nik not in tracked  # status and date only
    public.shot("lacak")
    assert public.offsite() == [] and public.errors == []
    public.close()


def test_an_expired_session_keeps_what_the_clerk_typed(server, browser):
    """The idle timeout passes while a form is half done: after logging in again the same form
    is filled back in by the page's script, and saving it then creates the record."""
    base, home = server
    nik, _ = a_resident(home)
    form = "/dokumen/baru/sk_domisili_penduduk"
    clerk = Visit(browser, base, "sesi-habis")
    clerk.login("petugas")
    clerk.go(form)
    clerk.page.fill("#nik", nik)
    clerk.page.fill("[name=keperluan]", "Persyaratan beasiswa <KIP> & bantuan")
    clerk.context.clear_cookies()                       # the session cookie expired
    clerk.page.click("button:has-text('Simpan')")
    clerk.page.wait_for_load_state()
    assert "/login" in clerk.page.url
    assert "Isian formulir Anda disimpan" in clerk.page.content()
    clerk.shot("masuk-lagi")

    clerk.page.fill("#username", "petugas")
    clerk.page.fill("#password", PASSWORD)
    clerk.page.click("input[type=submit], button[type=submit]")
    clerk.page.wait_for_load_state()
    assert clerk.page.url == base + form
    assert clerk.page.input_value("#nik") == nik
    assert clerk.page.input_value("[name=keperluan]") == "Persyaratan beasiswa <KIP> & bantuan"
    assert "telah dikembalikan" in clerk.page.inner_text("form .alert")
    clerk.shot("isian-kembali")

    clerk.page.click("button:has-text('Simpan')")
    clerk.page.wait_for_load_state()
    assert re.search(r"/dokumen/\d+$", clerk.page.url)
    assert "Persyaratan beasiswa &lt;KIP&gt; &amp; bantuan" in clerk.page.content()
    assert clerk.offsite() == [] and clerk.errors == []
    clerk.close()
