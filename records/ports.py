"""What the services are handed by the desks: a PDF renderer, a document signer, a blob store,
a scan probe and a checkpoint signer, each as a Protocol.

Services name these types, never the engines behind them (WeasyPrint in `records.pdf`,
pyHanko in `records.signing`, the probe worker in `archive.scan_probe`), so a test can hand
them a fake and mypy still checks every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from archive.blobstore import BlobStore

if TYPE_CHECKING:
    from records.pdf import PdfMetadata, RenderResult

__all__ = ["BlobStore", "CheckpointSigner", "DocumentSigner", "PagePreview", "Renderer", "ScanProbe"]


class Renderer(Protocol):
    """Renders a template to a PDF: `records.render_worker.RenderPool` (worker processes
    around `records.pdf.PdfRenderer`) or the publishing desk's lazily started pool."""

    def render(self, template_name: str, context: Mapping[str, Any], *, paper: str = "F4",
               metadata: PdfMetadata) -> RenderResult: ...

    def close(self) -> None: ...


class DocumentSigner(Protocol):
    """Anything that signs a PDF: a local key today (`records.signing.PadesSigner`), a BSrE
    signing service tomorrow."""

    def sign(self, pdf: bytes, *, reason: str, location: str, name: str | None = None) -> bytes: ...


class PagePreview(Protocol):
    """One page of a PDF as a PNG `width` pixels wide (`records.thumbnails.png_preview`)."""

    def __call__(self, pdf: bytes, width: int, page: int = 0) -> bytes: ...


class ScanProbe(Protocol):
    """Opens an untrusted scan in a limited worker and reports on it
    (`archive.scan_probe.ProbePool`); raises ProbeError when the file must be refused."""

    def probe(self, path: Path, kind: str) -> dict: ...


class CheckpointSigner(Protocol):
    """Signs and checks the audit trail's checkpoints with the office's key
    (`records.signing.CheckpointKey`): a detached signature and the certificate to check it."""

    def sign(self, data: bytes) -> tuple[str, str]:
        """(the signer's certificate as PEM, the signature as hex) over data."""
        ...

    def verify(self, data: bytes, certificate_pem: str, signature_hex: str) -> bool:
        """Whether the signature is the certificate's over data and the certificate is one the
        office trusts (issued by its CA)."""
        ...
