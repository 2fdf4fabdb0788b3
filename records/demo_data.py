"""Deterministic demo population for Kecamatan Kota Bangun (64.02.08).

Everything here is invented: names, dates and numbers are drawn from ``random.Random(seed)``
so demos, screenshots and tests see the same people every time. NIK and No. KK numbers
are composed with ``records.nik`` and pass its validator, but they belong to nobody.

The mix follows the area: mostly Kutai and Banjar families, with Bugis and Javanese
households who moved in (their NIKs keep the region where they were first registered),
a few Dayak Christian families, and older residents whose former desa now lies in
Kota Bangun Darat (retired desa codes 64.02.08.2010-2016 and friends).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from records.nik import make_nik, make_no_kk

KECAMATAN = "64.02.08"

DESA: tuple[tuple[str, str], ...] = (
    ("64.02.08.2004", "Loleng"),
    ("64.02.08.2005", "Kota Bangun Ulu"),
    ("64.02.08.2006", "Kota Bangun Ilir"),
    ("64.02.08.2007", "Liang"),
    ("64.02.08.2008", "Muhuran"),
    ("64.02.08.2009", "Pela"),
    ("64.02.08.2017", "Kedang Murung"),
    ("64.02.08.2018", "Kota Bangun Seberang"),
    ("64.02.08.2019", "Liang Ulu"),
    ("64.02.08.2020", "Sebelimbingan"),
    ("64.02.08.2021", "Sangkuliman"),
)

# Desa that left for Kota Bangun Darat in 2020; their old codes still appear in old records.
RETIRED_DESA = ("64.02.08.2001", "64.02.08.2002", "64.02.08.2003", "64.02.08.2010",
                "64.02.08.2011", "64.02.08.2012", "64.02.08.2013", "64.02.08.2014",
                "64.02.08.2015", "64.02.08.2016")

KAWIN = ("KAWIN TERCATAT", "KAWIN BELUM TERCATAT")

_NAMES = {
    "KUTAI": {
        "L": ["MUHAMMAD", "MUHAMAD", "ABDUL", "JAILANI", "ASRANI", "SYAHRANI", "SYAHRUDIN",
              "HERMANSYAH", "SURIANSYAH", "JUNAIDI", "RUSLAN", "RUSDI", "SAMSUDIN", "IDRUS",
              "BASRI", "MASRI", "ADUS", "ZAINAL", "AWANG", "AJI", "KUSNADI", "DAHLAN"],
        "L2": ["NOOR", "NUR", "ARIFIN", "HAMID", "ALI", "SYAHRIL", "EFFENDI", "HAMSYAH", "RAHMAN"],
        "P": ["SITI", "NOOR", "NUR", "NORMAH", "ASMAH", "MASNAH", "HALIMAH", "JUMIATI",
              "RAHMAWATI", "SALMAH", "DAYANG", "FATIMAH", "AISYAH", "JAMILAH", "MURNI"],
        "P2": ["AINI", "HAYATI", "JANNAH", "HASANAH", "ROSITA", "WAHYUNI", "SAIDAH", "AMINAH"],
    },
    "BANJAR": {
        "L": ["AHMAD", "ACHMAD", "MUHAMMAD", "NORDIN", "NURDIN", "ARBAIN", "ASNAWI",
              "MAHLIANSYAH", "SYARIFUDDIN", "RAHMADI", "HAIRUL", "KHAIRUL", "FAHRI", "ABDULLAH"],
        "L2": ["NOOR", "YUSUF", "RIDWAN", "SALEH", "HUSIN", "ANWAR", "ZAKARIA"],
        "P": ["NORHAYATI", "NOORHASANAH", "NORJANAH", "JAHRAH", "ARBAYAH", "MASLIANI",
              "FAHRIANI", "RUSMINI", "SALASIAH", "HAIRANI", "SITI", "RABIATUL"],
        "P2": ["ADAWIYAH", "MARIAM", "ZAHRA", "RAHMAH", "FITRIANI"],
    },
    "BUGIS": {
        "L": ["MUH.", "MUHAMMAD", "ANDI", "BACO", "SUDIRMAN", "SYAMSUDDIN", "AMIRUDDIN",
              "BAHARUDDIN", "HASANUDDIN", "ARSYAD", "BASO"],
        "L2": ["YUSUF", "ARSYAD", "TAHIR", "RAHIM", "AMIR", "SALAM", "ASHAR"],
        "P": ["SITTI", "SITI", "HASNAH", "HAJRAH", "NURHAEDA", "ANDI", "NURHAYATI",
              "MARWAH", "SAHARIAH", "HASMIAH"],
        "P2": ["AMINAH", "TENRI", "RAHMAH", "NURBAYA", "SAFIAH"],
    },
    "JAWA": {
        "L": ["SUGENG", "SUTRISNO", "BAMBANG", "SLAMET", "AGUS", "EKO", "JOKO", "WAHYUDI",
              "SUPARMAN", "PAIMAN", "TUKIMAN", "SUROTO", "MOHAMMAD"],
        "L2": ["RIYADI", "SUPRIYADI", "PRASETYO", "SANTOSO", "SALIM", "HARYANTO", "WIBOWO"],
        "P": ["SRI", "SITI", "SUMARNI", "SUPIATI", "TRI", "DWI", "WARSINI", "PONIRAH",
              "SUPARMI", "SUMINAH"],
        "P2": ["WAHYUNI", "AMINAH", "WULANDARI", "LESTARI", "RAHAYU", "MULYANI"],
    },
    "DAYAK": {
        "L": ["YOHANES", "PAULUS", "DAMIANUS", "MARKUS", "YAKOBUS", "PETRUS", "STEFANUS"],
        "L2": ["ANDREAS", "KRISTIANTO", "SETIAWAN", "BUDIMAN", "ARIANTO"],
        "P": ["MARIA", "MAGDALENA", "ELISABETH", "MARTHA", "YOSEFINA", "KRISTINA", "AGNES"],
        "P2": ["LESTARI", "SUSANTI", "NOVITA", "YULIANA"],
    },
}

# Names common for children born since about 2005, whatever the family's background.
_MODERN = {
    "L": ["MUHAMMAD RIZKY", "MUHAMMAD FAREL", "AHMAD FAUZAN", "RAFFA", "AZKA", "FADLI",
          "ALDI", "RIDHO", "HAIKAL", "ZIDAN", "ARKAN", "MUHAMAD ALFARIZI", "DIMAS"],
    "P": ["NAYLA", "AISYAH PUTRI", "ZAHRA", "SALSABILA", "NUR AINI", "NOOR AZIZAH", "KAYLA",
          "AQILAH", "SITI NURHALIZA", "ALYA", "SYIFA", "NADIA"],
}

# group: (weight, agama choices, probability the head moved in from elsewhere)
_GROUPS = {
    "KUTAI": (50, ("ISLAM",), 0.04),
    "BANJAR": (24, ("ISLAM",), 0.15),
    "BUGIS": (11, ("ISLAM",), 0.40),
    "JAWA": (11, ("ISLAM", "ISLAM", "ISLAM", "KRISTEN"), 0.40),
    "DAYAK": (4, ("KATHOLIK", "KRISTEN"), 0.30),
}

# Where a moved-in resident's NIK was first registered, and where they were born.
_ORIGINS = {
    "KUTAI": [("64.02.06", "TENGGARONG"), ("64.02.01", "MUARA MUNTAI"), ("64.02.09", "KENOHAN"),
              ("64.72.03", "SAMARINDA")],
    "BANJAR": [("63.03.05", "MARTAPURA"), ("63.71.05", "BANJARMASIN"), ("64.72.06", "SAMARINDA")],
    "BUGIS": [("73.08.01", "BONE"), ("73.13.01", "WAJO"), ("64.72.02", "SAMARINDA")],
    "JAWA": [("35.09.01", "JEMBER"), ("33.10.01", "KLATEN"), ("52.03.01", "LOMBOK TIMUR")],
    "DAYAK": [("64.07.01", "KUTAI BARAT"), ("64.02.18", "MUARA WIS")],
}

_LOCAL_BIRTHPLACES = (("KOTA BANGUN", 80), ("TENGGARONG", 8), ("SAMARINDA", 7), ("MUARA MUNTAI", 5))

_STREETS = ("JL. POROS KOTA BANGUN", "JL. PESUT", "JL. DANAU SEMAYANG", "JL. PELABUHAN",
            "JL. MERDEKA", "JL. PENDIDIKAN", "JL. KESEHATAN", "GG. MESJID", "GG. KELUARGA",
            "JL. SULTAN AJI MUHAMMAD IDRIS", "JL. TEPIAN MAHAKAM")

_JOBS_MAN = (("PETANI/PEKEBUN", 22), ("NELAYAN/PERIKANAN", 18), ("WIRASWASTA", 14),
             ("BURUH HARIAN LEPAS", 10), ("KARYAWAN SWASTA", 10), ("PEDAGANG", 6),
             ("PEGAWAI NEGERI SIPIL (PNS)", 4), ("GURU", 3), ("SOPIR", 3), ("TUKANG KAYU", 2),
             ("PERANGKAT DESA", 2), ("KARYAWAN HONORER", 3), ("BURUH TANI/PERKEBUNAN", 3))
_JOBS_WOMAN = (("MENGURUS RUMAH TANGGA", 60), ("PEDAGANG", 10), ("PETANI/PEKEBUN", 10),
               ("WIRASWASTA", 8), ("GURU", 4), ("KARYAWAN HONORER", 4),
               ("PEGAWAI NEGERI SIPIL (PNS)", 2), ("BIDAN", 2))
_JOBS_ELDER = (("PETANI/PEKEBUN", 40), ("BELUM/TIDAK BEKERJA", 30), ("PENSIUNAN", 10),
               ("NELAYAN/PERIKANAN", 10), ("PEDAGANG", 10))
_NEEDS_SLTA = {"PEGAWAI NEGERI SIPIL (PNS)", "GURU", "BIDAN", "PENSIUNAN"}

_SCHOOLING_OLD = (("TIDAK/BELUM SEKOLAH", 20), ("BELUM TAMAT SD/SEDERAJAT", 25),
                  ("TAMAT SD/SEDERAJAT", 40), ("SLTP/SEDERAJAT", 10), ("SLTA/SEDERAJAT", 5))
_SCHOOLING_MID = (("BELUM TAMAT SD/SEDERAJAT", 5), ("TAMAT SD/SEDERAJAT", 35),
                  ("SLTP/SEDERAJAT", 25), ("SLTA/SEDERAJAT", 30), ("DIPLOMA IV/STRATA I", 5))
_SCHOOLING_YOUNG = (("TAMAT SD/SEDERAJAT", 10), ("SLTP/SEDERAJAT", 20), ("SLTA/SEDERAJAT", 50),
                    ("DIPLOMA I/II", 3), ("AKADEMI/DIPLOMA III/S. MUDA", 4),
                    ("DIPLOMA IV/STRATA I", 12), ("STRATA II", 1))
_SLTA_OR_ABOVE = {"SLTA/SEDERAJAT", "DIPLOMA I/II", "AKADEMI/DIPLOMA III/S. MUDA",
                  "DIPLOMA IV/STRATA I", "STRATA II", "STRATA III"}

_BLOOD = (("TIDAK TAHU", 45), ("O", 20), ("A", 15), ("B", 15), ("AB", 5))

_CHILDREN = ((0, 10), (1, 24), (2, 30), (3, 20), (4, 10), (5, 6))


def age_on(born: date, on: date) -> int:
    """Completed years between ``born`` and ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass
