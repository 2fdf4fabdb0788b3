"""Dukcapil/SIAK reference code lists (research note §3.3), kept as data with sources.

Convention: the database stores the LABEL string (e.g. "KAWIN TERCATAT"), exactly as it
is printed on the KK, and forms validate membership with ``label_valid``. Labels are
what officers read and what survives an export; the numeric codes are kept for imports
from SIAK/OpenSID files that use them.
"""

from __future__ import annotations

CodeList = tuple[tuple[int, str], ...]

AGAMA: CodeList = (
    (1, "ISLAM"),
    (2, "KRISTEN"),
    (3, "KATHOLIK"),
    (4, "HINDU"),
    (5, "BUDHA"),
    (6, "KHONGHUCU"),
    (7, "KEPERCAYAAN TERHADAP TUHAN YME/LAINNYA"),
)

SHDK: CodeList = (
    (1, "KEPALA KELUARGA"),
    (2, "SUAMI"),
    (3, "ISTRI"),
    (4, "ANAK"),
    (5, "MENANTU"),
    (6, "CUCU"),
    (7, "ORANGTUA"),
    (8, "MERTUA"),
    (9, "FAMILI LAIN"),
    (10, "PEMBANTU"),
    (11, "LAINNYA"),
)

PENDIDIKAN: CodeList = (
    (1, "TIDAK/BELUM SEKOLAH"),
    (2, "BELUM TAMAT SD/SEDERAJAT"),
    (3, "TAMAT SD/SEDERAJAT"),
    (4, "SLTP/SEDERAJAT"),
    (5, "SLTA/SEDERAJAT"),
    (6, "DIPLOMA I/II"),
    (7, "AKADEMI/DIPLOMA III/S. MUDA"),
    (8, "DIPLOMA IV/STRATA I"),
    (9, "STRATA II"),
    (10, "STRATA III"),
)

GOLONGAN_DARAH: CodeList = (
    (1, "A"),
    (2, "B"),
    (3, "AB"),
    (4, "O"),
    (5, "A+"),
    (6, "A-"),
    (7, "B+"),
    (8, "B-"),
    (9, "AB+"),
    (10, "AB-"),
    (11, "O+"),
    (12, "O-"),
    (13, "TIDAK TAHU"),
)

JENIS_KELAMIN: CodeList = (
    (1, "LAKI-LAKI"),
    (2, "PEREMPUAN"),
)

KEWARGANEGARAAN: CodeList = (
    (1, "WNI"),
    (2, "WNA"),
    (3, "DUA KEWARGANEGARAAN"),
)

STATUS_PERKAWINAN: CodeList = (
    (1, "BELUM KAWIN"),
    (2, "KAWIN TERCATAT"),
    (3, "KAWIN BELUM TERCATAT"),
    (4, "CERAI HIDUP TERCATAT"),
    (5, "CERAI HIDUP BELUM TERCATAT"),
    (6, "CERAI MATI"),
)

