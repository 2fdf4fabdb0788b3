"""Flask-AppBuilder security manager for Lemari and the request hooks that harden access.

- Logins: Flask-AppBuilder's timing-balanced password check, plus a throttle per account and
  address after repeated failures (a wait that doubles; an outsider cannot lock a clerk out of
  the office), an audit entry for every attempt and one message for every refusal (no user
  enumeration). Flask-Limiter (configured by FAB) caps login POSTs per address, on the form
  and on the REST login alike, and the public look-ups (/lacak, /verify, /pengaduan/lacak).
- Sessions and tokens end with what ended them: each account has a session epoch in the
  database that a password change, a logout, a deactivation or a role change moves; the
  session cookie and every JWT carry the epoch they were made under and are refused on the
  next request once it differs (the session that changed its own password carries on).
- Accounts that must choose a new password (demo and initial accounts, resets by an Admin)
  reach nothing but the password form until they do, and get no REST token.
- Which role holds which permission is read once per role and process, not once per menu item
  (`PermissionCache`, with one union per set of roles); a change to any role or permission
  moves an epoch counter in the database, and every process drops its copy at its next
  request. A page's ~40 `has_access` questions (menu, buttons) are one set lookup each.
- Every response carries security headers and a Content-Security-Policy whose scripts need
  a per-request nonce (FAB's templates already print ``csp_nonce()``): no 'unsafe-inline'.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
import secrets
import threading
from itertools import chain
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, abort, current_app, g, has_request_context, redirect, request, session, url_for
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Group,
    Permission,
    PermissionView,
    Role,
    User,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_appbuilder.security.views import ResetPasswordView, RoleModelView, UserGroupModelView
from flask_babel import get_locale, gettext, lazy_gettext
from flask_login import current_user, user_logged_in, user_logged_out
from markupsafe import Markup
from sqlalchemy import event, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, joinedload

from records.errors import DATABASE_DOWN, MESSAGES, respond
from records.extensions import db
from records.models import CacheEpoch
from records.passwords import PasswordPolicyError, check_password
from records.services import accounts
from records.services.audit import acting_user
from records.services.clock import utc_now
from records.services.public_guard import client_key

API_LOGIN = "/api/v1/security/login"
# Endpoints an account that must change its password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"ResetMyPasswordView.this_form_get",
                                       "ResetMyPasswordView.this_form_post",
                                       "AuthDBView.logout", "static", "appbuilder.static",
                                       "LocaleView.index", "health"})


#: Where the session cookie and the JWT claims carry the account's session epoch.
EPOCH_KEY = "_lemari_epoch"
EPOCH_CLAIM = "lemari_epoch"
#: Account columns whose change ends every session and token of the account.
SESSION_ENDING = ("password", "active", "roles", "username")
#: The public look-ups that share LOOKUP_RATE_LIMIT (endpoints of plugins that are off are skipped).
LOOKUP_ENDPOINTS = ("lacak.form", "lacak.link", "public.verify_form", "public.verify_link",
                    "pengaduan_public.track_form", "pengaduan_public.track_link")

#: The staff's applicant look-up, limited per account (APPLICANT_LOOKUP_RATE_LIMIT).
APPLICANT_LOOKUP_ENDPOINTS = ("RecordsView.applicant_lookup",)

PERMISSIONS_EPOCH = "permissions"
#: Rows whose change alters what a role may do (the role–permission link marks its Role dirty).
PERMISSION_MODELS = (Role, Permission, ViewMenu, PermissionView)


#: `g` keys of what `load_session_user` read with the user, for the rest of the request.
PERMISSIONS_EPOCH_SEEN = "_lemari_permission_epoch"
MUST_CHANGE_SEEN = "_lemari_must_change_password"


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
        self._role_sets: dict[frozenset[int], frozenset[tuple[str, str]]] = {}
        self._menus: dict[tuple, str] = {}
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
        """What any of the roles may do (one union per set of roles and epoch)."""
        key = frozenset(role_ids)
        self._check_epoch()
        found = self._role_sets.get(key)
        if found is None:
            found = frozenset(chain.from_iterable(self.role_pairs(role_id) for role_id in key))
            with self._lock:
                self._role_sets[key] = found
        return found

    def public_role_id(self, find) -> int | None:
        """The Public role's id (looked up once per epoch with `find`)."""
        self._check_epoch()
        if self._public_role_id is None:
            role = find()
            self._public_role_id = role.id if role is not None else -1
        return None if self._public_role_id == -1 else self._public_role_id

    def menu(self, key: tuple, render) -> str:
        """The menu's HTML for `key` (what the user holds, language, …), rendered once per epoch."""
        self._check_epoch()
        found = self._menus.get(key)
        if found is None:
            found = render()
            with self._lock:
                self._menus[key] = found
        return found

    def _check_epoch(self) -> None:
        """Drop everything when the database's epoch moved (read once per request)."""
        if has_request_context():
            if PERMISSIONS_EPOCH_SEEN not in g:
                setattr(g, PERMISSIONS_EPOCH_SEEN, _read_epoch())
            epoch = g.get(PERMISSIONS_EPOCH_SEEN)
        else:
            epoch = _read_epoch()
        if epoch != self._epoch:
            with self._lock:
                self._pairs.clear()
                self._role_sets.clear()
                self._menus.clear()
                self._public_role_id = None
                self._epoch = epoch


