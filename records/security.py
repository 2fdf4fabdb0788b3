"""Flask-AppBuilder security manager for Lemari and the request hooks that harden access.

- Logins: Flask-AppBuilder's timing-balanced password check, plus a lockout after repeated
  failures, an audit entry for every attempt and one message for every refusal (no user
  enumeration). Flask-Limiter (configured by FAB) caps login POSTs per address, on the form
  and on the REST login alike.
- Accounts that must choose a new password (demo and initial accounts, resets by an Admin)
  reach nothing but the password form until they do, and get no REST token.
- Which role holds which permission is read once per role and process, not once per menu item
  (`PermissionCache`); a change to any role or permission moves an epoch counter in the
  database, and every process drops its copy at its next request.
- Every response carries security headers and a Content-Security-Policy whose scripts need
  a per-request nonce (FAB's templates already print ``csp_nonce()``): no 'unsafe-inline'.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from itertools import chain
from types import SimpleNamespace

from flask import Flask, abort, current_app, g, has_request_context, redirect, request, session, url_for
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_login import current_user
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from .errors import MESSAGES, respond
from .extensions import db
from .models import CacheEpoch
from .passwords import PasswordPolicyError, check_password
from .services import accounts
from .services.audit import acting_user

API_LOGIN = "/api/v1/security/login"
# Endpoints an account that must change its password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"ResetMyPasswordView.this_form_get",
                                       "ResetMyPasswordView.this_form_post",
                                       "AuthDBView.logout", "static", "appbuilder.static",
                                       "LocaleView.index", "health"})


PERMISSIONS_EPOCH = "permissions"
#: Rows whose change alters what a role may do (the role–permission link marks its Role dirty).
PERMISSION_MODELS = (Role, Permission, ViewMenu, PermissionView)


class PermissionCache:
    """The (permission, view menu) pairs of each role, kept per process and epoch.

    Flask-AppBuilder asks the database once per `has_access` and per menu item: ~38 queries
    for a staff page, more than half of its time. Roles change rarely (an Admin edits one,
    `lemari sync-roles`), so each role's pairs are read once; any flush that touches a role or
    a permission increments the epoch in the same transaction (`bump_on_permission_change`),
    and a process that reads a new epoch (once per request) drops everything it kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._epoch: int | None = None
        self._pairs: dict[int, frozenset[tuple[str, str]]] = {}
        self._public_role_id: int | None = None

    def role_pairs(self, role_id: int) -> frozenset[tuple[str, str]]:
        """What one role may do, as (permission, view menu) pairs."""
        self._check_epoch()
        found = self._pairs.get(role_id)
        if found is None:
            rows = db.session.execute(
                select(Permission.name, ViewMenu.name)
                .join(PermissionView, PermissionView.permission_id == Permission.id)
                .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
                .join(assoc_permissionview_role,
                      assoc_permissionview_role.c.permission_view_id == PermissionView.id)
                .where(assoc_permissionview_role.c.role_id == role_id))
            found = frozenset((permission, view) for permission, view in rows)
            with self._lock:
                self._pairs[role_id] = found
        return found

    def roles_pairs(self, role_ids) -> frozenset[tuple[str, str]]:
        """What any of the roles may do."""
        return frozenset(chain.from_iterable(self.role_pairs(role_id) for role_id in role_ids))

    def public_role_id(self, find) -> int | None:
        """The Public role's id (looked up once per epoch with `find`)."""
        self._check_epoch()
        if self._public_role_id is None:
            role = find()
            self._public_role_id = role.id if role is not None else -1
        return None if self._public_role_id == -1 else self._public_role_id

    def _check_epoch(self) -> None:
        """Drop everything when the database's epoch moved (read once per request)."""
        if has_request_context():
            if "_lemari_permission_epoch" not in g:
                g._lemari_permission_epoch = _read_epoch()
            epoch = g._lemari_permission_epoch
        else:
            epoch = _read_epoch()
        if epoch != self._epoch:
            with self._lock:
                self._pairs.clear()
                self._public_role_id = None
                self._epoch = epoch


def _read_epoch() -> int:
    value = db.session.scalar(select(CacheEpoch.value).where(CacheEpoch.name == PERMISSIONS_EPOCH))
    return -1 if value is None else value


@event.listens_for(Session, "before_flush")
def bump_on_permission_change(session, _flush_context, _instances) -> None:
    """Move the permissions epoch in the transaction that changes a role or a permission."""
    if any(isinstance(obj, PERMISSION_MODELS)
           for obj in chain(session.new, session.dirty, session.deleted)):
        session.execute(update(CacheEpoch).where(CacheEpoch.name == PERMISSIONS_EPOCH)
                        .values(value=CacheEpoch.value + 1))


