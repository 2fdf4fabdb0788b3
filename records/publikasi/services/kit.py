"""The print kit: every material for every service, written as PDF plus PNG preview.

Used by `lemari publish-kit`. Files are named after the material and the service code, e.g.
`poster_layanan-ktp_el-A3.pdf` with `poster_layanan-ktp_el-A3.png` (a two-sided pamphlet also
gets `…-2.png`); each is written atomically (temp file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from archive.blobstore.atomic import atomic_write_bytes, ensure_dir
from records.exceptions import NotFoundError
from records.publikasi.services import materials
from records.publikasi.services.materials import PublishDesk
from records.publikasi.services.standards import list_current


@dataclass(frozen=True)
class KitJob:
    """One file of the kit."""

    key: str
    filename: str  # without extension
    layanan_code: str | None = None
    kelompok: str | None = None
    ukuran: str = "A4"


def kit_jobs(*, session: Session, codes: tuple[str, ...] = ()) -> list[KitJob]:
    """What the kit holds: per service, per group, and the office-wide materials."""
    services = list_current(session=session)
    unknown = set(codes) - {s.layanan_code for s in services}
    if unknown:
        raise NotFoundError(f"Layanan tidak dikenal: {', '.join(sorted(unknown))}")
    chosen = [s for s in services if not codes or s.layanan_code in codes]
    jobs = []
    for standard in chosen:
        code = standard.layanan_code
        jobs += [KitJob("poster_layanan", f"poster_layanan-{code}-{size}", code, ukuran=size)
                 for size in materials.MATERIALS["poster_layanan"].sizes]
        jobs.append(KitJob("bagan_alur", f"bagan_alur-{code}", code))
    for group in sorted({s.kelompok or "Layanan" for s in chosen}):
        jobs.append(KitJob("pamflet", f"pamflet-{_slug(group)}", kelompok=group))
    for key in ("poster_ktp_el", "maklumat"):
        jobs += [KitJob(key, f"{key}-{size}", ukuran=size) for size in materials.MATERIALS[key].sizes]
    return jobs


def write_kit_file(job: KitJob, dest: Path, *, width: int, session: Session, desk: PublishDesk) -> dict:
    """Render one kit file and write its PDF and PNG preview; returns its manifest entry."""
    context = materials.build_context(job.key, session=session, desk=desk,
                                      layanan_code=job.layanan_code, kelompok=job.kelompok,
                                      ukuran=job.ukuran)
    rendered = materials.render(job.key, context, session=session, desk=desk)
    ensure_dir(dest)
    atomic_write_bytes(dest / f"{job.filename}.pdf", rendered.pdf)
    previews = [f"{job.filename}.png"] + [f"{job.filename}-{n}.png" for n in range(2, rendered.pages + 1)]
    for page, name in enumerate(previews):
        atomic_write_bytes(dest / name, materials.preview_png(rendered.pdf, desk=desk, width=width,
                                                              page=page))
    return {"file": f"{job.filename}.pdf", "preview": previews[0], "previews": previews,
            "materi": job.key,
            "layanan": job.layanan_code, "kelompok": job.kelompok, "ukuran": job.ukuran,
            "halaman": rendered.pages, "sha256": hashlib.sha256(rendered.pdf).hexdigest()}


def _slug(text: str) -> str:
    """'Surat Keterangan' → 'surat_keterangan'."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "layanan"