#: Flask-AppBuilder's menu template with a badge marker after each label (see the template).
MENU_TEMPLATE = Path(__file__).parent / "templates" / "lemari" / "_menu.html"
MENU_BADGE = re.compile(r"<!--lemari-badge:([^>]*)-->")


def menu_html(menu) -> Markup:
    """The navigation menu (template global `lemari_menu`): FAB's template, rendered once per
    set of held permissions, language and URL root, and kept until the permissions epoch moves;
    then this user's counts of what waits (records.web_common.menu_counts, one statement per
    request) go into the badge markers.

    FAB renders it on every page: one `has_access`, one translation and one `url_for` per item,
    a third of a light page's time. What it shows depends only on what the user's roles hold
    (anonymous visitors and built-in roles are rendered every time)."""
    app = current_app._get_current_object()
    template = app.extensions.get("lemari_menu_template")
    if template is None:
        template = app.jinja_env.from_string(MENU_TEMPLATE.read_text(encoding="utf-8"))
        app.extensions["lemari_menu_template"] = template
    sm = app.appbuilder.sm
    held = sm.held_pairs()
    if held is None:
        html = template.render(menu=menu)
    else:
        key = (held, str(get_locale()), request.script_root, id(menu))
        html = sm.permission_cache.menu(key, lambda: template.render(menu=menu))
    return Markup(_with_badges(html))


def _with_badges(html: str) -> str:
    """Each marker becomes the count of its items (a category adds its items up), or nothing."""
    from records.formats import angka
    from records.web_common import menu_counts

    counts = menu_counts() if current_user.is_authenticated else {}
    waiting = str(Markup.escape(gettext("menunggu")))

    def badge(found) -> str:
        total = sum(counts.get(name, 0) for name in found.group(1).split("|") if name)
        if not total:
            return ""
        return (f' <span class="badge lemari-menu-count">{angka(total)}'
                f'<span class="sr-only"> {waiting}</span></span>')

    return MENU_BADGE.sub(badge, html)


def _read_epoch() -> int:
    value = db.session.scalar(_permissions_epoch())
    return -1 if value is None else value


def _permissions_epoch():
    return select(CacheEpoch.value).where(CacheEpoch.name == PERMISSIONS_EPOCH)


def _session_user_query(user_model, user_id: int):
    """The user (roles, groups and the groups' roles joined in), its session epoch, whether
    it must change its password, and the permissions epoch: one row per role × group."""
    return (select(user_model, accounts.epoch_of(user_id), accounts.must_change_of(user_id),
                   _permissions_epoch().scalar_subquery())
            .where(user_model.id == user_id)
            .options(joinedload(user_model.roles),
                     joinedload(user_model.groups).joinedload(Group.roles)))


@event.listens_for(Session, "before_flush")
def bump_on_permission_change(session, _flush_context, _instances) -> None:
    """Move the permissions epoch in the transaction that changes a role or a permission."""
    if any(isinstance(obj, PERMISSION_MODELS)
           for obj in chain(session.new, session.dirty, session.deleted)):
        session.execute(update(CacheEpoch).where(CacheEpoch.name == PERMISSIONS_EPOCH)
                        .values(value=CacheEpoch.value + 1))


@event.listens_for(Session, "before_flush")
def end_sessions_on_account_change(db_session, _flush_context, _instances) -> None:
    """Move an account's session epoch in the transaction that changes its password, active
    flag, roles or name, however it is made (forms, REST, CLI). The browser session making
    the change, when it is the account's own and the account stays active, carries on."""
    for user in [obj for obj in db_session.dirty if isinstance(obj, User)]:
        state = sa_inspect(user)
        if not any(state.attrs[name].history.has_changes() for name in SESSION_ENDING):
            continue
        epoch = accounts.end_sessions(db_session, user.id)
        if has_request_context() and session.get("_user_id") == str(user.id) and user.active:
            session[EPOCH_KEY] = epoch


