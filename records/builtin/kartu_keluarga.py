"""KK service at the kecamatan: the application with the F-1.01 family biodata, and the berita
acara handing the files to the Dinas Dukcapil (Permendagri 109/2019 forms).

The Dinas issues and signs the KK itself; the kecamatan never prints one (UU 24/2013 Pasal 96A).
"""

from records.declarations import DocumentType, Field
from records.document_rules import Kolom, daftar_berkas
from records.hookspecs import hookimpl

JENIS_PERMOHONAN = ("Baru", "Tambah anggota", "Kurang anggota", "Perubahan data",
                    "Hilang / rusak", "Pecah KK")

PERMOHONAN_KK = DocumentType(
    name="permohonan_kk",
    title="Permohonan KK dan Biodata Keluarga (F-1.01)",
    fields=(
        Field("jenis", "Jenis permohonan", kind="choice", choices=JENIS_PERMOHONAN),
        Field("alasan", "Rincian perubahan / alasan", kind="textarea", required=False,
              max_length=500, help="Mis. nama anggota yang ditambah atau dikurangi dan sebabnya."),
        Field("no_telepon", "No. telepon / WA", required=False, max_length=20),
    ),
    workflow="formulir_pemohon",
    template="permohonan_kk/document.html",
    klasifikasi="400.12.2.1",
    retention_class="ktp_kk_berkas",
    register="formulir_pemohon",
    penanda_tangan="pemohon",
    description="Permohonan pelayanan KK beserta biodata seluruh anggota keluarga.",
)

DAFTAR_KK = (Kolom("no_kk", "No. KK", "no_kk"), Kolom("kepala_keluarga", "Kepala keluarga"),
             Kolom("jenis", "Jenis"), Kolom("jumlah_berkas", "Jumlah berkas", "integer"))
BERITA_ACARA_PENYERAHAN = DocumentType(
    name="berita_acara_penyerahan_berkas_kk",
    title="Berita Acara Penyerahan Berkas KK ke Dinas",
    aturan=(daftar_berkas(
        "daftar_berkas", DAFTAR_KK, kode="berita_acara_ada_berkas",
        uraian="Paling sedikit satu berkas KK; jumlah berkas tiap baris lebih dari 0.",
        dasar_hukum="Permendagri 1/2023 (berita acara menerangkan peristiwa serah terima: yang "
                    "diserahkan dirinci); Permendagri 109/2019 (berkas yang diteruskan ke Dinas) "
                    "[pasal belum diperiksa terhadap naskah resmi]"),),
    fields=(
        Field("daftar_berkas", "Daftar berkas (satu per baris: No. KK | kepala keluarga | "
              "jenis | jumlah berkas)", kind="textarea", max_length=20000),
        Field("nama_penerima", "Nama petugas Dinas yang menerima", required=False, max_length=100),
        Field("nip_penerima", "NIP petugas Dinas", required=False, max_length=21),
        Field("keterangan", "Keterangan", kind="textarea", required=False, max_length=500),
    ),
    template="berita_acara_penyerahan_berkas_kk/document.html",
    klasifikasi="400.12.2.1",
    retention_class="berita_acara_dinas",
    needs_penduduk=False,
    description="Daftar berkas permohonan KK yang diserahkan ke Dinas Dukcapil.",
)


@hookimpl
def register_document_types():
    """KK application and the berita acara to the Dinas."""
    return [PERMOHONAN_KK, BERITA_ACARA_PENYERAHAN]
