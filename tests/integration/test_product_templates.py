"""Every product the office issues, rendered from its own template and read back with pypdf.

Each declared document type of the product plugins is rendered with a realistic context (the
issuing service's context contract) on F4 and A4. Checks: heading, number and holder in the
text, page count, paper size of every page (nothing card-sized), the "bukan KTP-el/KK" line on
the KTP-el/KK documents, masked NIK and "Biaya: Rp 0 (GRATIS)" on receipts, previews without
holder/family/signer, hostile field values printed as text, and the KTP-el workflow's guards.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from records.builtin.core import CAMAT, OPERATOR_DESA, PETUGAS, SEKCAM
from records.declarations import Registry
from records.exceptions import InvalidTransitionError, ValidationError
from records.pdf import PdfMetadata, PdfRenderer
from records.plugins import make_plugin_manager
from records.workflow import check_transition

TEMPLATES = Path(__file__).resolve().parents[2] / "templates_pdf"
PRODUCT_PLUGINS = (
    "records.builtin.tanda_terima",
    "records.builtin.ktp_el",
    "records.builtin.kartu_keluarga",
    "records.builtin.surat_keterangan",
    "records.builtin.pengantar",
    "records.builtin.naskah_dinas",
)
NOMOR = "400.12.2.1/0123/Kec.KB/2026"
HOSTILE = "<script>alert(1)</script><img src=file:///etc/passwd>"
MM = 72 / 25.4
PAPERS = {"F4": (215, 330), "A4": (210, 297)}
METADATA = PdfMetadata(title="Produk", author="Kecamatan Kota Bangun", document_number=NOMOR)


def declared_types() -> dict:
    """{name: DocumentType} of the product plugins, straight from their hooks."""
    types = {}
    for module_name in PRODUCT_PLUGINS:
        for doctype in importlib.import_module(module_name).register_document_types():
            types[doctype.name] = doctype
    return types


DOCTYPES = declared_types()


# --------------------------------------------------------------------------- sample context

def person(nama, nik, hubungan, **overrides) -> dict:
    values = {
        "nama": nama, "nik": nik, "no_kk": "6402080101100002", "tempat_lahir": "Kota Bangun",
        "tanggal_lahir": dt.date(1985, 3, 4), "jenis_kelamin": "LAKI-LAKI", "golongan_darah": "O",
        "agama": "ISLAM", "status_perkawinan": "KAWIN TERCATAT", "pekerjaan": "PETANI/PEKEBUN",
        "pendidikan": "SLTA/SEDERAJAT", "kewarganegaraan": "WNI",
        "alamat": "Jl. Pesut Gg. Damai No. 12", "rt": "003", "rw": "001", "desa": "Kota Bangun Ilir",
        "kepala_keluarga": "BUDI SANTOSO", "nama_ayah": "SUPARMAN", "nama_ibu": "MARYAM",
        "hubungan": hubungan,
    }
    values.update(overrides)
    return values


def family() -> list[dict]:
    """A six-member family as the registry would pass it."""
    child = {"status_perkawinan": "BELUM KAWIN", "nama_ayah": "BUDI SANTOSO", "nama_ibu": "SITI AMINAH"}
    return [
        person("BUDI SANTOSO", "6402080304850001", "KEPALA KELUARGA"),
        person("SITI AMINAH", "6402085512900001", "ISTRI", jenis_kelamin="PEREMPUAN",
               tanggal_lahir=dt.date(1990, 12, 15), pekerjaan="MENGURUS RUMAH TANGGA",
               nama_ayah="ABDULLAH", nama_ibu="FATIMAH"),
        person("RINA SANTOSO", "6402084507100003", "ANAK", jenis_kelamin="PEREMPUAN",
               tanggal_lahir=dt.date(2010, 7, 5), pekerjaan="PELAJAR/MAHASISWA",
               pendidikan="SLTP/SEDERAJAT", **child),
        person("RUDI SANTOSO", "6402081209130004", "ANAK", tanggal_lahir=dt.date(2013, 9, 12),
               pekerjaan="PELAJAR/MAHASISWA", pendidikan="TAMAT SD/SEDERAJAT", **child),
        person("DEWI SANTOSO", "6402086102180005", "ANAK", jenis_kelamin="PEREMPUAN",
               tanggal_lahir=dt.date(2018, 2, 21), pekerjaan="BELUM/TIDAK BEKERJA",
               pendidikan="TIDAK/BELUM SEKOLAH", golongan_darah="TIDAK TAHU", **child),
        person("SUPARMAN", "6402080101500006", "ORANGTUA", tanggal_lahir=dt.date(1950, 1, 1),
               status_perkawinan="CERAI MATI", pekerjaan="PENSIUNAN",
               pendidikan="TAMAT SD/SEDERAJAT", nama_ayah="KARTO", nama_ibu="SAINAH"),
    ]


HOLDER = {k: v for k, v in family()[0].items() if k != "hubungan"}
TRACKING = {
    "code": "KB-7Q2M-4X9T",
    "url": "https://lemari.example/lacak/KB7Q2M4X9T",
    "promised_date": dt.date(2026, 12, 2),
    "received_at": dt.datetime(2026, 11, 28, 9, 30),
    "service": "Surat Keterangan Domisili Penduduk",
    "requirements": [
        {"name": "Surat pengantar RT/RW dan desa", "received": True},
        {"name": "Fotokopi KK", "received": True},
        {"name": "Fotokopi KTP-el", "received": False},
    ],
    "officer": "NURHAYATI",
}
LETTER = {"sifat": "Biasa", "lampiran": "1 (satu) berkas", "tujuan": "Kepala Dinas Kependudukan dan "
          "Pencatatan Sipil Kabupaten Kutai Kartanegara", "tempat_tujuan": "Tenggarong"}

#: Per type: field values, list rows, the heading the text must show, pages on F4 and A4.
SAMPLES: dict[str, dict] = {
    "tanda_terima_permohonan": dict(
        data={"catatan": "Fotokopi KTP-el menyusul paling lambat 1 Desember 2026."},
        heading="TANDA TERIMA PERMOHONAN", tracking=TRACKING, nomor=""),
    "permohonan_ktp_el": dict(
        data={"jenis": "Hilang / rusak", "no_telepon": "081253001122", "tanggal_rekam": "2026-11-28",
              "petugas_rekam": "ANDI PRATAMA", "hasil_rekam": "Berhasil",
              "keterangan": "KTP-el lama hilang di pasar.\nSurat kehilangan Polsek terlampir."},
        heading="PERMOHONAN KTP-el"),
    "tanda_terima_penyerahan_ktp_el": dict(
        data={"diambil_oleh": "Anggota keluarga", "nama_penerima": "SITI AMINAH",
              "hubungan_penerima": "Istri", "nomor_permohonan": "KB-7Q2M-4X9T", "keterangan": ""},
        heading="TANDA TERIMA PENYERAHAN KTP-el"),
    "berita_acara_pengiriman_ktp_el": dict(
        data={"nama_penerima": "RAHMAT HIDAYAT", "nip_penerima": "197905122006041003",
              "keterangan": "Dikirim melalui kurir kecamatan."},
        items=[{"nik": f"64020803048500{i:02d}", "nama": f"PEMOHON NOMOR {i}", "jenis": "Baru",
                "tanggal_rekam": "2026-11-2" + str(i % 8), "desa": "Loleng"} for i in range(1, 13)],
        heading="BERITA ACARA PENGIRIMAN BERKAS PERMOHONAN KTP-el", pages={"F4": 2, "A4": 2}),
    "permohonan_kk": dict(
        data={"jenis": "Tambah anggota", "alasan": "Kelahiran anak keempat, DEWI SANTOSO.",
              "no_telepon": "081253001122"},
        heading="PERMOHONAN PELAYANAN KK", pages={"F4": 2, "A4": 3}),
    "berita_acara_penyerahan_berkas_kk": dict(
        data={"nama_penerima": "RAHMAT HIDAYAT", "nip_penerima": "197905122006041003", "keterangan": ""},
        items=[{"no_kk": f"64020801011000{i:02d}", "kepala_keluarga": f"KEPALA KELUARGA {i}",
                "jenis": "Perubahan data", "jumlah_berkas": 3} for i in range(1, 11)],
        heading="BERITA ACARA PENYERAHAN BERKAS PERMOHONAN KK", pages={"F4": 1, "A4": 2}),
    "sk_domisili_penduduk": dict(
        data={"keperluan": "Persyaratan pembukaan rekening bank", "masa_berlaku_bulan": 6},
        heading="SURAT KETERANGAN DOMISILI"),
    "sk_domisili_usaha": dict(
        data={"nama_usaha": "Warung Makan Pesut Mahakam", "bidang_usaha": "Rumah makan",
              "alamat_usaha": "Jl. Pesut No. 7, Desa Kota Bangun Ilir", "status_tempat": "Sewa",
              "keperluan": "Pengajuan kredit usaha rakyat", "masa_berlaku_bulan": 6},
        heading="SURAT KETERANGAN DOMISILI USAHA"),
    "sk_domisili_lembaga": dict(
        data={"nama_lembaga": "Karang Taruna Bina Bangun", "jenis_lembaga": "Organisasi kemasyarakatan",
              "alamat_lembaga": "Jl. Mahakam No. 3, Desa Kota Bangun Ulu", "jabatan_pemohon": "Ketua",
              "akta_pendirian": "Nomor 12 tanggal 3 Maret 2020, Notaris Hj. Rosita, S.H.",
              "sk_pengurus": "SK Kepala Desa Nomor 141/05/2025", "keperluan": "Pendaftaran hibah",
              "masa_berlaku_bulan": 12},
        heading="SURAT KETERANGAN DOMISILI LEMBAGA"),
    "endorsement_sktm": dict(
        data={"nomor_surat_desa": "401/112/KBI/XI/2026", "tanggal_surat_desa": "2026-11-25",
              "id_dtks": "6402080001234", "keperluan": "Keringanan biaya perawatan di RSUD AM Parikesit"},
        heading="PENGESAHAN SURAT KETERANGAN TIDAK MAMPU"),
    "sk_usaha": dict(
        data={"nama_usaha": "Ikan Asin Mahakam Jaya", "bidang_usaha": "Pengolahan ikan asin",
              "alamat_usaha": "RT 003, Desa Kota Bangun Ilir", "sejak": "2018",
              "sarana_usaha": "Rumah produksi dan dua perahu", "modal": 15000000, "nib": "",
              "keperluan": "Pendaftaran NIB melalui OSS"},
        heading="SURAT KETERANGAN USAHA"),
    "iumk": dict(
        data={"nama_usaha": "Kios Sembako Berkah", "kegiatan_usaha": "Perdagangan eceran",
              "sarana_usaha": "Kios 3 x 4 m", "alamat_usaha": "Pasar Kota Bangun Blok B No. 4",
              "jumlah_modal": 25000000, "no_telepon": "081253001122"},
        heading="IZIN USAHA MIKRO DAN KECIL (IUMK)"),
    "pengantar_skck": dict(
        data={"tujuan": "Kepala Kepolisian Sektor Kota Bangun", "keperluan": "Melamar pekerjaan",
              "nomor_pengantar_desa": "300/045/KBI/XI/2026", "tanggal_pengantar_desa": "2026-11-26"},
        heading="SURAT PENGANTAR"),
    "rekomendasi_izin_keramaian": dict(
        data={"jenis_kegiatan": "Resepsi pernikahan dengan hiburan organ tunggal",
              "tanggal_mulai": "2026-12-12", "tanggal_selesai": "2026-12-13",
              "waktu": "09.00 s.d. 22.00 WITA", "tempat": "Halaman rumah, Jl. Pesut Gg. Damai No. 12",
              "jumlah_undangan": 500, "hiburan": "Organ tunggal",
              "tujuan": "Kepala Kepolisian Sektor Kota Bangun",
              "nomor_pengantar_desa": "300/046/KBI/XI/2026", "tanggal_pengantar_desa": "2026-11-26"},
        heading="SURAT REKOMENDASI"),
    "rekomendasi_nikah": dict(
        data={"nama_pasangan": "NURUL HIDAYAH", "nik_pasangan": "6402074410950002",
              "tempat_lahir_pasangan": "Tenggarong", "tanggal_lahir_pasangan": "1995-10-04",
              "alamat_pasangan": "Jl. Diponegoro No. 5, Kelurahan Timbau, Tenggarong",
              "tanggal_nikah": "2026-12-20", "tempat_nikah": "KUA Kecamatan Tenggarong",
              "tujuan": "Kepala KUA Kecamatan Tenggarong", "nomor_pengantar_desa": "",
              "tanggal_pengantar_desa": ""},
        heading="SURAT REKOMENDASI NIKAH"),
    "pengantar_pindah": dict(
        data={"alasan_pindah": "Pekerjaan", "klasifikasi_pindah": "Antar provinsi",
              "jenis_kepindahan": "Kepala keluarga dan seluruh anggota keluarga",
              "alamat_tujuan": "Jl. Ahmad Yani No. 21 RT 004/RW 002", "desa_tujuan": "Sungai Miai",
              "kecamatan_tujuan": "Banjarmasin Utara", "kabupaten_tujuan": "Kota Banjarmasin",
              "provinsi_tujuan": "Kalimantan Selatan", "tanggal_pindah": "2027-01-05", "pengikut": ""},
        heading="SURAT PENGANTAR PINDAH"),
    "surat_dinas": dict(
        data={**LETTER, "hal": "Penyampaian data perekaman KTP-el bulan November 2026",
              "isi": "Dengan hormat, bersama ini kami sampaikan rekapitulasi perekaman KTP-el di "
                     "Kecamatan Kota Bangun bulan November 2026 sebagaimana terlampir.\n"
                     "Demikian kami sampaikan, atas perhatian Bapak kami ucapkan terima kasih.",
              "tembusan": "Bupati Kutai Kartanegara (sebagai laporan)\nArsip"},
        heading="Penyampaian data perekaman KTP-el bulan November 2026"),
    "surat_undangan": dict(
        data={**LETTER, "sifat": "Segera", "lampiran": "", "hal": "Undangan rapat koordinasi PATEN",
              "tujuan": "Kepala Desa se-Kecamatan Kota Bangun", "tempat_tujuan": "Tempat",
              "pembuka": "", "tanggal_acara": "2026-12-03", "waktu": "09.00 WITA s.d. selesai",
              "tempat": "Aula Kantor Camat Kota Bangun", "acara": "Evaluasi pelayanan administrasi terpadu",
              "penutup": "", "tembusan": "Arsip"},
        heading="Undangan rapat koordinasi PATEN"),
    "surat_tugas": dict(
        data={"dasar": "Surat Kepala Dinas Dukcapil Kutai Kartanegara Nomor 470/1234/Disdukcapil/XI/2026",
              "petugas": "NURHAYATI | 198803142010012004 | Petugas Pelayanan\n"
                         "ANDI PRATAMA | 199201052019031002 | Operator Perekaman",
              "maksud": "Melaksanakan perekaman KTP-el jemput bola di Desa Loleng.",
              "tanggal_mulai": "2026-12-01", "tanggal_selesai": "2026-12-02", "tembusan": "Arsip"},
        heading="SURAT TUGAS"),
    "berita_acara": dict(
        data={"hal": "Serah terima barang inventaris", "isi": "Telah diserahterimakan satu unit "
              "perangkat perekaman KTP-el dari Dinas Dukcapil kepada Kecamatan Kota Bangun dalam "
              "keadaan baik.", "pihak_kedua": "Pengurus Barang Dinas Dukcapil",
              "nama_pihak_kedua": "RAHMAT HIDAYAT", "tembusan": ""},
        heading="BERITA ACARA"),
    "keputusan_camat": dict(
        data={"tentang": "Standar Pelayanan Administrasi Terpadu Kecamatan Kota Bangun",
              "menimbang": "bahwa pelayanan perlu standar yang jelas dan terukur;\n"
                           "bahwa berdasarkan pertimbangan tersebut perlu menetapkan Keputusan Camat;",
              "mengingat": "Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik;\n"
                           "Peraturan Menteri Dalam Negeri Nomor 4 Tahun 2010 tentang Pedoman PATEN;",
              "memutuskan": "Menetapkan standar pelayanan sebagaimana tercantum dalam Lampiran.\n"
                            "Keputusan ini mulai berlaku pada tanggal ditetapkan.",
              "tembusan": "Bupati Kutai Kartanegara\nInspektorat Kabupaten Kutai Kartanegara"},
        heading="KEPUTUSAN CAMAT KOTA BANGUN", nomor="7"),
}
RECEIPTS = {"tanda_terima_permohonan", "tanda_terima_penyerahan_ktp_el"}
NOT_A_CARD = {
    "permohonan_ktp_el": "Dokumen ini bukan KTP-el",
    "tanda_terima_penyerahan_ktp_el": "Dokumen ini bukan KTP-el",
    "berita_acara_pengiriman_ktp_el": "Dokumen ini bukan KTP-el",
    "permohonan_kk": "Dokumen ini bukan KK",
    "berita_acara_penyerahan_berkas_kk": "Dokumen ini bukan KK",
}


def context_for(name: str, **overrides) -> dict:
    """The issuing service's context for one sample of type `name`."""
    doctype, sample = DOCTYPES[name], SAMPLES[name]
    context = {
        "office": {"government": "PEMERINTAH KABUPATEN KUTAI KARTANEGARA", "name": "KECAMATAN KOTA BANGUN",
                   "address": "Jl. Pesut No. 1, Kota Bangun, Kutai Kartanegara 75561",
                   "phone": "(0541) 661234", "email": "kec.kotabangun@kukarkab.go.id",
                   "website": "kotabangun.kukarkab.go.id"},
        "place": "Kota Bangun",
        "issued_on": dt.date(2026, 11, 28),
        "nomor": sample.get("nomor", NOMOR),
        "title": doctype.title,
        "doctype": {"name": doctype.name, "title": doctype.title},
        "holder": dict(HOLDER) if doctype.needs_penduduk else None,
        "keluarga": ({"no_kk": "6402080101100002", "alamat": "Jl. Pesut Gg. Damai No. 12", "rt": "003",
                      "rw": "001", "desa": "Kota Bangun Ilir", "kode_pos": "75561", "anggota": family()}
                     if doctype.needs_penduduk else None),
        "data": dict(sample["data"]),
        "items": [dict(row) for row in sample.get("items", [])],
        "signer": {"jabatan": "Sekretaris Kecamatan", "prefix": "a.n.", "atas_nama": "Camat Kota Bangun",
                   "nama": "AHMAD SUBANDI, S.Sos.", "pangkat": "Pembina", "golongan": "IV/a",
                   "nip": "198609262015051001"},
        "verification": {"code": "KB7Q-2M4X-9TRA", "url": "https://lemari.example/v/KB7Q2M4X9TRA"},
        "tracking": sample.get("tracking"),
        "petugas": {"nama": "NURHAYATI, A.Md.", "nip": "199001012019032001", "jabatan": "Pengadministrasi"},
        "penanda_tangan": doctype.penanda_tangan,
    }
    context.update(overrides)
    return context


