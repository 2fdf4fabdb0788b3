"""Naskah dinas of the kecamatan (Permendagri 1/2023): surat dinas, undangan, surat tugas,
berita acara and Keputusan Camat. Office letters: no resident is attached.
"""

from records.declarations import DocumentType, Field
from records.document_rules import tanggal_tidak_lampau, urutan_tanggal
from records.hookspecs import hookimpl

SIFAT = Field("sifat", "Sifat", kind="choice",
              choices=("Biasa", "Segera", "Sangat Segera", "Terbatas", "Rahasia"))
LAMPIRAN = Field("lampiran", "Lampiran", required=False, max_length=60,
                 help='Tulis dengan huruf, mis. "1 (satu) berkas".')
HAL = Field("hal", "Hal", max_length=200)
TUJUAN = Field("tujuan", "Yth. (jabatan penerima)", max_length=200)
TEMPAT_TUJUAN = Field("tempat_tujuan", "di (tempat penerima)", max_length=100)
ISI = Field("isi", "Isi surat", kind="textarea", max_length=6000,
            help="Satu paragraf per baris.")
TEMBUSAN = Field("tembusan", "Tembusan (satu per baris)", kind="textarea", required=False,
                 max_length=1000)
LETTER = (SIFAT, LAMPIRAN, HAL, TUJUAN, TEMPAT_TUJUAN)


def naskah(name, title, fields, klasifikasi, retention_class="naskah_dinas", **extra):
    """A naskah dinas type: office letter, no resident, template folder named after the type."""
    return DocumentType(name=name, title=title, fields=tuple(fields),
                        template=f"{name}/document.html", klasifikasi=klasifikasi,
                        retention_class=retention_class, needs_penduduk=False, **extra)


NASKAH_DINAS = (
    naskah("surat_dinas", "Surat Dinas", (*LETTER, ISI, TEMBUSAN), "000.1",
           description="Surat keluar Camat kepada instansi lain."),
    naskah("surat_undangan", "Surat Undangan", (
        *LETTER,
        Field("pembuka", "Kalimat pembuka", kind="textarea", required=False, max_length=1000),
        Field("tanggal_acara", "Hari / tanggal acara", kind="date"),
        Field("waktu", "Waktu", max_length=60, help="Mis. 09.00 WITA s.d. selesai"),
        Field("tempat", "Tempat", max_length=200),
        Field("acara", "Acara", kind="textarea", max_length=500),
        Field("penutup", "Kalimat penutup", kind="textarea", required=False, max_length=1000),
        TEMBUSAN), "000.1.5",
        aturan=(tanggal_tidak_lampau("tanggal_acara", kode="undangan_acara_tidak_lampau",
                                     label="Tanggal acara"),),
        description="Undangan rapat atau kegiatan."),
    naskah("surat_tugas", "Surat Tugas", (
        Field("dasar", "Dasar (satu per baris)", kind="textarea", required=False, max_length=1000),
        Field("petugas", "Yang ditugaskan (satu per baris: nama | NIP | jabatan)",
              kind="textarea", max_length=2000),
        Field("maksud", "Untuk (maksud penugasan)", kind="textarea", max_length=1000),
        Field("tanggal_mulai", "Tanggal mulai", kind="date", required=False),
        Field("tanggal_selesai", "Tanggal selesai", kind="date", required=False),
        TEMBUSAN), "800.1.11.1",
        aturan=(urutan_tanggal("tanggal_mulai", "tanggal_selesai", kode="tugas_urutan_tanggal"),),
        description="Perintah tugas kepada pegawai kecamatan."),
    naskah("berita_acara", "Berita Acara", (
        Field("hal", "Tentang", max_length=200),
        Field("isi", "Uraian kejadian / kegiatan", kind="textarea", max_length=6000,
              help="Satu paragraf per baris."),
        Field("pihak_kedua", "PIHAK KEDUA: jabatan / instansi", required=False,
              max_length=150, help="PIHAK KESATU adalah pejabat kecamatan yang menandatangani."),
        Field("nama_pihak_kedua", "PIHAK KEDUA: nama", required=False, max_length=100),
        Field("nip_pihak_kedua", "PIHAK KEDUA: NIP (jika ada)", required=False, max_length=21),
        Field("saksi", "Saksi (satu per baris: nama | jabatan)", kind="textarea",
              required=False, max_length=1000),
        TEMBUSAN), "000.1",
        retention_class="berita_acara_dinas",
        description="Berita acara umum (serah terima, pemeriksaan, kegiatan)."),
    naskah("keputusan_camat", "Keputusan Camat", (
        Field("tentang", "Tentang", max_length=300),
        Field("menimbang", "Menimbang (satu butir per baris)", kind="textarea", max_length=3000),
        Field("mengingat", "Mengingat (satu butir per baris)", kind="textarea", max_length=3000),
        Field("memutuskan", "Diktum (satu butir per baris: KESATU, KEDUA, …)", kind="textarea",
              max_length=6000),
        Field("lampiran", "Lampiran keputusan (isi; satu baris per paragraf)", kind="textarea",
              required=False, max_length=10000,
              help="Dicetak pada halaman LAMPIRAN KEPUTUSAN CAMAT dengan nomor dan tanggalnya."),
        Field("pengesah_salinan", "Pengesah salinan (nama | NIP | jabatan)", required=False,
              max_length=200,
              help='Diisi bila salinan dibagikan: mencetak blok "Salinan sesuai dengan aslinya".'),
        TEMBUSAN), "100.3.3",
        retention_class="keputusan", register="keputusan",
        description="Keputusan Camat, bernomor NOMOR … TAHUN …"),
)


@hookimpl
def register_document_types():
    """Naskah dinas types of the kecamatan."""
    return list(NASKAH_DINAS)
