"""The one place domain errors become HTTP responses (JSON under /api/, a page elsewhere)."""

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import form_drafts
from .exceptions import RecordsError
from .extensions import db

MESSAGES = {400: "Permintaan tidak valid.", 403: "Anda tidak berwenang membuka halaman ini.",
            404: "Halaman atau data tidak ditemukan.", 405: "Metode tidak diizinkan.",
            413: "Berkas atau isian terlalu besar.", 422: "Isian tidak valid.",
            429: "Terlalu banyak permintaan. Coba lagi sebentar lagi.",
            500: "Terjadi kesalahan pada server. Data Anda tidak hilang; silakan coba lagi."}


def respond(status: int, message: str, errors: dict | None = None):
    if request.path.startswith("/api/"):
        return jsonify(message=message, errors=errors or {}), status
    appbuilder = current_app.appbuilder
    return render_template("lemari/error.html", status=status, message=message,
                           errors=errors or {}, appbuilder=appbuilder,
                           base_template=appbuilder.base_template), status


def records_error(exc: RecordsError):
    db.session.rollback()
    return respond(exc.http_status, str(exc), getattr(exc, "errors", None))


def http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400 or exc.code in (401,):
        return exc
    return respond(exc.code, MESSAGES.get(exc.code, exc.description or ""))


def csrf_error(exc: CSRFError):
    """A form whose token is gone (the session expired) keeps what was typed; any other refused
    token gets a message a clerk can act on."""
    return form_drafts.rescue_expired_form() or respond(
        400, _("Formulir ini sudah kedaluwarsa atau tidak sah. Muat ulang halaman, lalu kirim lagi."))


def server_error(exc: Exception):
    db.session.rollback()
    return respond(500, MESSAGES[500])


def register(app: Flask) -> None:
    """Install the error handlers."""
    app.register_error_handler(RecordsError, records_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(500, server_error)
