"""Surat keterangan issued by the Camat for residents, businesses and organisations.

Domisili (penduduk, usaha, lembaga), the Camat's endorsement of a desa's SKTM, the surat
keterangan usaha (successor of the IUMK, PP 7/2021) and the IUMK itself as a legacy type: no
new IUMK is drafted or issued, those already issued stay reprintable and verifiable.
"""

from records.declarations import DocumentType, Field
from records.document_rules import bulan_positif, umur_surat_desa
from records.hookspecs import hookimpl

KEPERLUAN = Field("keperluan", "Keperluan", kind="textarea", max_length=300)
MASA_BERLAKU = Field("masa_berlaku_bulan", "Masa berlaku (bulan)", kind="integer", required=False)
NAMA_USAHA = Field("nama_usaha", "Nama usaha", max_length=150)
BIDANG_USAHA = Field("bidang_usaha", "Bidang / kegiatan usaha", max_length=200)
ALAMAT_USAHA = Field("alamat_usaha", "Alamat usaha", kind="textarea", max_length=300)
MASA_BERLAKU_POSITIF = bulan_positif()
SKTM_MASIH_BERLAKU = umur_surat_desa(
    "tanggal_surat_desa", kode="sktm_umur_surat_desa", setting="SKTM_BATAS_UMUR_HARI",
    default_days=90,
    dasar_hukum="SKTM adalah surat desa (UU 6/2014 Pasal 26 ayat (4)); tidak ada batas umur "
                "nasional yang ditemukan: batas hari dan dasarnya diatur kantor "
                "(SKTM_BATAS_UMUR_HARI, SKTM_BATAS_UMUR_DASAR).")

DOMISILI = DocumentType(
    name="sk_domisili_penduduk",
    title="Surat Keterangan Domisili Penduduk",
    fields=(KEPERLUAN, MASA_BERLAKU),
    template="sk_domisili/document.html",
    klasifikasi="400.12.2.1",
    retention_class="surat_keterangan",
    aturan=(MASA_BERLAKU_POSITIF,),
    pemohon_nonpermanen=True,
    description="Keterangan bahwa pemohon benar berdomisili di wilayah Kecamatan Kota Bangun.",
)

DOMISILI_USAHA = DocumentType(
    name="sk_domisili_usaha",
    title="Surat Keterangan Domisili Usaha",
    fields=(NAMA_USAHA, BIDANG_USAHA, ALAMAT_USAHA,
            Field("status_tempat", "Status tempat usaha", kind="choice", required=False,
                  choices=("Milik sendiri", "Sewa", "Pinjam pakai")),
            KEPERLUAN, MASA_BERLAKU),
    template="sk_domisili_usaha/document.html",
    klasifikasi="500.3",
    retention_class="surat_keterangan",
    aturan=(MASA_BERLAKU_POSITIF,),
    description="Keterangan bahwa usaha pemohon berkedudukan di wilayah Kecamatan Kota Bangun.",
)

DOMISILI_LEMBAGA = DocumentType(
    name="sk_domisili_lembaga",
    title="Surat Keterangan Domisili Lembaga",
    fields=(
        Field("nama_lembaga", "Nama lembaga / organisasi", max_length=200),
        Field("jenis_lembaga", "Jenis lembaga", kind="choice",
              choices=("Organisasi kemasyarakatan", "Partai politik", "Yayasan", "Koperasi",
                       "Lembaga lainnya")),
        Field("alamat_lembaga", "Alamat sekretariat", kind="textarea", max_length=300),
        Field("jabatan_pemohon", "Jabatan pemohon dalam lembaga", max_length=100),
        Field("akta_pendirian", "Akta pendirian (nomor, tanggal, notaris)", required=False,
              max_length=200),
        Field("sk_pengurus", "SK kepengurusan / pengesahan", required=False, max_length=200),
        KEPERLUAN, MASA_BERLAKU),
    template="sk_domisili_lembaga/document.html",
    klasifikasi="200.1",
    retention_class="surat_keterangan",
    aturan=(MASA_BERLAKU_POSITIF,),
    description="Keterangan domisili sekretariat ormas, partai politik, yayasan atau lembaga lain.",
)

ENDORSEMENT_SKTM = DocumentType(
    name="endorsement_sktm",
    title="Pengesahan Camat atas SKTM Desa",
    fields=(
        Field("nomor_surat_desa", "Nomor SKTM desa", max_length=60),
        Field("tanggal_surat_desa", "Tanggal SKTM desa", kind="date"),
        Field("id_dtks", "ID DTKS / BDT", required=False, max_length=40),
        KEPERLUAN,
    ),
    template="endorsement_sktm/document.html",
    klasifikasi="400.9",
    retention_class="surat_keterangan",
    aturan=(SKTM_MASIH_BERLAKU,),
    description="Camat mengetahui Surat Keterangan Tidak Mampu yang diterbitkan desa.",
)

SK_USAHA = DocumentType(
    name="sk_usaha",
    title="Surat Keterangan Usaha",
    fields=(NAMA_USAHA, BIDANG_USAHA, ALAMAT_USAHA,
            Field("sejak", "Berdiri sejak (tahun)", max_length=40),
            Field("sarana_usaha", "Sarana usaha", required=False, max_length=200),
            Field("modal", "Modal usaha (Rp)", kind="integer", required=False),
            Field("nib", "NIB (jika sudah ada)", required=False, max_length=13),
            KEPERLUAN),
    template="sk_usaha/document.html",
    klasifikasi="500.3",
    retention_class="surat_keterangan",
    description="Keterangan usaha mikro/kecil, juga sebagai pendampingan memperoleh NIB (PP 7/2021).",
)

IUMK = DocumentType(
    name="iumk",
    title="Izin Usaha Mikro dan Kecil (IUMK) — arsip, tidak diterbitkan lagi",
    fields=(NAMA_USAHA,
            Field("kegiatan_usaha", "Kegiatan usaha", max_length=200),
            Field("sarana_usaha", "Sarana usaha yang digunakan", max_length=200),
            ALAMAT_USAHA,
            Field("jumlah_modal", "Jumlah modal usaha (Rp)", kind="integer"),
            Field("no_telepon", "No. telepon", required=False, max_length=20)),
    template="iumk/document.html",
    klasifikasi="100.3.12",
    retention_class="keputusan",
    legacy=True,
    description="IUMK menurut Perpres 98/2014 tidak diterbitkan lagi: sejak PP 5/2021 dan PP 7/2021 "
                "usaha mikro dan kecil memperoleh NIB melalui OSS. IUMK yang sudah terbit tetap "
                "dapat dicetak ulang dan diverifikasi; untuk usaha baru gunakan Surat Keterangan "
                "Usaha (pendampingan NIB).",
)


@hookimpl
def register_document_types():
    """Surat keterangan types of the kecamatan."""
    return [DOMISILI, DOMISILI_USAHA, DOMISILI_LEMBAGA, ENDORSEMENT_SKTM, SK_USAHA, IUMK]
