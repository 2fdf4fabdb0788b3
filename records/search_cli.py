"""`lemari reindex`, `lemari index-drain`, `lemari search` and `lemari doctor`.

Add to records/cli.py: ``from .search_cli import SEARCH_COMMANDS`` and ``*SEARCH_COMMANDS`` to
COMMANDS. Maintenance commands wait for the installation's drain lock, so they never race
the web server's own drains.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from records.extensions import db, lemari
from records.indexing import count_docs, open_engine, pending_count


def _unchecked_engine():
    """The index as it is on disk, not repaired first (doctor must see drift; reindex would
    otherwise build it twice)."""
    ext = lemari()
    return open_engine(ext.settings, ext.registry, db.engine, check=False)


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index from the database (the old index serves until it is done)."""
    engine = _unchecked_engine()
    total = count_docs(db.session)
    db.session.rollback()
    with click.progressbar(length=total, label="Mengindeks") as bar:
        written = engine.rebuild(progress=lambda done: bar.update(done - bar.pos))
    click.echo(f"{written} dokumen diindeks.")


def fill_empty_index() -> None:
    """After `lemari init`: an empty index beside a database with findable items is built from
    the database. That is an upgrade that changed the search engine (Whoosh to SQLite FTS5 or
    PostgreSQL, issue 17) or a data folder whose index was lost; the database is the source of
    truth, and without this every search would answer nothing until somebody ran reindex."""
    engine = _unchecked_engine()
    total = count_docs(db.session)
    db.session.rollback()
    if not total or engine.index.health().get("doc_count"):
        return
    click.echo(f"Indeks pencarian kosong, dibangun dari basis data ({total} dokumen)...")
    written = engine.rebuild()
    click.echo(f"{written} dokumen diindeks.")


@click.command("index-drain")
@click.option("--batch", default=200, show_default=True, help="Baris outbox per langkah.")
@with_appcontext
def drain_command(batch: int) -> None:
    """Apply every pending search outbox row (after a crash, or when no web server runs)."""
    pending = pending_count(db.session)
    db.session.rollback()
    applied = lemari().search().drain(batch=max(batch, 1))
    click.echo(f"{applied} dari {pending} perubahan diterapkan ke indeks.")


@click.command("search")
@click.argument("query")
@click.option("--as", "username", required=True, help="Akun yang mencari (cakupan dan izinnya).")
@click.option("--page", default=1, type=int, show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance")
@click.option("--json", "as_json", is_flag=True, help="Cetak hasil sebagai JSON.")
@with_appcontext
def search_command(query: str, username: str, page: int, sort: str, as_json: bool) -> None:
    """Search the archive as USERNAME would see it (scope, NIK masking, audit)."""
    from records.cli import actor, run_service
    from records.services.searching import clean_request, search_archive

    who, ext = actor(username), lemari()
    request = clean_request(query, {}, sort, page)
    result = run_service(lambda: search_archive(request, actor=who, session=db.session,
                                                engine=ext.search(), registry=ext.registry))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    _print_page(result)


def _print_page(result: dict) -> None:
    """Hits as one line each, then notes and the suggestion."""
    for note in result["notes"]:
        click.echo(f"catatan: {note}")
    if result["suggestion"]:
        click.echo(f"Mungkin maksud Anda: {result['suggestion']}")
    click.echo(f"{result['total']} hasil (halaman {result['page']}/{result['pages']})")
    for hit in result["hits"]:
        mark = " [DICABUT]" if hit["revoked"] else ""
        ident = hit["nomor"] or ", ".join(hit["nik"])
        click.echo(f"  {hit['id']:<16} {hit['title']}{mark} · {ident} · {hit['desa']}")


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Report drift between schema and code, database and search index, rows and files;
    exit 1 when they disagree."""
    from records.doctor import check_backups, check_office_setup, schema_checks, search_checks

    checks = schema_checks(db.engine)
    lemari().refresh_office(force=True)
    checks.append(check_office_setup(lemari().settings))
    checks.append(check_backups(db.session, lemari().settings))
    checks += search_checks(db.session, _unchecked_engine())
    checks += _archive_checks()
    for check in checks:
        click.echo(f"[{'OK' if check.ok else 'GAGAL'}] {check.name}: {check.summary}")
        for line in check.details:
            click.echo(f"    {line}")
    if not all(check.ok for check in checks):
        sys.exit(1)


def _archive_checks():
    """The archive's checks (records.doctor.archive_checks) on the installation's store."""
    from records.desk import blob_store
    from records.doctor import archive_checks

    return archive_checks(db.session, blob_store(lemari().settings), lemari().registry)


SEARCH_COMMANDS = (reindex_command, drain_command, search_command, doctor_command)
