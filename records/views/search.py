"""/cari: the one-box archive search, and the hook that keeps the index following the database.

The page only parses the request and renders; scope, masking and audit live in
`services.searching`. Bad input answers 400 with the parser's Indonesian message, never 500.
"""

from __future__ import annotations

import logging

import click
from flask import current_app, has_request_context, request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy.exc import SQLAlchemyError

from records.exceptions import RecordsError
from records.extensions import db, lemari
from records.indexing import drain_app
from records.models.outbox import PENDING
from records.web_common import run_search, search_request_from_args
from search import FACET_KEYS, SearchError

log = logging.getLogger(__name__)

# Seconds a web request may spend applying outbox rows after its commit; the rest wait for
# the next request or `lemari index-drain`.
DRAIN_BUDGET = 0.5
EXAMPLES = ("nik:6402081708050001", 'nomor:"474/012"', "desa:loleng tahun:2025",
            "jenis:surat_keterangan_domisili")


class SearchView(BaseView):
    """Search the archive within the user's scope."""

    route_base = "/cari"
    default_view = "index"
    class_permission_name = "Search"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        """The form, and the results when something was asked."""
        search, result, error, status = search_request_from_args(request.args), None, "", 200
        if not search.is_empty:
            try:
                result = run_search(search)
            except RecordsError as exc:
                db.session.rollback()
                error, status = str(exc), exc.http_status
        return self.render_template("lemari/search.html", search=search, result=result,
                                    error=error, examples=EXAMPLES, facet_keys=FACET_KEYS), status


def drain_after_commit(response):
    """After a request whose transaction wrote outbox rows, apply them (best effort, within
    DRAIN_BUDGET): a clerk finds the letter they just issued. Failures are logged and the rows
    stay for the next drain; the response is never affected."""
    if db.session.info.pop(PENDING, False) and response.status_code < 400:
        try:
            lemari().search().drain(budget=DRAIN_BUDGET, wait=False)
        except (SearchError, SQLAlchemyError, OSError) as exc:
            log.warning("search outbox drain failed; rows kept for later: %r", exc)
    return response


def drain_after_command(exc) -> None:
    """When a `lemari` command's app context ends, apply the outbox its commits wrote, so a
    letter issued from the CLI or a folder of imported scans is findable at once (jobs drain
    after each task themselves). Waits for a drain already running; failures keep the rows."""
    if (has_request_context() or click.get_current_context(silent=True) is None
            or exc is not None or not db.session.info.pop(PENDING, False)):
        return
    drain_app(current_app._get_current_object())


def install() -> None:
    """Register the drain hooks on the app being created (called inside its app context):
    after each request that committed, and at the end of each command or job."""
    current_app.after_request(drain_after_commit)
    current_app.teardown_appcontext(drain_after_command)
