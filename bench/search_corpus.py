"""A synthetic archive of Kecamatan Kota Bangun for the search benchmark: deterministic, random
access (document i is the same whatever else is generated), and realistic where search cares.

- letters for residents of the 11 desa (records.demo_data.DESA, Kemendagri codes), about three
  per resident: keterangan domisili / usaha / tidak mampu / pindah / kelahiran / kematian,
  pengantar nikah, undangan and nota dinas of the office, and scanned incoming letters;
- names from Kutai, Banjar, Bugis, Javanese and Dayak families, written the ways the registers
  write them (MUHAMMAD / MUHAMAD / MOH., NOOR / NUR, SITTI / SITI, old spellings);
- NIKs and No. KK composed with records.nik (valid format, unique, belonging to nobody);
- letter numbers per Tata Naskah Dinas: klasifikasi / nomor urut / kode unit / bulan (Romawi)
  / tahun, e.g. ``474/0123/DS-LL/IV/2024``;
- scanned bodies with OCR-like noise (rn→m, l→1, O→0, dropped and doubled letters, stray
  punctuation, broken words).

Query sets for each class are drawn from the same corpus (see ``queries``).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from records.demo_data import DESA, KECAMATAN
from records.nik import make_nik, make_no_kk
from search.base import IndexDoc

SEED = 2026
LETTERS_PER_RESIDENT = 3
YEARS = range(2016, 2026)

FIRST_L = ("MUHAMMAD", "MUHAMAD", "MOH.", "AHMAD", "ACHMAD", "ABDUL", "JAILANI", "ASRANI",
           "SYAHRANI", "SYAHRUDIN", "HERMANSYAH", "SURIANSYAH", "JUNAIDI", "RUSLAN", "RUSDI",
           "SAMSUDIN", "SYAMSUDDIN", "IDRUS", "BASRI", "ZAINAL", "AWANG", "NORDIN", "NURDIN",
           "ARBAIN", "ASNAWI", "HAIRUL", "KHAIRUL", "FAHRI", "ABDULLAH", "ANDI", "BACO",
           "SUDIRMAN", "AMIRUDDIN", "BAHARUDDIN", "HASANUDDIN", "ARSYAD", "SUGENG", "SUTRISNO",
           "BAMBANG", "SLAMET", "AGUS", "EKO", "DJOKO", "JOKO", "WAHYUDI", "SUPARMAN",
           "SUROTO", "YOHANES", "PAULUS", "DAMIANUS", "MARKUS", "STEPHANUS", "RIZKY", "FAREL",
           "FAUZAN", "RIDHO", "HAIKAL", "ZIDAN", "DIMAS", "TAUFIQ", "ZULKIFLI", "RAMADHAN")
FIRST_P = ("SITI", "SITTI", "NOOR", "NUR", "NORMAH", "ASMAH", "MASNAH", "HALIMAH", "JUMIATI",
           "RAHMAWATI", "SALMAH", "DAYANG", "FATIMAH", "AISYAH", "JAMILAH", "MURNI",
           "NORHAYATI", "NOORHASANAH", "NORJANAH", "JAHRAH", "ARBAYAH", "MASLIANI", "RUSMINI",
           "SALASIAH", "HAIRANI", "RABIATUL", "HASNAH", "HAJRAH", "NURHAEDA", "MARWAH", "SRI",
           "SUMARNI", "SUPIATI", "WARSINI", "PONIRAH", "SUPARMI", "SUMINAH", "MARIA",
           "MAGDALENA", "ELISABETH", "YOSEFINA", "NAYLA", "SALSABILA", "KAYLA", "SYIFA")
LAST = ("NOOR", "NUR", "ARIFIN", "HAMID", "ALI", "SYAHRIL", "EFFENDI", "HAMSYAH", "RAHMAN",
        "YUSUF", "RIDWAN", "SALEH", "HUSIN", "ANWAR", "ZAKARIA", "TAHIR", "RAHIM", "AMIR",
        "SALAM", "RIYADI", "SUPRIYADI", "PRASETYO", "SANTOSO", "HARYANTO", "WIBOWO",
        "ANDREAS", "SETIAWAN", "BUDIMAN", "AINI", "HAYATI", "JANNAH", "HASANAH", "ROSITA",
        "WAHYUNI", "SAIDAH", "AMINAH", "ADAWIYAH", "MARIAM", "ZAHRA", "RAHMAH", "FITRIANI",
        "TENRI", "NURBAYA", "SAFIAH", "WULANDARI", "LESTARI", "RAHAYU", "MULYANI", "SUSANTI")

# How clerks and residents write the same name differently (search must bridge these).
VARIANTS = {
    "MUHAMMAD": ("MUHAMAD", "MOHAMMAD", "MOH.", "M."), "MUHAMAD": ("MUHAMMAD", "MOHAMAD"),
    "MOH.": ("MUHAMMAD", "MOCHAMAD"), "AHMAD": ("ACHMAD", "AKHMAD"), "ACHMAD": ("AHMAD",),
    "NOOR": ("NUR", "NOR"), "NUR": ("NOOR",), "SITI": ("SITTI", "SITY"), "SITTI": ("SITI",),
    "SYAMSUDDIN": ("SAMSUDIN", "SYAMSUDIN"), "SAMSUDIN": ("SYAMSUDIN",), "DJOKO": ("JOKO",),
    "JOKO": ("DJOKO",), "KHAIRUL": ("HAIRUL",), "HAIRUL": ("KHAIRUL",),
    "STEPHANUS": ("STEFANUS",), "TAUFIQ": ("TAUFIK",), "RIZKY": ("RIZKI",),
    "RAMADHAN": ("RAMADAN",), "ZULKIFLI": ("DZULKIFLI",), "EFFENDI": ("EFENDI",),
}

STREETS = ("JL. POROS KOTA BANGUN", "JL. PESUT", "JL. DANAU SEMAYANG", "JL. PELABUHAN",
           "JL. MESJID", "JL. PASAR", "JL. SEKOLAH", "GG. RAHMAT", "JL. DERMAGA")
JOBS = ("petani/pekebun", "nelayan", "wiraswasta", "pedagang", "buruh harian lepas",
        "mengurus rumah tangga", "guru", "karyawan swasta", "pelajar/mahasiswa")
BUSINESSES = ("warung makan", "kios sembako", "bengkel motor", "usaha ikan asin",
              "penggilingan padi", "toko bangunan", "jasa angkutan perahu", "salon kecantikan")
PURPOSES = ("melamar pekerjaan", "pembukaan rekening bank", "pendaftaran sekolah anak",
            "pengajuan kredit usaha rakyat", "persyaratan beasiswa", "pengurusan BPJS Kesehatan",
            "keringanan biaya rumah sakit", "pengurusan paspor", "pencairan dana bantuan")
DESTINATIONS = ("Samarinda", "Tenggarong", "Balikpapan", "Bontang", "Muara Muntai", "Banjarmasin",
                "Kota Bangun Darat", "Muara Wis", "Sangatta", "Penajam")
SENDERS = ("Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kutai Kartanegara",
           "Badan Pusat Statistik Kabupaten Kutai Kartanegara", "Puskesmas Kota Bangun",
           "Polsek Kota Bangun", "Kantor Urusan Agama Kecamatan Kota Bangun",
           "Dinas Pendidikan dan Kebudayaan", "Bagian Tata Pemerintahan Setkab Kutai Kartanegara")
TOPICS = ("pemutakhiran data penduduk", "vaksinasi campak dan rubela", "musyawarah perencanaan "
          "pembangunan", "penanggulangan banjir musiman", "pendataan keluarga penerima manfaat",
          "sosialisasi pencegahan stunting", "rapat koordinasi pemilihan kepala desa",
          "laporan realisasi dana desa", "pengamanan hari raya", "lomba desa tingkat kecamatan")

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
# (doctype, title, klasifikasi, weight)
TYPES = (
    ("sk_domisili", "Surat Keterangan Domisili", "470", 22),
    ("sk_usaha", "Surat Keterangan Usaha", "503", 14),
    ("sk_tidak_mampu", "Surat Keterangan Tidak Mampu", "460", 12),
    ("sk_pindah", "Surat Keterangan Pindah", "474", 8),
    ("sk_kelahiran", "Surat Keterangan Kelahiran", "474", 8),
    ("sk_kematian", "Surat Keterangan Kematian", "474", 5),
    ("pengantar_nikah", "Surat Pengantar Nikah", "474", 7),
    ("undangan", "Undangan", "005", 6),
    ("nota_dinas", "Nota Dinas", "000", 4),
    ("surat_masuk", "Surat Masuk (pindaian)", "", 14),
)
_TYPE_WEIGHTS = [t[3] for t in TYPES]
_STATES = ("terbit", "terbit", "terbit", "terbit", "selesai", "draft", "dicabut")
OFFICE_TYPES = {"undangan", "nota_dinas", "surat_masuk"}


@dataclass(frozen=True)
class Person:
    """A resident as the letters name them."""

    nama: str
    nik: str
    no_kk: str
    desa_code: str
    desa_name: str
    alamat: str
    pekerjaan: str


def residents(docs: int) -> int:
    """How many residents a corpus of docs documents refers to."""
    return max(1, docs // LETTERS_PER_RESIDENT)


def person(p: int) -> Person:
    """Resident p: unique NIK (birth date from p, serial from p's block) and No. KK."""
    rng = random.Random(SEED * 7_919 + p)
    sex = "P" if p % 2 else "L"
    first = rng.choice(FIRST_P if sex == "P" else FIRST_L)
    middle = rng.choice(LAST) if rng.random() < 0.35 else ""
    nama = " ".join(x for x in (first, middle, rng.choice(LAST)) if x)
    born = dt.date(1940, 1, 1) + dt.timedelta(days=p % 24_000)
    nik = make_nik(KECAMATAN, born, sex, p // 24_000 + 1)
    family = p // 4
    recorded = dt.date(2010, 1, 1) + dt.timedelta(days=family % 5_000)
    no_kk = make_no_kk(KECAMATAN, recorded, family // 5_000 + 1)
    code, name = DESA[(p * 31) % len(DESA)]
    alamat = f"{rng.choice(STREETS)} RT {rng.randint(1, 30):03} RW {rng.randint(1, 8):02}"
    return Person(nama, nik, no_kk, code, name, alamat, rng.choice(JOBS))


def document(i: int, total: int) -> IndexDoc:
    """Document i of a corpus of total documents."""
    rng = random.Random(SEED * 104_729 + i)
    doctype, title, klasifikasi, _ = rng.choices(TYPES, weights=_TYPE_WEIGHTS)[0]
    who = person(_holder(i, total))
    year = YEARS[i % len(YEARS)]
    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    unit = "DS-" + "".join(w[0] for w in who.desa_name.split())[:3].upper()
    if doctype == "surat_masuk":
        sender = rng.choice(SENDERS)
        nomor = f"{rng.choice(('005', '470', '440', '045'))}/{rng.randint(1, 2999)}/" \
                f"{''.join(w[0] for w in sender.split()[:3]).upper()}/{year}"
        text = _ocr(_incoming(rng, sender, who), rng)
        names: tuple[str, ...] = ()
        niks: tuple[str, ...] = ()
        kk: tuple[str, ...] = ()
    else:
        seq = (i // 7) % 9_999 + 1
        nomor = f"{klasifikasi}/{seq:04}/{'KEC-KB' if doctype in OFFICE_TYPES else unit}/" \
                f"{_ROMAN[day.month - 1]}/{year}"
        text = _letter(doctype, rng, who, nomor)
        names, niks, kk = (who.nama,), (who.nik,), (who.no_kk,)
        if doctype in OFFICE_TYPES:
            names, niks, kk = (), (), ()
    status = rng.choice(_STATES)
    return IndexDoc(
        id=f"record:{i + 1}", doctype=doctype, title=title, text=text, names=names, nik=niks,
        no_kk=kk, nomor=nomor, desa_code=who.desa_name, year=year, klasifikasi=klasifikasi,
        status=status, date=day.isoformat(),
        principals=frozenset({"office", f"desa:{who.desa_code}"}))


def _holder(i: int, total: int) -> int:
    """The resident a document is about (a multiplicative walk, so neighbours differ)."""
    count = residents(total)
    return (i * 2_654_435_761) % count


def _letter(doctype: str, rng: random.Random, who: Person, nomor: str) -> str:
    """The body of a letter the office issued."""
    head = (f"PEMERINTAH KABUPATEN KUTAI KARTANEGARA\nKECAMATAN KOTA BANGUN\nDESA "
            f"{who.desa_name.upper()}\nNomor: {nomor}\n")
    ident = (f"Yang bertanda tangan di bawah ini Kepala Desa {who.desa_name} Kecamatan Kota "
             f"Bangun menerangkan dengan sebenarnya bahwa:\nNama: {who.nama}\nPekerjaan: "
             f"{who.pekerjaan}\nAlamat: {who.alamat} Desa {who.desa_name}\n")
    purpose = rng.choice(PURPOSES)
    bodies = {
        "sk_domisili": f"adalah benar penduduk yang berdomisili di {who.alamat} Desa "
                       f"{who.desa_name}. Surat keterangan ini dibuat untuk keperluan {purpose}.",
        "sk_usaha": f"adalah benar memiliki usaha {rng.choice(BUSINESSES)} yang berlokasi di "
                    f"{who.alamat} sejak tahun {rng.randint(2005, 2023)}. Keterangan usaha ini "
                    f"diberikan untuk keperluan {purpose}.",
        "sk_tidak_mampu": f"adalah benar warga kami yang tergolong keluarga tidak mampu "
                          f"(keluarga prasejahtera) dan tidak memiliki penghasilan tetap. Surat "
                          f"keterangan tidak mampu ini diberikan untuk keperluan {purpose}.",
        "sk_pindah": f"telah mengajukan permohonan pindah ke {rng.choice(DESTINATIONS)} "
                     f"bersama {rng.randint(0, 5)} anggota keluarga dengan alasan pekerjaan. "
                     f"Kepindahan ini telah dicatat dalam buku register desa.",
        "sk_kelahiran": f"pada tanggal {rng.randint(1, 28)} telah lahir seorang anak "
                        f"{rng.choice(('laki-laki', 'perempuan'))} di Puskesmas Kota Bangun "
                        f"dari ibu bernama {who.nama}, anak ke-{rng.randint(1, 6)}.",
        "sk_kematian": f"telah meninggal dunia di {rng.choice(('rumah', 'RSUD AM Parikesit'))} "
                       f"karena {rng.choice(('sakit', 'usia lanjut', 'kecelakaan'))} dan telah "
                       f"dimakamkan di pemakaman umum Desa {who.desa_name}.",
        "pengantar_nikah": f"akan melangsungkan pernikahan dengan calon pasangan yang "
                           f"berdomisili di {rng.choice(DESTINATIONS)}. Pengantar nikah ini "
                           f"disampaikan kepada Kantor Urusan Agama Kecamatan Kota Bangun.",
        "undangan": f"Mengharap kehadiran Bapak/Ibu Kepala Desa se-Kecamatan Kota Bangun pada "
                    f"rapat {rng.choice(TOPICS)} yang akan dilaksanakan di aula kantor camat.",
        "nota_dinas": f"Bersama ini disampaikan laporan {rng.choice(TOPICS)} di Desa "
                      f"{who.desa_name} untuk menjadi bahan pertimbangan Camat Kota Bangun.",
    }
    body = bodies[doctype]
    if doctype in OFFICE_TYPES:
        return head + body
    return head + ident + body + "\nDemikian surat keterangan ini dibuat untuk dipergunakan " \
                                 "sebagaimana mestinya."


def _incoming(rng: random.Random, sender: str, who: Person) -> str:
    """A scanned incoming letter: longer, about the kecamatan's business."""
    topics = rng.sample(TOPICS, 3)
    paragraphs = [
        f"{sender.upper()}\nKepada Yth. Camat Kota Bangun di Kota Bangun",
        f"Perihal: {topics[0]}",
        f"Dengan hormat, sehubungan dengan pelaksanaan kegiatan {topics[0]} di wilayah "
        f"Kecamatan Kota Bangun, bersama ini kami sampaikan bahwa kegiatan tersebut akan "
        f"dilaksanakan di Desa {who.desa_name} dan desa sekitarnya.",
        f"Untuk itu kami mohon bantuan Saudara untuk mengoordinasikan kepala desa, ketua RT "
        f"dan kader posyandu terkait {topics[1]} serta {topics[2]}.",
        f"Data warga yang perlu ditindaklanjuti antara lain atas nama {who.nama} yang "
        f"beralamat di {who.alamat}.",
        "Demikian surat ini kami sampaikan, atas perhatian dan kerja samanya diucapkan terima "
        "kasih.",
    ]
    return "\n".join(paragraphs)


_OCR_SWAPS = (("rn", "m"), ("m", "rn"), ("l", "1"), ("i", "l"), ("O", "0"), ("e", "c"),
              ("a", "o"), ("S", "5"), ("u", "v"))


def _ocr(text: str, rng: random.Random) -> str:
    """OCR-like damage: about one word in twelve misread, split, joined or garbled."""
    out = []
    for word in text.split(" "):
        roll = rng.random()
        if roll < 0.04:
            old, new = rng.choice(_OCR_SWAPS)
            word = word.replace(old, new, 1)
        elif roll < 0.06 and len(word) > 5:
            cut = rng.randrange(2, len(word) - 2)
            word = word[:cut] + " " + word[cut:]
        elif roll < 0.07 and len(word) > 3:
            cut = rng.randrange(1, len(word) - 1)
            word = word[:cut] + word[cut + 1:]
        elif roll < 0.08:
            word += rng.choice((".", ",", "'", "~", ";", "|"))
        out.append(word)
    return " ".join(out)


# -- query sets -----------------------------------------------------------------------------

KEYWORDS = ("pindah", "usaha", "kematian", "kelahiran", "nikah", "domisili", "rekening",
            "beasiswa", "warung", "bengkel", "banjir", "stunting", "posyandu", "pemakaman")
BROAD = ("surat keterangan", "desa", "kota bangun", "penduduk", "keperluan")


CLASSES = ("name", "nik", "number", "keyword+desa", "broad")


def queries(total: int, per_class: int) -> dict[str, list[tuple[str, dict, str]]]:
    """(text, filters, id of the document it was drawn from, or "") per query class. Name
    queries are misspelled (``misspell``); the benchmark reports how often the source
    document is on the first page."""
    rng = random.Random(SEED + total)
    found: dict[str, list[tuple[str, dict, str]]] = {k: [] for k in CLASSES}
    while min(len(v) for v in found.values()) < per_class:
        doc = document(rng.randrange(total), total)
        if doc.names and len(found["name"]) < per_class:
            found["name"].append((misspell(doc.names[0], rng), {}, doc.id))
        if doc.nik and len(found["nik"]) < per_class:
            found["nik"].append((doc.nik[0], {}, doc.id))
        if len(found["number"]) < per_class:
            found["number"].append((doc.nomor, {}, doc.id))
        if len(found["keyword+desa"]) < per_class:
            found["keyword+desa"].append((rng.choice(KEYWORDS), {"desa": doc.desa_code}, ""))
        if len(found["broad"]) < per_class:
            found["broad"].append((rng.choice(BROAD), {}, ""))
    return found


def misspell(name: str, rng: random.Random) -> str:
    """The name as another clerk might type it: a spelling variant, or one typo in a long
    word, or both; lower case half of the time."""
    words = name.split()
    for n, word in enumerate(words):
        if word in VARIANTS and rng.random() < 0.7:
            words[n] = rng.choice(VARIANTS[word])
    long = [n for n, w in enumerate(words) if len(w) >= 6]
    if long and rng.random() < 0.5:
        n = rng.choice(long)
        w = words[n]
        k = rng.randrange(2, len(w) - 1)
        words[n] = w[:k] + w[k + 1:] if rng.random() < 0.5 else w[:k] + "a" + w[k + 1:]
    text = " ".join(words)
    return text.lower() if rng.random() < 0.5 else text
