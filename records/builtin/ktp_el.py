"""KTP-el service at the kecamatan: application and biometric recording, hand-over, list to the Dinas.

The kecamatan never prints a KTP-el (the Dinas Dukcapil does; look-alikes are a crime under
UU 24/2013 Pasal 96A): its products are an application/recording record, a hand-over receipt
and the berita acara of applications sent to the Dinas. The application follows its own
workflow, from receipt to hand-over of the card printed by the Dinas.
"""

from records.builtin.core import CAMAT, OPERATOR_DESA, PETUGAS, SEKCAM
from records.declarations import (
    CLOSED,
    HANDED_OVER,
    HANDS_OVER,
    READY,
    REJECTS,
    DocumentType,
    Field,
    Transition,
    Workflow,
)
from records.document_rules import Kolom, daftar_berkas
from records.hookspecs import hookimpl

LOKET = frozenset({PETUGAS})
SUPERVISORS = frozenset({PETUGAS, CAMAT, SEKCAM})

KTP_EL_WORKFLOW = Workflow(
    name="ktp_el",
    title="Layanan KTP-el",
    initial="diterima",
    states={
        "diterima": "Berkas diterima",
        "rekam_biometrik": "Biometrik direkam",
        "dikirim_ke_dinas": "Dikirim ke Dinas Dukcapil",
        "dicetak": "Dicetak oleh Dinas",
        "siap_diambil": "Siap diambil",
        "diserahkan": "Diserahkan",
        "ditolak": "Ditolak",
    },
    transitions=(
        # Biometrics (fingerprints, iris, photo, signature) are taken at the kecamatan only.
        Transition("rekam", "Rekam biometrik", "diterima", "rekam_biometrik", LOKET),
        Transition("kirim", "Kirim ke Dinas", "rekam_biometrik", "dikirim_ke_dinas", LOKET),
        Transition("catat_cetak", "Catat sudah dicetak", "dikirim_ke_dinas", "dicetak", LOKET),
        Transition("siapkan", "Siap diambil", "dicetak", "siap_diambil", LOKET),
        Transition("serahkan", "Serahkan kepada pemohon", "siap_diambil", "diserahkan",
                   LOKET | {OPERATOR_DESA}, tags={HANDS_OVER}),
        Transition("tolak", "Tolak", ("diterima", "rekam_biometrik", "dikirim_ke_dinas"),
                   "ditolak", SUPERVISORS, note_required=True, tags={REJECTS}),
    ),
    # Nothing is issued here (no number, no issuing step): the card waits, then is handed over.
    state_tags={"siap_diambil": {READY}, "diserahkan": {HANDED_OVER, CLOSED}, "ditolak": {CLOSED}},
)

JENIS_PERMOHONAN = ("Baru", "Pindah datang", "Perubahan data", "Hilang / rusak",
                    "Luar domisili", "ITAP (orang asing)")

PERMOHONAN_KTP_EL = DocumentType(
    name="permohonan_ktp_el",
    title="Permohonan dan Perekaman KTP-el",
    fields=(
        Field("jenis", "Jenis permohonan", kind="choice", choices=JENIS_PERMOHONAN),
        Field("no_telepon", "No. telepon / WA", required=False, max_length=20),
        Field("tanggal_rekam", "Tanggal perekaman", kind="date", required=False),
        Field("petugas_rekam", "Operator perekaman", required=False, max_length=100),
        Field("hasil_rekam", "Hasil perekaman", kind="choice", required=False,
              choices=("Berhasil", "Gagal, perlu rekam ulang", "Sudah pernah merekam")),
        Field("keterangan", "Keterangan", kind="textarea", required=False, max_length=500),
    ),
    workflow="ktp_el",
    template="permohonan_ktp_el/document.html",
    klasifikasi="400.12.2.1",
    retention_class="ktp_kk_berkas",
    register="formulir_pemohon",
    penanda_tangan="pemohon",
    description="Formulir permohonan KTP-el dan catatan perekaman biometrik di kecamatan.",
)

TANDA_TERIMA_PENYERAHAN = DocumentType(
    name="tanda_terima_penyerahan_ktp_el",
    title="Tanda Terima Penyerahan KTP-el",
    fields=(
        Field("diambil_oleh", "Diambil oleh", kind="choice",
              choices=("Pemohon sendiri", "Anggota keluarga", "Kuasa (dengan surat kuasa)")),
        Field("nama_penerima", "Nama penerima (jika bukan pemohon)", required=False, max_length=100),
        Field("hubungan_penerima", "Hubungan dengan pemohon", required=False, max_length=50),
        Field("nomor_permohonan", "Nomor / kode permohonan", required=False, max_length=60),
        Field("keterangan", "Keterangan", kind="textarea", required=False, max_length=300),
    ),
    workflow="tanda_terima_petugas",
    template="tanda_terima_penyerahan_ktp_el/document.html",
    klasifikasi="400.12.2.1",
    retention_class="ktp_kk_berkas",
    register="tanda_terima",
    penanda_tangan="petugas",
    description="Bukti bahwa KTP-el cetakan Dinas telah diserahkan kepada pemohon.",
)

DAFTAR_KTP_EL = (Kolom("nik", "NIK", "nik"), Kolom("nama", "Nama"), Kolom("jenis", "Jenis"),
                 Kolom("tanggal_rekam", "Tanggal rekam", "date"),
                 Kolom("desa", "Desa", required=False))
BERITA_ACARA_PENGIRIMAN = DocumentType(
    name="berita_acara_pengiriman_ktp_el",
    title="Berita Acara Pengiriman Berkas KTP-el ke Dinas",
    aturan=(daftar_berkas(
        "daftar_berkas", DAFTAR_KTP_EL, kode="berita_acara_ada_berkas",
        uraian="Paling sedikit satu berkas KTP-el dengan NIK yang valid.",
        dasar_hukum="Permendagri 1/2023 (berita acara menerangkan peristiwa serah terima: yang "
                    "diserahkan dirinci); Permendagri 109/2019 (berkas yang diteruskan ke Dinas) "
                    "[pasal belum diperiksa terhadap naskah resmi]"),),
    fields=(
        Field("daftar_berkas", "Daftar berkas (satu per baris: NIK | nama | jenis | tanggal "
              "rekam TTTT-BB-HH | desa)", kind="textarea", max_length=20000),
        Field("nama_penerima", "Nama petugas Dinas yang menerima", required=False, max_length=100),
        Field("nip_penerima", "NIP petugas Dinas", required=False, max_length=21),
        Field("keterangan", "Keterangan", kind="textarea", required=False, max_length=500),
    ),
    template="berita_acara_pengiriman_ktp_el/document.html",
    klasifikasi="400.12.2.1",
    retention_class="berita_acara_dinas",
    needs_penduduk=False,
    description="Daftar permohonan KTP-el yang sudah direkam dan dikirim ke Dinas Dukcapil.",
)


@hookimpl
def register_workflows():
    """The KTP-el service workflow."""
    return [KTP_EL_WORKFLOW]


@hookimpl
def register_document_types():
    """KTP-el application, hand-over receipt and list to the Dinas."""
    return [PERMOHONAN_KTP_EL, TANDA_TERIMA_PENYERAHAN, BERITA_ACARA_PENGIRIMAN]
