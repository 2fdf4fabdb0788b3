"""Settings: safe defaults, site file, environment (in that order), a secret made once, durable SQLite.

Each test passes its own environment mapping, so the developer's shell cannot leak in.
"""

import stat

import pytest
from sqlalchemy import text

from records.settings import load_config


@pytest.fixture
def env(tmp_path):
    return {"LEMARI_HOME": str(tmp_path / "home")}


def test_environment_overrides_are_cast_to_the_default_type(env):
    settings = load_config(environ={**env, "LEMARI_PORT": "9090", "LEMARI_TRACE_PLUGINS": "true"})
    assert settings["PORT"] == 9090
    assert settings["TRACE_PLUGINS"] is True
    assert load_config(environ={**env, "LEMARI_TRACE_PLUGINS": "false"})["TRACE_PLUGINS"] is False


def test_a_bad_number_names_its_variable(env):
    with pytest.raises(ValueError, match="LEMARI_PORT"):
        load_config(environ={**env, "LEMARI_PORT": "delapan"})


def test_secret_key_is_generated_once_and_private(env, tmp_path):
    first = load_config(environ=env)["SECRET_KEY"]
    key_file = tmp_path / "home" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 32 and key_file.read_text().strip() == first
    assert load_config(environ=env)["SECRET_KEY"] == first


def test_empty_database_url_means_sqlite_in_home(env, tmp_path):
    settings = load_config(environ={**env, "LEMARI_DATABASE_URL": ""})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{(tmp_path / 'home' / 'lemari.db').resolve()}"


def test_site_file_applies_and_environment_beats_it(env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.py").write_text('PORT = 7000\nAPP_NAME = "Kantor Uji"\n', encoding="utf-8")
    site = load_config(environ=env)
    assert (site["PORT"], site["APP_NAME"]) == (7000, "Kantor Uji")
    assert load_config(environ={**env, "LEMARI_PORT": "9090"})["PORT"] == 9090


def test_sqlite_runs_with_wal_full_sync_and_foreign_keys(tmp_path):
    """A power cut must not lose an acknowledged write, and no row may point at nothing."""
    from records.app import create_app
    from records.extensions import db

    app = create_app({"HOME": str(tmp_path), "DATABASE_URL": "", "LOG_LEVEL": "WARNING"})
    with app.app_context(), db.engine.connect() as conn:
        pragmas = [conn.execute(text(f"PRAGMA {name}")).scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys")]
    assert pragmas == ["wal", 2, 1]
