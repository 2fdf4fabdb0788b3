"""Docs that cannot drift: roles, permissions, hooks and settings are all documented."""

import ast
from pathlib import Path

from records import hookspecs
from records.declarations import Registry
from records.plugins import make_plugin_manager

ROOT = Path(__file__).resolve().parent.parent


def test_every_role_and_permission_is_in_roles_md():
    registry = Registry.from_plugins(make_plugin_manager(load_entry_points=False))
    text = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    for name in registry.permissions:
        assert f"`{name}`" in text, name
    for name in registry.roles:
        assert name in text, name
    for workflow in registry.workflows.values():
        for transition in workflow.transitions:
            assert f"`{transition.name}`" in text, transition.name


def test_every_hook_is_documented():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    hooks = [n for n in dir(hookspecs) if n.startswith(("register_", "pdf_", "record_"))]
    assert hooks
    for name in hooks:
        assert f"`{name}`" in text, name


def test_every_setting_has_a_comment_above_it():
    lines = (ROOT / "config.py").read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id.isupper():
            above = lines[node.lineno - 2].strip()
            assert above.startswith("#"), node.targets[0].id


def test_readme_shows_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
