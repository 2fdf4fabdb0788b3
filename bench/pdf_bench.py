"""`lemari bench pdf`: how fast Lemari turns records into PDF letters, against references.

Rows (targets from issue 3, "Performance"; 2 cores):

* letter       median ms per one-page surat keterangan (sk_domisili, F4), our warm `PdfRenderer`
               (Jinja + QR + WeasyPrint + PDF/A-3b metadata), target ≤ 20 ms;
* stock        the same HTML through stock WeasyPrint, ``HTML(string=...).write_pdf()`` with default
               settings (print.css inlined so it is the same document), timed interleaved with ours
               in the same run so a busy host slows both alike;
* libreoffice  ``soffice --headless --convert-to pdf`` of the same HTML, when `soffice` is on PATH:
               one process per letter (cold), and one process converting many letters (amortised);
* phases       where our letter's time goes: Jinja + QR, HTML parsing, style + layout, drawing +
               PDF/A writing, each the median of CPU time in this process;
* issue        end to end `records.services.issuing.issue` (number + render in the worker + PAdES
               signature + archive + audit + commit) on a throw-away demo office, target ≤ 100 ms;
* batch        letters per second for `--batch` letters on every core: RenderPool with one worker per
               core (what PDF_WORKERS = 0 starts) fed from one thread per worker, then one print
               file via `records.pdf.merge_pdfs`, target ≥ 60/s;
* biodata      ms per page of permohonan_kk with the 6-member F-1.01 family biodata, target ≤ 60 ms;
* worker RSS   peak resident memory of a render worker (VmHWM, and ru_maxrss of reaped workers),
               target ≤ 300 MB.

Timings are wall-clock medians of warm renders (the first render of a process is not counted);
the letter rows also give the CPU time of the rendering thread, which a busy host disturbs less.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates_pdf"
LETTER_TEMPLATE = "sk_domisili/document.html"
BIODATA_TEMPLATE = "permohonan_kk/document.html"
MB = 1024 * 1024

TARGETS = {
    "letter_ms": ("≤", 20.0),
    "issue_ms": ("≤", 100.0),
    "batch_letters_per_s": ("≥", 60.0),
    "biodata_ms_per_page": ("≤", 60.0),
    "worker_peak_rss_mb": ("≤", 300.0),
}

OFFICE = {"government": "PEMERINTAH KABUPATEN KUTAI KARTANEGARA", "name": "KECAMATAN KOTA BANGUN",
          "address": "Jl. Pesut No. 1, Kota Bangun, Kutai Kartanegara 75561", "place": "Kota Bangun",
          "phone": "(0541) 661234", "email": "kec.kotabangun@kukarkab.go.id",
          "website": "kotabangun.kukarkab.go.id"}
SIGNER = {"jabatan": "Sekretaris Kecamatan", "prefix": "a.n.", "atas_nama": "Camat Kota Bangun",
          "nama": "AHMAD SUBANDI, S.Sos.", "pangkat": "Pembina", "golongan": "IV/a",
          "nip": "198609262015051001"}


def _person(nama: str, nik: str, hubungan: str, **overrides: Any) -> dict:
    values = {
        "nama": nama, "nik": nik, "no_kk": "6402080101100002", "tempat_lahir": "Kota Bangun",
        "tanggal_lahir": dt.date(1985, 3, 4), "jenis_kelamin": "LAKI-LAKI", "golongan_darah": "O",
        "agama": "ISLAM", "status_perkawinan": "KAWIN TERCATAT", "pekerjaan": "PETANI/PEKEBUN",
        "pendidikan": "SLTA/SEDERAJAT", "kewarganegaraan": "WNI",
        "alamat": "Jl. Pesut Gg. Damai No. 12", "rt": "003", "rw": "001", "desa": "Kota Bangun Ilir",
        "kepala_keluarga": "BUDI SANTOSO", "nama_ayah": "SUPARMAN", "nama_ibu": "MARYAM",
        "hubungan": hubungan,
    }
    values.update(overrides)
    return values


def family() -> list[dict]:
    """The six-member family of the product-template tests."""
    child = {"status_perkawinan": "BELUM KAWIN", "nama_ayah": "BUDI SANTOSO", "nama_ibu": "SITI AMINAH",
             "pekerjaan": "PELAJAR/MAHASISWA"}
    return [
        _person("BUDI SANTOSO", "6402080304850001", "KEPALA KELUARGA"),
        _person("SITI AMINAH", "6402085512900001", "ISTRI", jenis_kelamin="PEREMPUAN",
                tanggal_lahir=dt.date(1990, 12, 15), pekerjaan="MENGURUS RUMAH TANGGA",
                nama_ayah="ABDULLAH", nama_ibu="FATIMAH"),
        _person("RINA SANTOSO", "6402084507100003", "ANAK", jenis_kelamin="PEREMPUAN",
                tanggal_lahir=dt.date(2010, 7, 5), pendidikan="SLTP/SEDERAJAT", **child),
        _person("RUDI SANTOSO", "6402081209130004", "ANAK", tanggal_lahir=dt.date(2013, 9, 12),
                pendidikan="TAMAT SD/SEDERAJAT", **child),
        _person("DEWI SANTOSO", "6402086102180005", "ANAK", jenis_kelamin="PEREMPUAN",
                tanggal_lahir=dt.date(2018, 2, 21), pendidikan="TIDAK/BELUM SEKOLAH",
                golongan_darah="TIDAK TAHU", **{**child, "pekerjaan": "BELUM/TIDAK BEKERJA"}),
        _person("SUPARMAN", "6402080101500006", "ORANGTUA", tanggal_lahir=dt.date(1950, 1, 1),
                status_perkawinan="CERAI MATI", pekerjaan="PENSIUNAN",
                pendidikan="TAMAT SD/SEDERAJAT", nama_ayah="KARTO", nama_ibu="SAINAH"),
    ]


def context(i: int, *, biodata: bool = False) -> dict:
    """The issuing service's context for letter number `i` (its own number and QR code)."""
    code = f"KB{i:04d}-BNCH-{(i * 7919) % 10000:04d}"
    holder = {k: v for k, v in family()[0].items() if k != "hubungan"}
    data = ({"jenis": "Tambah anggota", "alasan": "Kelahiran anak keempat, DEWI SANTOSO.",
             "no_telepon": "081253001122"} if biodata else
            {"keperluan": "Persyaratan pembukaan rekening bank", "masa_berlaku_bulan": 6})
    return {
        "office": OFFICE, "place": "Kota Bangun", "issued_on": dt.date(2026, 11, 28),
        "nomor": f"400.12.2.1/{i % 10000:04d}/Kec.KB/2026", "title": "Surat Keterangan Domisili",
        "doctype": {"name": "bench", "title": "Bench"}, "holder": holder,
        "keluarga": {"no_kk": "6402080101100002", "alamat": "Jl. Pesut Gg. Damai No. 12", "rt": "003",
                     "rw": "001", "desa": "Kota Bangun Ilir", "kode_pos": "75561", "anggota": family()},
        "data": data, "items": [], "signer": SIGNER, "tracking": None,
        # the officer who took the request, countersigning the F-1.01 (issuing's officer_block)
        "petugas": {"nama": "RAHMAWATI, S.Sos.", "nip": "198703152010012004"},
        "verification": {"code": code, "url": f"https://lemari.example/verify/{code}"},
    }


