"""Flask-AppBuilder security manager for Lemari (swapped in by FAB_SECURITY_MANAGER_CLASS)."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_appbuilder.security.sqla.manager import SecurityManager

from .errors import MESSAGES, respond


class LemariSecurityManager(SecurityManager):
    """FAB's database auth (self-registration stays off); roles come from plugin declarations."""


def deny_as_forbidden(response):
    """Turn FAB's 'access denied → login page' redirect into 403 for a logged-in user.

    FAB redirects every refused request to the login form; for someone already logged in that
    hides the refusal. A direct URL outside a user's rights must answer 403, not a redirect.
    """
    user = getattr(g, "user", None)
    if (response.status_code == 302 and user is not None and user.is_authenticated
            and _is_login_url(response.location) and not request.path.startswith("/login")):
        session.pop("_flashes", None)
        return respond(403, MESSAGES[403])
    return response


def _is_login_url(location: str | None) -> bool:
    login = current_app.appbuilder.get_url_for_login
    return bool(location) and (location.startswith(login) or f"://{request.host}{login}" in location)


def register(app: Flask) -> None:
    """Install the after-request hook."""
    app.after_request(deny_as_forbidden)
