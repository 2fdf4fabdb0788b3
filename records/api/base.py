"""The base of Lemari's hand-written REST APIs: one place where a service's domain error
becomes its JSON answer (FAB's ``@safe`` would turn it into a 500)."""

from flask_appbuilder.api import BaseApi

from records.exceptions import RecordsError
from records.extensions import db


class ServiceApi(BaseApi):
    """A FAB API whose methods call one service each through ``_run``; JWT only, never the
    browser's session cookie (so a page cannot be tricked into calling it)."""

    allow_browser_login = False

    def _run(self, action, status: int = 200):
        """Call a service; its result is the response, its domain errors map to their status."""
        try:
            result = action()
        except RecordsError as exc:
            db.session.rollback()
            return self.response(exc.http_status, message=str(exc),
                                 errors=getattr(exc, "errors", {}) or {})
        return self.response(status, result=result)