# --------------------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer([TEMPLATES])


def render(renderer, name, paper="F4", **overrides):
    result = renderer.render(DOCTYPES[name].template, context_for(name, **overrides), paper=paper,
                             metadata=METADATA)
    reader = PdfReader(io.BytesIO(result.pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return result, reader, text


def flat(text: str) -> str:
    """Text with runs of whitespace collapsed (justification and line ends vary)."""
    return " ".join(text.split())


def assert_paper(reader, paper):
    width, height = PAPERS[paper]
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(width * MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(height * MM, abs=0.5)


def pdf_keys(reader) -> set[str]:
    """Every dictionary key reachable from the trailer."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    keys, seen, stack = set(), set(), [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            keys.update(obj.keys())
            stack.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return keys


# --------------------------------------------------------------------------- declarations

def test_plugins_register_with_the_core():
    pm = make_plugin_manager(load_entry_points=False)
    for module_name in PRODUCT_PLUGINS:
        module = importlib.import_module(module_name)
        if not pm.is_registered(module):
            pm.register(module, module_name)
    registry = Registry.from_plugins(pm)
    assert set(DOCTYPES) <= set(registry.document_types)
    assert "ktp_el" in registry.workflows
    assert registry.document_types["permohonan_ktp_el"].workflow == "ktp_el"


def test_every_type_has_a_template_folder_and_a_sample():
    assert set(SAMPLES) == set(DOCTYPES)
    folders = set()
    for doctype in DOCTYPES.values():
        folder, _, filename = doctype.template.partition("/")
        assert filename == "document.html" and (TEMPLATES / doctype.template).is_file(), doctype.name
        folders.add(folder)
        assert doctype.klasifikasi and doctype.retention_class, doctype.name
    assert len(folders) == len(DOCTYPES)
    assert DOCTYPES["sk_domisili_penduduk"].template == "sk_domisili/document.html"
    assert DOCTYPES["iumk"].legacy and not any(d.legacy for n, d in DOCTYPES.items() if n != "iumk")
    for name in ("surat_dinas", "surat_undangan", "surat_tugas", "berita_acara", "keputusan_camat",
                 "berita_acara_pengiriman_ktp_el", "berita_acara_penyerahan_berkas_kk"):
        assert not DOCTYPES[name].needs_penduduk, name


def test_ktp_el_workflow_guards():
    from records.builtin.ktp_el import KTP_EL_WORKFLOW as wf
    path = [("rekam", "rekam_biometrik"), ("kirim", "dikirim_ke_dinas"), ("catat_cetak", "dicetak"),
            ("siapkan", "siap_diambil"), ("serahkan", "diserahkan")]
    state = wf.initial
    assert state == "diterima"
    for name, target in path:
        assert check_transition(wf, state, name, {PETUGAS}).target == target
        state = target
    assert "rekam" not in {t.name for t in wf.available("diterima", {OPERATOR_DESA})}
    with pytest.raises(InvalidTransitionError):
        check_transition(wf, "diterima", "rekam", {OPERATOR_DESA, CAMAT})
    assert check_transition(wf, "siap_diambil", "serahkan", {OPERATOR_DESA}).target == "diserahkan"
    with pytest.raises(ValidationError):
        check_transition(wf, "rekam_biometrik", "tolak", {SEKCAM}, note="")
    assert check_transition(wf, "diterima", "tolak", {PETUGAS}, note="KK tidak sesuai").target == "ditolak"
    with pytest.raises(InvalidTransitionError):
        check_transition(wf, "diserahkan", "tolak", {PETUGAS}, note="terlambat")


def test_letter_macros(renderer):
    def run(expression):
        source = '{% import "_base/macros.html" as m %}' + expression
        return renderer.environment.from_string(source).render().strip()

    for day in (dt.date(2026, 11, 28), dt.date(2026, 12, 3), dt.date(2027, 1, 1), dt.date(2028, 2, 29),
                dt.date(2026, 3, 1), dt.date(2000, 1, 1)):
        expected = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"][day.weekday()]
        assert run(f'{{{{ m.hari("{day.isoformat()}") }}}}') == expected, day
    assert run('{{ m.mask_nik("6402080304850001") }}') == "640208●●●●●●0001"
    assert run('{{ m.mask_nik("") }}') == "-"
    assert run("{{ m.rupiah(15000000) }}") == "Rp 15.000.000"
    assert run('{{ m.tgl("") }}|{{ m.tgl("2026-11-28") }}') == "-|28 November 2026"


# --------------------------------------------------------------------------- rendering

@pytest.mark.parametrize("paper", ["F4", "A4"])
@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_product_renders_on_paper(renderer, name, paper):
    doctype, sample = DOCTYPES[name], SAMPLES[name]
    result, reader, text = render(renderer, name, paper)
    flat_text = flat(text)
    expected_pages = sample.get("pages", {}).get(paper, 1)
    assert result.pages == len(reader.pages) == expected_pages, name
    assert_paper(reader, paper)  # every page is a letter page: nothing card-sized
    assert sample["heading"] in flat_text
    nomor = context_for(name)["nomor"]
    if nomor:
        assert nomor in flat_text
    if doctype.needs_penduduk:
        assert HOLDER["nama"] in flat_text
    assert "KARTU TANDA PENDUDUK" not in text and "KARTU KELUARGA" not in text
    if name in NOT_A_CARD:
        assert NOT_A_CARD[name] in flat_text
    if name in RECEIPTS:
        assert "640208●●●●●●0001" in flat_text
        assert HOLDER["nik"] not in text.replace(" ", "")
    if name == "tanda_terima_permohonan":
        assert "Biaya: Rp 0 (GRATIS)" in flat_text
        assert "Janji selesai: 2 Desember 2026" in flat_text
        assert TRACKING["code"] in flat_text and "lapor.go.id" in flat_text
        assert "Fotokopi KTP-el (belum diterima)" in flat_text


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_preview_without_holder_family_signer(renderer, name):
    """Previews and office letters: no resident, no family, no signer yet, no number."""
    context = context_for(name, holder=None, keluarga=None, signer=None, nomor="", tracking=None)
    del context["verification"]
    result = renderer.render(DOCTYPES[name].template, context, paper="F4", metadata=METADATA)
    reader = PdfReader(io.BytesIO(result.pdf))
    assert_paper(reader, "F4")
    assert SAMPLES[name]["heading"] in flat("\n".join(p.extract_text() for p in reader.pages))


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_hostile_field_values_are_printed_as_text(renderer, name):
    doctype = DOCTYPES[name]
    text_fields = [f.name for f in doctype.fields
                   if f.kind in ("text", "textarea") and f.max_length >= len(HOSTILE)]
    data = dict(SAMPLES[name]["data"], **{field: HOSTILE for field in text_fields})
    holder = dict(HOLDER, nama=HOSTILE) if doctype.needs_penduduk else None
    result, reader, text = render(renderer, name, data=data, holder=holder)
    squeezed = "".join(text.split())
    assert "<script>alert(1)</script>" in squeezed
    assert "<imgsrc=file:///etc/passwd>" in squeezed
    keys = pdf_keys(reader)
    assert not reader.attachments
    assert not keys & {"/EmbeddedFile", "/EmbeddedFiles", "/JavaScript", "/JS", "/Launch"}
    assert b"root:x:0:0" not in result.pdf


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_missing_registry_values_print_as_dash(renderer, name):
    """Optional registry columns arrive as None; a letter never prints the word "None"."""
    blanks = dict.fromkeys(("golongan_darah", "pendidikan", "rt", "rw", "tanggal_lahir", "tempat_lahir",
                            "nama_ayah", "nama_ibu", "kepala_keluarga", "pekerjaan", "agama"))
    keluarga = context_for(name)["keluarga"]
    if keluarga:
        keluarga = dict(keluarga, kode_pos=None, anggota=[dict(a, **blanks) for a in keluarga["anggota"]])
    holder = dict(HOLDER, **blanks) if DOCTYPES[name].needs_penduduk else None
    _, reader, text = render(renderer, name, holder=holder, keluarga=keluarga)
    assert "None" not in text
    assert_paper(reader, "F4")


def test_long_lists_paginate_without_losing_rows(renderer):
    items = [{"nik": f"6402080304{i:06d}", "nama": f"PEMOHON KE-{i}", "jenis": "Perubahan data",
              "tanggal_rekam": "2026-11-20"} for i in range(1, 81)]
    result, reader, text = render(renderer, "berita_acara_pengiriman_ktp_el", items=items)
    assert result.pages >= 3
    assert_paper(reader, "F4")
    flat_text = flat(text)
    assert all(f"PEMOHON KE-{i} " in flat_text + " " for i in range(1, 81))
    assert "6402080304000080" in flat_text  # the Dinas gets the full NIK
    assert "Jumlah: 80 berkas permohonan." in flat_text
    assert "Yang menerima" in flat_text and "AHMAD SUBANDI, S.Sos." in flat_text


def test_family_biodata_lists_every_member_and_column(renderer):
    result, reader, text = render(renderer, "permohonan_kk")
    biodata = flat("\n".join(page.extract_text() for page in reader.pages[1:]))
    for member in family():
        assert member["nama"] in biodata and member["nik"] in biodata
    for label in ("Jenis Kelamin", "Tempat / Tgl. Lahir", "Agama", "Pendidikan", "Jenis Pekerjaan",
                  "Golongan Darah", "Status Perkawinan", "Tanggal Perkawinan", "Status Hub. Keluarga",
                  "Kewarganegaraan", "No. Paspor", "No. KITAP", "Nama Ayah", "Nama Ibu"):
        assert biodata.count(label) >= 6, label


# Found in the legal review (issue 15): wording no product of the office may print again.
NEVER_PRINTED = (
    "Kepada Yth.",                       # the address line is "Yth." (Permendagri 1/2023)
    "legacy",                            # the closed IUMK is reprinted in Indonesian only
    "RW 000", "RT 000",                  # an empty RT/RW is left out
    "Jumlah: 0",                         # a berita acara needs at least one item
    "Petugas penerima: petugas",         # the officer's name, never the login
    "Persetujuan Kepala Daerah: -",      # destruction needs the Bupati's approval
)


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_no_product_prints_what_the_legal_review_found(renderer, name):
    """Every product, rendered and read back, carries none of the items the review listed."""
    _, _, text = render(renderer, name, "F4")
    flat_text = flat(text)
    found = [phrase for phrase in NEVER_PRINTED if phrase.lower() in flat_text.lower()]
    assert not found, f"{name}: {found}"
    if "seumur hidup" in flat_text:  # only for WNI (UU 24/2013 Pasal 64 ayat (7))
        assert "Warga Negara Indonesia" in flat_text, name