PEKERJAAN: CodeList = (
    (1, "BELUM/TIDAK BEKERJA"),
    (2, "MENGURUS RUMAH TANGGA"),
    (3, "PELAJAR/MAHASISWA"),
    (4, "PENSIUNAN"),
    (5, "PEGAWAI NEGERI SIPIL (PNS)"),
    (6, "TENTARA NASIONAL INDONESIA (TNI)"),
    (7, "KEPOLISIAN RI (POLRI)"),
    (8, "PERDAGANGAN"),
    (9, "PETANI/PEKEBUN"),
    (10, "PETERNAK"),
    (11, "NELAYAN/PERIKANAN"),
    (12, "INDUSTRI"),
    (13, "KONSTRUKSI"),
    (14, "TRANSPORTASI"),
    (15, "KARYAWAN SWASTA"),
    (16, "KARYAWAN BUMN"),
    (17, "KARYAWAN BUMD"),
    (18, "KARYAWAN HONORER"),
    (19, "BURUH HARIAN LEPAS"),
    (20, "BURUH TANI/PERKEBUNAN"),
    (21, "BURUH NELAYAN/PERIKANAN"),
    (22, "BURUH PETERNAKAN"),
    (23, "PEMBANTU RUMAH TANGGA"),
    (24, "TUKANG CUKUR"),
    (25, "TUKANG LISTRIK"),
    (26, "TUKANG BATU"),
    (27, "TUKANG KAYU"),
    (28, "TUKANG SOL SEPATU"),
    (29, "TUKANG LAS/PANDAI BESI"),
    (30, "TUKANG JAHIT"),
    (31, "TUKANG GIGI"),
    (32, "PENATA RIAS"),
    (33, "PENATA BUSANA"),
    (34, "PENATA RAMBUT"),
    (35, "MEKANIK"),
    (36, "SENIMAN"),
    (37, "TABIB"),
    (38, "PARAJI"),
    (39, "PERANCANG BUSANA"),
    (40, "PENTERJEMAH"),
    (41, "IMAM MASJID"),
    (42, "PENDETA"),
    (43, "PASTOR"),
    (44, "WARTAWAN"),
    (45, "USTADZ/MUBALIGH"),
    (46, "JURU MASAK"),
    (47, "PROMOTOR ACARA"),
    (48, "ANGGOTA DPR-RI"),
    (49, "ANGGOTA DPD"),
    (50, "ANGGOTA BPK"),
    (51, "PRESIDEN"),
    (52, "WAKIL PRESIDEN"),
    (53, "ANGGOTA MAHKAMAH KONSTITUSI"),
    (54, "ANGGOTA KABINET KEMENTERIAN"),
    (55, "DUTA BESAR"),
    (56, "GUBERNUR"),
    (57, "WAKIL GUBERNUR"),
    (58, "BUPATI"),
    (59, "WAKIL BUPATI"),
    (60, "WALIKOTA"),
    (61, "WAKIL WALIKOTA"),
    (62, "ANGGOTA DPRD PROVINSI"),
    (63, "ANGGOTA DPRD KABUPATEN/KOTA"),
    (64, "DOSEN"),
    (65, "GURU"),
    (66, "PILOT"),
    (67, "PENGACARA"),
    (68, "NOTARIS"),
    (69, "ARSITEK"),
    (70, "AKUNTAN"),
    (71, "KONSULTAN"),
    (72, "DOKTER"),
    (73, "BIDAN"),
    (74, "PERAWAT"),
    (75, "APOTEKER"),
    (76, "PSIKIATER/PSIKOLOG"),
    (77, "PENYIAR TELEVISI"),
    (78, "PENYIAR RADIO"),
    (79, "PELAUT"),
    (80, "PENELITI"),
    (81, "SOPIR"),
    (82, "PIALANG"),
    (83, "PARANORMAL"),
    (84, "PEDAGANG"),
    (85, "PERANGKAT DESA"),
    (86, "KEPALA DESA"),
    (87, "BIARAWATI"),
    (88, "WIRASWASTA"),
    (89, "LAINNYA"),
)

PENYANDANG_CACAT: CodeList = (
    (1, "CACAT FISIK"),
    (2, "CACAT NETRA/BUTA"),
    (3, "CACAT RUNGU/WICARA"),
    (4, "CACAT MENTAL/JIWA"),
    (5, "CACAT FISIK DAN MENTAL"),
    (6, "CACAT LAINNYA"),
    (7, "TIDAK CACAT"),
)

_OPENSID = "OpenSID donjo-app/models/seeders/Data_awal_seeder.php, app/Enums/*.php (research note §3.3) [V]"

SOURCES: dict[str, str] = {
    "AGAMA": _OPENSID,
    "SHDK": _OPENSID,
    "PENDIDIKAN": _OPENSID + "; labels 9 and 10 corrected (OpenSID copy-pastes 'DIPLOMA IV/ STRATA I')",
    "GOLONGAN_DARAH": _OPENSID + "; ASCII '-' for rhesus negative",
    "JENIS_KELAMIN": _OPENSID,
    "KEWARGANEGARAAN": _OPENSID,
    "STATUS_PERKAWINAN": (
        "Permendagri 118/2017 six values, per Dispendukcapil Jombang/Surabaya/Cianjur [S]; "
        "numbering 1-6 is Lemari's own (OpenSID still has the 4-value list)"
    ),
    "PEKERJAAN": (
        "SIAK list of 89 as seeded by OpenSID: 1-11 and 86-89 from research note §3.3 [V]; "
        "12-85 from memory of the SIAK list, order checked against public seeders "
        "(ref_pekerjaan id 1-79 and label lists in GitHub search, 2026-11-28) [S]"
    ),
    "PENYANDANG_CACAT": _OPENSID + "; specific (health) data under UU 27/2022",
}


def labels(code_list: CodeList) -> tuple[str, ...]:
    return tuple(label for _, label in code_list)


def choices(code_list: CodeList) -> list[tuple[str, str]]:
    """WTForms-style (value, label) pairs; the stored value is the label itself."""
    return [(label, label) for _, label in code_list]


def label_valid(code_list: CodeList, value: object) -> bool:
    """True when ``value`` is exactly one of the list's labels (case and spacing matter)."""
    return isinstance(value, str) and value in labels(code_list)


def label_of(code_list: CodeList, code: int) -> str:
    """Label for a numeric SIAK/OpenSID code; ``KeyError`` when the code is not in the list."""
    for number, label in code_list:
        if number == code:
            return label
    raise KeyError(code)


def code_of(code_list: CodeList, label: str) -> int:
    """Numeric code for a label; ``KeyError`` when the label is not in the list."""
    for number, known in code_list:
        if known == label:
            return number
    raise KeyError(label)
