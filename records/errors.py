"""The one place domain errors become HTTP responses (JSON under /api/, a page elsewhere).

Every refusal is a 4xx answer in Indonesian, however early it happens: a CSRF refusal or an
oversized body is raised before Flask-AppBuilder has named the user for the request, and the
page is drawn anyway (the user is named here); should drawing the office layout fail, a plain
page with the same status and message is sent instead of a bare 500.
"""

from __future__ import annotations

import logging
from html import escape

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from records import form_drafts
from records.exceptions import RecordsError
from records.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {400: "Permintaan tidak valid.", 403: "Anda tidak berwenang membuka halaman ini.",
            404: "Halaman atau data tidak ditemukan.", 405: "Metode tidak diizinkan.",
            413: "Berkas atau isian terlalu besar (batas {limit} MB per kiriman).",
            422: "Isian tidak valid.",
            429: "Terlalu banyak permintaan. Coba lagi sebentar lagi.",
            500: "Terjadi kesalahan pada server. Data Anda tidak hilang; silakan coba lagi.",
            503: "Layanan sedang sibuk. Coba lagi sebentar lagi."}

#: A database that does not answer (restarting, its host down, the network cut).
UNREACHABLE = ("Basis data kantor sedang tidak dapat dihubungi. Data yang sudah tersimpan aman; "
               "coba lagi sebentar lagi.")
#: `g` key set once the database failed this request: later hooks must not ask it again.
DATABASE_DOWN = "_lemari_database_down"
#: Seconds a client is told to wait before trying again after a 503.
RETRY_AFTER = "5"


def respond(status: int, message: str, errors: dict | None = None, headers: dict | None = None):
    """The refusal as JSON (REST API) or as a page of the office layout."""
    if request.path.startswith("/api/"):
        return jsonify(message=message, errors=errors or {}), status, headers or {}
    if "user" not in g:  # refused in a before-request hook that ran before FAB's
        g.user = current_user
    appbuilder = current_app.appbuilder
    try:
        page = render_template("lemari/error.html", status=status, message=message,
                               errors=errors or {}, appbuilder=appbuilder,
                               base_template=appbuilder.base_template)
    except Exception:  # the refusal must still reach the clerk, as itself
        log.exception("error page could not be drawn", extra={"status": status})
        page = plain_page(status, message, errors)
    return page, status, headers or {}


def plain_page(status: int, message: str, errors: dict | None = None) -> str:
    """A page without the office layout, for when the layout itself cannot be drawn."""
    items = "".join(f"<li>{escape(str(v))}</li>" for v in (errors or {}).values())
    return (f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{status}</title>'
            f"</head><body><h1>{status}</h1><p>{escape(message)}</p>"
            + (f"<ul>{items}</ul>" if items else "")
            + '<p><a href="/">Kembali ke beranda</a></p></body></html>')


def records_error(exc: RecordsError):
    db.session.rollback()
    retry = getattr(exc, "retry_after", None)
    return respond(exc.http_status, str(exc), getattr(exc, "errors", None),
                   {"Retry-After": str(retry)} if retry else None)


def http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400 or exc.code in (401,):
        return exc
    message = MESSAGES.get(exc.code, exc.description or "")
    if exc.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        message = message.format(limit=max(1, limit // (1024 * 1024)))
    response = exc.get_response()
    headers = {k: v for k, v in response.headers.items() if k in ("Retry-After", "Allow")}
    return respond(exc.code, message, headers=headers)


def csrf_error(exc: CSRFError):
    """A form whose token is gone (the session expired) keeps what was typed; any other refused
    token gets a message a clerk can act on."""
    return form_drafts.rescue_expired_form() or respond(
        400, _("Formulir ini sudah kedaluwarsa atau tidak sah. Muat ulang halaman, lalu kirim lagi."))


def server_error(exc: Exception):
    cause = getattr(exc, "original_exception", None)
    if isinstance(cause, DBAPIError) and _transient(cause):
        return database_error(cause)
    db.session.rollback()
    return respond(500, MESSAGES[500])


def database_error(exc: DBAPIError):
    """A database that is restarting, unreachable, or too busy answers 503 with Retry-After,
    never a 500: nothing was half-written (the transaction died with the connection) and the
    same request succeeds once it is back. The connection pool drops the dead connections
    itself (SQLAlchemy invalidates the pool on a disconnect), so no server restart is needed
    (issue 19). Any other database error is a defect: raised on, so Flask logs it and
    answers the 500 page (and a test client sees the exception itself)."""
    if not _transient(exc):
        raise exc
    unreachable = _unreachable(exc)
    setattr(g, DATABASE_DOWN, True)
    log.warning("database unavailable" if unreachable else "database busy",
                extra={"error": str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__})
    rollback_quietly()
    message = UNREACHABLE if unreachable else MESSAGES[503]
    headers = {"Retry-After": RETRY_AFTER}
    if unreachable and not request.path.startswith("/api/"):
        # the office layout needs the database (the user, the menu): a plain page at once
        return plain_page(503, message), 503, headers
    return respond(503, message, headers=headers)


#: SQLSTATE classes of a connection that is gone or refused: 08 connection exception, 57P
#: operator intervention (shutdown, crash, starting up).
_GONE = ("08", "57P")
#: SQLSTATEs worth a retry: serialization failure, deadlock, lock not available, too many
#: connections (every process reconnecting at once after a restart).
_RETRY = ("40001", "40P01", "55P03", "53300")


def _unreachable(exc: DBAPIError) -> bool:
    """The connection died under a statement (SQLAlchemy invalidated it), could not be made
    (psycopg's error without SQLSTATE and no statement yet), or the server said it is
    shutting down or starting. A client-side psycopg error on a live connection (no SQLSTATE
    either, but a statement) is a defect, not an outage."""
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", "")
    if state is None:
        return exc.statement is None and isinstance(exc, OperationalError)
    return bool(state) and state.startswith(_GONE)


def _transient(exc: DBAPIError) -> bool:
    """Whether the same request may succeed in a moment: the server is gone or restarting,
    a PostgreSQL lock conflict or connection limit, or SQLite's write lock not free within
    its busy timeout."""
    if _unreachable(exc):
        return True
    if not isinstance(exc, OperationalError):
        return False
    state = getattr(exc.orig, "sqlstate", "")
    return state in _RETRY or "database is locked" in str(exc.orig)


def rollback_quietly() -> None:
    """Roll the request's session back; on a connection that died there is nothing to undo."""
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is gone; the pool has already dropped it
        log.info("rollback on a dead connection skipped")


def register(app: Flask) -> None:
    """Install the error handlers."""
    app.register_error_handler(RecordsError, records_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(500, server_error)
