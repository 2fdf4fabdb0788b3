"""Look inside untrusted scans in a separate process with a time and memory limit.

pypdf bounds memory but not CPU time on crafted files (dozens of denial-of-service fixes in
2026 alone), and Pillow refuses decompression bombs only when asked to. So uploads are
opened here, never in the web or import process: a worker of the core's sandboxed pool
(`records.sandbox`, the same one that renders letters) with an address-space ceiling answers
one file at a time, and a file that takes too long gets the worker killed and a fresh one
started for the next file. The answer is plain data (kind, pages, text).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from records.formats import angka
from records.sandbox import WorkerDiedError, WorkerPool, WorkerTimeoutError

# Magic bytes → kind; the file name's extension must agree.
MAGIC = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"),
         (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"))
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".tif": "tiff",
              ".tiff": "tiff"}
KIND_LABELS = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "tiff": "TIFF"}
# A page counts as born-digital text when it yields at least this many characters.
TEXT_PAGE_MIN_CHARS = 20
# Text kept from a born-digital PDF (the index needs words, not whole books).
MAX_TEXT_CHARS = 1_000_000


class ProbeError(Exception):
    """The file cannot be archived; the message says why, in Indonesian, in words a clerk
    knows. `detail` keeps what the library said (exception name and text) for the Admin's
    "detail teknis"."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail

    def __reduce__(self):
        return ProbeError, (str(self), self.detail)  # crosses the worker's pipe whole


@dataclass(frozen=True)
class ProbeLimits:
    """What one file may cost: pixels per page, pages, seconds and bytes of address space."""

    max_pixels: int = 60_000_000
    max_pages: int = 2000
    timeout_s: float = 30.0
    memory_bytes: int = 1024 * 1024 * 1024


def technical(error: BaseException) -> str:
    """What a library said about a file, for the Admin (never shown to clerks as the reason)."""
    return f"{type(error).__name__}: {error}"[:500]


def sniff(head: bytes) -> str | None:
    """The kind the first bytes announce, or None for anything we do not archive."""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head[:1024].find(b"%PDF-") > 0:  # PDF allows junk before the header
        return "pdf"
    return None


def kind_of(path: Path, name: str) -> str:
    """Check the content against the name's extension; raise ProbeError with the reason."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if not head:
        raise ProbeError("Berkas kosong (0 byte).")
    found = sniff(head)
    expected = EXTENSIONS.get(Path(name).suffix.lower())
    if expected is None:
        raise ProbeError("Jenis berkas tidak diterima: hanya PDF, JPEG, PNG atau TIFF.")
    if found is None:
        raise ProbeError(f"Isi berkas bukan {KIND_LABELS[expected]} yang sah.")
    if found != expected:
        raise ProbeError(f"Isi berkas adalah {KIND_LABELS[found]}, tetapi namanya berakhiran "
                         f"{Path(name).suffix}; ganti nama berkas sesuai isinya.")
    return found


def inspect(path: str, kind: str, limits: ProbeLimits) -> dict:
    """Open the file and report pages and any text; runs inside the worker."""
    if kind == "pdf":
        return _inspect_pdf(path, limits)
    return _inspect_image(path, limits)


def _inspect_pdf(path: str, limits: ProbeLimits) -> dict:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise ProbeError("PDF terkunci kata sandi (terenkripsi); buka kuncinya lalu unggah lagi.")
        pages = len(reader.pages)
    except ProbeError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ProbeError("PDF rusak atau terpotong; pindai ulang atau simpan ulang dari "
                         "aplikasi asalnya.", technical(exc)) from None
    if pages == 0:
        raise ProbeError("PDF tidak berisi halaman.")
    if pages > limits.max_pages:
        raise ProbeError(f"PDF berisi {pages} halaman; batasnya {limits.max_pages}.")
    texts, with_text = [], 0
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
        except Exception:  # a damaged content stream: that page simply needs OCR
            text = ""
        with_text += len(text.strip()) >= TEXT_PAGE_MIN_CHARS
        texts.append(text)
    return {"kind": "pdf", "pages": pages, "has_text": with_text == pages,
            "text": "\n".join(texts)[:MAX_TEXT_CHARS]}


def _inspect_image(path: str, limits: ProbeLimits) -> dict:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > limits.max_pages:
                    raise ProbeError(f"Gambar berisi {frames} halaman; batasnya {limits.max_pages}.")
                for index in range(frames):
                    image.seek(index)
                    _check_pixels(image.size, limits.max_pixels)
                    image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ProbeError("Gambar terlalu besar (dicurigai bom dekompresi); "
                             f"batas {angka(limits.max_pixels)} piksel per halaman.") from None
        except ProbeError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ProbeError("Gambar rusak atau terpotong; pindai ulang.", technical(exc)) from None
    return {"kind": image.format.lower() if image.format else "image", "pages": frames,
            "has_text": False, "text": ""}


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ProbeError(f"Gambar {angka(width)}×{angka(height)} piksel melebihi batas "
                         f"{angka(max_pixels)} piksel.")


def _prober(limits: ProbeLimits):
    """Worker set-up: quiet pypdf (reasons go in the report); the handler inspects one file
    and turns whatever a hostile file makes pypdf or Pillow raise into a ProbeError."""
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

    def probe(job: tuple[str, str, ProbeLimits]) -> dict:
        path, kind, job_limits = job
        try:
            return inspect(path, kind, job_limits)
        except ProbeError:
            raise
        except Exception as exc:  # pypdf and Pillow raise anything on hostile input
            raise ProbeError("Berkas tidak dapat dibaca (rusak atau bukan dokumen).",
                             technical(exc)) from None
    return probe


class ProbePool:
    """One long-lived probe worker in the sandboxed pool, started on first use and replaced
    after a timeout or a crash.

    Spawning a Python per file would cost ~0.2 s; one worker keeps ingest above 20 files/s.
    Web threads share the one worker: files are probed one at a time, in turn.
    """

    def __init__(self, limits: ProbeLimits | None = None) -> None:
        self.limits = limits or ProbeLimits()
        self._pool = WorkerPool(_prober, (self.limits,), what="pemeriksa berkas", workers=1,
                                timeout_s=self.limits.timeout_s,
                                memory_limit_bytes=self.limits.memory_bytes, lazy=True,
                                max_jobs_per_worker=10_000, process_name="lemari-scan-probe")

    def probe(self, path: Path, kind: str) -> dict:
        """The worker's report on the file; ProbeError when it must be refused."""
        limits = self.limits
        try:
            return self._pool.run((str(path), kind, limits), timeout_s=limits.timeout_s)
        except WorkerTimeoutError:
            raise ProbeError(f"Membuka berkas melebihi batas waktu {limits.timeout_s:.0f} "
                             "detik (berkas rusak atau sengaja dibuat berat).") from None
        except WorkerDiedError:
            raise ProbeError("Pemeriksa berkas berhenti saat membuka berkas ini "
                             "(melebihi batas memori atau berkas merusak pembaca).") from None

    def pids(self) -> list[int]:
        """Process ids of the live worker (none before first use or after a kill)."""
        return self._pool.pids()

    def close(self) -> None:
        """Stop the worker (it also dies with its parent: daemon)."""
        self._pool.close()
