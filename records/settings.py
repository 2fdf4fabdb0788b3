"""Turn config.py defaults, the environment and the data folder into a Flask config mapping.

Order of precedence (last wins): repo ``config.py`` defaults → ``<HOME>/config.py`` → (for a
kecamatan of a kabupaten deployment, records.tenancy: its own ``config.py`` in its data folder) →
``LEMARI_*`` environment variables → the test mapping given to ``create_app``.
"""

from __future__ import annotations

import os
import secrets
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import config as defaults
from archive.blobstore.atomic import atomic_write_text

ENV_PREFIX = "LEMARI_"


def default_settings() -> dict[str, Any]:
    """The documented defaults from the top-level config.py (upper-case names only)."""
    return {k: getattr(defaults, k) for k in dir(defaults) if k.isupper()}


def _cast(key: str, raw: str, like: Any) -> Any:
    """Cast an environment string to the type of the default it overrides.

    A bad number names its variable: a bare int() traceback at start-up tells the office
    admin nothing about which setting to fix.
    """
    if isinstance(like, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on", "ya"}
    if isinstance(like, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{key} harus bilangan bulat, bukan {raw!r}") from None
    if isinstance(like, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{key} harus bilangan, bukan {raw!r}") from None
    return raw


def env_overrides(environ: Mapping[str, str], base: Mapping[str, Any]) -> dict[str, Any]:
    """Settings given as LEMARI_<KEY> environment variables."""
    found = {}
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX):]
            found[name] = _cast(key, raw, base.get(name, ""))
    return found


def instance_overrides(home: Path) -> dict[str, Any]:
    """Site values from <HOME>/config.py, if the office has one."""
    path = home / "config.py"
    if not path.is_file():
        return {}
    module = types.ModuleType("lemari_instance_config")
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return {k: v for k, v in vars(module).items() if k.isupper()}


def load_secret_key(home: Path) -> str:
    """Read the installation's secret key, generating it once (never hard-coded).

    The mode is set before the atomic rename, so the key is never readable by others, even
    for a moment (a chmod afterwards would leave a window).
    """
    path = home / "secret_key"
    if not path.exists():
        atomic_write_text(path, secrets.token_hex(32), mode=0o600)
    return path.read_text(encoding="utf-8").strip()


def sqlite_url(home: Path) -> str:
    """The default embedded database inside the data folder."""
    return f"sqlite:///{(home / 'lemari.db').resolve()}"


#: What belongs to one office and never comes from a kabupaten's config.py or environment: its
#: keys, folders and certificate (records.tenancy). Set at kabupaten level they would put every
#: kecamatan on one archive, one checkpoint folder or one secret key; a kecamatan's own
#: config.py may still set them.
PER_OFFICE = ("SECRET_KEY", "ARCHIVE_DIR", "AUDIT_CHECKPOINT_DIR", "PUBLISH_TEMPLATE_DIR",
              "SEARCH_INDEX_DIR", "UPS_BACKUP_DIR", "SIGNING_CERT", "SIGNING_KEY", "SIGNING_CA",
              "BACKUP_PASSPHRASE_FILE", "BACKUP_SFTP_KEY_FILE")
#: Queues shared by every kecamatan safely (each names its own queue); any other JOBS_URL is a
#: file, which each kecamatan keeps in its own folder.
SHARED_QUEUES = ("redis://", "rediss://", "unix://")


def _kecamatan_layer(settings: dict[str, Any], own: Path, environ: Mapping[str, str],
                     test_config: Mapping[str, Any]) -> None:
    """A kecamatan of a kabupaten: the kabupaten's values without what is one office's
    (PER_OFFICE), then the kecamatan's own config.py, the environment for the rest, and the
    test mapping (which names the kecamatan)."""
    defaults = default_settings()
    for key in PER_OFFICE:
        if key in defaults:
            settings[key] = defaults[key]
        else:
            settings.pop(key, None)
    mine = instance_overrides(own)
    settings.update(mine)
    settings.update({k: v for k, v in env_overrides(environ, settings).items() if k not in PER_OFFICE})
    jobs = str(settings.get("JOBS_URL") or "")
    if not jobs.startswith(SHARED_QUEUES) and jobs != mine.get("JOBS_URL"):
        settings["JOBS_URL"] = ""  # a queue file of the kabupaten's: each kecamatan keeps its own
    settings.update(test_config)


def load_config(test_config: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge defaults, instance file, environment and test values into one mapping."""
    environ = os.environ if environ is None else environ
    settings = default_settings()
    settings.update(env_overrides(environ, settings))
    home = Path(settings["HOME"]).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    settings.update(instance_overrides(home))
    settings.update(env_overrides(environ, settings))
    settings.update(test_config or {})
    own = Path(settings["HOME"]).expanduser().resolve()
    if settings.get("TENANT") and own != home.resolve():
        _kecamatan_layer(settings, own, environ, test_config or {})
    home = own
    home.mkdir(parents=True, exist_ok=True)
    settings["HOME"] = str(home)
    settings.setdefault("SECRET_KEY", load_secret_key(home))
    settings["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"] or sqlite_url(home)
    return settings
