"""One Humas account cannot stall the office with slow previews (issue: privacy and security,
item 5).

The attack: a template that loops until the render time limit, previewed eight times at once.
Each preview held one of waitress's eight threads while it waited, without limit, for the one
publishing render worker, so `/health`, the kiosk and the counters timed out for as long as the
previews were kept in flight. The test serves the app with waitress as `lemari serve` does, puts
more runaway previews in flight than there are threads, and proves by behaviour, not by timing,
that the rest of the office still answers before those previews finish: only the previews the
publishing queue has room for wait, the others are refused at once with 503, Retry-After and an
Indonesian message, and letters (a kiosk ticket PDF) render in their own pool meanwhile.
"""

from __future__ import annotations

import re
import shutil
import threading
import time

import pytest
import requests

from conftest import build_app
from records.passwords import DEMO_PASSWORD

#: The runaway lasts until the render time limit; long enough for every check to happen while
#: it is in flight, however slow the machine.
RENDER_LIMIT_S = 20
WAIT_LIMIT_S = 3
QUEUE = 1
#: A generous bound for a page that normally answers in well under a second.
PAGE_BOUND_S = 10
SLOW = ("<html><body>{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}"
        "{% endfor %}</body></html>")
GOOD = "<html><body><p>Pengumuman percobaan</p></body></html>"
PREVIEW = "/templat/pengumuman"


def serve_threads() -> int:
    """As many request threads as `lemari serve` runs."""
    from records import cli

    return cli.SERVE_THREADS


@pytest.fixture
def served(demo_home, tmp_path):
    """The demo office served by waitress on a free port, in this process."""
    from waitress.server import create_server

    shutil.copytree(demo_home, tmp_path / "home")
    app = build_app(tmp_path / "home", PUBLISH_RENDER_TIMEOUT_SECONDS=RENDER_LIMIT_S,
                    PUBLISH_RENDER_WAIT_SECONDS=WAIT_LIMIT_S, PUBLISH_RENDER_QUEUE_MAX=QUEUE)
    server = create_server(app, host="127.0.0.1", port=0, threads=serve_threads())
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.effective_port}"
    app.extensions["lemari"].close()  # stops the render workers, runaway included
    server.task_dispatcher.shutdown(timeout=5)
    server.close()


def logged_in(base: str, username: str) -> requests.Session:
    browser = requests.Session()
    response = browser.post(f"{base}/login/", data={"username": username, "password": DEMO_PASSWORD},
                            allow_redirects=False, timeout=PAGE_BOUND_S)
    assert response.status_code == 302
    return browser


def preview(base: str, cookies, source: str, timeout: float) -> requests.Response:
    return requests.post(f"{base}{PREVIEW}", data={"source": source, "aksi": "pratinjau"},
                         cookies=cookies, timeout=timeout, allow_redirects=False)


def kiosk_ticket_pdf(base: str, timeout: float = PAGE_BOUND_S) -> requests.Response:
    """Take a ticket at the kiosk and print it: a letter rendered by the letters' pool."""
    page = requests.get(f"{base}/antrian/ambil", timeout=PAGE_BOUND_S)
    assert page.status_code == 200
    code = re.search(r'href="/antrian/ambil/([^"/?]+)"', page.text).group(1)
    taken = requests.post(f"{base}/antrian/ambil/{code}", data={}, timeout=PAGE_BOUND_S,
                          allow_redirects=False)
    assert taken.status_code == 302, taken.text[:300]
    ticket = taken.headers["Location"].split("/antrian/tiket/")[1].split("?")[0]
    return requests.get(f"{base}/antrian/tiket/{ticket}/cetak", timeout=timeout)


