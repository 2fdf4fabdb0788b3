"""`lemari nik NUMBER`: explain a NIK without building the app (records.console runs it directly)."""

from __future__ import annotations

import json
import sys

import click

from records.nik import NikError, parse_nik


@click.command("nik")
@click.argument("number")
def nik_command(number: str) -> None:
    """Parse a NIK and print its parts as JSON (exit 1 with the reason when invalid)."""
    try:
        parsed = parse_nik(number)
    except NikError as exc:
        click.echo(json.dumps({"valid": False, "error": str(exc)}, ensure_ascii=False))
        sys.exit(1)
    click.echo(json.dumps({"valid": True, **parsed.to_json()}, ensure_ascii=False, indent=2))