def metadata(i: int):
    from records.pdf import PdfMetadata

    return PdfMetadata(title=f"Surat Keterangan Domisili {i}", author=OFFICE["name"],
                       document_number=f"400.12.2.1/{i:04d}/Kec.KB/2026", document_type="sk_domisili",
                       issue_date=dt.date(2026, 11, 28), office=OFFICE["name"])


def _ms(seconds: list[float]) -> dict:
    values = sorted(s * 1000 for s in seconds)
    return {"median": round(statistics.median(values), 1),
            "p90": round(values[min(len(values) - 1, int(len(values) * 0.9))], 1), "n": len(values)}


def _stock_html(html: str) -> str:
    """Our HTML with print.css inlined (font URLs made relative to the template root), so stock
    WeasyPrint lays out the very same document with its default fetcher and settings."""
    css = (TEMPLATES / "_base" / "print.css").read_text(encoding="utf-8")
    css = css.replace('url("../fonts/', 'url("fonts/')
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


# --------------------------------------------------------------------------- rows


def bench_letter(n: int, log: Callable[[str], None]) -> dict:
    """(a) our warm render vs (b) stock WeasyPrint on the same HTML, interleaved."""
    import logging

    from weasyprint import HTML

    from records.pdf import PdfRenderer

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    renderer = PdfRenderer([TEMPLATES])
    renderer.warm_up()
    base_url = TEMPLATES.as_uri() + "/"
    ours, stock, ours_cpu, stock_cpu, pages, sizes = [], [], [], [], set(), []
    for i in range(n + 1):
        ctx = context(i)
        start, cpu = time.perf_counter(), time.thread_time()
        result = renderer.render(LETTER_TEMPLATE, ctx, paper="F4", metadata=metadata(i))
        elapsed, cpu_elapsed = time.perf_counter() - start, time.thread_time() - cpu
        html = _stock_html(renderer.render_html(LETTER_TEMPLATE, {**ctx, "paper": "F4"}))
        start, cpu = time.perf_counter(), time.thread_time()
        HTML(string=html, base_url=base_url).write_pdf()
        stock_elapsed, stock_cpu_elapsed = time.perf_counter() - start, time.thread_time() - cpu
        if i:  # the first of each is the cold one
            ours.append(elapsed)
            stock.append(stock_elapsed)
            ours_cpu.append(cpu_elapsed)
            stock_cpu.append(stock_cpu_elapsed)
            pages.add(result.pages)
            sizes.append(len(result.pdf))
    log(f"letter: ours {statistics.median(ours) * 1000:.1f} ms, "
        f"stock {statistics.median(stock) * 1000:.1f} ms")
    return {"ours": _ms(ours), "stock": _ms(stock), "ours_cpu": _ms(ours_cpu), "stock_cpu": _ms(stock_cpu),
            "pages": sorted(pages), "pdf_kb": round(statistics.median(sizes) / 1024, 1)}


