"""Letters as PDF/A-3b: sandboxed Jinja templates laid out by WeasyPrint.

This is the only module of Lemari that imports WeasyPrint, so the rendering rules
(which files a template may load, which fonts end up in the PDF, what metadata is
written) live in one place.  A `PdfRenderer` is expensive to build (fonts, parsed
CSS) and cheap to use, so build one per process and reuse it; `records.render_worker`
does that in a separate, resource-limited process.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import mimetypes
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, uses_relative
from xml.sax.saxutils import escape

import jinja2
import segno
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint.pdf.metadata import DocumentMetadata
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from records.exceptions import DocumentProductionError

#: URL scheme under which template folders are served to WeasyPrint.  A private scheme
#: (rather than file://) means no URL a template or a user can write reaches the disk
#: outside those folders.
ASSET_SCHEME = "lemari-asset"
#: Base URL of every rendered document: relative asset URLs resolve against the
#: template folder roots (``<img src="_base/logo.svg">``).
ASSET_BASE_URL = f"{ASSET_SCHEME}:/"
BASE_STYLESHEET = "_base/print.css"
PAPER_SIZES = ("F4", "A4")
PDF_VARIANT = "pdf/a-3b"
MAX_ASSET_BYTES = 16 * 1024 * 1024
#: Pixels per QR module in the PNG letters print (see `qr_png_data_uri`).
QR_PNG_SCALE = 3
#: XMP namespace of Lemari's own document properties.
XMP_NAMESPACE = "urn:lemari:pdf:1.0#"
MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)


class TemplateRenderError(DocumentProductionError):
    """A letter template could not be turned into HTML (syntax error, missing value…).

    Carries the template name and line so an administrator editing templates can fix
    them; the arguments are kept positional so the error survives pickling between
    the render worker and the web process. A domain error, so every adapter shows it as a
    message instead of a server error.
    """

    def __init__(self, template_name: str, lineno: int | None, message: str):
        super().__init__(template_name, lineno, message)
        self.template_name = template_name
        self.lineno = lineno
        self.message = message

    def __str__(self) -> str:
        where = f"Templat {self.template_name}" + ("" if self.lineno is None else f", baris {self.lineno}")
        return f"{where}: {self.message}"


class TemplateSecurityError(TemplateRenderError):
    """A template tried to reach outside the Jinja sandbox (private attributes, unsafe calls)."""


class AssetRefusedError(ValueError):
    """A URL outside the template folders was requested; WeasyPrint logs and skips it."""


@dataclass(frozen=True)
class PdfMetadata:
    """What goes into the PDF document information and XMP, independent of the HTML."""

    title: str
    author: str
    subject: str = ""
    keywords: tuple[str, ...] = ()
    created: dt.datetime | None = None
    document_number: str = ""
    document_type: str = ""
    issue_date: dt.date | None = None
    office: str = ""

    def custom_fields(self) -> dict[str, str]:
        """Lemari's own keys, named as they appear in the PDF info dictionary and XMP."""
        fields = {
            "DocumentNumber": self.document_number,
            "DocumentType": self.document_type,
            "IssueDate": self.issue_date.isoformat() if self.issue_date else "",
            "Office": self.office,
        }
        return {key: value for key, value in fields.items() if value}


@dataclass(frozen=True)
class RenderResult:
    """A rendered letter and the fingerprint of the templates that produced it."""

    pdf: bytes
    template_name: str
    template_sha256: str
    pages: int
    #: CPU time the render took in its process (what `lemari bench pdf` adds up on a busy host).
    cpu_seconds: float = 0.0


