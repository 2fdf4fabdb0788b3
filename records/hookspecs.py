"""Every extension point of Lemari, one contract each.

A plugin is a module (or object) with functions marked ``@hookimpl``; built-in features are
plugins too (``records.plugins.DEFAULT_PLUGINS``) and third-party packages arrive through the
``lemari`` entry-point group. Declaration hooks return lists of frozen dataclasses from
``records.declarations``; the core merges them and refuses duplicates at start-up.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("lemari")
hookimpl = HookimplMarker("lemari")


@hookspec
def register_document_types():
    """Return a list of DocumentType this plugin provides."""


@hookspec
def register_workflows():
    """Return a list of Workflow (states, transitions and the roles that may fire each)."""


@hookspec
def register_permissions():
    """Return a list of Permission with the roles that hold them by default."""


@hookspec
def register_roles():
    """Return a list of RoleDef (name, description, whether it is scoped to one desa)."""


@hookspec
def register_template_dirs():
    """Return a list of directories holding this plugin's PDF templates (HTML, CSS, fonts)."""


@hookspec
def register_views(appbuilder):
    """Add Flask-AppBuilder views and APIs. Called once inside create_app's app context."""


@hookspec
def register_commands(cli):
    """Add click commands to the `lemari` command group."""


@hookspec
def pdf_context(record, doctype):
    """Return a dict of extra template variables for this record's PDF, or None."""


@hookspec
def record_transitioned(record, transition, actor):
    """Called after a workflow transition has been committed. The return value is ignored."""
