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


# --- where the core used to reach into features ----------------------------------------------

@hookspec
def register_models():
    """Return the dotted names of modules declaring this plugin's SQLAlchemy models.

    They are imported before the schema is created, compared or migrated, so the one metadata
    holds every table; the core never imports a feature's models itself.
    """


@hookspec
def register_page_templates():
    """Return directories of this plugin's Jinja page templates (searched after the core's)."""


@hookspec
def register_public_pages(app):
    """Register Flask blueprints that need no login (kiosk, TV, forms, public information)."""


@hookspec
def register_index_fields():
    """Return callables `fn(record) -> IndexFields | None` adding text and identifiers of
    this plugin's data to a record's search document (the archive adds a scan's text)."""


@hookspec
def register_search_backends():
    """Return {name: factory(settings) -> SearchIndex}, the values SEARCH_BACKEND may take."""


@hookspec
def register_trackers():
    """Return callables `fn(code, *, session, tz) -> dict | None` answering a /lacak code the
    core's records do not know (the queue answers for its tickets)."""


@hookspec
def register_screen_slides():
    """Return callables `fn(*, session, today) -> list[dict]` giving the slides the waiting-room
    TV shows beside the queue (the publications plugin: notices and posters in force today).
    A slide is text, drawn for a TV by the page (`lemari/_slides.html`): `jenis`, `judul`,
    `isi` (plain text), `daftar` (short lines), `fakta` ({waktu_hari, gratis, biaya, produk}),
    `sampai` (last day in force, a date or None)."""


@hookspec
def register_front_office_paths():
    """Return regular expressions (matched from the start of the URL path) of this plugin's
    requests that must never wait behind heavy work: `lemari serve` answers them in its
    front-office process (records.serving), the rest in the main workers. Only cheap
    requests belong here (no rendering, signing or search)."""


@hookspec
def register_jobs(jobs, settings):
    """Declare background tasks on the app's queue: `jobs.task`, `jobs.periodic`, `jobs.on_start`."""


@hookspec
def register_doctor_checks():
    """Return callables `fn(session, blobs, registry) -> list[Check]` run by `lemari doctor`."""


@hookspec
def seed_office(session):
    """Add this plugin's shipped reference data that is missing (an office's edits are kept);
    called by `lemari init` after the core's seeds."""


@hookspec
def seed_demo(session):
    """Add this plugin's part of the demo office (e.g. appointment slots), where the office has
    none of its own; called by `lemari demo` after the demo accounts and residents, never by
    `lemari init` (a real office sets these itself)."""


@hookspec
def register_worklists():
    """Return callables `fn(session, actor, today) -> services.worklists.Pending | None`: this
    plugin's lists on the home page and badges on the menu (what waits for the actor:
    dispositions, drafts returned, scans to check). A callable runs no statement (it runs on
    every page): it declares `count` (a select of one integer, batched with every other list's
    into one statement), `links(limit)` (the first (title, url) pairs, read by the home page
    only) and `menu` (the menu item whose badge counts it); None when the list is not the
    actor's."""


@hookspec
def register_movein_items():
    """Return callables `fn(session, registry, *, year) -> list[services.pindah.MoveInItem]`:
    this plugin's lines on the Admin's "Pindah ke Lemari" checklist (what has been imported,
    what is still missing before go-live; the archive adds its daftar arsip)."""


@hookspec
def register_page_notices():
    """Return callables `fn(screen: bool) -> list[dict]` run in a request: banners
    (`{"level": "danger"|"warning"|"info", "text": ...}`) shown on top of every staff page,
    and with `screen=True` on the public screens (the waiting-room TV); the power watcher
    says the office runs on the UPS battery."""


@hookspec
def register_watchers(app, stop):
    """Start this plugin's background watchers in a long-running process (`lemari serve`,
    `lemari jobs worker`); `stop(reason)` asks the process for a clean shutdown (from any
    thread; records.lifecycle). Return a callable that stops the watchers, or None."""