class LocalAssetFetcher(URLFetcher):
    """Serves only files inside the template folders, plus ``data:`` URLs.

    WeasyPrint uses the fetcher for images, stylesheets, fonts, SVG references and
    attachments.  Everything else (file://, http(s)://, ftp…) raises, so a hostile
    template or value cannot embed local files or probe the network (WeasyPrint
    security advisories GHSA-35jj-wx47-4w8r, CVE-2025-68616, CVE-2026-55073).
    """

    def __init__(self, roots: Sequence[Path]):
        super().__init__(timeout=1, allowed_protocols=("data",), allow_redirects=False)
        self._roots = tuple(Path(root).resolve() for root in roots)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Dispatch on the scheme; only the asset scheme and data: are served."""
        scheme = url.partition(":")[0].lower()
        if scheme == ASSET_SCHEME:
            return self._serve(url)
        if scheme == "data":
            return super().fetch(url, headers)
        raise AssetRefusedError(f"refused URL outside the template folders: {url[:120]}")

    def resolve(self, url: str) -> Path:
        """Map an asset URL to a regular file under a root; refuse escapes and symlinks out."""
        relative = unquote(urlsplit(url).path).lstrip("/")
        for root in self._roots:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        raise AssetRefusedError(f"no such asset in the template folders: {url[:120]}")

    def _serve(self, url: str) -> URLFetcherResponse:
        """Read the file with a size cap so a huge asset cannot exhaust memory."""
        path = self.resolve(url)
        if path.stat().st_size > MAX_ASSET_BYTES:
            raise AssetRefusedError(f"asset larger than {MAX_ASSET_BYTES} bytes: {url[:120]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def qr_data_uri(text: str) -> str:
    """A QR code for `text` as an SVG data: URI, vector so it prints sharp at any size."""
    return segno.make(text, error="m", micro=False).svg_data_uri(xmldecl=False, nl=False)


def qr_png_data_uri(text: str) -> str:
    """The same QR code as a PNG data: URI (what letters print), 3 pixels per module.

    WeasyPrint draws the SVG variant as a path of hundreds of segments on every page; the
    PNG is one small image.  Every letter has its own code, so the image is decoded and
    re-compressed on every render: 6 pixels per module cost ≈2.5 ms more than 3, for no
    gain.  With ``image-rendering: crisp-edges`` (no interpolation) the code printed at
    18 mm decodes from page rasters of 100 dpi and up (tests/integration/test_pdf.py).
    """
    return segno.make(text, error="m", micro=False).png_data_uri(scale=QR_PNG_SCALE, border=4)


_ONES = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
         "sepuluh", "sebelas")


def terbilang(number: int) -> str:
    """A whole number 0–999 999 in Indonesian words ("dua ribu dua puluh enam"), as a berita
    acara writes its date."""
    if number < 12:
        return _ONES[number] or "nol"
    if number < 20:
        return f"{_ONES[number - 10]} belas"
    if number < 100:
        return f"{_ONES[number // 10]} puluh {_ONES[number % 10]}".strip()
    if number < 1000:
        head = "seratus" if number < 200 else f"{_ONES[number // 100]} ratus"
        return f"{head} {terbilang(number % 100) if number % 100 else ''}".strip()
    head = "seribu" if number < 2000 else f"{terbilang(number // 1000)} ribu"
    return f"{head} {terbilang(number % 1000) if number % 1000 else ''}".strip()


def format_date_words(value: dt.date | str) -> str:
    """``tanggal empat bulan Desember tahun dua ribu dua puluh enam``: the date of a berita
    acara written in words (Permendagri 1/2023, berita acara), so it cannot be altered."""
    day = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return (f"tanggal {terbilang(day.day)} bulan {MONTHS_ID[day.month - 1]} "
            f"tahun {terbilang(day.year)}")


def format_date_id(value: dt.date | str) -> str:
    """``28 November 2026``: the Indonesian long date used on letters."""
    day = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def _register_asset_scheme() -> None:
    """Let urljoin resolve relative URLs (``../fonts/x.ttf``) against the asset scheme."""
    if ASSET_SCHEME not in uses_relative:
        uses_relative.append(ASSET_SCHEME)


@functools.lru_cache(maxsize=256)
def _referenced_templates(environment: SandboxedEnvironment, source: str) -> tuple[str, ...]:
    """Names a template extends, includes or imports; cached by source as parsing costs time."""
    names = meta.find_referenced_templates(environment.parse(source))
    return tuple(name for name in names if name)


class PdfRenderer:
    """Renders letters; holds the reusable Jinja environment, fonts, CSS and image cache."""

    def __init__(self, template_dirs: Sequence[str | Path]):
        _register_asset_scheme()
        self.template_dirs = tuple(Path(path).resolve() for path in template_dirs)
        self.fetcher = LocalAssetFetcher(self.template_dirs)
        self.environment = self._build_environment()
        self.font_config = FontConfiguration()
        self.stylesheets = [self._load_css(BASE_STYLESHEET)]
        self.image_cache: dict = {}

    def _build_environment(self) -> SandboxedEnvironment:
        """Sandboxed, autoescaping and strict: templates are edited by office admins."""
        environment = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(path) for path in self.template_dirs]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        environment.filters["id_date"] = format_date_id
        environment.filters["tanggal_terbilang"] = format_date_words
        environment.globals["qr_data_uri"] = qr_data_uri
        environment.globals["qr_png_data_uri"] = qr_png_data_uri
        return environment

    def _load_css(self, name: str) -> CSS:
        """Parse a stylesheet once; its relative URLs resolve inside the template folders."""
        url = f"{ASSET_BASE_URL}{name}"
        source = self.fetcher.fetch(url).read().decode("utf-8")
        return CSS(string=source, base_url=url, url_fetcher=self.fetcher, font_config=self.font_config)

    def warm_up(self) -> None:
        """Render a throw-away page once so the first real letter is not the slow one.

        Loads every shipped font face through Pango and HarfBuzz, parses the UA stylesheet
        and fills WeasyPrint's caches; a worker calls it before it reports ready.
        """
        faces = "".join(
            f'<p style="font-family: {family}; font-weight: {weight}; font-style: {style}">Lemari 0123</p>'
            for family in ('"Lemari Sans"', '"Lemari Serif"')
            for weight in ("normal", "bold")
            for style in ("normal", "italic"))
        html = f'<html lang="id" class="paper-f4"><body><main>{faces}</main></body></html>'
        HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=self.fetcher, encoding="utf-8").render(
            font_config=self.font_config, stylesheets=self.stylesheets, cache=self.image_cache,
        ).write_pdf(pdf_variant=PDF_VARIANT)

    def render(
        self,
        template_name: str,
        context: Mapping[str, Any],
        *,
        paper: str = "F4",
        metadata: PdfMetadata,
    ) -> RenderResult:
        """Render one letter to PDF/A-3b bytes."""
        if paper not in PAPER_SIZES:
            raise ValueError(f"paper must be one of {PAPER_SIZES}, not {paper!r}")
        started = time.thread_time()
        html = self.render_html(template_name, {**context, "paper": paper})
        digest = self.template_sha256(template_name)
        document = HTML(
            string=html, base_url=ASSET_BASE_URL, url_fetcher=self.fetcher, encoding="utf-8"
        ).render(font_config=self.font_config, stylesheets=self.stylesheets, cache=self.image_cache)
        document.metadata = _document_metadata(metadata, lang=document.metadata.lang)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, custom_metadata=True)
        return RenderResult(pdf, template_name, digest, len(document.pages), time.thread_time() - started)

    def render_html(self, template_name: str, context: Mapping[str, Any]) -> str:
        """Run the Jinja template, turning every failure into a located TemplateRenderError."""
        try:
            return self.environment.get_template(template_name).render(context)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateRenderError(error.name or template_name, error.lineno,
                                      error.message or "") from error
        except SecurityError as error:
            raise TemplateSecurityError(*self._locate(error, template_name), str(error)) from error
        except MemoryError:
            raise  # the worker's memory ceiling: the worker reports it and is replaced
        except Exception as error:
            raise TemplateRenderError(*self._locate(error, template_name), str(error)) from error

    def _locate(self, error: BaseException, template_name: str) -> tuple[str, int | None]:
        """The innermost template frame of a runtime error (Jinja rewrites tracebacks to it)."""
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            name = self._template_name_of(frame.filename)
            if name:
                return name, frame.lineno
        return template_name, None

    def _template_name_of(self, filename: str) -> str | None:
        """Template name of a file under one of the template folders, else None."""
        path = Path(filename)
        for root in self.template_dirs:
            if path.is_relative_to(root):
                return path.relative_to(root).as_posix()
        return None

    def template_sha256(self, template_name: str) -> str:
        """Hash of the template and every template it extends, includes or imports.

        Stored with each issued letter so a later reprint can tell whether the layout
        it would use is still the one the citizen received.
        """
        digest = hashlib.sha256()
        for name, source in self._template_closure(template_name):
            digest.update(name.encode() + b"\0" + source.encode() + b"\0")
        return digest.hexdigest()

    def _template_closure(self, template_name: str) -> list[tuple[str, str]]:
        """(name, source) of the template and its static dependencies, in a stable order.

        A dependency that does not exist is left out: the render already succeeded, so it was
        an ``{% include … ignore missing %}``, which Jinja skips too.
        """
        seen: dict[str, str] = {}
        pending = [template_name]
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            try:
                source = self.environment.loader.get_source(self.environment, name)[0]
            except jinja2.TemplateNotFound:
                if name == template_name:
                    raise
                continue
            seen[name] = source
            pending.extend(_referenced_templates(self.environment, source))
        return sorted(seen.items())


class _XmpMetadata(DocumentMetadata):
    """WeasyPrint's document metadata with Lemari's XMP properties inside its own rdf:RDF.

    WeasyPrint writes ``xmp_metadata`` after its rdf:RDF element, as a second one. XMP
    readers take the first: pyHanko does, and it rewrites the packet when it signs, so the
    number, type, issue date and office were gone from every signed letter.
    """

    def __init__(self, descriptions: bytes, **fields: Any):
        super().__init__(**fields)
        self.descriptions = descriptions

    def generate_rdf_metadata(self, variant, version, conformance) -> bytes:
        rdf = super().generate_rdf_metadata(variant, version, conformance)
        head, closing, tail = rdf.rpartition(b"</rdf:RDF>")
        if not closing:
            raise RuntimeError("WeasyPrint's XMP has no </rdf:RDF>; Lemari's properties cannot be added")
        return head + self.descriptions + closing + tail


def _document_metadata(metadata: PdfMetadata, *, lang: str | None) -> DocumentMetadata:
    """Metadata from the record, never from the HTML, and no attachments.

    Letters never carry attachments; leaving them out is a second line of defence behind
    the URL fetcher against templates that try to embed files.
    """
    created = (metadata.created or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    custom = metadata.custom_fields()
    return _XmpMetadata(
        _xmp_custom_fields(custom) if custom else b"",
        title=metadata.title, authors=[metadata.author], description=metadata.subject or None,
        keywords=list(metadata.keywords), generator="Lemari", created=created.isoformat(),
        modified=created.isoformat(), attachments=[], lang=lang, custom=custom)


def _xmp_custom_fields(fields: Mapping[str, str]) -> bytes:
    """rdf:Description elements for Lemari's keys, with the extension schema PDF/A requires."""
    schema_properties = "".join(
        "<rdf:li rdf:parseType='Resource'>"
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>Lemari {name}</pdfaProperty:description>"
        "</rdf:li>"
        for name in fields
    )
    values = "".join(f"<lemari:{name}>{escape(value)}</lemari:{name}>" for name, value in fields.items())
    return (
        "<rdf:Description rdf:about=''"
        " xmlns:pdfaExtension='http://www.aiim.org/pdfa/ns/extension/'"
        " xmlns:pdfaSchema='http://www.aiim.org/pdfa/ns/schema#'"
        " xmlns:pdfaProperty='http://www.aiim.org/pdfa/ns/property#'>"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<pdfaSchema:schema>Lemari document record</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>lemari</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{schema_properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
        f"<rdf:Description rdf:about='' xmlns:lemari='{XMP_NAMESPACE}'>{values}</rdf:Description>"
    ).encode()


def merge_pdfs(
    documents: Iterable[bytes], progress: Callable[[int, int], None] | None = None
) -> bytes:
    """Concatenate letters into one PDF for batch printing.

    `progress(done, total)` is called after each document.  Identical objects (logo,
    colour profile) are stored once, which keeps a batch of hundreds of letters small.
    """
    items = list(documents)
    writer = PdfWriter()
    for done, data in enumerate(items, start=1):
        writer.append(PdfReader(io.BytesIO(data)))
        if progress:
            progress(done, len(items))
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
