"""`lemari bench pages`: the server time of every staff page, per role, with /health as reference.

A throw-away demo office in a temporary folder (one issued letter, so pages that name a record
have one) is served in-process by the Flask test client: what is measured is the server's work
for a request (routing, permission checks, menu, queries, templates), not the network. Each
role logs in once; every GET route of the URL map that the role may open (the same enumeration
as tests/web/test_route_enforcement.py) is requested `n` times after one warm-up; its median
and p95 are kept, with the median CPU time of the process for the request (on a shared
machine the CPU time moves less with the load than the wall time). Rows: per role, the median
over its routes, how many routes are over the target and the slowest route; `--routes` adds
every route. The reference is GET /health of the same app in the same run. The host load
(1-minute average) is printed beside, as every Lemari benchmark does. FAB's "access denied"
warnings for routes a role may not open are silenced (LOG_LEVEL=ERROR).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

ROLES = ("admin", "camat", "sekcam", "petugas", "arsiparis", "humas", "auditor", "operator_loleng")
TARGET_MS = 10.0
PASSWORD = "Demo#KotaBangun2026"
#: Routes left out: downloads and exports that build a file (their own benchmarks), log-out.
SKIP = re.compile(r"(logout|ekspor|\.csv|\.xlsx|/cetak|/berkas/|/unduh|laporan|openapi|swagger|/api/)")


def _office(home: Path):
    """The demo office with one issued letter of Desa Loleng; returns (app, its record id)."""
    from sqlalchemy import select

    from records.app import create_app
    from records.demo_data import DESA, generate_population
    from records.extensions import db, lemari
    from records.models import Penduduk
    from records.services.accounts import actor_for_username
    from records.services.issuing import advance
    from records.services.requests import take_request
    from records.services.setup import initialise, load_demo

    app = create_app({"HOME": str(home), "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "LOG_LEVEL": "ERROR", "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        ext = lemari()
        initialise(session=db.session, engine=db.engine, sm=app.appbuilder.sm,
                   appbuilder=app.appbuilder, registry=ext.registry,
                   menu_permissions=ext.menu_permissions, pm=ext.pm)
        load_demo(session=db.session, sm=app.appbuilder.sm, population=generate_population(),
                  desa=DESA, force_password_change=False)

        def who(username):
            return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                      registry=ext.registry)

        from records.models import Layanan
        from records.services import persyaratan

        person = db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code == "64.02.08.2004"))
        # every requirement received, as a clerk ticks them (issue 14: a letter with any
        # unticked cannot be verified)
        received = persyaratan.names(db.session.get(Layanan, "sk_domisili").persyaratan)
        record = take_request("sk_domisili", penduduk_id=person, received=received,
                              values={"keperluan": "Uji kecepatan"}, actor=who("petugas"),
                              session=db.session, desk=ext.desk())
        doctype = ext.registry.document_types[record.doctype]
        for name in (t.name for t in ext.registry.workflows[doctype.workflow].path_to("issues")):
            advance(record.id, name, actor=who("camat"), session=db.session,
                    registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
        ext.search().drain()
        return app, record.id


def _routes(app, record_id: int, held) -> list[str]:
    """GET routes the role may open, placeholders filled with the issued letter's id."""
    from flask_appbuilder.const import PERMISSION_PREFIX

    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or "<path:" in rule.rule or SKIP.search(rule.rule):
            continue
        view_name, _, method = rule.endpoint.partition(".")
        view = next((v for v in app.appbuilder.baseviews if v.endpoint == view_name), None)
        func = getattr(view, method, None) if view is not None and method else None
        name = getattr(func, "_permission_name", None)
        if name is None:
            continue  # public pages and static files are not staff pages
        mapped = (view.method_permission_name or {}).get(func.__name__)
        pair = (PERMISSION_PREFIX + (mapped or name), view.class_permission_name)
        if held is not None and pair not in held:
            continue
        found.append(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", str(record_id), rule.rule))
    return found


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _time(client, url: str, n: int) -> dict:
    """One warm-up, then n timed GETs: status, median and p95 wall ms, median CPU ms."""
    status = client.get(url).status_code  # warm
    wall, cpu = [], []
    for _ in range(n):
        started, cpu_started = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return {"status": status, "median_ms": round(statistics.median(wall) * 1000, 2),
            "p95_ms": round(_p95(wall) * 1000, 2), "cpu_ms": round(statistics.median(cpu) * 1000, 2)}


def run(n: int = 15, log=print) -> dict:
    """Measure; returns the results as a dict (see format_table)."""
    from records.extensions import db

    load_before = os.getloadavg()[0]
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lemari-bench-pages-") as folder:
        log("membuat kantor demo …")
        app, record_id = _office(Path(folder))
        anonymous = app.test_client()
        health = _time(anonymous, "/health", n * 4)
        roles = {}
        for role in ROLES:
            client = app.test_client()
            client.post("/login/", data={"username": role, "password": PASSWORD})
            with app.app_context():
                sm = app.appbuilder.sm
                user = sm.find_user(username=role)
                held = None if any(r.name == sm.auth_role_admin for r in user.roles) \
                    else set(sm.get_user_permissions(user))
                db.session.remove()
            timings = {}
            for url in _routes(app, record_id, held):
                found = _time(client, url, n)
                if found.pop("status") == 200:
                    timings[url] = found
            slowest = max(timings, key=lambda url: timings[url]["median_ms"])
            medians = [row["median_ms"] for row in timings.values()]
            roles[role] = {"pages": len(timings), "median_ms": round(statistics.median(medians), 2),
                           "cpu_ms": round(statistics.median(row["cpu_ms"] for row in timings.values()), 2),
                           "over_target": sum(ms > TARGET_MS for ms in medians),
                           "slowest": slowest, "slowest_ms": timings[slowest]["median_ms"],
                           "timings": timings}
            log(f"{role}: {len(timings)} halaman, median {roles[role]['median_ms']} ms")
        app.extensions["lemari"].close()
    return {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "n": n, "health_ms": health,
            "roles": roles, "cpu_s": round(time.process_time() - cpu_before, 1),
            "wall_s": round(time.perf_counter() - wall_before, 1),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def format_table(r: dict, routes: bool = False) -> str:
    """The results as Markdown tables: per role, then (with `routes`) every route per role."""
    health = r["health_ms"]
    lines = ["| Role | Pages | Median of page medians ms | Its CPU ms | Pages over 10 ms | Slowest page | "
             "Its median ms | Target |", "|---|---|---|---|---|---|---|---|"]
    for role, row in r["roles"].items():
        lines.append(f"| {role} | {row['pages']} | {row['median_ms']} | {row['cpu_ms']} | "
                     f"{row['over_target']} | `{row['slowest']}` | {row['slowest_ms']} | "
                     f"median ≤ {TARGET_MS:g} ms |")
    lines.append(f"| GET /health (reference, same app) | 1 | {health['median_ms']} "
                 f"(p95 {health['p95_ms']}) | {health['cpu_ms']} | | | | reference |")
    lines.append(f"\nn={r['n']} per page after one warm-up; wall {r['wall_s']} s, CPU {r['cpu_s']} s, "
                 f"load (1 min) {r['load_before']} → {r['load_after']}; {r['at']}")
    if routes:
        lines += ["", "| Role | Route | Median ms | p95 ms | CPU ms (median) |", "|---|---|---|---|---|"]
        for role, row in r["roles"].items():
            for url, t in sorted(row["timings"].items(), key=lambda item: -item[1]["median_ms"]):
                lines.append(f"| {role} | `{url}` | {t['median_ms']} | {t['p95_ms']} | {t['cpu_ms']} |")
    return "\n".join(lines)
