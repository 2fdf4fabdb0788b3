"""A PostgreSQL or Redis restart makes requests fail cleanly for its duration and recover
without restarting Lemari (issue 19, item 4).

Each test runs its OWN server on a free port (tests/throwaway_servers.py) and stops it under
a live app: while it is down every request answers 503 in Indonesian with Retry-After (never
a 500, never half a record); once it is back the same app answers again, with what was
acknowledged before the outage intact.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import func, select
from throwaway_servers import free_port, pg_cluster, redis_server

from conftest import build_app, initialise_app
from records.antrian.models import Tiket
from records.errors import UNREACHABLE
from records.extensions import db
from records.services.setup import DEMO_PASSWORD

pytestmark = [pytest.mark.slow]


@pytest.fixture
def cluster():
    yield from pg_cluster("lemari-restart-")


@pytest.fixture
def redis():
    yield from redis_server()


def _office_on(cluster, tmp_path):
    """The demo office on a cluster of its own; (app, data folder of the cluster)."""
    data, port = cluster.base / "data", free_port()
    cluster.init(data, port)
    cluster.start(data)
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute("CREATE DATABASE lemari")
    app = build_app(tmp_path / "home", f"postgresql+psycopg://postgres@127.0.0.1:{port}/lemari")
    initialise_app(app)
    return app, data


def _tickets(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count(Tiket.id)))
        finally:
            db.session.remove()


def _refused_cleanly(response, *, api: bool = False) -> None:
    assert response.status_code == 503, response.status_code
    assert response.headers["Retry-After"] == "5"
    if api:
        assert response.get_json()["message"] == UNREACHABLE
    else:
        body = response.get_data(as_text=True)
        assert UNREACHABLE in body and "Traceback" not in body


@pytest.mark.postgres
def test_a_postgresql_outage_answers_503_and_the_same_app_recovers(cluster, tmp_path):
    app, data = _office_on(cluster, tmp_path)
    clerk, kiosk = app.test_client(), app.test_client()
    assert clerk.post("/login/", data={"username": "petugas", "password": DEMO_PASSWORD}).status_code == 302
    assert clerk.get("/antrian/loket/").status_code == 200
    assert kiosk.post("/antrian/ambil/ktp_el", data={"prioritas": ""}).status_code == 302

    cluster.stop(data)  # every connection of the pool is cut
    _refused_cleanly(clerk.get("/antrian/loket/"))
    _refused_cleanly(clerk.post("/antrian/loket/1/panggil"))
    _refused_cleanly(kiosk.post("/antrian/ambil/ktp_el", data={"prioritas": ""}))
    _refused_cleanly(kiosk.get("/api/v1/penduduk/"), api=True)
    health = kiosk.get("/health")
    assert health.status_code == 503 and health.get_json()["database"]["ok"] is False

    cluster.start(data)
    assert kiosk.get("/health").status_code == 200
    assert clerk.get("/antrian/loket/").status_code == 200  # the session survived the outage
    assert kiosk.post("/antrian/ambil/ktp_el", data={"prioritas": ""}).status_code == 302
    called = clerk.post("/antrian/loket/1/panggil", headers={"Accept": "application/json"})
    assert called.status_code == 200 and called.get_json()["tiket"] == "A-001"
    assert _tickets(app) == 2  # the one before, the one after; nothing from the outage


@pytest.mark.postgres
def test_a_restart_between_requests_costs_at_most_one_clean_refusal(cluster, tmp_path):
    """The pool still holds connections the restart killed: the first request on one is
    refused cleanly and drops the pool's connections; the next request is served."""
    app, data = _office_on(cluster, tmp_path)
    clerk = app.test_client()
    assert clerk.post("/login/", data={"username": "petugas", "password": DEMO_PASSWORD}).status_code == 302
    assert clerk.get("/antrian/loket/").status_code == 200
    cluster.stop(data)
    cluster.start(data)
    answers = [clerk.get("/antrian/loket/").status_code for _ in range(3)]
    assert answers in ([200, 200, 200], [503, 200, 200]), answers


def test_a_redis_restart_keeps_logins_limited_and_served(redis, tmp_path):
    """Login limits count in Redis; while it is down each process counts in memory (logins
    still work and are still limited), and the counting goes back to Redis by itself."""
    app = build_app(tmp_path / "home", RATELIMIT_STORAGE_URI=redis.url, LOGIN_RATE_LIMIT="3 per minute")
    initialise_app(app, demo=True)
    import redis as redis_client

    counters = redis_client.Redis.from_url(redis.url)

    def login(client):
        return client.post("/login/", data={"username": "petugas", "password": DEMO_PASSWORD})

    assert login(app.test_client()).status_code == 302
    assert counters.keys("LIMITS*")  # counted in Redis
    redis.stop()
    served = [login(app.test_client()).status_code for _ in range(4)]
    assert served[:3] == [302, 302, 302] and served[3] == 429  # in memory, still limited
    redis.start()  # empty: a Redis without a disk
    deadline = time.monotonic() + 70  # the limiter retries Redis with a growing pause
    while not counters.keys("LIMITS*"):
        assert time.monotonic() < deadline, "the limiter never went back to Redis"
        assert login(app.test_client()).status_code in (302, 429)
        time.sleep(0.5)
