"""`lemari bench publikasi`: how fast public information is served and printed, with references.

Rows (2 cores; a throw-away demo office in a temporary folder):

* page         median ms of GET /info/layanan/<code> (the full standard of a service, anonymous,
               warm test client), against **/health** of the same app in the same run (the
               cheapest route Lemari has: what Flask and the middleware cost by themselves);
* notices      median ms of GET /info/pengumuman with 20 published notices;
* file         median ms of GET /info/berkas/<id>/png (a stored preview served from the archive);
* chart        median ms to draw a 15-step, 5-lane flowchart as SVG (pure Python);
* poster       median ms to render the A3 service poster in the publishing render pool, against the
               one-page letter of `lemari bench pdf` rendered by the same pool in the same run;
* preview      median ms for a 480-px and a 1400-px PNG of the A3 poster (PDFium);
* kit          seconds for `publish-kit` of every service (PDF + 1200-px PNG each).
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGETS = {"page_ms": ("≤", 50.0), "poster_ms": ("≤", 1500.0)}


def _median(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def _time(action: Callable[[], object], n: int) -> list[float]:
    action()  # warm
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def _office(home: Path):
    """A demo office with its standards, accounts and officials."""
    from records.app import create_app
    from records.demo_data import DESA, generate_population
    from records.extensions import db, lemari
    from records.services.setup import initialise, load_demo

    app = create_app({"HOME": str(home), "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        ext = lemari()
        initialise(session=db.session, engine=db.engine, sm=app.appbuilder.sm,
                   appbuilder=app.appbuilder, registry=ext.registry,
                   menu_permissions=ext.menu_permissions, pm=ext.pm)
        load_demo(session=db.session, sm=app.appbuilder.sm, population=generate_population()[:20],
                  desa=DESA, force_password_change=False)
    return app


def _publish_notices(app, count: int) -> int:
    """Publish `count` notices through the workflow; returns the id of a published poster."""
    from records.extensions import db, lemari
    from records.publikasi.desk import publish_desk
    from records.publikasi.services import publishing
    from records.services.accounts import actor_for_username

    ext = lemari()
    desk = publish_desk(ext)
    humas, camat = (actor_for_username(u, sm=app.appbuilder.sm, session=db.session,
                                       registry=ext.registry) for u in ("humas", "camat"))
    today = desk.today().isoformat()
    items = [{"jenis": "pengumuman", "judul": f"Pengumuman {i}", "isi": "Isi pengumuman.\n" * 3,
              "berlaku_mulai": today} for i in range(count)]
    items.append({"jenis": "poster", "templat": "poster_layanan", "layanan_code": "ktp_el",
                  "ukuran": "A3", "judul": "Poster KTP-el", "berlaku_mulai": today})
    last = None
    for values in items:
        last = publishing.create_publikasi(values, actor=humas, session=db.session,
                                           registry=ext.registry, desk=desk)
        for step, who in (("ajukan", humas), ("setujui", camat)):
            publishing.fire(last.id, step, actor=who, session=db.session, registry=ext.registry,
                            today=desk.today())
    return last.id


def run(n: int, log: Callable[[str], None]) -> dict:
    """Every row; returns a JSON-ready dict."""
    from records.extensions import db, lemari
    from records.publikasi.desk import publish_desk
    from records.publikasi.flowchart import build_chart
    from records.publikasi.services import materials
    from records.publikasi.services.kit import kit_jobs, write_kit_file
    from records.publikasi.services.standards import PELAKSANA

    folder = Path(tempfile.mkdtemp(prefix="lemari-bench-publikasi-"))
    results: dict = {"settings": {"n": n}, "at": dt.datetime.now().isoformat(timespec="seconds")}
    try:
        log("membangun kantor demo …")
        app = _office(folder / "home")
        with app.app_context():
            poster_id = _publish_notices(app, 20)
            client = app.test_client()
            log("halaman publik …")
            results["page_ms"] = _median(_time(lambda: client.get("/info/layanan/ktp_el"), n))
            results["health_ms"] = _median(_time(lambda: client.get("/health"), n))
            results["notices_ms"] = _median(_time(lambda: client.get("/info/pengumuman"), n))
            results["file_ms"] = _median(_time(lambda: client.get(f"/info/berkas/{poster_id}/png"), n))
            steps = [{"pelaksana": list(PELAKSANA)[i % 5], "kegiatan": f"Langkah {i}", "waktu": "1 hari",
                      "output": "Berkas"} for i in range(15)]
            results["chart_ms"] = _median(_time(lambda: build_chart("x", steps, list(PELAKSANA.items())), n))
            desk = publish_desk(lemari())
            log("poster A3 dan surat pembanding …")
            context = materials.build_context("poster_layanan", session=db.session, desk=desk,
                                              layanan_code="ktp_el", ukuran="A3")
            poster = lambda: materials.render("poster_layanan", context, session=db.session, desk=desk)  # noqa: E731
            results["poster_ms"] = _median(_time(poster, max(3, n // 5)))
            from bench import pdf_bench

            letter = lambda: desk.renderer.render(  # noqa: E731
                pdf_bench.LETTER_TEMPLATE, pdf_bench.context(1), paper="A4",
                metadata=pdf_bench.metadata(1))
            results["letter_ms"] = _median(_time(letter, max(3, n // 5)))
            pdf = poster().pdf
            results["preview_480_ms"] = _median(_time(lambda: desk.preview(pdf, 480), max(3, n // 5)))
            results["preview_1400_ms"] = _median(_time(lambda: desk.preview(pdf, 1400), max(3, n // 5)))
            log("paket cetak …")
            started = time.perf_counter()
            jobs = kit_jobs(session=db.session)
            for job in jobs:
                write_kit_file(job, folder / "kit", width=1200, session=db.session, desk=desk)
            results["kit_s"] = round(time.perf_counter() - started, 1)
            results["kit_files"] = len(jobs)
            lemari().close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["targets"] = {key: {"rule": f"{op} {limit:g}", "met": _met(results[key], op, limit)}
                          for key, (op, limit) in TARGETS.items()}
    return results


def _met(value: float, op: str, limit: float) -> bool:
    return value <= limit if op == "≤" else value >= limit


def format_table(r: dict) -> str:
    """The results as a Markdown table."""
    rows = [
        ("GET /info/layanan/ktp_el (full standard, anonymous)", f"{r['page_ms']} ms", "≤ 50 ms"),
        ("GET /health of the same app (reference)", f"{r['health_ms']} ms", "reference"),
        ("GET /info/pengumuman, 20 notices", f"{r['notices_ms']} ms", ""),
        ("GET /info/berkas/<id>/png (stored preview)", f"{r['file_ms']} ms", ""),
        ("15-step, 5-lane flowchart as SVG", f"{r['chart_ms']} ms", ""),
        ("A3 service poster, publishing pool (warm)", f"{r['poster_ms']} ms", "≤ 1500 ms"),
        ("1-page letter, same pool (reference)", f"{r['letter_ms']} ms", "reference"),
        ("PNG preview 480 px / 1400 px (PDFium)", f"{r['preview_480_ms']} / {r['preview_1400_ms']} ms", ""),
        (f"publish-kit, {r['kit_files']} PDFs + PNGs", f"{r['kit_s']} s", ""),
    ]
    lines = ["| Metric | Measured | Target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines.append(f"\nmedians of n={r['settings']['n']} (renders n/5), {r['at']}")
    return "\n".join(lines)
