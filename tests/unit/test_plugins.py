"""The plugin host: built-ins load, broken or missing plugins stop start-up loudly."""

import types

import pluggy
import pytest

from records.declarations import DocumentType, Field, Registry
from records.hookspecs import hookimpl
from records.plugins import DEFAULT_PLUGINS, ESSENTIAL_PLUGINS, PluginError, make_plugin_manager


def plugin(name, **hooks):
    """A real plugin object: a module whose functions are marked @hookimpl."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


def test_builtins_load_and_declare_the_standard_workflow():
    pm = make_plugin_manager(load_entry_points=False)
    assert set(DEFAULT_PLUGINS) <= {pm.get_name(p) for p in pm.get_plugins()}
    registry = Registry.from_plugins(pm)
    assert "issuance" in registry.workflows and "sk_domisili_penduduk" in registry.document_types
    assert "Camat" in registry.roles and "record.create" in registry.permissions


@pytest.mark.parametrize("name", sorted(ESSENTIAL_PLUGINS))
def test_essential_plugin_cannot_be_blocked(name):
    with pytest.raises(PluginError, match=name):
        make_plugin_manager(blocked=[name], load_entry_points=False)


def test_optional_builtin_can_be_blocked():
    pm = make_plugin_manager(blocked=["records.builtin.surat_keterangan"], load_entry_points=False)
    assert "sk_domisili_penduduk" not in Registry.from_plugins(pm).document_types


def test_blocking_an_unknown_plugin_is_refused():
    """A typo in LEMARI_DISABLED_PLUGINS must not pass silently."""
    with pytest.raises(PluginError, match="surat_keteranagn"):
        make_plugin_manager(blocked=["records.builtin.surat_keteranagn"])


def test_blocking_an_installed_entry_point_removes_it():
    pm = make_plugin_manager(blocked=["surat_kehilangan"])
    assert "surat_pengantar_kehilangan" not in Registry.from_plugins(pm).document_types


def test_misspelled_hook_stops_start_up():
    typo = plugin("typo", register_document_type=lambda: [])
    with pytest.raises(pluggy.PluginValidationError, match="register_document_type"):
        make_plugin_manager(load_entry_points=False, extra=[typo])


def test_duplicate_document_type_name_stops_start_up():
    twin = DocumentType("sk_domisili_penduduk", "Kembaran", (Field("a", "A"),))
    pm = make_plugin_manager(load_entry_points=False,
                             extra=[plugin("twin", register_document_types=lambda: [twin])])
    with pytest.raises(ValueError, match="'sk_domisili_penduduk' declared twice"):
        Registry.from_plugins(pm)


def test_hook_returning_a_bare_declaration_is_refused():
    lone = DocumentType("sk_lain", "Lain", (Field("a", "A"),))
    pm = make_plugin_manager(load_entry_points=False,
                             extra=[plugin("lone", register_document_types=lambda: lone)])
    with pytest.raises(ValueError, match="expected a list of DocumentType"):
        Registry.from_plugins(pm)


def test_hook_returning_the_wrong_declaration_kind_is_refused():
    wrong = Field("a", "A")
    pm = make_plugin_manager(load_entry_points=False,
                             extra=[plugin("wrong", register_workflows=lambda: [wrong])])
    with pytest.raises(ValueError, match="where a Workflow belongs"):
        Registry.from_plugins(pm)