def bench_libreoffice(count: int, runs: int, log: Callable[[str], None]) -> dict:
    """(c) LibreOffice headless HTML → PDF of the same letters (the stock HTML of the letter row):
    one process per letter (cold), and one process converting `count` letters (amortised, the
    way LibreOffice is used for batches)."""
    from pypdf import PdfReader

    from records.pdf import PdfRenderer

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        log("libreoffice: not installed")
        return {"status": "not installed"}
    renderer = PdfRenderer([TEMPLATES])
    htmls = [_stock_html(renderer.render_html(LETTER_TEMPLATE, {**context(i), "paper": "F4"}))
             for i in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = []
        for i, html in enumerate(htmls):
            sources.append(folder / f"letter-{i:04d}.html")
            sources[-1].write_text(html.replace("<head>", f'<head><base href="{TEMPLATES.as_uri()}/">', 1),
                                   encoding="utf-8")
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   "--convert-to", "pdf"]

        def convert(files: list[Path], outdir: str) -> float:
            start = time.perf_counter()
            subprocess.run([*command, "--outdir", str(folder / outdir), *map(str, files)],
                           check=True, capture_output=True, timeout=900)
            return time.perf_counter() - start

        convert(sources[:1], "warm")  # creates the profile; not counted
        cold = [convert([source], "cold") for source in sources[:runs]]
        amortised = convert(sources, "batch")
        pages = len(PdfReader(folder / "cold" / sources[0].with_suffix(".pdf").name).pages)
    per_letter = amortised / len(sources)
    log(f"libreoffice: cold {statistics.median(cold) * 1000:.0f} ms, "
        f"amortised {per_letter * 1000:.1f} ms/letter")
    return {"status": "ok", "cold": _ms(cold), "amortised_letters": len(sources),
            "amortised_ms_per_letter": round(per_letter * 1000, 1),
            "amortised_letters_per_s": round(1 / per_letter, 1), "pages": pages}


def bench_phases(n: int, log: Callable[[str], None]) -> dict:
    """Median CPU ms of each phase of our letter, in this process (the profile of the letter row)."""
    from weasyprint import HTML

    from records.pdf import ASSET_BASE_URL, PDF_VARIANT, PdfRenderer, qr_png_data_uri

    renderer = PdfRenderer([TEMPLATES])
    renderer.warm_up()
    phases: dict[str, list[float]] = {"qr": [], "jinja": [], "parse": [], "layout": [], "write": []}
    for i in range(n + 1):
        ctx = {**context(i), "paper": "F4"}
        marks = [time.thread_time()]
        qr_png_data_uri(ctx["verification"]["url"])
        marks.append(time.thread_time())
        html = renderer.render_html(LETTER_TEMPLATE, ctx)  # includes its own QR code
        marks.append(time.thread_time())
        parsed = HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=renderer.fetcher, encoding="utf-8")
        marks.append(time.thread_time())
        document = parsed.render(font_config=renderer.font_config, stylesheets=renderer.stylesheets,
                                 cache=renderer.image_cache)
        marks.append(time.thread_time())
        document.write_pdf(pdf_variant=PDF_VARIANT)
        marks.append(time.thread_time())
        if i:
            for name, (begin, finish) in zip(phases, itertools.pairwise(marks), strict=True):
                phases[name].append(finish - begin)
    result = {name: round(statistics.median(values) * 1000, 1) for name, values in phases.items()}
    result["jinja"] = round(result["jinja"] - result["qr"], 1)  # Jinja's own share
    log("phases: " + ", ".join(f"{name} {ms} ms" for name, ms in result.items()))
    return result