def test_runaway_previews_do_not_stall_health_kiosk_counters_or_letters(served):
    app, base = served
    humas, petugas = logged_in(base, "humas"), logged_in(base, "petugas")
    warm = preview(base, humas.cookies, GOOD, timeout=120)  # the publishing worker is up
    assert warm.status_code == 200 and warm.headers["Content-Type"] == "application/pdf"
    assert kiosk_ticket_pdf(base, timeout=120).status_code == 200  # and a letters worker
    runaway_count = serve_threads() + 4  # more than the server has threads

    answers: dict[int, requests.Response | Exception] = {}

    def runaway(n: int) -> None:
        try:
            answers[n] = preview(base, humas.cookies, SLOW, timeout=RENDER_LIMIT_S + 60)
        except Exception as exc:  # a timeout is an answer too: reported below
            answers[n] = exc

    flights = [threading.Thread(target=runaway, args=(n,), daemon=True) for n in range(runaway_count)]
    for flight in flights:
        flight.start()
    settle = time.monotonic() + 10  # until the refused ones are back (or long enough to be sure)
    while time.monotonic() < settle and len(answers) < runaway_count - 1 - QUEUE:
        time.sleep(0.1)

    # the office, meanwhile
    health = requests.get(f"{base}/health", timeout=PAGE_BOUND_S)
    kiosk = requests.get(f"{base}/antrian/ambil", timeout=PAGE_BOUND_S)
    counters = petugas.get(f"{base}/antrian/loket/", timeout=PAGE_BOUND_S, allow_redirects=False)
    letter = kiosk_ticket_pdf(base)
    in_flight = sum(flight.is_alive() for flight in flights)

    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert kiosk.status_code == 200
    assert counters.status_code == 200
    assert letter.status_code == 200 and letter.headers["Content-Type"] == "application/pdf"
    assert in_flight >= 1, "the runaway preview should still be rendering"

    for flight in flights:
        flight.join(RENDER_LIMIT_S + 90)
    refused = [a for a in answers.values() if isinstance(a, requests.Response) and a.status_code == 503]
    assert len(refused) >= runaway_count - 1, {n: getattr(a, "status_code", a) for n, a in answers.items()}
    for answer in refused:
        assert int(answer.headers["Retry-After"]) > 0
        assert "sibuk" in answer.text
    assert all(isinstance(a, requests.Response) and a.status_code in (422, 503)
               for a in answers.values())


def test_a_full_pool_refuses_at_once_and_a_waiting_job_gives_up_after_its_wait(tmp_path):
    """The pool itself: one worker busy with a runaway, one job allowed to wait (and giving up
    after `wait_s`), every further job refused at once; all while the runaway still runs."""
    from records.desk import REPO_TEMPLATES
    from records.pdf import PdfMetadata
    from records.render_worker import RenderBusyError, RenderPool, RenderTimeoutError

    (tmp_path / "lambat.html").write_text(SLOW, encoding="utf-8")
    metadata = PdfMetadata(title="uji", author="uji")
    outcomes: dict[str, object] = {}
    with RenderPool([tmp_path, REPO_TEMPLATES], workers=1, timeout_s=RENDER_LIMIT_S, max_waiting=1,
                    wait_s=WAIT_LIMIT_S) as pool:
        def render(name: str) -> None:
            try:
                outcomes[name] = pool.render("lambat.html", {}, metadata=metadata)
            except Exception as exc:  # the outcome under test
                outcomes[name] = exc

        running = threading.Thread(target=render, args=("running",), daemon=True)
        running.start()
        while pool.load()["admitted"] < 1:
            time.sleep(0.05)
        waiting = threading.Thread(target=render, args=("waiting",), daemon=True)
        waiting.start()
        while pool.load()["admitted"] < 2:
            time.sleep(0.05)
        render("refused")  # in this thread: answers without waiting for anything
        assert isinstance(outcomes["refused"], RenderBusyError)
        assert outcomes["refused"].http_status == 503 and outcomes["refused"].retry_after > 0
        assert "sibuk" in str(outcomes["refused"])
        waiting.join(RENDER_LIMIT_S + 30)
        assert isinstance(outcomes["waiting"], RenderBusyError)
        assert running.is_alive(), "the waiting job gave up before the runaway finished"
        running.join(RENDER_LIMIT_S + 90)
        assert isinstance(outcomes["running"], RenderTimeoutError)
        assert pool.load() == {"admitted": 0, "capacity": 2}
