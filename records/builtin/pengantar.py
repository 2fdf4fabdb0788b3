"""Surat pengantar and rekomendasi of the Camat: SKCK and izin keramaian (to the Polsek),
nikah (to the KUA) and pindah. A pengantar from the desa is a prerequisite of each.
"""

from records.declarations import DocumentType, Field
from records.document_rules import tanggal_akan_datang, tanggal_lampau
from records.hookspecs import hookimpl

KEPERLUAN = Field("keperluan", "Keperluan", kind="textarea", max_length=300)
PENGANTAR_DESA = (
    Field("nomor_pengantar_desa", "Nomor surat pengantar desa", required=False, max_length=60),
    Field("tanggal_pengantar_desa", "Tanggal surat pengantar desa", kind="date", required=False),
)
PENGANTAR_DESA_LAMPAU = tanggal_lampau("tanggal_pengantar_desa", kode="pengantar_desa_lampau",
                                       label="Tanggal surat pengantar desa")
KERAMAIAN_AKAN_DATANG = tanggal_akan_datang(
    "tanggal_mulai", "tanggal_selesai", kode="keramaian_akan_datang",
    uraian="Kegiatan dimulai setelah hari ini (WITA) dan tanggal selesai tidak sebelum tanggal "
           "mulai.",
    dasar_hukum="UU 2/2002 Pasal 15 ayat (2) huruf a (izin keramaian umum diberikan Polri) dan "
                "PP 60/2017 tentang Tata Cara Perizinan dan Pengawasan Kegiatan Keramaian Umum: "
                "izin dimohonkan sebelum kegiatan dilaksanakan.")
NIKAH_AKAN_DATANG = tanggal_akan_datang(
    "tanggal_nikah", kode="nikah_akan_datang",
    uraian="Rencana akad nikah setelah hari ini (WITA).",
    dasar_hukum="PP 9/1975 Pasal 3 ayat (1) dan (2): kehendak nikah diberitahukan sebelum "
                "perkawinan dilangsungkan (sekurang-kurangnya 10 hari kerja; pengecualian oleh "
                "Camat, Pasal 3 ayat (3)).")

PENGANTAR_SKCK = DocumentType(
    name="pengantar_skck",
    title="Surat Pengantar SKCK",
    fields=(Field("tujuan", "Ditujukan kepada", max_length=150,
                  help="Mis. Kepala Kepolisian Sektor Kota Bangun"),
            KEPERLUAN, *PENGANTAR_DESA),
    template="pengantar_skck/document.html",
    klasifikasi="300.1",
    retention_class="surat_keterangan",
    aturan=(PENGANTAR_DESA_LAMPAU,),
    description="Pengantar ke Polsek/Polres untuk permohonan Surat Keterangan Catatan Kepolisian.",
)

REKOMENDASI_KERAMAIAN = DocumentType(
    name="rekomendasi_izin_keramaian",
    title="Rekomendasi Izin Keramaian",
    fields=(
        Field("jenis_kegiatan", "Jenis kegiatan / acara", max_length=200),
        Field("tanggal_mulai", "Tanggal kegiatan", kind="date"),
        Field("tanggal_selesai", "Sampai tanggal", kind="date", required=False),
        Field("waktu", "Waktu", max_length=60, help="Mis. 08.00 s.d. 22.00 WITA"),
        Field("tempat", "Tempat kegiatan", kind="textarea", max_length=300),
        Field("jumlah_undangan", "Perkiraan jumlah undangan / peserta", kind="integer"),
        Field("hiburan", "Hiburan", required=False, max_length=200),
        Field("tujuan", "Ditujukan kepada", max_length=150,
              help="Mis. Kepala Kepolisian Sektor Kota Bangun"),
        *PENGANTAR_DESA,
    ),
    template="rekomendasi_izin_keramaian/document.html",
    klasifikasi="300.1",
    retention_class="surat_keterangan",
    aturan=(KERAMAIAN_AKAN_DATANG, PENGANTAR_DESA_LAMPAU),
    description="Rekomendasi Camat untuk permohonan izin keramaian ke Polsek.",
)

REKOMENDASI_NIKAH = DocumentType(
    name="rekomendasi_nikah",
    title="Rekomendasi Nikah",
    fields=(
        Field("nama_pasangan", "Nama calon pasangan", max_length=100),
        Field("nik_pasangan", "NIK calon pasangan", kind="nik", required=False),
        Field("tempat_lahir_pasangan", "Tempat lahir calon pasangan", max_length=100),
        Field("tanggal_lahir_pasangan", "Tanggal lahir calon pasangan", kind="date"),
        Field("alamat_pasangan", "Alamat calon pasangan", kind="textarea", max_length=300),
        Field("tanggal_nikah", "Rencana tanggal akad nikah", kind="date", required=False),
        Field("tempat_nikah", "Rencana tempat akad nikah", required=False, max_length=200),
        Field("tujuan", "Ditujukan kepada", max_length=150,
              help="Mis. Kepala KUA Kecamatan Kota Bangun"),
        *PENGANTAR_DESA,
    ),
    template="rekomendasi_nikah/document.html",
    klasifikasi="400.12.3.2",
    retention_class="surat_keterangan",
    aturan=(NIKAH_AKAN_DATANG, PENGANTAR_DESA_LAMPAU,
            tanggal_lampau("tanggal_lahir_pasangan", kode="lahir_pasangan_lampau",
                           label="Tanggal lahir calon pasangan")),
    description="Rekomendasi Camat untuk pendaftaran nikah di KUA (termasuk nikah di luar kecamatan).",
)

PENGANTAR_PINDAH = DocumentType(
    name="pengantar_pindah",
    title="Surat Pengantar Pindah",
    fields=(
        Field("alasan_pindah", "Alasan pindah", kind="choice",
              choices=("Pekerjaan", "Pendidikan", "Keamanan", "Kesehatan", "Perumahan",
                       "Keluarga", "Lainnya")),
        Field("klasifikasi_pindah", "Klasifikasi pindah", kind="choice",
              choices=("Antar desa dalam satu kecamatan", "Antar kecamatan dalam satu kabupaten",
                       "Antar kabupaten/kota dalam satu provinsi", "Antar provinsi")),
        Field("jenis_kepindahan", "Jenis kepindahan", kind="choice",
              choices=("Kepala keluarga", "Kepala keluarga dan seluruh anggota keluarga",
                       "Kepala keluarga dan sebagian anggota keluarga", "Anggota keluarga")),
        Field("alamat_tujuan", "Alamat tujuan (jalan, RT/RW)", kind="textarea", max_length=300),
        Field("desa_tujuan", "Desa/kelurahan tujuan", max_length=100),
        Field("kecamatan_tujuan", "Kecamatan tujuan", max_length=100),
        Field("kabupaten_tujuan", "Kabupaten/kota tujuan", max_length=100),
        Field("provinsi_tujuan", "Provinsi tujuan", max_length=100),
        Field("tanggal_pindah", "Rencana tanggal pindah", kind="date", required=False),
        Field("pengikut", "Anggota keluarga yang ikut pindah (satu nama per baris)",
              kind="textarea", required=False, max_length=1000),
    ),
    template="pengantar_pindah/document.html",
    klasifikasi="400.12.2.2",
    retention_class="surat_keterangan",
    description="Pengantar Camat untuk pengurusan surat keterangan pindah di Dinas Dukcapil.",
)


@hookimpl
def register_document_types():
    """Surat pengantar and rekomendasi of the Camat."""
    return [PENGANTAR_SKCK, REKOMENDASI_KERAMAIAN, REKOMENDASI_NIKAH, PENGANTAR_PINDAH]