def bench_biodata(n: int, log: Callable[[str], None]) -> dict:
    """permohonan_kk with the 6-member F-1.01 biodata: ms per page."""
    from records.pdf import PdfRenderer

    renderer = PdfRenderer([TEMPLATES])
    renderer.warm_up()
    times, cpu, pages = [], [], 0
    for i in range(n + 1):
        start = time.perf_counter()
        result = renderer.render(BIODATA_TEMPLATE, context(i, biodata=True), paper="F4", metadata=metadata(i))
        if i:
            times.append(time.perf_counter() - start)
            cpu.append(result.cpu_seconds)
        pages = result.pages
    total, total_cpu = _ms(times), _ms(cpu)
    per_page = round(total["median"] / pages, 1)
    log(f"biodata: {total['median']:.0f} ms for {pages} pages = {per_page} ms/page")
    return {"document": total, "document_cpu": total_cpu, "pages": pages, "ms_per_page": per_page,
            "cpu_ms_per_page": round(total_cpu["median"] / pages, 1)}


def _vm_hwm(pid: int) -> int:
    """Peak resident set size of a live process in bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def bench_batch(count: int, log: Callable[[str], None]) -> dict:
    """`count` letters on one worker per core, one feeding thread each, then merged into one
    print file."""
    from records.desk import render_workers
    from records.pdf import merge_pdfs
    from records.render_worker import RenderPool

    workers = render_workers(0)
    peak = {"rss": 0}
    results: list[bytes | None] = [None] * count
    worker_cpu = [0.0] * count
    with RenderPool([TEMPLATES], workers=workers) as pool:
        for _ in range(2):  # start every worker and pay its warm-up outside the timing
            threads = [threading.Thread(target=pool.render, args=(LETTER_TEMPLATE, context(0)),
                                        kwargs={"metadata": metadata(0)}) for _ in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        cursor = iter(range(count))
        lock = threading.Lock()

        def feed() -> None:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    return
                rendered = pool.render(LETTER_TEMPLATE, context(i), metadata=metadata(i))
                results[i], worker_cpu[i] = rendered.pdf, rendered.cpu_seconds
                if i % 25 == 0:
                    for pid in pool.pids():
                        peak["rss"] = max(peak["rss"], _vm_hwm(pid))

        start, parent_cpu = time.perf_counter(), time.process_time()
        threads = [threading.Thread(target=feed) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rendered = time.perf_counter() - start
        for pid in pool.pids():
            peak["rss"] = max(peak["rss"], _vm_hwm(pid))
        merged = merge_pdfs(results)
        total, parent_cpu = time.perf_counter() - start, time.process_time() - parent_cpu
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    rate = count / total
    cpu_per_letter = (sum(worker_cpu) + parent_cpu) / count
    capacity = workers / cpu_per_letter
    log(f"batch: {count} letters rendered in {rendered:.1f} s, merged in {total - rendered:.1f} s "
        f"= {rate:.1f} letters/s")
    return {"letters": count, "workers": workers, "render_s": round(rendered, 2),
            "merge_s": round(total - rendered, 2),
            "letters_per_s": round(rate, 1), "render_only_letters_per_s": round(count / rendered, 1),
            "merged_mb": round(len(merged) / MB, 1),
            "cpu_ms_per_letter": round(cpu_per_letter * 1000, 1),
            "cpu_bound_letters_per_s": round(capacity, 1),
            "worker_peak_rss_mb": round(max(peak["rss"], reaped) / MB, 1)}


class _CpuRecorder:
    """Wraps the desk's RenderPool to keep the worker CPU time of the last render."""

    def __init__(self, pool):
        self.pool, self.last_cpu = pool, 0.0

    def render(self, *args, **kwargs):
        result = self.pool.render(*args, **kwargs)
        self.last_cpu = result.cpu_seconds
        return result


