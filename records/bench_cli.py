"""`lemari bench pdf`: the PDF benchmark of issue 3 (bench/pdf_bench.py) from the lemari CLI.

Register in records/cli.py: ``from .bench_cli import bench_group`` and add ``bench_group`` to
COMMANDS.  The benchmark builds its own throw-away office in a temporary folder, so it never
touches the installation's data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

#: The repository root, where the `bench` package lives (it is not part of the installed wheel).
REPO = Path(__file__).resolve().parent.parent


def _bench_module(name: str = "pdf_bench"):
    """bench.<name>, importable from a source checkout wherever lemari is started."""
    if str(REPO) not in sys.path and (REPO / "bench" / f"{name}.py").is_file():
        sys.path.append(str(REPO))
    import importlib

    return importlib.import_module(f"bench.{name}")


@click.group("bench")
def bench_group() -> None:
    """Benchmarks (timings on this machine, not tests)."""


@bench_group.command("pdf")
@click.option("--n", "n", default=50, show_default=True, type=click.IntRange(min=3),
              help="Renders / issues timed per row (medians).")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=0),
              help="Letters in the batch-throughput row (0 skips it).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_pdf_command(n: int, batch: int, as_json: bool) -> None:
    """Letter, end-to-end issue, batch, family biodata and worker memory against the targets."""
    pdf_bench = _bench_module()
    results = pdf_bench.run(n, batch, log=lambda line: click.echo(line, err=True))
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False))
    else:
        click.echo(pdf_bench.format_table(results))


@bench_group.command("publikasi")
@click.option("--n", "n", default=30, show_default=True, type=click.IntRange(min=3),
              help="Requests timed per row (renders: n/5).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_publikasi_command(n: int, as_json: bool) -> None:
    """Public pages, flowchart, poster render, previews and the print kit, with references."""
    publikasi_bench = _bench_module("publikasi_bench")
    results = publikasi_bench.run(n, log=lambda line: click.echo(line, err=True))
    click.echo(json.dumps(results, ensure_ascii=False) if as_json else publikasi_bench.format_table(results))


@bench_group.command("archive")
@click.option("--files", default=1000, show_default=True, type=click.IntRange(min=10),
              help="Born-digital PDFs in the timed folder import (its peak RSS is reported).")
@click.option("--pages", default=9, show_default=True, type=click.IntRange(min=3),
              help="300-dpi A4 pages OCRed (the first warms the caches and is not timed).")
@click.option("--fixity-mb", default=200, show_default=True, type=click.IntRange(min=20),
              help="MB of larger files added before timing fixity.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_archive_command(files: int, pages: int, fixity_mb: int, as_json: bool) -> None:
    """Scan ingest, OCR pages/min, import peak RSS and fixity MB/s against the targets."""
    archive_bench = _bench_module("archive_bench")
    results = archive_bench.run(files, pages, fixity_mb, log=lambda line: click.echo(line, err=True))
    click.echo(json.dumps(results, ensure_ascii=False) if as_json
               else archive_bench.format_table(results))


@bench_group.command("queue")
@click.option("--minutes", default=60.0, show_default=True, type=click.FloatRange(min=1),
              help="Simulated minutes of office load (real time = minutes × 60 / speed).")
@click.option("--speed", default=50.0, show_default=True, type=click.FloatRange(min=1),
              help="How many times faster than real time.")
@click.option("--engine", type=click.Choice(["both", "sqlite", "postgresql"]), default="both",
              show_default=True)
@click.option("--pg-url", default=None, help="PostgreSQL admin URL (a throw-away database is "
              "created and dropped); default LEMARI_TEST_PG_URL or the local server.")
@click.option("--workers", default=0, show_default=True, type=click.IntRange(min=0),
              help="`lemari serve --workers` (0: sized to the cores; 1: one waitress process).")
@click.option("--clerks", default=20, show_default=True, type=click.IntRange(min=0),
              help="Clerks searching and issuing beside the queue (more of them saturate the "
              "CPU without speeding the queue up as --speed does).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_queue_command(minutes: float, speed: float, engine: str, pg_url: str | None, workers: int,
                        clerks: int, as_json: bool) -> None:
    """Front office on loopback against `lemari serve`: 10 counters, 2 displays, kiosk at 300
    tickets/h, 20 clerks (`--clerks`); CPU time and load beside the latencies."""
    queue_bench = _bench_module("queue_bench")
    engines = ("sqlite", "postgresql") if engine == "both" else (engine,)
    results = queue_bench.run(minutes=minutes, speed=speed, engines=engines, workers=workers,
                              clerks=clerks, pg_url=pg_url or queue_bench.DEFAULT_PG,
                              log=lambda line: click.echo(line, err=True))
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False))
    else:
        click.echo(queue_bench.format_table(results))


@bench_group.command("search")
@click.option("--docs", default=100_000, show_default=True, type=click.IntRange(min=100),
              help="Documents in the synthetic archive.")
@click.option("--queries", "per_class", default=200, show_default=True,
              type=click.IntRange(min=20), help="Queries timed per class.")
@click.option("--engine", "engines", multiple=True,
              type=click.Choice(["sqlite", "whoosh", "postgres", "fts5"]),
              help="Engines to measure (default: all; postgres only when a server answers).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_search_command(docs: int, per_class: int, engines: tuple[str, ...], as_json: bool) -> None:
    """Indexing rate, query p50/p95 per class and search RSS, with SQLite FTS5 as reference."""
    search_bench = _bench_module("search_bench")
    results = search_bench.run(docs, engines or search_bench.ENGINES, per_class,
                               log=lambda line: click.echo(line, err=True))
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False))
    else:
        click.echo(search_bench.format_table(results))


@bench_group.command("pages")
@click.option("--n", "n", default=15, show_default=True, type=click.IntRange(min=3),
              help="Requests timed per page (medians).")
@click.option("--routes", is_flag=True, help="Also print every route's median, p95 and CPU time.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_pages_command(n: int, routes: bool, as_json: bool) -> None:
    """Every staff page per role (server time, in-process), with /health as the reference."""
    pages_bench = _bench_module("pages_bench")
    results = pages_bench.run(n, log=lambda line: click.echo(line, err=True))
    click.echo(json.dumps(results, ensure_ascii=False) if as_json
               else pages_bench.format_table(results, routes=routes))


@bench_group.command("cli")
@click.option("--n", "n", default=10, show_default=True, type=click.IntRange(min=3),
              help="Fresh processes started per command.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_cli_command(n: int, as_json: bool) -> None:
    """Start-up time of lemari commands (app-free ones ≤ 0.3 s), with `python -c pass` as floor."""
    cli_bench = _bench_module("cli_bench")
    results = cli_bench.run(n, log=lambda line: click.echo(line, err=True))
    click.echo(json.dumps(results, ensure_ascii=False) if as_json else cli_bench.format_table(results))


@bench_group.command("kabupaten")
@click.option("--tenants", default=20, show_default=True, type=click.IntRange(1, 99),
              help="Kecamatan in the throw-away kabupaten (kec01, kec02, …).")
@click.option("--docs-per-tenant", default=50_000, show_default=True, type=click.IntRange(min=100),
              help="Synthetic archive documents indexed in each kecamatan's schema.")
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(min=1),
              help="Simulated minutes of realistic load per layout (real time = minutes × 60 / speed).")
@click.option("--speed", default=2.0, show_default=True, type=click.FloatRange(min=1),
              help="How many times faster than real time.")
@click.option("--pg-url", default=None, help="PostgreSQL admin URL (a throw-away database is "
              "created and dropped); default LEMARI_TEST_PG_URL or the local server.")
@click.option("--processes", "processes", multiple=True, type=click.IntRange(1, 8),
              help="Layouts to run (repeatable); default 1 and then 2 app processes.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the kabupaten (database, data) in this folder; a later run with the same "
              "folder measures it again without the setup (compare two versions of the code).")
@click.option("--discard", is_flag=True, help="Only remove the kabupaten kept in --keep's folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench_kabupaten_command(tenants: int, docs_per_tenant: int, minutes: float, speed: float,
                            pg_url: str | None, processes: tuple[int, ...], keep: Path | None,
                            discard: bool, as_json: bool) -> None:
    """Many kecamatan on 1 and then 2 `lemari serve` processes behind HAProxy, with PostgreSQL
    and Redis: p50/p95 per endpoint class, errors, throughput and the 2/1 scaling ratio."""
    kabupaten_bench = _bench_module("kabupaten_bench")
    if discard:
        if keep is None or not kabupaten_bench.discard(keep):
            click.echo("Gagal: tidak ada kabupaten yang disimpan di folder --keep itu.", err=True)
            sys.exit(1)
        click.echo(f"Kabupaten yang disimpan di {keep} sudah dihapus.")
        return
    try:
        results = kabupaten_bench.run(tenants=tenants, docs_per_tenant=docs_per_tenant, minutes=minutes,
                                      speed=speed, pg_url=pg_url or kabupaten_bench.DEFAULT_PG,
                                      log=lambda line: click.echo(line, err=True), keep=keep,
                                      processes=processes or (1, 2))
    except kabupaten_bench.MissingTool as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)
    click.echo(json.dumps(results, ensure_ascii=False) if as_json else kabupaten_bench.format_table(results))
