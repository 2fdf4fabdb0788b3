"""Public pages (no login): document verification by code, QR link or PDF upload."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from records.extensions import db, lemari
from records.services.verifying import verify_code, verify_upload

public = Blueprint("public", __name__)
MAX_UPLOAD = 20 * 1024 * 1024


def _page(template: str, status: int = 200, **context):
    appbuilder = current_app.appbuilder
    return render_template(template, appbuilder=appbuilder,
                           base_template=appbuilder.base_template, **context), status


@public.route("/favicon.ico")
def favicon():
    """The icon browsers ask for on every page (a filing cabinet), shipped with the app."""
    return current_app.send_static_file("favicon.ico")


@public.route("/pemberitahuan.json")
def screen_notices():
    """The banners of the public screens (the waiting-room TV polls this), never cached."""
    from records.views import page_notices

    response = jsonify({"pemberitahuan": page_notices(screen=True)})
    response.headers["Cache-Control"] = "no-store"
    return response


@public.route("/verify", methods=["GET", "POST"])
def verify_form():
    """Type a code or upload a PDF to check it."""
    if request.method == "GET":
        code = request.args.get("kode", "")
        result = verify_code(code, session=db.session, desk=lemari().desk()) if code else None
        return _page("lemari/verify.html", result=result, code=code)
    upload = request.files.get("berkas")
    data = upload.stream.read(MAX_UPLOAD + 1) if upload else b""
    if not data or len(data) > MAX_UPLOAD:
        return _page("lemari/verify.html", 400, result=None, code="",
                     error="Unggah berkas PDF (maksimal 20 MB).")
    return _page("lemari/verify.html", result=verify_upload(data, session=db.session,
                                                            desk=lemari().desk()), code="")


@public.route("/verify/<code>")
def verify_link(code: str):
    """The address printed in every QR code."""
    result = verify_code(code, session=db.session, desk=lemari().desk())
    return _page("lemari/verify.html", 200 if result.status != "unknown" else 404,
                 result=result, code=code)