class ResetOtherPasswordView(ResetPasswordView):
    """The Admin's form for another user's password, titled apart from one's own."""

    form_title = lazy_gettext("Atur Ulang Kata Sandi Pengguna Lain")


class GroupView(UserGroupModelView):
    """FAB's user groups with their columns named in the office's words (FAB leaves them
    to its English defaults)."""

    class_permission_name = "UserGroupModelView"  # the permissions keep FAB's names
    label_columns = {"name": lazy_gettext("Nama"), "label": lazy_gettext("Nama tampilan"),
                     "description": lazy_gettext("Keterangan"), "users": lazy_gettext("Pengguna"),
                     "roles": lazy_gettext("Peran")}


class RoleView(RoleModelView):
    """FAB's roles, with the users filter named too (FAB labels only name and permissions)."""

    class_permission_name = "RoleModelView"  # the permissions keep FAB's names
    label_columns = {**RoleModelView.label_columns, "user": lazy_gettext("Pengguna")}


class LemariSecurityManager(SecurityManager):
    """FAB's database auth (self-registration stays off); roles come from plugin declarations."""

    resetpasswordview = ResetOtherPasswordView
    groupmodelview = GroupView
    rolemodelview = RoleView

    # FAB's login-count chart: the audit trail answers who logged in when, and the chart
    # answers a malformed URL with a 500.
    userstatschartview = None

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        self.permission_cache = PermissionCache()

    def create_login_manager(self, app):
        """FAB's Flask-Login manager, loading a session's user only while its epoch holds."""
        manager = super().create_login_manager(app)
        manager.user_loader(self.load_session_user)
        return manager

    def load_session_user(self, pk):
        """The session's user, or nobody when the account's epoch moved since the login
        (password change, logout elsewhere, deactivation, role change): the cookie is dead.

        One statement for what every request asks first: the user with its roles and groups,
        the account's epoch and password duty, and the permissions epoch (kept in `g` for
        `PermissionCache` and `require_password_change`). Six round trips were a quarter of
        a counter's call, each a wait for a core when the clerks keep the CPU busy (issue 17)."""
        try:
            user_id = int(pk)
        except (TypeError, ValueError):
            return None
        row = db.session.execute(_session_user_query(self.user_model, user_id)).unique().first()
        if row is None or not row[0].is_active:
            return None
        user, epoch, must_change, permissions_epoch = row
        if session.get(EPOCH_KEY) != (epoch or 0):
            session.clear()
            return None
        setattr(g, PERMISSIONS_EPOCH_SEEN, -1 if permissions_epoch is None else permissions_epoch)
        setattr(g, MUST_CHANGE_SEEN, bool(must_change))
        return user

    def create_jwt_manager(self, app):
        """FAB's JWT manager; every token carries its account's epoch and is refused (access
        and refresh tokens alike) once the epoch moved."""
        manager = super().create_jwt_manager(app)
        manager.additional_claims_loader(self.token_claims)
        manager.token_in_blocklist_loader(self.token_revoked)
        return manager

    @staticmethod
    def token_claims(identity) -> dict:
        """The claims added to every new token: the account's epoch now."""
        try:
            user_id = int(identity)
        except (TypeError, ValueError):
            return {}
        return {EPOCH_CLAIM: accounts.session_epoch(db.session, user_id)}

    @staticmethod
    def token_revoked(_header, payload) -> bool:
        """A token made under another epoch than the account's (or without one) is revoked."""
        try:
            user_id = int(payload["sub"])
        except (KeyError, TypeError, ValueError):
            return True
        return payload.get(EPOCH_CLAIM) != accounts.session_epoch(db.session, user_id)

    def has_access(self, permission_name, view_name):
        """Whether the current user may: for a logged-in user of the web screens, one lookup in
        the pairs their roles hold (`held_pairs`, once per request). FAB asks this for every
        menu item and link on a page (~40 times), each time walking the user's roles and groups;
        API-key and token users, anonymous visitors and built-in roles take FAB's own path."""
        held = self.held_pairs()
        if held is None:
            return super().has_access(permission_name, view_name)
        return (permission_name, view_name) in held

    def held_pairs(self) -> frozenset[tuple[str, str]] | None:
        """The logged-in user's (permission, view menu) pairs for this request, or None when
        FAB's own check must answer (no request, API key, not logged in, a built-in role)."""
        if not has_request_context() or getattr(g, "_api_key_user", False) \
                or not current_user.is_authenticated:
            return None
        user = current_user._get_current_object()
        memo = g.get("_lemari_held")
        if memo is not None and memo[0] is user:
            return memo[1]
        safe = self._get_safe_user(g.user if getattr(g, "user", None) is not None else user)
        if safe is None or not safe.is_active:
            held: frozenset[tuple[str, str]] | None = frozenset()
        else:
            roles = self.get_user_roles(safe)
            held = None if any(role.name in self.builtin_roles for role in roles) \
                else self.permission_cache.roles_pairs(role.id for role in roles)
        g._lemari_held = (user, held)
        return held

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
        """FAB's check, refused while this address must wait for this account (or, from
        outside the office, while the account is shut to outsiders); every attempt is audited."""
        username = (username or "")[:256]
        channel = "api" if request.path == API_LOGIN else "web"
        config, now = current_app.config, _utcnow()
        address = request.remote_addr or ""
        source = client_key(config["SECRET_KEY"], address)
        user = self.find_user(username=username) if username else None
        if user is not None and not accounts.login_allowed(
                db.session, user.id, source, now, office=from_office(address)):
            super().auth_user_db(username, secrets.token_hex(8))  # same work as a real try
            accounts.note_locked_attempt(db.session, user, channel=channel)
            return None
        found = super().auth_user_db(username, password)
        if user is None:
            if username:
                accounts.note_unknown_login(db.session, username, channel=channel)
            return None
        accounts.note_login(db.session, user, success=found is not None, now=now, source=source,
                            policy=login_policy(config), channel=channel)
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


