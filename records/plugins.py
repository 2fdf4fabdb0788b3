"""The plugin host: built-in plugins first, then installed `lemari` entry points.

Built in create_app (never at import) so each app, and each test, has its own manager.
A plugin that fails to import or names an unknown hook stops start-up: an office must not run
with half its features silently missing.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path

import pluggy

from records import hookspecs

DEFAULT_PLUGINS = (
    "records.builtin.core",
    "records.builtin.issuance_workflow",
    "records.builtin.tanda_terima",
    "records.builtin.surat_keterangan",
    "records.builtin.pengantar",
    "records.builtin.ktp_el",
    "records.builtin.kartu_keluarga",
    "records.builtin.naskah_dinas",
    "records.publikasi.plugin",
    "archive.plugin",
    "records.antrian.plugin",
    "records.pengaduan.plugin",
    "records.surat_masuk.plugin",
    "records.survei.plugin",
    "records.dashboard.plugin",
    "records.daya.plugin",
    "records.gratifikasi.plugin",
)
ESSENTIAL_PLUGINS = frozenset({"records.builtin.core", "records.builtin.issuance_workflow",
                               "records.builtin.tanda_terima"})

log = logging.getLogger(__name__)


class PluginError(RuntimeError):
    """A plugin cannot be loaded or disabled as asked."""


def make_plugin_manager(*, blocked: Iterable[str] = (), load_entry_points: bool = True,
                        extra: Iterable[object] = (), trace: bool = False) -> pluggy.PluginManager:
    """Build a plugin manager: hookspecs, built-ins, installed entry points, then `extra`."""
    pm = pluggy.PluginManager("lemari")
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        _check_blockable(name)
        pm.set_blocked(name)
    for name in DEFAULT_PLUGINS:
        if not pm.is_blocked(name):
            pm.register(importlib.import_module(name), name)
    if load_entry_points:
        pm.load_setuptools_entrypoints("lemari")
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    if trace:
        pm.add_hookcall_monitoring(_trace_before, _trace_after)
    return pm


def import_models(pm: pluggy.PluginManager | None = None) -> list[str]:
    """Import the core's models and every plugin's (hook `register_models`), so the one
    metadata holds every table; returns the plugins' module names. Without `pm`, the built-in
    and installed plugins (what `lemari db` migrates)."""
    importlib.import_module("records.models")
    pm = pm or make_plugin_manager()
    names = [name for result in pm.hook.register_models() for name in (result or ())]
    for name in names:
        importlib.import_module(name)
    return names


def page_template_dirs(pm: pluggy.PluginManager) -> list[Path]:
    """Directories of the plugins' Jinja page templates, in plugin order."""
    return [Path(d) for result in pm.hook.register_page_templates() for d in (result or ())]


def _check_blockable(name: str) -> None:
    """Essential plugins stay; an unknown name is a typo that would silently block nothing."""
    if name in ESSENTIAL_PLUGINS:
        raise PluginError(f"plugin {name} cannot be disabled")
    installed = {ep.name for ep in entry_points(group="lemari")}
    if name not in set(DEFAULT_PLUGINS) | installed:
        raise PluginError(f"plugin {name} is neither built in nor installed; "
                          f"known: {sorted(set(DEFAULT_PLUGINS) | installed)}")


def _trace_before(hook_name, hook_impls, kwargs):
    log.info("hook call", extra={"hook": hook_name, "plugins": [i.plugin_name for i in hook_impls]})


def _trace_after(outcome, hook_name, hook_impls, kwargs):
    log.info("hook done", extra={"hook": hook_name})
