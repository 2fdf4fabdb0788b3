"""Tanda terima permohonan: the receipt every service hands the applicant (PATEN; UU 25/2009).

The receipt carries the tracking code, the promised completion date and "Biaya: Rp 0 (GRATIS)";
everything it prints comes from the request (`tracking` in the document context), so the type
declares only an optional note. Receipts take a tracking code, not a letter number, hence their
own register; the NIK is printed masked.
"""

from records.declarations import DocumentType, Field
from records.hookspecs import hookimpl

TANDA_TERIMA_PERMOHONAN = DocumentType(
    name="tanda_terima_permohonan",
    title="Tanda Terima Permohonan",
    fields=(Field("catatan", "Catatan petugas", kind="textarea", required=False, max_length=300),),
    template="tanda_terima_permohonan/document.html",
    klasifikasi="000.8.3.4",
    retention_class="tanda_terima",
    register="tanda_terima",
    internal=True,
    description="Bukti penerimaan berkas: kode lacak, kelengkapan syarat, janji selesai, biaya Rp 0.",
)


@hookimpl
def register_document_types():
    """The receipt of every service request."""
    return [TANDA_TERIMA_PERMOHONAN]
