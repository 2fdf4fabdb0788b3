"""`lemari db upgrade|downgrade|current|history|revision`: the schema migrations by hand.

`lemari init` already applies pending migrations; these commands are for looking, for going
back after a bad upgrade, and for developers writing a migration. The work is done by
records.services.schema; this module only parses, asks and prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click
from flask.cli import with_appcontext

from records.extensions import db
from records.services import schema

T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """A schema call; its refusal becomes a message on stderr and exit code 1 (the CLI's
    run_service does the same for other services, but importing it here would be a cycle)."""
    try:
        return action()
    except schema.SchemaError as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)


def describe_upgrade(before: schema.SchemaState, after: schema.SchemaState) -> list[str]:
    """What an upgrade did, in the words an office operator reads after `make run`."""
    applied = [rev for rev in before.pending if rev not in after.pending]
    lines = []
    if before.legacy and schema.BASELINE in applied:
        lines.append(f"Basis data dari rilis sebelum adanya migrasi dikenali sebagai revisi dasar "
                     f"{schema.BASELINE}.")
        applied.remove(schema.BASELINE)
    elif before.current is None and applied:
        lines.append(f"Skema basis data dibuat (revisi dasar {applied.pop(0)}).")
    if applied:
        lines.append(f"Migrasi diterapkan: {', '.join(applied)}.")
    status = "terbaru" if after.up_to_date else f"revisi terbaru {after.head}"
    lines.append(f"Skema basis data pada revisi {after.current} ({status}).")
    return lines


def require_current_schema() -> None:
    """Refuse to serve on a database the code does not match (after `git pull` without
    `make run`): every page touching a changed table would fail, one by one."""
    state = _run(lambda: schema.current_state(db.engine))
    if not state.up_to_date:
        click.echo(f"Skema basis data belum terbaru (revisi {state.current or 'belum ada'}, "
                   f"terbaru {state.head}). Jalankan dulu: lemari init", err=True)
        sys.exit(1)


@click.group("db")
def db_group() -> None:
    """Skema basis data: migrasi (lemari init sudah menerapkan yang tertunda)."""


def backup_before_upgrade(skip: bool) -> None:
    """When migrations are pending on a database that has data and backups are set up, back up
    to every target first; exit 1 (nothing migrated) when every target failed."""
    from flask import current_app

    from records import backup_desk
    from records.services.backup_targets import BackupError

    state = _run(lambda: schema.current_state(db.engine))
    if skip or not state.pending or (state.current is None and not state.legacy):
        return
    try:
        line = backup_desk.before_upgrade(current_app._get_current_object(), state.pending)
    except BackupError as exc:
        click.echo(f"Gagal: {exc} Pembaruan skema dibatalkan; pasang disk cadangan, atau jalankan "
                   "dengan --tanpa-cadangan bila sudah ada cadangan lain.", err=True)
        sys.exit(1)
    if line:
        click.echo(line)


@db_group.command("upgrade")
@click.argument("revision", default="head")
@click.option("--tanpa-cadangan", "no_backup", is_flag=True,
              help="Jangan mencadangkan ke target sebelum migrasi.")
@with_appcontext
def upgrade_command(revision: str, no_backup: bool) -> None:
    """Apply migrations up to REVISION (default: the newest); backs up to every target first."""
    backup_before_upgrade(no_backup)
    before, after = _run(lambda: schema.upgrade(db.engine, revision))
    for line in describe_upgrade(before, after):
        click.echo(line)


@db_group.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Jangan bertanya lagi.")
@with_appcontext
def downgrade_command(revision: str, yes: bool) -> None:
    """Undo migrations down to REVISION (e.g. after a bad upgrade, before the old code runs)."""
    if not yes:
        click.confirm("Menurunkan skema dapat menghapus kolom atau tabel beserta isinya. Sudah "
                      "mengambil cadangan (lemari backup)? Lanjutkan", abort=True)
    before, after = _run(lambda: schema.downgrade(db.engine, revision))
    if before.current == after.current:
        click.echo(f"Tidak ada yang diturunkan: basis data sudah pada revisi {after.current}.")
    else:
        click.echo(f"Skema basis data diturunkan dari revisi {before.current} ke {after.current}.")


@db_group.command("current")
@with_appcontext
def current_command() -> None:
    """Print the database's revision and what is still pending."""
    state = _run(lambda: schema.current_state(db.engine))
    if state.legacy:
        click.echo("Basis data dari rilis sebelum adanya migrasi (belum bertanda revisi); "
                   "lemari init akan menandainya sebagai revisi dasar.")
    elif state.current is None:
        click.echo("Basis data kosong; lemari init akan membuat skemanya.")
    else:
        click.echo(f"Revisi basis data: {state.current}"
                   + (" (terbaru)" if state.up_to_date else ""))
    if state.pending:
        click.echo(f"Belum diterapkan: {', '.join(state.pending)} (terbaru {state.head}).")


@db_group.command("history")
@with_appcontext
def history_command() -> None:
    """List every migration, newest first, marking the database's revision."""
    current = _run(lambda: schema.current_state(db.engine)).current
    for revision in schema.history():
        mark = "  ← basis data ini" if revision.id == current else ""
        click.echo(f"{revision.id}  (setelah {revision.down or '-'})  {revision.message}{mark}")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="Apa yang diubah, singkat.")
@with_appcontext
def revision_command(message: str) -> None:
    """For developers: write the migration the changed models need (on a database at head)."""
    path = _run(lambda: schema.new_revision(db.engine, message))
    click.echo(f"Migrasi baru ditulis: {path}")
    click.echo("Periksa isinya sebelum di-commit: Alembic tidak mengenali penggantian nama, dan "
               "kolom NOT NULL baru butuh server_default untuk baris yang sudah ada.")