class LemariSecurityManager(SecurityManager):
    """FAB's database auth (self-registration stays off); roles come from plugin declarations."""

    # FAB's login-count chart: the audit trail answers who logged in when, and the chart
    # answers a malformed URL with a 500.
    userstatschartview = None

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        self.permission_cache = PermissionCache()

    def exist_permission_on_roles(self, view_name, permission_name, role_ids):
        """FAB's per-check query, answered from the cache."""
        return (permission_name, view_name) in self.permission_cache.roles_pairs(role_ids)

    def find_roles_permission_view_menus(self, permission_name, role_ids):
        """FAB's menu query (objects with `.view_menu.name`), answered from the cache."""
        return [SimpleNamespace(view_menu=SimpleNamespace(name=view))
                for permission, view in self.permission_cache.roles_pairs(role_ids)
                if permission == permission_name]

    def get_role_permissions(self, role):
        """A role's (permission, view menu) pairs (FAB reads them row by row)."""
        if role.name in self.builtin_roles:
            return super().get_role_permissions(role)
        return set(self.permission_cache.role_pairs(role.id))

    def is_item_public(self, permission_name, view_name):
        """Whether anonymous visitors hold the permission (the Public role's pairs, cached)."""
        role_id = self.permission_cache.public_role_id(self.get_public_role)
        return role_id is not None and (permission_name, view_name) in \
            self.permission_cache.role_pairs(role_id)

    def auth_user_db(self, username, password):
        """FAB's check, refused while the account is locked; every attempt is audited."""
        username = (username or "")[:256]
        channel = "api" if request.path == API_LOGIN else "web"
        config, now = current_app.config, _utcnow()
        user = self.find_user(username=username) if username else None
        if user is not None and accounts.is_locked(db.session, user.id, now):
            super().auth_user_db(username, secrets.token_hex(8))  # same work as a real try
            accounts.note_locked_attempt(db.session, user, channel=channel)
            return None
        found = super().auth_user_db(username, password)
        if user is None:
            if username:
                accounts.note_unknown_login(db.session, username, channel=channel)
            return None
        accounts.note_login(db.session, user, success=found is not None, now=now,
                            max_failures=config["LOGIN_MAX_FAILURES"],
                            lock_minutes=config["LOGIN_LOCK_MINUTES"], channel=channel)
        if found is not None and channel == "api" and accounts.must_change_password(
                db.session, found.id):
            return None  # a token would bypass the password form
        return found

    def reset_password(self, userid, password):
        """Set the password, then record who did it: one's own change clears the duty to
        change it, an Admin's reset imposes it again."""
        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        by = g.user.username if getattr(g, "user", None) is not None else user.username
        accounts.password_set(db.session, user, by=by, now=_utcnow())

    def register_views(self):
        """FAB's security views, with one login rate limit per client address shared by the
        form and the REST login (FAB's own limit would count each separately)."""
        super().register_views()
        login_limit = self.limiter.shared_limit(current_app.config["LOGIN_RATE_LIMIT"],
                                                scope="login", methods=["POST"])
        api = next(v for v in self.appbuilder.baseviews if isinstance(v, self.security_api))
        for view in (self.auth_view, api):
            login_limit(view.blueprint)


def password_policy(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: our policy on every FAB password form."""
    user = getattr(g, "user", None)
    try:
        check_password(password or "", username=getattr(user, "username", "") or "")
    except PasswordPolicyError as exc:
        raise PasswordComplexityValidationError(str(exc)) from None


def deny_as_forbidden(response):
    """Turn FAB's 'access denied → login page' redirect into 403 for a logged-in user.

    FAB redirects every refused request to the login form; for someone already logged in that
    hides the refusal. A direct URL outside a user's rights must answer 403, not a redirect.
    """
    user = getattr(g, "user", None)
    if (response.status_code == 302 and user is not None and user.is_authenticated
            and _is_login_url(response.location) and not request.path.startswith("/login")):
        session.pop("_flashes", None)
        return current_app.make_response(respond(403, MESSAGES[403]))
    return response


def _is_login_url(location: str | None) -> bool:
    login = current_app.appbuilder.get_url_for_login
    return bool(location) and (location.startswith(login) or f"://{request.host}{login}" in location)


def require_password_change():
    """Send an account that must change its password to the form, from any page."""
    if not current_user.is_authenticated or request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    if request.path.startswith("/api/") or not accounts.must_change_password(
            db.session, current_user.id):
        return None
    return redirect(url_for("ResetMyPasswordView.this_form_get"))


def no_fab_file_downloads():
    """Flask-AppBuilder gives every model screen a /download/<filename> route for its file
    fields; Lemari has none (files live in the archive, behind their own checks), and the
    route would answer a 500 for want of an upload folder. Refuse it as not found."""
    rule = request.url_rule
    if rule is not None and rule.rule.endswith("/download/<string:filename>"):
        abort(404)


def mark_acting_user():
    """Name the user in configuration-change audit entries made during this request."""
    acting_user.set(current_user.username if current_user.is_authenticated else "anonim")


def keep_session_alive():
    """Idle timeout: the session cookie lives PERMANENT_SESSION_LIFETIME past the last
    request, so a PC left logged in at the counter logs out by itself."""
    session.permanent = True


def csp_nonce() -> str:
    """This request's script nonce (FAB's templates call it on every <script>)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def security_headers(response):
    """CSP (scripts only from us, or inline with this request's nonce), no framing, no
    sniffing, no referrer leaking tracking codes, no caching of pages with personal data."""
    nonce = g.get("csp_nonce")
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    response.headers.setdefault("Content-Security-Policy", "; ".join((
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'")))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_user.is_authenticated and not request.path.startswith("/static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def register(app: Flask) -> None:
    """Install the request hooks and the template nonce."""
    app.before_request(no_fab_file_downloads)
    app.before_request(mark_acting_user)
    app.before_request(keep_session_alive)
    app.before_request(require_password_change)
    app.after_request(deny_as_forbidden)
    app.after_request(security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
