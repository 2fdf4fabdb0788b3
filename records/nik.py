"""NIK and No. KK form validation (research note §2.4).

A NIK has no check digit, so validation is a data lookup: 16 ASCII digits, a region
code known in *any* version of the Kemendagri table (a NIK keeps the region where it was
first registered), a birth date with day+40 for women, and a serial other than 0000.
The validator only checks form; whether a number exists is Dukcapil's knowledge.

A NIK stays valid for life even when its date part disagrees with the real birth date
(Dukcapil rule), so a disagreement with declared data is a warning, never an error.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from records.wilayah import Wilayah, dotted, load_wilayah

MASK_CHAR = "●"
MAX_PLAUSIBLE_AGE = 110

# ASCII only: str.isdigit() would accept "１", "٣" and "²".
_SIXTEEN_DIGITS = re.compile(r"[0-9]{16}")
_SEPARATORS = re.compile(r"[ .\-]")
_FEMALE_DAY_OFFSET = 40


class NikError(ValueError):
    """A NIK or No. KK that cannot be valid; the message says what is wrong, in Indonesian."""


@dataclass(frozen=True)
class ParsedNik:
    nik: str
    province_code: str
    kabkota_code: str
    kecamatan_code: str
    region_name: str | None
    birth_date: date
    sex: str
    serial: str
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        data["warnings"] = list(self.warnings)
        return data


@dataclass(frozen=True)
class ParsedKk:
    no_kk: str
    province_code: str
    kabkota_code: str
    kecamatan_code: str
    region_name: str | None
    recorded_on: date | None
    serial: str
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        data = asdict(self)
        data["recorded_on"] = self.recorded_on.isoformat() if self.recorded_on else None
        data["warnings"] = list(self.warnings)
        return data


def normalise(raw: object, label: str = "NIK") -> str:
    """Strip, drop inner spaces/dots/dashes, and require exactly 16 ASCII digits."""
    if not isinstance(raw, str):
        raise NikError(f"{label} harus berupa teks 16 digit angka, bukan {type(raw).__name__}")
    text = _SEPARATORS.sub("", raw.strip())
    if _SIXTEEN_DIGITS.fullmatch(text):
        return text
    stray = next((ch for ch in text if ch not in "0123456789"), None)
    if stray is not None:
        raise NikError(f"{label} harus 16 digit angka (ditemukan karakter bukan angka {stray!r})")
    raise NikError(f"{label} harus 16 digit angka (ditemukan {len(text)} digit)")


def _check_region(number: str, label: str, wilayah: Wilayah, warnings: list[str]) -> tuple[str, str, str]:
    """Validate the PP.KK.CC prefix; return (province, kabkota, kecamatan) dotted codes."""
    if number[0] == "0":
        raise NikError(f"{label} tidak boleh diawali 0")
    province, kabkota, kecamatan = number[:2], dotted(number[:4]), dotted(number[:6])
    if province not in wilayah.province_codes():
        raise NikError(f"Kode provinsi pada {label} tidak dikenal: {province}")
    kk = int(number[2:4])
    if not (1 <= kk <= 69 or 71 <= kk <= 99):
        raise NikError(f"Kode kabupaten/kota pada {label} tidak valid: {kabkota}")
    if kabkota not in wilayah.kabkota_codes():
        raise NikError(f"Kode kabupaten/kota pada {label} tidak dikenal: {kabkota}")
    if number[4:6] == "00":
        raise NikError(f"Kode kecamatan pada {label} tidak boleh 00")
    if kecamatan not in wilayah.kecamatan_codes():
        warnings.append(f"Kode kecamatan {kecamatan} tidak ada di tabel wilayah")
    return province, kabkota, kecamatan


def _region_name(wilayah: Wilayah, kecamatan: str, on: date | None) -> str | None:
    """Kecamatan name in force on ``on``, falling back to any known name."""
    if not wilayah.is_known(kecamatan):
        return None
    return (on and wilayah.name(kecamatan, on=on)) or wilayah.name(kecamatan)


def _day_and_sex(dd: int) -> tuple[int, str]:
    if 41 <= dd <= 71:
        return dd - _FEMALE_DAY_OFFSET, "P"
    if 1 <= dd <= 31:
        return dd, "L"
    raise NikError(f"Tanggal lahir pada NIK tidak valid: hari {dd:02d}")


def _resolve_birth_date(day: int, month: int, yy: int, ref_date: date) -> date:
    """Pick the century: 20yy unless that year is after ref_date, else 19yy.

    No 29-February fallback is needed: 19yy and 20yy are leap years together, except
    1900/2000 where the 20yy reading (2000) is the leap one and is tried first.
    """
    year = 2000 + yy if 2000 + yy <= ref_date.year else 1900 + yy
    try:
        return date(year, month, day)
    except ValueError:
        message = f"Tanggal lahir pada NIK tidak valid: {day:02d}-{month:02d}-{yy:02d} tidak ada"
        raise NikError(message) from None


def _normalise_sex(value: str) -> str:
    text = value.strip().upper()
    if text in ("L", "LAKI-LAKI", "LAKI LAKI", "1"):
        return "L"
    if text in ("P", "PEREMPUAN", "2"):
        return "P"
    raise ValueError(f"Jenis kelamin tidak dikenal: {value!r}")


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _apply_declared_date(birth: date, declared: date, yy: int, warnings: list[str]) -> date:
    """Warn on disagreement; let a declared year with the same two digits fix the century."""
    if (declared.day, declared.month, declared.year % 100) != (birth.day, birth.month, yy):
        warnings.append("Tanggal lahir berbeda dengan NIK (NIK tetap berlaku)")
    if declared.year % 100 == yy and declared.year != birth.year:
        try:
            return birth.replace(year=declared.year)
        except ValueError:
            return birth
    return birth


def parse_nik(
    raw: object,
    *,
    ref_date: date | None = None,
    wilayah: Wilayah | None = None,
    declared_birth_date: date | None = None,
    declared_sex: str | None = None,
) -> ParsedNik:
    """Validate and decode a NIK; raise ``NikError`` when it cannot be a valid NIK.

    ``ref_date`` (today by default) decides the century and what counts as the future.
    A declared birth date whose year shares the NIK's two digits resolves the century
    before the future check, so a person born in December 1926 is not rejected as
    "born in December 2026" when the form says 1926.
    """
    ref_date = ref_date or date.today()
    wilayah = wilayah or load_wilayah()
    nik = normalise(raw, "NIK")
    warnings: list[str] = []
    province, kabkota, kecamatan = _check_region(nik, "NIK", wilayah, warnings)

    day, sex = _day_and_sex(int(nik[6:8]))
    month, yy = int(nik[8:10]), int(nik[10:12])
    if not 1 <= month <= 12:
        raise NikError(f"Tanggal lahir pada NIK tidak valid: bulan {month:02d}")
    birth = _resolve_birth_date(day, month, yy, ref_date)
    if declared_birth_date is not None:
        birth = _apply_declared_date(birth, declared_birth_date, yy, warnings)
    if birth > ref_date:
        raise NikError(f"Tanggal lahir pada NIK ({birth.isoformat()}) belum terjadi")

    serial = nik[12:]
    if serial == "0000":
        raise NikError("Nomor urut NIK tidak boleh 0000")
    if declared_sex is not None and _normalise_sex(declared_sex) != sex:
        warnings.append("Jenis kelamin berbeda dengan NIK")
    if _age(birth, ref_date) > MAX_PLAUSIBLE_AGE:
        warnings.append("Umur lebih dari 110 tahun; periksa abad tahun lahir")

    return ParsedNik(
        nik=nik,
        province_code=province,
        kabkota_code=kabkota,
        kecamatan_code=kecamatan,
        region_name=_region_name(wilayah, kecamatan, birth),
        birth_date=birth,
        sex=sex,
        serial=serial,
        warnings=tuple(warnings),
    )


def parse_no_kk(raw: object, *, ref_date: date | None = None, wilayah: Wilayah | None = None) -> ParsedKk:
    """Validate and decode a No. KK.

    The date part is the day the KK data was recorded (no +40). Older KKs often carry
    odd dates, so an impossible or future recording date is only a warning.
    """
    ref_date = ref_date or date.today()
    wilayah = wilayah or load_wilayah()
    no_kk = normalise(raw, "No. KK")
    warnings: list[str] = []
    province, kabkota, kecamatan = _check_region(no_kk, "No. KK", wilayah, warnings)

    recorded_on = _kk_recording_date(no_kk, ref_date)
    if recorded_on is None:
        warnings.append("Tanggal pencatatan KK tidak valid")
    serial = no_kk[12:]
    if serial == "0000":
        raise NikError("Nomor urut KK tidak boleh 0000")

    return ParsedKk(
        no_kk=no_kk,
        province_code=province,
        kabkota_code=kabkota,
        kecamatan_code=kecamatan,
        region_name=_region_name(wilayah, kecamatan, recorded_on),
        recorded_on=recorded_on,
        serial=serial,
        warnings=tuple(warnings),
    )


def _kk_recording_date(no_kk: str, ref_date: date) -> date | None:
    try:
        recorded = date(2000 + int(no_kk[10:12]), int(no_kk[8:10]), int(no_kk[6:8]))
    except ValueError:
        return None
    return recorded if recorded <= ref_date else None


def mask_nik(raw: object) -> str:
    """Hide the six date digits, which reveal birth date and sex: 640208●●●●●●0001."""
    number = normalise(raw, "NIK")
    return number[:6] + MASK_CHAR * 6 + number[12:]


def mask_no_kk(raw: object) -> str:
    """Hide the six recording-date digits of a No. KK, as for a NIK."""
    number = normalise(raw, "No. KK")
    return number[:6] + MASK_CHAR * 6 + number[12:]


def _region_prefix(kecamatan_code: str) -> str:
    code = dotted(kecamatan_code)
    if code.count(".") != 2:
        raise ValueError(f"Bukan kode kecamatan: {kecamatan_code!r}")
    return code.replace(".", "")


def _serial(serial: int | str) -> str:
    number = int(serial)
    if not 1 <= number <= 9999:
        raise ValueError(f"Nomor urut harus 1..9999, bukan {serial!r}")
    return f"{number:04d}"


def make_nik(kecamatan_code: str, birth_date: date, sex: str, serial: int | str) -> str:
    """Compose a NIK (day+40 for women); used by demo data and tests, never to issue numbers."""
    day = birth_date.day + (_FEMALE_DAY_OFFSET if _normalise_sex(sex) == "P" else 0)
    return f"{_region_prefix(kecamatan_code)}{day:02d}{birth_date:%m%y}{_serial(serial)}"


def make_no_kk(kecamatan_code: str, recorded_on: date, serial: int | str) -> str:
    """Compose a No. KK from the issuing kecamatan, recording date and family serial."""
    return f"{_region_prefix(kecamatan_code)}{recorded_on:%d%m%y}{_serial(serial)}"


# --- numbers inside free text (OCR text, notes, audit details, letter data) ----------------

# 16 digits, written in one run or split by single spaces, dots or dashes
# (6402081708900001, 6402 0817 0890 0001, 64.02.08.170890.0001), not part of a longer number.
_NUMBER_IN_TEXT = re.compile(r"(?<![0-9])[0-9](?:[ .\-]?[0-9]){15}(?![0-9])")


def mask_numbers_in_text(text: str) -> str:
    """Every NIK- or No. KK-like number in free text masked as `mask_nik` masks a NIK
    (region kept, the six date digits hidden, serial kept): 640208●●●●●●0001."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    return _NUMBER_IN_TEXT.sub(lambda m: mask_nik(_SEPARATORS.sub("", m[0])), text)


def mask_numbers_deep(value):
    """`mask_numbers_in_text` over every string inside dicts, lists and tuples (a letter's
    context, a record's data); other values are returned as they are."""
    if isinstance(value, str):
        return mask_numbers_in_text(value)
    if isinstance(value, dict):
        return {key: mask_numbers_deep(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_numbers_deep(item) for item in value)
    return value


def restore_masked_numbers(edited: str, original: str) -> str:
    """`edited` (a text shown masked and sent back, e.g. a note corrected by a role without
    the full-NIK right) with each masked number that stood in `original` put back as it was
    written there, so saving a masked form never overwrites the real numbers."""
    if MASK_CHAR not in (edited or ""):
        return edited
    originals: dict[str, str] = {}
    for match in _NUMBER_IN_TEXT.finditer(original or ""):
        originals.setdefault(mask_nik(_SEPARATORS.sub("", match[0])), match[0])
    for masked, written in originals.items():
        edited = edited.replace(masked, written)
    return edited
