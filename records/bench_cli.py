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


@bench_group.command("search")
@click.option("--docs", default=100_000, show_default=True, type=click.IntRange(min=100),
              help="Documents in the synthetic archive.")
@click.option("--queries", "per_class", default=200, show_default=True,
              type=click.IntRange(min=20), help="Queries timed per class.")
@click.option("--engine", "engines", multiple=True, type=click.Choice(["whoosh", "postgres", "fts5"]),
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
