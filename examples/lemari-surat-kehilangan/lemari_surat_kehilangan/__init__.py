"""Example Lemari plugin: a new document type without touching the core.

Installing this package (its `lemari` entry point) is all it takes: the type appears in the
clerk's "Buat dokumen" list, follows the standard issuance workflow and uses its own template.
"""

from pathlib import Path

from records.declarations import DocumentType, Field
from records.hookspecs import hookimpl

SURAT_KEHILANGAN = DocumentType(
    name="surat_pengantar_kehilangan",
    title="Surat Pengantar Laporan Kehilangan",
    fields=(
        Field("barang_hilang", "Barang / dokumen yang hilang", max_length=200),
        Field("tanggal_kejadian", "Tanggal kejadian", kind="date"),
        Field("lokasi_kejadian", "Lokasi kejadian", max_length=200),
        Field("tujuan", "Ditujukan kepada", kind="choice",
              choices=("Kepala Polsek Kota Bangun", "Kepala Dinas Dukcapil Kutai Kartanegara")),
    ),
    template="surat_kehilangan/document.html",
    klasifikasi="300.1",
    retention_class="surat_keterangan",
    description="Pengantar ke Polsek untuk laporan kehilangan barang atau dokumen.",
)


@hookimpl
def register_document_types():
    """The one type this plugin adds."""
    return [SURAT_KEHILANGAN]


@hookimpl
def register_template_dirs():
    """This plugin's own PDF templates."""
    return [Path(__file__).parent / "templates_pdf"]
