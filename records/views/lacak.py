"""/lacak: public tracking of a request or queue ticket by its code (status and dates only)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from records.exceptions import RecordsError
from records.extensions import db, lemari
from records.services.lacak import track
from records.web_common import public_page, tz

public = Blueprint("lacak", __name__)


@public.route("/lacak")
def form():
    """Type a code (or arrive with ?kode= from the form)."""
    code = request.args.get("kode", "")[:64]
    if not code.strip():
        return public_page("lemari/lacak.html", result=None, code="", links=_links())
    return _answer(code)


@public.route("/lacak/<code>")
def link(code: str):
    """The address printed as QR on tickets and receipts."""
    return _answer(code[:64])


def _links() -> dict:
    """Links to the complaint and survey pages, when their plugins are on."""
    return {"complaints": "pengaduan_public.form" in current_app.view_functions,
            "survey": "survei_public.form" in current_app.view_functions}


def _answer(code: str):
    try:
        result = track(code, session=db.session, registry=lemari().registry, tz=tz())
    except RecordsError as exc:
        return public_page("lemari/lacak.html", exc.http_status, result=None, code=code, error=str(exc),
                           links=_links())
    return public_page("lemari/lacak.html", result=result, code=result["code"], links=_links())
