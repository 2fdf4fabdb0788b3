"""Static files (ours under /static/lemari, Flask-AppBuilder's under /static/appbuilder):
content-hashed URLs, a year's cache, gzip when the browser takes it.

Every `url_for('static', …)` and `url_for('appbuilder.static', …)` gets `?v=<hash>`, the first
12 hex digits of the file's SHA-256 (an `app.url_defaults` hook, so no template changes). A
request whose `v` is the file's current hash is answered `public, max-age=31536000, immutable`:
the browser never asks again until a new release changes the file, and with it its URL. Any
other request (no `v`, an old one) is answered `no-cache` with an ETag, so it revalidates.
Text files (CSS, JavaScript, SVG, icons) are sent gzip-compressed to a browser whose
`Accept-Encoding` allows it; the compressed bytes are made once per file version and kept in
memory (the whole folder is a few hundred KB).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, abort, current_app, request
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

CACHE_FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml",
                "image/x-icon", "image/vnd.microsoft.icon", "application/x-font-ttf",
                "font/ttf", "font/otf", "application/vnd.ms-fontobject")
#: Files smaller than this gain nothing from gzip (the header costs about 20 bytes).
MIN_COMPRESS = 256


@dataclass(frozen=True)
class StaticFile:
    """One file as last read: its bytes, their gzip form (or None) and the content hash."""

    stamp: tuple[int, int]
    data: bytes
    gz: bytes | None
    version: str
    mimetype: str


class StaticFiles:
    """The files of every static folder, read once per change (size and mtime)."""

    def __init__(self) -> None:
        self._files: dict[str, StaticFile] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> StaticFile | None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        found = self._files.get(path)
        if found is not None and found.stamp == stamp:
            return found
        try:
            data = Path(path).read_bytes()
        except OSError:
            return None
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        gz = None
        if mimetype.startswith(COMPRESSIBLE) and len(data) >= MIN_COMPRESS:
            gz = gzip.compress(data, compresslevel=9, mtime=0)
            if len(gz) >= len(data):
                gz = None
        found = StaticFile(stamp, data, gz, hashlib.sha256(data).hexdigest()[:12], mimetype)
        with self._lock:
            self._files[path] = found
        return found


def _folder(app: Flask, endpoint: str) -> str | None:
    """The static folder behind a static endpoint (the app's or a blueprint's)."""
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def _is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def install(app: Flask) -> None:
    """Serve every static folder through `serve` and version their URLs."""
    files = StaticFiles()
    app.extensions["lemari_static"] = files

    def add_version(endpoint: str, values: dict) -> None:
        if not _is_static(endpoint) or "v" in values or "filename" not in values:
            return
        folder = _folder(current_app, endpoint)
        path = safe_join(folder, values["filename"]) if folder else None
        found = files.get(path) if path else None
        if found is not None:
            values["v"] = found.version

    def serve(filename: str) -> Response:
        folder = _folder(current_app, request.endpoint or "")
        path = safe_join(folder, filename) if folder else None
        found = files.get(path) if path and os.path.isfile(path) else None
        if found is None:
            abort(404)
        return file_response(found, request.args.get("v") == found.version)

    app.url_defaults(add_version)
    for endpoint in [e for e in app.view_functions if _is_static(e)]:
        app.view_functions[endpoint] = serve


def file_response(found: StaticFile, versioned: bool) -> Response:
    """The file, compressed when the browser accepts gzip, with its cache header and ETag."""
    compressed = found.gz is not None and "gzip" in request.accept_encodings
    response = Response(found.gz if compressed else found.data, mimetype=found.mimetype)
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    if found.gz is not None:
        response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(found.version + ("-gz" if compressed else ""))
    response.headers["Cache-Control"] = CACHE_FOREVER if versioned else REVALIDATE
    return response.make_conditional(request)
