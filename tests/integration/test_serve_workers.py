"""`lemari serve --workers 2` as the office runs it (real processes on a free port): what one
main worker writes, every worker sees (search, permissions), the counters' call-next stays
unique under concurrent clerks, and the TV's long poll answers when a call is made.

Requests are sent on a new connection each time, so the front office hands them to either
main worker; the checks hold for every answer, whichever worker gave it."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from records.serving import can_prefork

PASSWORD = "Demo#KotaBangun2026"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not can_prefork(), reason="several workers need fork and gunicorn")]


class Client:
    """One user: a session cookie, a fresh connection per request (any worker may answer)."""

    def __init__(self, port: int):
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        sent = {"Cookie": self.cookie, **(headers or {})}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        content = response.read()
        conn.close()
        cookie = response.getheader("Set-Cookie") or ""
        if cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, response, content

    def login(self, username: str) -> Client:
        self.request("GET", "/login/")
        status, response, _ = self.request("POST", "/login/", {"username": username, "password": PASSWORD})
        assert status == 302 and "/login" not in response.getheader("Location", ""), username
        return self


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(demo_home, tmp_path):
    """(port, home) of `lemari serve --workers 2` on a copy of the demo office."""
    home = tmp_path / "office"
    shutil.copytree(demo_home, home)
    (home / "config.py").write_text('WTF_CSRF_ENABLED = False\nLOGIN_RATE_LIMIT = "1000 per minute"\n'
                                    "PDF_WORKERS = 1\n", encoding="utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    env.update(LEMARI_HOME=str(home), LEMARI_LOG_LEVEL="WARNING")
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([str(Path(sys.executable).with_name("lemari")), "serve", "--workers", "2",
                                "--port", str(port)], cwd=home, env=env, stdout=log, stderr=log)
    try:
        for _ in range(600):
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if Client(port).request("GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        yield port, home
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(90) == 0, (tmp_path / "serve.log").read_text()
        finally:
            if process.poll() is None:
                process.kill()
            log.close()


def _workers_seen(port: int, tries: int = 200) -> set[int]:
    """The processes that answered /health (a main worker each time: /health is not the front's)."""
    seen = set()
    for _ in range(tries):
        seen.add(json.loads(Client(port).request("GET", "/health")[2])["process"])
        if len(seen) >= 2:
            break
    return seen


def test_two_workers_share_what_each_writes(served):
    port, home = served
    assert len(_workers_seen(port)) == 2  # both main workers answer

    nik, received = _intake_facts(home)
    clerk = Client(port).login("petugas")
    status, response, _ = clerk.request("POST", "/dokumen/permohonan/sk_domisili",
                                        {"nik": nik, "keperluan": "Uji serempak kiwari",
                                         "persyaratan": received, "tetap_buat": "1"})
    assert status == 302, response.getheader("Location")
    record = response.getheader("Location").rstrip("/").rsplit("/", 1)[1]

    # whichever worker answers, the new request is found (one writer drains, every worker reads)
    for _ in range(12):
        assert _finds(clerk, "kiwari", record)

    # a permission taken away in another process is refused by every worker at once
    for _ in range(6):
        assert _finds(clerk, "kiwari", record)
    _revoke(home, "petugas", "can_read", "Search")
    for _ in range(12):
        status, response, _ = clerk.request("GET", "/cari/?q=kiwari")
        assert status in (302, 403) and "/dokumen/" not in (response.getheader("Location") or "")


def test_counters_call_unique_tickets_and_the_tv_hears_at_once(served):
    port, _ = served
    kiosk = Client(port)
    assert kiosk.request("GET", "/antrian/ambil")[0] == 200  # the queue sets itself up
    for code in ("sk_domisili", "ktp_el", "kk") * 6:
        assert kiosk.request("POST", f"/antrian/ambil/{code}", {"prioritas": ""})[0] == 302

    tv = Client(port)
    status, response, _ = tv.request("GET", "/antrian/layar/data")
    etag = response.getheader("ETag")
    heard: list = []
    waiting = threading.Thread(target=lambda: heard.append(tv.request(
        "GET", "/antrian/layar/data?tunggu=25", headers={"If-None-Match": etag})))
    waiting.start()

    called: list[str] = []
    lock = threading.Lock()

    def counter(loket: int) -> None:
        desk = Client(port).login("petugas")
        for _ in range(8):
            status, _, body = desk.request("POST", f"/antrian/loket/{loket}/panggil",
                                           headers={"Accept": "application/json"})
            assert status == 200, (status, body[-600:])
            ticket = json.loads(body)["tiket"]
            if ticket:
                with lock:
                    called.append(ticket)

    clerks = [threading.Thread(target=counter, args=(loket,)) for loket in (1, 2, 3, 1, 2, 3)]
    for thread in clerks:
        thread.start()
    for thread in clerks:
        thread.join(300)
    waiting.join(60)

    assert called, "no ticket was called"
    assert len(called) == len(set(called)), called
    status, _, body = heard[0]
    assert status == 200  # the long poll answered with the news, not a 304 after 25 s
    assert json.loads(body)["panggilan"]


def _finds(clerk: Client, words: str, record: str) -> bool:
    """The search lists the record, or goes straight to it as the only hit."""
    status, response, page = clerk.request("GET", "/cari/?q=" + urllib.parse.quote(words))
    if status == 302:
        return response.getheader("Location", "").rstrip("/").endswith(f"/dokumen/{record}")
    return status == 200 and f"/dokumen/{record}".encode() in page


def _intake_facts(home: Path) -> tuple[str, list[str]]:
    """A resident's NIK and the requirements of sk_domisili, read in this (another) process."""
    from sqlalchemy import select

    from conftest import build_app
    from records.extensions import db
    from records.models import Layanan, Penduduk
    from records.services import persyaratan

    app = build_app(home)
    with app.app_context():
        facts = (db.session.scalar(select(Penduduk.nik).order_by(Penduduk.id).limit(1)),
                 persyaratan.names(db.session.get(Layanan, "sk_domisili").persyaratan))
        db.session.remove()
        db.engine.dispose()
    return facts


def _revoke(home: Path, username: str, permission: str, view: str) -> None:
    """Take a permission from the user's roles, as the Admin's role page does (another process)."""
    from conftest import build_app
    from records.extensions import db

    app = build_app(home)
    with app.app_context():
        sm = app.appbuilder.sm
        pv = sm.find_permission_view_menu(permission, view)
        for role in sm.find_user(username=username).roles:
            if pv in role.permissions:
                sm.del_permission_role(role, pv)
        db.session.remove()
        db.engine.dispose()