class _Family:
    group: str
    agama: str
    members: list[dict] = field(default_factory=list)


class _Generator:
    """Holds the random stream and the serial counters that keep numbers unique."""

    def __init__(self, seed: int, ref_date: date):
        self.rng = random.Random(seed)
        self.ref = ref_date
        self.serials: dict[str, int] = {}

    # ----- small random helpers -------------------------------------------------------

    def weighted(self, table):
        values, weights = zip(*table, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def birth_date(self, age: int) -> date:
        """A birth date giving exactly ``age`` completed years on the reference date."""
        return _years_before(self.ref, age) - timedelta(days=self.rng.randint(0, 364))

    def name(self, group: str, sex: str, born: date | None = None) -> str:
        if born is not None and born.year >= 2005 and self.rng.random() < 0.6:
            return self.rng.choice(_MODERN[sex])
        pool = _NAMES[group]
        first = self.rng.choice(pool[sex])
        second = self.rng.choice(pool[sex + "2"])
        if first in ("AWANG", "AJI", "DAYANG", "ANDI", "MUH.") or self.rng.random() < 0.55:
            return f"{first} {second}"
        return first

    def next_serial(self, prefix: str) -> int:
        """Next free serial for a 12-digit prefix; starts low but not always at 0001."""
        serial = self.serials.get(prefix, self.rng.randint(0, 4)) + 1
        self.serials[prefix] = serial
        return serial

    # ----- people -----------------------------------------------------------------------

    def nik(self, region: str, born: date, sex: str) -> str:
        prefix = make_nik(region, born, sex, 1)[:12]
        return make_nik(region, born, sex, self.next_serial(prefix))

    def schooling(self, age: int, born: date) -> str:
        if age < 7:
            return "TIDAK/BELUM SEKOLAH"
        if age <= 12:
            return "BELUM TAMAT SD/SEDERAJAT"
        if age <= 15:
            return "TAMAT SD/SEDERAJAT"
        if age <= 18:
            return "SLTP/SEDERAJAT"
        if born.year < 1960:
            return self.weighted(_SCHOOLING_OLD)
        if born.year < 1980:
            return self.weighted(_SCHOOLING_MID)
        return self.weighted(_SCHOOLING_YOUNG)

    def job(self, age: int, sex: str, schooling: str) -> str:
        if age < 5:
            return "BELUM/TIDAK BEKERJA"
        if age <= 18 or (age <= 22 and self.rng.random() < 0.5):
            return "PELAJAR/MAHASISWA"
        if age >= 60:
            job = self.weighted(_JOBS_ELDER)
        else:
            job = self.weighted(_JOBS_MAN if sex == "L" else _JOBS_WOMAN)
        if job in _NEEDS_SLTA and schooling not in _SLTA_OR_ABOVE:
            return "WIRASWASTA" if sex == "L" or age < 60 else "MENGURUS RUMAH TANGGA"
        return job

    def person(self, family: _Family, *, sex: str, age: int, hubungan: str, status: str,
               nama_ayah: str, nama_ibu: str, origin: tuple[str, str] | None = None,
               nama: str | None = None) -> dict:
        born = self.birth_date(age)
        region, birthplace = origin or (KECAMATAN, self.weighted(_LOCAL_BIRTHPLACES))
        schooling = self.schooling(age, born)
        member = {
            "nik": self.nik(region, born, sex),
            "nama": nama or self.name(family.group, sex, born),
            "tempat_lahir": birthplace,
            "tanggal_lahir": born,
            "jenis_kelamin": "LAKI-LAKI" if sex == "L" else "PEREMPUAN",
            "golongan_darah": self.weighted(_BLOOD),
            "agama": family.agama,
            "status_perkawinan": status,
            "pekerjaan": self.job(age, sex, schooling),
            "pendidikan": schooling,
            "kewarganegaraan": "WNI",
            "hubungan": hubungan,
            "nama_ayah": nama_ayah,
            "nama_ibu": nama_ibu,
        }
        family.members.append(member)
        return member

    def parents(self, group: str) -> tuple[str, str]:
        return self.name(group, "L"), self.name(group, "P")

    def origin(self, group: str, moved_in: bool) -> tuple[str, str] | None:
        return self.rng.choice(_ORIGINS[group]) if moved_in else None

    # ----- households -------------------------------------------------------------------

    def children(self, family: _Family, mother_age: int, ayah: str, ibu: str) -> None:
        """Children still on the parents' KK: born when the mother was 19-42, aged ≤ 28."""
        age = mother_age - self.rng.randint(19, 27)
        for _ in range(self.weighted(_CHILDREN)):
            if age < 0 or mother_age - age > 42:
                return
            if age <= 28:
                sex = self.rng.choice("LP")
                self.person(family, sex=sex, age=age, hubungan="ANAK", status="BELUM KAWIN",
                            nama_ayah=ayah, nama_ibu=ibu)
            age -= self.rng.randint(2, 5)

    def couple(self, family: _Family, moved_in: bool) -> None:
        head_age = self.rng.randint(23, 68)
        wife_age = max(19, head_age - self.rng.randint(-2, 10))
        status = KAWIN[1] if self.rng.random() < 0.08 else KAWIN[0]
        head = self.person(family, sex="L", age=head_age, hubungan="KEPALA KELUARGA", status=status,
                           nama_ayah=self.name(family.group, "L"), nama_ibu=self.name(family.group, "P"),
                           origin=self.origin(family.group, moved_in))
        wife_moved = moved_in and self.rng.random() < 0.5
        wife = self.person(family, sex="P", age=wife_age, hubungan="ISTRI", status=status,
                           nama_ayah=self.name(family.group, "L"), nama_ibu=self.name(family.group, "P"),
                           origin=self.origin(family.group, wife_moved))
        self.children(family, wife_age, head["nama"], wife["nama"])
        self.extended_family(family, head, wife, head_age, wife_age)

    def extended_family(self, family: _Family, head: dict, wife: dict, head_age: int, wife_age: int) -> None:
        """Now and then an elderly parent, a grandchild or a nephew lives in the house."""
        roll = self.rng.random()
        if roll < 0.14:
            in_law = self.rng.random() < 0.4
            child_age = wife_age if in_law else head_age
            age = min(95, child_age + self.rng.randint(20, 32))
            nama = self.name(family.group, "P")
            self.person(family, sex="P", age=age, hubungan="MERTUA" if in_law else "ORANGTUA",
                        status="CERAI MATI", nama=nama, nama_ayah=self.name(family.group, "L"),
                        nama_ibu=self.name(family.group, "P"))
            (wife if in_law else head)["nama_ibu"] = nama
        elif roll < 0.19 and head_age >= 48:
            daughters = [m["nama"] for m in family.members
                         if m["hubungan"] == "ANAK" and m["jenis_kelamin"] == "PEREMPUAN"
                         and age_on(m["tanggal_lahir"], self.ref) >= 19]
            mother = daughters[0] if daughters else self.name(family.group, "P")
            self.person(family, sex=self.rng.choice("LP"), age=self.rng.randint(0, 8), hubungan="CUCU",
                        status="BELUM KAWIN", nama_ayah=self.name(family.group, "L"), nama_ibu=mother)
        elif roll < 0.22:
            ayah, ibu = self.parents(family.group)
            self.person(family, sex="L", age=self.rng.randint(15, 24), hubungan="FAMILI LAIN",
                        status="BELUM KAWIN", nama_ayah=ayah, nama_ibu=ibu)

    def single_parent(self, family: _Family, moved_in: bool) -> None:
        """A widow (or divorcee) heading the KK with her children."""
        age = self.rng.randint(38, 66)
        status = "CERAI MATI" if self.rng.random() < 0.75 else "CERAI HIDUP TERCATAT"
        ayah, ibu = self.parents(family.group)
        head = self.person(family, sex="P", age=age, hubungan="KEPALA KELUARGA", status=status,
                           nama_ayah=ayah, nama_ibu=ibu, origin=self.origin(family.group, moved_in))
        late_husband = self.name(family.group, "L")
        self.children(family, age, late_husband, head["nama"])

    def living_alone(self, family: _Family, moved_in: bool) -> None:
        """An elderly widow(er) or a young single worker in a one-person household."""
        ayah, ibu = self.parents(family.group)
        if self.rng.random() < 0.65:
            self.person(family, sex=self.rng.choice("PPL"), age=self.rng.randint(62, 88),
                        hubungan="KEPALA KELUARGA", status="CERAI MATI", nama_ayah=ayah, nama_ibu=ibu,
                        origin=self.origin(family.group, moved_in))
        else:
            self.person(family, sex=self.rng.choice("LLP"), age=self.rng.randint(21, 34),
                        hubungan="KEPALA KELUARGA", status="BELUM KAWIN", nama_ayah=ayah, nama_ibu=ibu,
                        origin=self.origin(family.group, moved_in))

    def family(self, desa_code: str) -> dict:
        group = self.weighted([(g, spec[0]) for g, spec in _GROUPS.items()])
        _, religions, moved_share = _GROUPS[group]
        household = _Family(group=group, agama=self.rng.choice(religions))
        moved_in = self.rng.random() < moved_share
        shape = self.rng.random()
        if shape < 0.12:
            self.living_alone(household, moved_in)
        elif shape < 0.20:
            self.single_parent(household, moved_in)
        else:
            self.couple(household, moved_in)
        head = household.members[0]
        return {
            "no_kk": self.no_kk(head["tanggal_lahir"]),
            "desa_code": desa_code,
            "desa_asal_code": self.former_desa(head),
            "alamat": f"{self.rng.choice(_STREETS)} NO. {self.rng.randint(1, 120)}",
            "rt": f"{self.rng.randint(1, 20):03d}",
            "rw": "000",
            "members": household.members,
        }

    def former_desa(self, head: dict) -> str | None:
        """Some older local heads lived in a desa that moved to Kota Bangun Darat in 2020."""
        local = head["nik"].startswith(KECAMATAN.replace(".", ""))
        older = age_on(head["tanggal_lahir"], self.ref) >= 50
        if local and older and self.rng.random() < 0.15:
            return self.rng.choice(RETIRED_DESA)
        return None

    def no_kk(self, head_born: date) -> str:
        """KK recorded after 2012 and after the head turned 17, never after the reference date."""
        earliest = max(date(2012, 1, 1), head_born + timedelta(days=17 * 366))
        span = max(0, (self.ref - earliest).days)
        recorded = earliest + timedelta(days=self.rng.randint(0, span))
        prefix = make_no_kk(KECAMATAN, recorded, 1)[:12]
        return make_no_kk(KECAMATAN, recorded, self.next_serial(prefix))


def _years_before(day: date, years: int) -> date:
    """Same calendar day ``years`` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def generate_population(seed: int = 2026, families: int = 150,
                        ref_date: date = date(2026, 11, 28)) -> list[dict]:
    """Families of Kota Bangun, each ``{no_kk, desa_code, desa_asal_code, alamat, rt, rw, members}``.

    Every current desa gets at least one family when ``families`` ≥ 11. The same
    arguments always give the same population.
    """
    generator = _Generator(seed, ref_date)
    desa_codes = [DESA[i % len(DESA)][0] for i in range(families)]
    generator.rng.shuffle(desa_codes)
    return [generator.family(code) for code in desa_codes]