def bench_issue(n: int, log: Callable[[str], None]) -> dict:
    """End-to-end `issue` on a throw-away demo office: number + render + sign + archive + audit."""
    from sqlalchemy import select

    from records.app import create_app
    from records.demo_data import DESA, generate_population
    from records.extensions import db, lemari
    from records.models import Layanan, Penduduk
    from records.services import persyaratan
    from records.services.accounts import actor_for_username
    from records.services.issuing import advance, issue
    from records.services.requests import take_request
    from records.services.setup import initialise, load_demo

    with tempfile.TemporaryDirectory(prefix="lemari-bench-") as home:
        app = create_app({"HOME": home, "DATABASE_URL": "", "TESTING": True, "WTF_CSRF_ENABLED": False,
                          "LOG_LEVEL": "WARNING"})
        try:
            with app.app_context():
                ext = lemari()
                initialise(session=db.session, engine=db.engine, sm=app.appbuilder.sm,
                           appbuilder=app.appbuilder, registry=ext.registry,
                           menu_permissions=ext.menu_permissions, pm=ext.pm)
                load_demo(session=db.session, sm=app.appbuilder.sm, population=generate_population(),
                          desa=DESA, force_password_change=False)

                def who(username: str):
                    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                              registry=ext.registry)

                petugas, camat = who("petugas"), who("camat")
                residents = list(db.session.scalars(select(Penduduk.id).limit(n + 1)))
                recorder = _CpuRecorder(ext.desk().renderer)
                desk = dataclasses.replace(ext.desk(), renderer=recorder)
                records = []
                # every requirement received, as a clerk ticks them (issue 14)
                received = persyaratan.names(db.session.get(Layanan, "sk_domisili").persyaratan)
                for resident in residents:
                    record = take_request("sk_domisili", penduduk_id=resident,
                                          received=received,
                                          values={"keperluan": "Persyaratan pembukaan rekening bank"},
                                          actor=petugas, session=db.session, desk=desk)
                    for step, actor in (("verifikasi", petugas), ("tandatangani", camat)):
                        advance(record.id, step, actor=actor, session=db.session, registry=ext.registry,
                                pm=ext.pm, desk_factory=ext.desk)
                    records.append(record.id)
                times, cpu = [], []
                for position, record_id in enumerate(records):
                    start, parent_cpu = time.perf_counter(), time.thread_time()
                    record = issue(record_id, actor=petugas, session=db.session, desk=desk)
                    elapsed, parent_cpu = time.perf_counter() - start, time.thread_time() - parent_cpu
                    assert record.state == "terbit", record.state
                    if position:
                        times.append(elapsed)
                        cpu.append(parent_cpu + recorder.last_cpu)
                sign_times = []
                sample = desk.blobs.read_bytes(
                    [f for f in record.files if f.kind == "terbit"][0].sha256) if desk.signer else b""
                if desk.signer:
                    unsigned = desk.renderer.render(LETTER_TEMPLATE, context(0), metadata=metadata(0)).pdf
                    for _ in range(min(10, n)):
                        start = time.perf_counter()
                        desk.signer.sign(unsigned, reason="bench", location="Kota Bangun", name="bench")
                        sign_times.append(time.perf_counter() - start)
        finally:
            app.extensions["lemari"].close()
    result = {"issue": _ms(times), "issue_cpu": _ms(cpu), "signed_kb": round(len(sample) / 1024, 1)}
    if sign_times:
        result["sign"] = _ms(sign_times)
    log(f"issue: median {result['issue']['median']} ms")
    return result


# --------------------------------------------------------------------------- report


def machine() -> dict:
    """What the numbers were measured on."""
    import weasyprint
    from weasyprint.text.ffi import pango

    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "python": platform.python_version(),
            "weasyprint": weasyprint.__version__,
            "pango": "{}.{}.{}".format(*_split_version(pango.pango_version())),
            "platform": platform.platform()}


def _split_version(encoded: int) -> tuple[int, int, int]:
    """Pango's version integer (major * 10000 + minor * 100 + micro) as its parts."""
    return encoded // 10000, encoded // 100 % 100, encoded % 100


