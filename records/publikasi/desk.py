"""Build the publishing desk (its own render pool, template folder, archive), once per app.

Posters and notices render in a render pool of their own, apart from the letters: their
templates can be edited by office staff, so they get the live-template folder first on the
template path, a shorter time limit, and a hostile edit can never slow down the issuing of
letters. Its queue is short (PUBLISH_RENDER_QUEUE_MAX, PUBLISH_RENDER_WAIT_SECONDS): runaway
previews hold at most two server threads and the rest are refused at once with 503. The pool
starts worker processes, so it is built on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from records.desk import blob_store, office, refresh_desk, template_dirs
from records.ports import Renderer
from records.publikasi.services.materials import PublishDesk

if TYPE_CHECKING:
    from records.pdf import PdfMetadata, RenderResult

_BUILD_LOCK = threading.Lock()
KEY = "publikasi"
#: Address space of a publishing render worker; a template that builds a huge string fails.
MEMORY_LIMIT = 768 * 1024 * 1024


class LazyRenderer:
    """A render pool started on the first render: public pages that only serve stored files
    never start worker processes."""

    def __init__(self, factory: Callable[[], Renderer]):
        self._factory = factory
        self._pool: Renderer | None = None
        self._lock = threading.Lock()

    def render(self, template_name: str, context: Mapping[str, Any], *, paper: str = "F4",
               metadata: PdfMetadata) -> RenderResult:
        """RenderPool.render, starting the pool if needed."""
        with self._lock:
            if self._pool is None:
                self._pool = self._factory()
        return self._pool.render(template_name, context, paper=paper, metadata=metadata)

    def close(self) -> None:
        """Stop the pool if it was started."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def template_folder(settings: dict) -> Path:
    """<HOME>/templat_publikasi unless PUBLISH_TEMPLATE_DIR says otherwise."""
    return Path(settings["PUBLISH_TEMPLATE_DIR"] or Path(settings["HOME"]) / "templat_publikasi")


def build_publish_desk(settings: dict, pm) -> PublishDesk:
    """The desk with a one-worker pool over [live folder, shipped templates, plugin folders]."""
    from archive.blobstore.atomic import ensure_dir
    from records.pdf import PdfMetadata
    from records.render_worker import RenderPool
    from records.thumbnails import png_preview

    folder, shipped = template_folder(settings), tuple(template_dirs(pm))
    ensure_dir(folder)
    pool = LazyRenderer(lambda: RenderPool([folder, *shipped], workers=1,
                                           timeout_s=settings["PUBLISH_RENDER_TIMEOUT_SECONDS"],
                                           memory_limit_bytes=MEMORY_LIMIT,
                                           max_waiting=settings["PUBLISH_RENDER_QUEUE_MAX"],
                                           wait_s=settings["PUBLISH_RENDER_WAIT_SECONDS"],
                                           what="poster dan templat"))
    return PublishDesk(renderer=pool, blobs=blob_store(settings), folder=folder,
                       office=office(settings), base_url=settings["PUBLIC_BASE_URL"].rstrip("/"),
                       hours=settings["OFFICE_HOURS"], metadata_factory=PdfMetadata,
                       preview=png_preview, shipped=shipped, timezone=settings["TIMEZONE"],
                       demo_mode=bool(settings.get("DEMO_MODE")))


def publish_desk(ext) -> PublishDesk:
    """The app's publishing desk (`ext` is the app's Lemari object), built on first use."""
    with _BUILD_LOCK:
        ext.refresh_office()
        if KEY not in ext.extras:
            ext.extras[KEY] = build_publish_desk(ext.settings, ext.pm)
        refresh_desk(ext.extras[KEY], ext.settings)
        return ext.extras[KEY]
