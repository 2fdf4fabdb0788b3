"""Requirements (persyaratan) and steps of a service standard as data with their legal basis.

A requirement is `{"nama", "jenis", "kondisi", "dasar_hukum", "lingkup"}`:
- `jenis` "dokumen" is something the applicant hands in; "syarat" is a condition the clerk
  checks (e.g. "berusia 17 tahun"), never "received";
- `kondisi` ("jika hilang") makes an item apply only to some applicants: it is missing only
  when its condition applies;
- `lingkup` "nasional" items come from the shipped catalogue (Perpres 96/2018 and the like);
  anything the office adds is "lokal" and must cite its own local instrument (Perbup, Perda,
  Keputusan Camat … with a number). Nobody can relabel an office item as national.
Old rows stored plain strings; `item()` reads both shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from records.exceptions import ValidationError

JENIS = ("dokumen", "syarat")
LINGKUP = ("nasional", "lokal")
#: A local instrument with a number: "Perbup Kutai Kartanegara Nomor 12 Tahun 2020 Pasal 4".
LOCAL_BASIS = re.compile(
    r"\b(perbup|perda|perdes|peraturan\s+(bupati|daerah|desa)|keputusan\s+(bupati|camat)|"
    r"kepbup|sk\s+(bupati|camat))\b.*\d", re.IGNORECASE)
#: Requirements the national rules removed: they may come back only as a local item with a basis.
ABOLISHED = re.compile(r"pengantar\s+(rt|rw|dari\s+rt|desa|kecamatan)|fotokopi\s+(kk|kartu\s+keluarga)",
                       re.IGNORECASE)
REQ_KEYS = ("nama", "dasar_hukum", "jenis", "kondisi")
MAX_FIELD = 300


def item(raw) -> dict:
    """A requirement in its dict shape (a legacy string becomes a basis-less document)."""
    if isinstance(raw, dict):
        found = {key: str(raw.get(key) or "").strip() for key in (*REQ_KEYS, "lingkup")}
    else:
        found = {"nama": str(raw).strip(), "dasar_hukum": "", "jenis": "", "kondisi": "", "lingkup": ""}
    found["jenis"] = found["jenis"] if found["jenis"] in JENIS else "dokumen"
    found["lingkup"] = found["lingkup"] if found["lingkup"] in LINGKUP else "lokal"
    return found


def items(raw: Iterable | None) -> list[dict]:
    """Every requirement of a list in its dict shape."""
    return [item(entry) for entry in raw or []]


def names(raw: Iterable | None) -> list[str]:
    """The names of the requirements (what the intake checkboxes post)."""
    return [entry["nama"] for entry in items(raw)]


def parse_lines(text: str) -> list[dict]:
    """Requirements typed one per line as 'nama | dasar hukum | jenis | kondisi' (last three optional)."""
    found = []
    for line in (text or "").splitlines():
        if line.strip():
            parts = [part.strip() for part in line.split("|")]
            found.append(dict(zip(REQ_KEYS, parts + [""] * (4 - len(parts)), strict=False)))
    return found


def lines_text(raw: Iterable | None) -> str:
    """The inverse of parse_lines, to prefill the edit form."""
    return "\n".join(" | ".join(entry[key] for key in REQ_KEYS).rstrip(" |") for entry in items(raw))


def clean_requirements(raw, *, national: Iterable | None = None,
                       previous: Iterable | None = None) -> list[dict]:
    """Validated requirements: national ones take the shipped data, office ones need a local basis.

    `national` is the shipped list for this service; `previous` the current version's list: an
    item carried over unchanged keeps what it had (old rows may predate the basis), an item
    that is new or gets a new text must stand on its own basis.
    """
    entries = parse_lines(raw) if isinstance(raw, str) else list(raw or [])
    shipped = {entry["nama"].lower(): entry for entry in items(national) if entry["lingkup"] == "nasional"}
    before = {entry["nama"].lower(): entry for entry in items(previous)}
    cleaned, problems = [], []
    for number, entry in enumerate(items(entries), start=1):
        key = entry["nama"].lower()
        if not entry["nama"]:
            continue
        if any(len(value) > MAX_FIELD for value in entry.values()):
            problems.append(f"Butir {number}: setiap bagian paling banyak {MAX_FIELD} karakter.")
        elif key in shipped:
            cleaned.append({**shipped[key], "kondisi": entry["kondisi"] or shipped[key]["kondisi"]})
        elif key in before and not entry["dasar_hukum"] or before.get(key) == {**entry, "lingkup": "lokal"}:
            cleaned.append(before[key])
        else:
            problem = _local_problem(entry)
            if problem:
                problems.append(f"Butir {number} '{entry['nama']}': {problem}")
            cleaned.append({**entry, "lingkup": "lokal"})
    if problems:
        raise ValidationError(" ".join(problems))
    return cleaned


def _local_problem(entry: dict) -> str:
    """Why an office-added requirement cannot be published, or '' when it can."""
    if not entry["dasar_hukum"]:
        return ("persyaratan tambahan kantor wajib menyebut dasar hukumnya sendiri (mis. 'Perbup "
                "Kutai Kartanegara Nomor … Tahun … Pasal …'), ditulis setelah tanda |.")
    if not LOCAL_BASIS.search(entry["dasar_hukum"]):
        hint = (" Persyaratan ini telah dihapus oleh Perpres 96/2018;" if ABOLISHED.search(entry["nama"])
                else "")
        return (f"{hint} persyaratan tambahan kantor hanya sah bila ditetapkan peraturan daerah "
                "(Perda, Perbup, Keputusan Bupati atau Keputusan Camat) yang disebut dengan nomornya."
                ).strip()
    return ""


def checklist(raw: Iterable | None, received: Iterable[str], berlaku: Iterable[str] = ()) -> list[dict]:
    """The receipt's rows: documents received or missing, conditions met, conditional items skipped.

    A conditional item applies when the clerk ticked its condition (`berlaku`) or received it;
    otherwise it is `berlaku: False` and never reported missing.
    """
    got, applies = set(received), set(berlaku)
    rows = []
    for entry in items(raw):
        name = entry["nama"]
        active = not entry["kondisi"] or name in applies or name in got
        rows.append({"name": name, "received": name in got, "jenis": entry["jenis"],
                     "kondisi": entry["kondisi"], "berlaku": active,
                     "dasar_hukum": entry["dasar_hukum"], "lingkup": entry["lingkup"]})
    return rows


def missing(rows: Iterable[dict]) -> list[dict]:
    """Rows that block the request: applicable documents not received, applicable conditions not met."""
    return [row for row in rows if row.get("berlaku", True) and not row.get("received")]


def require_complete(rows: Iterable[dict] | None) -> None:
    """Refuse verifying a request while an applicable requirement is not ticked (called by
    services.records.fire_transition for the step its workflow tags `verifies`, so the web,
    the REST API and the CLI all refuse). Conditional items count only when they apply."""
    rows = list(rows or [])
    gaps = missing(rows)
    if gaps:
        names = "; ".join(row["name"] for row in gaps)
        applicable = len([row for row in rows if row.get("berlaku", True)])
        raise ValidationError(
            f"Berkas belum lengkap: {len(gaps)} dari {applicable} persyaratan yang berlaku belum "
            f"dicentang ({names}). Centang persyaratan yang sudah diterima sebelum verifikasi.",
            {"persyaratan": f"Belum lengkap: {names}."})


def check_step(number: int, step: dict, previous_steps: Iterable[dict]) -> None:
    """A new step at the RT/RW or desa adds a trip the national rules removed: it needs a basis."""
    known = {(s.get("pelaksana"), s.get("kegiatan")) for s in previous_steps}
    if step["pelaksana"] != "rt_desa" or (step["pelaksana"], step["kegiatan"]) in known:
        return
    if not LOCAL_BASIS.search(step.get("dasar_hukum") or "") and not step.get("lingkup") == "nasional":
        raise ValidationError(
            f"Langkah {number}: langkah di RT/RW atau desa menambah kewajiban pemohon; sebutkan "
            "dasar hukumnya (Perda, Perbup, Keputusan Bupati atau Keputusan Camat dengan nomornya) "
            "pada kolom kelima.")
