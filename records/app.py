"""The application factory: config → plugins → database → Flask-AppBuilder → views → CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine

from records import sqlite_gate
from records.declarations import Registry
from records.extensions import Lemari, db
from records.formats import angka, rupiah, ukuran
from records.logs import configure_logging
from records.plugins import import_models, make_plugin_manager, page_template_dirs
from records.services.audit import install_config_audit
from records.settings import load_config
from records.web_common import waktu

PACKAGE_DIR = Path(__file__).parent
LANGUAGES = {"id": {"flag": "id", "name": "Bahasa Indonesia"}, "en": {"flag": "gb", "name": "English"}}


def flask_config(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Flask, Flask-AppBuilder and Babel keys derived from Lemari settings."""
    from flask_appbuilder.const import AUTH_DB

    from records.security import password_policy

    return {
        **settings,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "AUTH_TYPE": AUTH_DB,
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,
        "FAB_API_SWAGGER_UI": True,
        "FAB_SECURITY_MANAGER_CLASS": "records.security.LemariSecurityManager",
        "FAB_INDEX_VIEW": "records.views.home.HomeView",
        "FAB_BASE_TEMPLATE": "lemari/base.html",
        "BABEL_DEFAULT_LOCALE": settings["DEFAULT_LOCALE"],
        "BABEL_TRANSLATION_DIRECTORIES": str(PACKAGE_DIR / "translations"),
        "LANGUAGES": LANGUAGES,
        "APP_ICON": "",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _https_only(settings),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _https_only(settings),
        "AUTH_RATE_LIMITED": False,  # records.security applies one shared login limit
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": settings["RATELIMIT_STORAGE_URI"],
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down or restarting: each process counts in memory meanwhile (the limit still
        # holds, per process) and goes back to Redis by itself once it answers (issue 19)
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "FAB_PASSWORD_COMPLEXITY_ENABLED": True,
        "FAB_PASSWORD_COMPLEXITY_VALIDATOR": password_policy,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(minutes=settings["SESSION_IDLE_MINUTES"]),
        "WTF_CSRF_ENABLED": settings.get("WTF_CSRF_ENABLED", True),
        **_tenant_keys(settings),
    }


def _tenant_keys(settings: Mapping[str, Any]) -> dict[str, str]:
    """A kecamatan of a kabupaten deployment (records.tenancy) has cookies and rate-limit
    counters of its own: a browser logged in to one kecamatan is a stranger to the next (its
    cookie has another name, and another secret key signs it, from the kecamatan's data folder)."""
    tenant = settings.get("TENANT") or ""
    if not tenant:
        return {}
    return {"SESSION_COOKIE_NAME": f"lemari_{tenant}", "REMEMBER_COOKIE_NAME": f"lemari_ingat_{tenant}",
            "RATELIMIT_KEY_PREFIX": f"lemari-{tenant}"}


#: How long a SQLite writer waits for another before "database is locked" (records.sqlite_gate).
SQLITE_BUSY_TIMEOUT_S = 10


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Durable SQLite: WAL, synchronous=FULL (no acknowledged write lost), foreign keys on."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Lemari app; builds nothing at import time.

    `EXTRA_PLUGINS` in the config (plugin objects, not names; tests pass it) are registered
    after the built-in and installed ones, as `make_plugin_manager(extra=...)` does.
    """
    settings = load_config(test_config)
    configure_logging(settings["LOG_LEVEL"])
    app = Flask("records", template_folder=str(PACKAGE_DIR / "templates"),
                static_folder=str(PACKAGE_DIR / "static"), static_url_path="/static/lemari")
    app.config.update(flask_config(settings))
    pm = make_plugin_manager(blocked=_split(settings["DISABLED_PLUGINS"]),
                             extra=settings.get("EXTRA_PLUGINS", ()),
                             trace=settings["TRACE_PLUGINS"])
    registry = Registry.from_plugins(pm)
    from records import cli, errors, form_drafts, health, models, security, static_files, views  # noqa: F401  (models: tables)

    import_models(pm)
    app.jinja_loader = ChoiceLoader([FileSystemLoader(PACKAGE_DIR / "templates"),
                                     *map(FileSystemLoader, page_template_dirs(pm))])

    install_config_audit()
    CSRFProtect(app)
    with app.app_context():
        db.init_app(app)
        sqlite_gate.install(db.engine, SQLITE_BUSY_TIMEOUT_S)
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        menu_permissions = views.register(appbuilder)
        app.extensions["lemari"] = Lemari(settings=settings, pm=pm, registry=registry,
                                          menu_permissions=menu_permissions)
        pm.hook.register_views(appbuilder=appbuilder)
    app.before_request(app.extensions["lemari"].refresh_office)
    app.context_processor(views.actor_context)
    app.add_template_filter(waktu, "waktu")
    for name, number_filter in (("angka", angka), ("ukuran", ukuran), ("rupiah", rupiah)):
        app.add_template_filter(number_filter, name)
    app.register_blueprint(views.public.public)
    app.register_blueprint(views.lacak.public)
    pm.hook.register_public_pages(app=app)
    health.register(app)
    errors.register(app)
    security.register(app)
    form_drafts.register(app)
    cli.register(app, pm)
    static_files.install(app)  # last: every blueprint's static folder is known
    return app


def _https_only(settings: Mapping[str, Any]) -> bool:
    """Secure cookies when configured, or when the office's public address is HTTPS."""
    return bool(settings["SESSION_COOKIE_SECURE"]) or settings["PUBLIC_BASE_URL"].startswith("https://")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