def run(n: int = 50, batch: int = 1000, log: Callable[[str], None] = lambda line: None) -> dict:
    """Every row; returns the JSON-able result (see the module docstring)."""
    started = time.perf_counter()
    letter = bench_letter(n, log)
    results = {
        "machine": machine(),
        "settings": {"n": n, "batch": batch},
        "letter": letter,
        "phases": bench_phases(n, log),
        "libreoffice": bench_libreoffice(max(n, min(batch, 200)), min(n, 5), log),
        "biodata": bench_biodata(max(5, n // 3), log),
        "issue": bench_issue(n, log),
        "batch": bench_batch(batch, log) if batch else {"letters": 0},
    }
    values = {
        "letter_ms": letter["ours"]["median"],
        "issue_ms": results["issue"]["issue"]["median"],
        "batch_letters_per_s": results["batch"].get("letters_per_s"),
        "biodata_ms_per_page": results["biodata"]["ms_per_page"],
        "worker_peak_rss_mb": results["batch"].get("worker_peak_rss_mb"),
    }
    results["targets"] = {
        key: {"value": value, "target": f"{op} {limit:g}",
              "met": None if value is None else (value <= limit if op == "≤" else value >= limit)}
        for key, value in values.items() for op, limit in [TARGETS[key]]}
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results


def _yes(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "NO")


def format_table(results: dict) -> str:
    """The results as a Markdown table (what docs/benchmarks.md shows)."""
    t, letter, batch = results["targets"], results["letter"], results["batch"]
    office, phases = results["libreoffice"], results["phases"]
    lo = (f"{office['amortised_ms_per_letter']} ms/letter = {office['amortised_letters_per_s']} letters/s "
          f"amortised over {office['amortised_letters']} letters in one process; "
          f"{office['cold']['median']:.0f} ms for one letter in its own process; {office['pages']} pages"
          if office.get("status") == "ok" else office.get("status", "not installed"))
    rows = [
        ("Letter render, 1-page surat keterangan (median, warm)", f"{letter['ours']['median']} ms "
         f"(p90 {letter['ours']['p90']}; CPU {letter['ours_cpu']['median']} ms)", "≤ 20 ms",
         _yes(t["letter_ms"]["met"])),
        ("Stock WeasyPrint, same HTML, default settings", f"{letter['stock']['median']} ms "
         f"(p90 {letter['stock']['p90']}; CPU {letter['stock_cpu']['median']} ms)", "reference", ""),
        ("LibreOffice headless, same HTML", lo, "reference", ""),
        ("Where our letter's time goes (CPU, median)",
         f"QR {phases['qr']} · Jinja {phases['jinja']} · HTML parse {phases['parse']} · style + layout "
         f"{phases['layout']} · draw + PDF/A write {phases['write']} ms", "", ""),
        ("End-to-end issue (number + render + sign + archive + audit)",
         f"{results['issue']['issue']['median']} ms (p90 {results['issue']['issue']['p90']}; "
         f"CPU {results['issue']['issue_cpu']['median']} ms)"
         + (f"; signing alone {results['issue']['sign']['median']} ms" if "sign" in results["issue"] else ""),
         "≤ 100 ms", _yes(t["issue_ms"]["met"])),
        (f"Batch, {batch['letters']} letters on {batch.get('workers', '?')} workers + merge",
         (f"{batch['letters_per_s']} letters/s (render {batch['render_s']} s, merge {batch['merge_s']} s); "
          f"CPU {batch['cpu_ms_per_letter']} ms/letter = {batch['cpu_bound_letters_per_s']} letters/s "
          f"if the {batch['workers']} cores were ours alone"
          if batch["letters"] else "skipped"), "≥ 60 /s", _yes(t["batch_letters_per_s"]["met"])),
        (f"F-1.01 family biodata (permohonan_kk, 6 members, {results['biodata']['pages']} pages)",
         f"{results['biodata']['ms_per_page']} ms/page "
         f"({results['biodata']['document']['median']} ms/document; "
         f"CPU {results['biodata']['cpu_ms_per_page']} ms/page)",
         "≤ 60 ms/page", _yes(t["biodata_ms_per_page"]["met"])),
        ("Render worker peak RSS", f"{batch.get('worker_peak_rss_mb', 'n/a')} MB", "≤ 300 MB",
         _yes(t["worker_peak_rss_mb"]["met"])),
    ]
    lines = ["| Metric | Measured | Target | Met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    m = results["machine"]
    lines.append("")
    lines.append(f"{m['nproc']} × {m['cpu']}; Python {m['python']}, WeasyPrint {m['weasyprint']}, "
                 f"Pango {m['pango']}; n={results['settings']['n']}, batch={results['settings']['batch']}; "
                 f"run took {results['elapsed_s']} s.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.pdf_bench [n] [batch]` without the lemari CLI."""
    import json

    args = (argv if argv is not None else sys.argv[1:]) + [None, None]
    n, batch = int(args[0] or 50), int(args[1] if args[1] is not None else 1000)
    results = run(n, batch, log=lambda line: print(line, file=sys.stderr))
    print(format_table(results))
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
