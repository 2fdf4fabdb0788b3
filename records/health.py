"""/health: version, database and data-folder status as JSON (no login, no personal data)."""

from __future__ import annotations

import os
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from records.errors import rollback_quietly
from records.extensions import db


def package_version() -> str:
    """Installed version of the lemari distribution."""
    try:
        return version("lemari")
    except PackageNotFoundError:
        return "0+unknown"


def database_status() -> dict:
    """Can we run a query, and on which engine."""
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "dialect": db.engine.dialect.name}
    except Exception as exc:  # the health page must report, not crash
        rollback_quietly()
        return {"ok": False, "dialect": db.engine.dialect.name, "error": type(exc).__name__}


def home_status(home: Path) -> dict:
    """Is the data folder present and writable, and how much disk is left."""
    writable = home.is_dir() and os.access(home, os.W_OK)
    free = shutil.disk_usage(home).free if home.is_dir() else 0
    return {"ok": writable, "free_mb": free // (1024 * 1024)}


def health():
    """503 when a check fails, so a monitor needs no JSON parsing to raise the alarm."""
    status = {"version": package_version(), "process": os.getpid(),  # which of the server's answered
              "database": database_status(),
              "data_folder": home_status(Path(current_app.config["HOME"]))}
    ok = status["database"]["ok"] and status["data_folder"]["ok"]
    return jsonify(status=("ok" if ok else "error"), **status), (200 if ok else 503)


def register(app: Flask) -> None:
    """Add the /health route."""
    app.add_url_rule("/health", "health", health)
