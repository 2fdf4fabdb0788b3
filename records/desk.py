"""Build the issuing desk (renderer, archive, signer, office) from settings, once per app.

The render pool starts worker processes, so it is created on first use and not at start-up:
a clerk browsing the registry never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from archive.blobstore import LocalBlobStore
from records.locks import file_lock

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates_pdf"
#: Upper bound of PDF_WORKERS = 0 (one per core): each worker holds 100-200 MB.
MAX_AUTO_WORKERS = 4


def template_dirs(pm) -> list[Path]:
    """The project's PDF templates first, then each plugin's own folder."""
    extra = [Path(d) for dirs in pm.hook.register_template_dirs() for d in (dirs or [])]
    return [REPO_TEMPLATES, *extra]


def render_workers(configured: int) -> int:
    """PDF_WORKERS, or one worker per CPU core when it is 0: rendering is CPU-bound and one
    document renders on one core, so a batch needs a worker per core to use the machine."""
    return configured if configured > 0 else max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))


def office(settings: dict) -> dict:
    """The letterhead mapping templates print."""
    found = {"government": settings["OFFICE_GOVERNMENT"], "name": settings["OFFICE_NAME"],
             "address": settings["OFFICE_ADDRESS"], "place": settings["OFFICE_PLACE"]}
    for key in ("phone", "email", "website"):
        if settings[f"OFFICE_{key.upper()}"]:
            found[key] = settings[f"OFFICE_{key.upper()}"]
    from records.services.kantor import kabupaten_name, kecamatan_name

    found.update(kecamatan=kecamatan_name(settings), kabupaten=kabupaten_name(settings))
    if settings.get("OFFICE_LOGO_URI"):
        found["logo"] = settings["OFFICE_LOGO_URI"]  # a data: URI (the fetcher allows those)
    return found


def refresh_desk(desk, settings: dict) -> None:
    """Bring a built desk (issuing or publishing) up to the office setup in `settings`: the
    setup may change while the app runs (web page, or `lemari setup` on the same database)."""
    desk.office = office(settings)
    desk.base_url = settings["PUBLIC_BASE_URL"].rstrip("/")
    desk.timezone = settings["TIMEZONE"]
    desk.demo_mode = bool(settings.get("DEMO_MODE"))
    desk.policy = document_policy(settings)


def document_policy(settings: dict) -> dict:
    """The settings the document rules read (services.drafting): the office's zone and
    kecamatan and every policy limit named SKTM_* (days a desa's SKTM stays usable)."""
    return {k: v for k, v in settings.items()
            if k in {"TIMEZONE", "KECAMATAN_CODE"} or k.startswith("SKTM_")}


def blob_store(settings: dict) -> LocalBlobStore:
    """The archive folder (default <HOME>/archive)."""
    root = Path(settings["ARCHIVE_DIR"] or Path(settings["HOME"]) / "archive")
    return LocalBlobStore(root, max_bytes=settings["ARCHIVE_MAX_BYTES"])


def signing_config(settings: dict):
    """The configured office certificate, or the demo one in <HOME>/pki."""
    from records.signing import SigningConfig, ensure_demo_pki

    if settings["SIGNING_CERT"]:
        return SigningConfig(cert_path=Path(settings["SIGNING_CERT"]),
                             key_path=Path(settings["SIGNING_KEY"]),
                             ca_path=Path(settings["SIGNING_CA"]), demo=False)
    return ensure_demo_pki(Path(settings["HOME"]) / "pki")


def build_desk(settings: dict, pm, registry):
    """The Desk the issuing service works with."""
    from records.pdf import PdfMetadata
    from records.render_worker import RenderPool, shared_pool
    from records.services.issuing import Desk
    from records.signing import PadesSigner

    make_pool = shared_pool if settings["PDF_POOL_PER_PROCESS"] else RenderPool
    pool = make_pool(template_dirs(pm), workers=render_workers(settings["PDF_WORKERS"]),
                     timeout_s=settings["PDF_TIMEOUT_SECONDS"], max_waiting=settings["PDF_QUEUE_MAX"],
                     wait_s=settings["PDF_QUEUE_WAIT_SECONDS"])
    signing = signing_config(settings)
    return Desk(renderer=pool, blobs=blob_store(settings),
                signer=PadesSigner.from_config(signing), office=office(settings),
                trust_roots=[signing.ca_path.read_bytes()],
                base_url=settings["PUBLIC_BASE_URL"].rstrip("/"), registry=registry,
                metadata_factory=PdfMetadata, pdf_context_hook=pm.hook.pdf_context,
                timezone=settings["TIMEZONE"], demo_mode=bool(settings.get("DEMO_MODE")),
                policy=document_policy(settings),
                serial=partial(installation_lock, Path(settings["HOME"]) / "issue.lock",
                               timeout=2 * settings["PDF_TIMEOUT_SECONDS"]
                               + settings["PDF_QUEUE_WAIT_SECONDS"]))


@contextmanager
def installation_lock(path: Path, *, timeout: float) -> Iterator[None]:
    """One issuance at a time in the installation (records.locks), waiting up to `timeout`
    seconds; refused in Indonesian, with nothing changed, when another one is still running."""
    from records.exceptions import DocumentProductionError

    with file_lock(path, wait=timeout) as held:
        if not held:
            raise DocumentProductionError(
                "Penerbitan lain belum selesai; tidak ada yang berubah. Coba lagi sebentar lagi.")
        yield
