"""records.serving's front office: what it answers itself, what it forwards and how, and that a
client cannot claim another address (the main workers trust the front's header only)."""

import http.client
import io
import socket
import threading
import time

from records.serving import CLIENT_HEADER, FromFront, FrontDispatcher, FrontOffice, front_office_pattern

QUEUE = front_office_pattern([r"/antrian/(?!.*/(cetak|permohonan)$)"])


def _environ(path: str, **extra) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "kantor",
            "SERVER_PORT": "8080", "REMOTE_ADDR": "192.168.1.20", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "HTTP_HOST": "kantor:8080", **extra}


def _call(app, environ):
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def _local(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"front:" + environ.get("HTTP_X_LEMARI_CLIENT", "-").encode()]


def test_queue_paths_are_answered_by_the_front_office_and_heavy_ones_are_not():
    assert QUEUE.match("/antrian/loket/3/panggil")
    assert QUEUE.match("/antrian/layar/data")
    assert not QUEUE.match("/antrian/tiket/AB12/cetak")
    assert not QUEUE.match("/antrian/loket/tiket/5/permohonan")
    assert not QUEUE.match("/cari/")
    assert not front_office_pattern([]).match("/antrian/layar")


def test_a_client_cannot_claim_an_address_and_a_missing_pool_answers_503(tmp_path):
    front = FrontOffice(_local, QUEUE, str(tmp_path / "none.sock"))
    status, _, body = _call(front, _environ("/antrian/layar/data", HTTP_X_LEMARI_CLIENT="10.0.0.1"))
    assert status == "200 OK" and body == b"front:-"
    status, headers, body = _call(front, _environ("/cari/"))
    assert status.startswith("503") and headers["Retry-After"] == "5"
    assert "dimulai ulang" in body.decode()


def test_forwarded_request_carries_the_clients_address_body_and_cookies(tmp_path):
    path = str(tmp_path / "main.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    received = []

    def worker():
        conn, _ = server.accept()
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"nik=1"):
            data += conn.recv(65536)
        received.append(data)
        conn.sendall(b"HTTP/1.1 302 FOUND\r\nLocation: /dokumen/7\r\nSet-Cookie: a=1\r\n"
                     b"Set-Cookie: b=2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        conn.close()

    thread = threading.Thread(target=worker)
    thread.start()
    front = FrontOffice(_local, QUEUE, path)
    status, _, body = _call(front, _environ(
        "/dokumen/permohonan/sk domisili", REQUEST_METHOD="POST", QUERY_STRING="x=1",
        CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH="5",
        HTTP_COOKIE="session=s", HTTP_X_LEMARI_CLIENT="10.0.0.1", **{"wsgi.input": io.BytesIO(b"nik=1")}))
    thread.join(10)
    server.close()
    request = received[0].decode()
    assert request.startswith("POST /dokumen/permohonan/sk%20domisili?x=1 HTTP/1.1\r\n")
    assert f"{CLIENT_HEADER}: 192.168.1.20\r\n" in request and "10.0.0.1" not in request
    assert "Cookie: session=s\r\n" in request and request.endswith("nik=1")
    assert status == "302 FOUND" and body == b"ok"


def test_the_main_workers_take_the_address_the_front_office_saw():
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    _call(FromFront(app), _environ("/cari/", REMOTE_ADDR="", HTTP_X_LEMARI_CLIENT="192.168.1.20",
                                   HTTP_X_LEMARI_SCHEME="https"))
    assert seen["REMOTE_ADDR"] == "192.168.1.20" and seen["wsgi.url_scheme"] == "https"
    assert "HTTP_X_LEMARI_CLIENT" not in seen


def _get(port: int, path: str, timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_counter_is_answered_while_every_forwarded_request_waits_for_a_main_worker(tmp_path):
    """Main workers that take requests and never answer (all busy), more forwarded requests
    than the forwarding pool has threads: the counter's and the TV's requests still get an
    own thread at once. With one pool for both they waited for a forwarded request to end."""
    from waitress.server import create_server
    from waitress.task import ThreadedTaskDispatcher

    busy = socket.socket(socket.AF_UNIX)
    busy.bind(str(tmp_path / "main.sock"))
    busy.listen(64)
    busy.settimeout(0.05)
    taken: list[socket.socket] = []
    done = threading.Event()

    def main_workers():  # take every request, answer none
        while not done.is_set():
            try:
                taken.append(busy.accept()[0])
            except TimeoutError:
                continue

    threading.Thread(target=main_workers, daemon=True).start()
    front = FrontOffice(_local, QUEUE, str(tmp_path / "main.sock"), timeout=60)
    server = create_server(front, host="127.0.0.1", port=0,
                           _dispatcher=FrontDispatcher(QUEUE, ThreadedTaskDispatcher, own=2, forwarded=3))
    threading.Thread(target=server.run, daemon=True).start()
    port = server.effective_port
    forwarded = [threading.Thread(target=_get, args=(port, f"/cari/?q={n}", 60), daemon=True)
                 for n in range(6)]
    try:
        for thread in forwarded:
            thread.start()
        deadline = time.monotonic() + 10
        while len(taken) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        assert len(taken) == 3  # every forwarding thread waits for a worker; three more queue
        assert _get(port, "/antrian/loket/3/panggil", timeout=5) == 200
        assert _get(port, "/antrian/layar/data", timeout=5) == 200
        assert all(thread.is_alive() for thread in forwarded)
    finally:
        done.set()
        time.sleep(0.1)
        busy.close()
        for conn in taken:
            conn.close()  # the waiting requests end (503), the queued ones are refused
        for thread in forwarded:
            thread.join(10)
        dispatcher, deadline = server.task_dispatcher, time.monotonic() + 5
        while (dispatcher.active_count or dispatcher.queue) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not dispatcher.active_count and not dispatcher.queue  # what a clean stop waits for
        server.task_dispatcher.shutdown(timeout=5)
        server.close()