def login_policy(config) -> accounts.LoginPolicy:
    """The LOGIN_* settings as the accounts service takes them."""
    return accounts.LoginPolicy(max_failures=config["LOGIN_MAX_FAILURES"],
                                backoff_seconds=config["LOGIN_BACKOFF_SECONDS"],
                                lock_minutes=config["LOGIN_LOCK_MINUTES"],
                                account_max_failures=config["LOGIN_ACCOUNT_MAX_FAILURES"])


def from_office(address: str) -> bool:
    """Whether the client address lies in LOGIN_OFFICE_NETWORKS."""
    try:
        found = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(found in network for network in _networks(current_app.config["LOGIN_OFFICE_NETWORKS"]))


@functools.lru_cache(maxsize=8)
def _networks(spec: str) -> tuple:
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in spec.split(",") if part.strip())


def remember_epoch(_app, user, **_extra) -> None:
    """At login: the session carries the account's epoch (user_logged_in signal)."""
    session[EPOCH_KEY] = accounts.session_epoch(db.session, user.id)


def end_sessions_at_logout(_app, user, **_extra) -> None:
    """At logout: every session and token of the account ends, copies of this cookie too
    (user_logged_out signal)."""
    if user is not None and getattr(user, "is_authenticated", False):
        accounts.end_sessions(db.session, user.id)
        db.session.commit()


def limit_lookups(app: Flask) -> None:
    """One rate limit per client address shared by the public look-ups (LOOKUP_RATE_LIMIT);
    the view functions are wrapped once the plugins have registered them."""
    limiter = app.appbuilder.sm.limiter
    limit = limiter.shared_limit(app.config["LOOKUP_RATE_LIMIT"], scope="lookup")
    for endpoint in LOOKUP_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    per_account = limiter.shared_limit(app.config["APPLICANT_LOOKUP_RATE_LIMIT"],
                                       scope="applicant-lookup", key_func=_account_key)
    for endpoint in APPLICANT_LOOKUP_ENDPOINTS:
        app.view_functions[endpoint] = per_account(app.view_functions[endpoint])


def _account_key() -> str:
    """The rate-limit key of a staff look-up: the account (clerks may share one address)."""
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else (request.remote_addr or "?")


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
    if request.path.startswith("/api/"):
        return None
    must = g.get(MUST_CHANGE_SEEN)  # read with the session's user
    if not (accounts.must_change_password(db.session, current_user.id) if must is None else must):
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
    # after a database outage's refusal, asking who the user is would ask the database again
    if not request.path.startswith("/static") and (
            g.get(DATABASE_DOWN) or current_user.is_authenticated):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _utcnow() -> dt.datetime:
    return utc_now()


def register(app: Flask) -> None:
    """Install the request hooks and the template nonce."""
    app.before_request(no_fab_file_downloads)
    app.before_request(mark_acting_user)
    app.before_request(keep_session_alive)
    app.before_request(require_password_change)
    app.after_request(deny_as_forbidden)
    app.after_request(security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["lemari_menu"] = menu_html
    user_logged_in.connect(remember_epoch, app)
    user_logged_out.connect(end_sessions_at_logout, app)
    limit_lookups(app)
