"""Typed form data survives an expired session.

A clerk who leaves a half-filled form past the idle timeout loses the session cookie, and with
it the CSRF token: the next POST is refused. Instead of a bare "400", the fields that were sent
are kept on the server (never in the cookie: they may hold a NIK), the clerk logs in again and
lands on the same form, and the form is filled back in for a check and a new submit. Nothing is
submitted on the clerk's behalf: a refused POST never acts.

A draft is kept only for a same-origin form POST (so a foreign site cannot plant values in a
clerk's form), never holds passwords or the old token, lives at most ``DRAFT_MINUTES``, and is
deleted the moment it is shown.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session
from flask_babel import gettext as _

from archive.blobstore.atomic import atomic_write_text, ensure_dir

DRAFT_MINUTES = 30
MAX_DRAFT_BYTES = 512 * 1024
SESSION_KEY = "lemari_draft"
SECRET_FIELD_WORDS = ("password", "sandi", "csrf_token")


def rescue_expired_form():
    """Keep the fields of a form POST refused for a lost session, and send the clerk back to the
    form (which asks for a login first when it needs one). None when there is nothing to keep."""
    if request.method != "POST" or request.path.startswith("/api/") or not _same_origin():
        return None
    fields = _kept_fields()
    if not fields:
        return None
    page = _form_page()
    payload = json.dumps({"path": page, "fields": fields, "saved": time.time()})
    if len(payload.encode()) > MAX_DRAFT_BYTES:
        return None
    token = secrets.token_urlsafe(24)
    folder = _folder()
    _sweep(folder)
    atomic_write_text(folder / f"{token}.json", payload, mode=0o600)
    session[SESSION_KEY] = token
    message = _("Sesi Anda berakhir karena terlalu lama tidak digunakan. Isian formulir Anda "
                "disimpan dan dikembalikan setelah Anda masuk lagi.")
    if request.files:
        message += " " + _("Berkas lampiran perlu dipilih lagi.")
    flash(message, "warning")
    return redirect(page)


def pending_draft() -> dict | None:
    """The draft for the page being shown, once: its fields, or None."""
    token = session.get(SESSION_KEY)
    if not token or request.method != "GET":
        return None
    path = _folder() / f"{Path(token).name}.json"
    try:
        draft = json.loads(path.read_text())
    except (OSError, ValueError):
        session.pop(SESSION_KEY, None)
        return None
    if draft.get("path") != _current_page():
        return None
    session.pop(SESSION_KEY, None)
    path.unlink(missing_ok=True)
    if time.time() - draft.get("saved", 0) > DRAFT_MINUTES * 60:
        return None
    return draft["fields"]


def _kept_fields() -> dict[str, list[str]]:
    return {name: request.form.getlist(name) for name in request.form
            if not any(word in name.lower() for word in SECRET_FIELD_WORDS)}


def _same_origin() -> bool:
    """The browser says where the form was: Origin on every modern POST, else Referer."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    parts = urlsplit(source)
    return bool(parts.netloc) and parts.netloc == request.host


def _form_page() -> str:
    """The page that showed the form: the Referer when it is ours, else the posted path."""
    referer = urlsplit(request.headers.get("Referer") or "")
    if referer.netloc == request.host and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return request.path


def _current_page() -> str:
    query = request.query_string.decode(errors="replace")
    return request.path + (f"?{query}" if query else "")


def _folder() -> Path:
    folder = Path(current_app.extensions["lemari"].settings["HOME"]) / "draf_formulir"
    ensure_dir(folder)
    return folder


def _sweep(folder: Path) -> None:
    """Drafts nobody came back for are removed after their time."""
    limit = time.time() - DRAFT_MINUTES * 60
    for stale in folder.glob("*.json"):
        try:
            if stale.stat().st_mtime < limit:
                stale.unlink()
        except OSError:
            continue


def register(app) -> None:
    """Let every page of the office layout fill its form back in (lemari/base.html), and drop
    drafts nobody came back for before a restart (they may hold a NIK)."""
    app.jinja_env.globals["form_draft"] = pending_draft
    folder = Path(app.extensions["lemari"].settings["HOME"]) / "draf_formulir"
    if folder.is_dir():
        _sweep(folder)
