"""Surat keterangan issued by the Camat for residents (first built-in document types)."""

from ..declarations import DocumentType, Field
from ..hookspecs import hookimpl

KEPERLUAN = Field("keperluan", "Keperluan", kind="textarea", max_length=300)

DOMISILI = DocumentType(
    name="sk_domisili_penduduk",
    title="Surat Keterangan Domisili Penduduk",
    fields=(KEPERLUAN,
            Field("masa_berlaku_bulan", "Masa berlaku (bulan)", kind="integer", required=False)),
    template="sk_domisili/document.html",
    klasifikasi="400.12.2.1",
    retention_class="surat_keterangan",
    description="Keterangan bahwa pemohon benar berdomisili di wilayah Kecamatan Kota Bangun.",
)


@hookimpl
def register_document_types():
    """Surat keterangan types of the kecamatan."""
    return [DOMISILI]
