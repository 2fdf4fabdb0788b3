"""Survei Kepuasan Masyarakat (SKM) and its index (IKM), PermenPANRB 14/2017.

The citizen answers after handover, with their request's tracking code: nine elements, each
scored 1 (tidak baik) to 4 (sangat baik). The index follows the regulation (docs/decisions.md,
"IKM"): per element the mean score (NRR); the index is the sum of the NRR each weighted 1/9
(equal weights, 1 / number of elements); its conversion is index × 25 (scale 25–100), and
the service quality grade (mutu) comes from the regulation's interval table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.declarations import HANDED_OVER, Registry
from records.exceptions import InvalidTransitionError, NotFoundError, ValidationError
from records.models import Layanan, Record
from records.services.audit import record_event
from records.services.clock import clock, month_bounds
from records.services.lacak import normalise_tracking
from records.survei.models import SurveiRespon

MAX_SUGGESTION = 1000


@dataclass(frozen=True)
class Unsur:
    """One element of the survey, its question and the four answers (1 … 4)."""

    key: str
    name: str
    question: str
    answers: tuple[str, str, str, str]


UNSUR = (
    Unsur("u1", "Persyaratan", "Bagaimana kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
          ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Unsur("u2", "Sistem, mekanisme, dan prosedur", "Bagaimana kemudahan prosedur pelayanan di kantor ini?",
          ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah")),
    Unsur("u3", "Waktu penyelesaian", "Bagaimana kecepatan waktu dalam memberikan pelayanan?",
          ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat")),
    Unsur("u4", "Biaya/tarif", "Bagaimana kewajaran biaya/tarif dalam pelayanan (layanan ini gratis)?",
          ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")),
    Unsur("u5", "Produk spesifikasi jenis pelayanan",
          "Bagaimana kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan "
          "dengan hasil yang diberikan?",
          ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Unsur("u6", "Kompetensi pelaksana", "Bagaimana kompetensi/kemampuan petugas dalam pelayanan?",
          ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten")),
    Unsur("u7", "Perilaku pelaksana", "Bagaimana perilaku petugas dalam pelayanan terkait kesopanan "
          "dan keramahan?", ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah",
                             "Sangat sopan dan ramah")),
    Unsur("u8", "Penanganan pengaduan, saran dan masukan",
          "Bagaimana kualitas penanganan pengaduan, saran dan masukan?",
          ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal",
           "Dikelola dengan baik")),
    Unsur("u9", "Sarana dan prasarana", "Bagaimana kualitas sarana dan prasarana kantor?",
          ("Buruk", "Cukup", "Baik", "Sangat baik")),
)
KEYS = tuple(u.key for u in UNSUR)
WEIGHT = 1 / len(UNSUR)

# (lowest index, lowest conversion, mutu, kinerja unit pelayanan) — PermenPANRB 14/2017 table.
GRADES = ((3.5324, 88.31, "A", "Sangat baik"), (3.0644, 76.61, "B", "Baik"),
          (2.60, 65.00, "C", "Kurang baik"), (1.00, 25.00, "D", "Tidak baik"))

PROFILE = {
    "jenis_kelamin": ("Laki-laki", "Perempuan"),
    "usia": ("< 20", "20–29", "30–39", "40–49", "50–59", "≥ 60"),
    "pendidikan": ("SD ke bawah", "SMP", "SMA", "D1–D3", "S1", "S2 ke atas"),
    "pekerjaan": ("PNS/TNI/Polri", "Pegawai swasta", "Wiraswasta", "Petani/nelayan", "Pelajar/mahasiswa",
                  "Lainnya"),
}


def grade(conversion: float) -> tuple[str, str]:
    """(mutu, kinerja) of a converted index value."""
    for _, lowest, mutu, kinerja in GRADES:
        if conversion >= lowest:
            return mutu, kinerja
    return GRADES[-1][2], GRADES[-1][3]


def eligible_request(code: str, *, session: Session, registry: Registry) -> Record:
    """The handed-over request (its state tagged `handed_over`) a survey is about; clear
    refusals for every other case."""
    normal = normalise_tracking(code)
    if normal is None:
        raise ValidationError("Format kode lacak tidak dikenali. Contoh: KB-7K2QM9XD.")
    record = session.scalar(select(Record).where(Record.tracking_code == normal))
    if record is None or record.layanan_code is None:
        raise NotFoundError("Kode lacak tidak ditemukan.")
    if not registry.state_is(record.doctype, record.state, HANDED_OVER):
        raise InvalidTransitionError("Survei dapat diisi setelah dokumen diserahkan kepada Anda.")
    if session.scalar(select(SurveiRespon.id).where(SurveiRespon.record_id == record.id)):
        raise InvalidTransitionError("Survei untuk permohonan ini sudah diisi. Terima kasih.")
    return record


def submit(code: str, answers: dict, *, session: Session, registry: Registry, tz: str,
           now: dt.datetime | None = None) -> SurveiRespon:
    """Store one response (once per request); commit."""
    record = eligible_request(code, session=session, registry=registry)
    scores, profile = _clean(answers)
    now, today = clock(tz, now)
    response = SurveiRespon(record_id=record.id, layanan_code=record.layanan_code, tanggal=today,
                            submitted_at=now, **scores, **profile)
    session.add(response)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InvalidTransitionError("Survei untuk permohonan ini sudah diisi. Terima kasih.") from None
    record_event(session, "publik", "survei.isi", object_type="survei", object_id=response.id,
                 detail={"layanan": record.layanan_code})
    session.commit()
    return response


def _clean(answers: dict) -> tuple[dict, dict]:
    errors, scores = {}, {}
    for unsur in UNSUR:
        raw = str(answers.get(unsur.key) or "")
        if raw not in ("1", "2", "3", "4"):
            errors[unsur.key] = f"Pilih satu jawaban untuk {unsur.name}."
        else:
            scores[unsur.key] = int(raw)
    profile = {key: str(answers.get(key) or "") for key in PROFILE}
    for key, value in profile.items():
        if value and value not in PROFILE[key]:
            errors[key] = "Pilihan tidak dikenal."
    profile["saran"] = str(answers.get("saran") or "").strip()
    if len(profile["saran"]) > MAX_SUGGESTION:
        errors["saran"] = f"Saran maksimal {MAX_SUGGESTION} karakter."
    if errors:
        raise ValidationError("Lengkapi semua pertanyaan.", errors)
    return scores, profile


@dataclass(frozen=True)
class Index:
    """The index of one group of responses."""

    respondents: int
    nrr: tuple[float, ...]  # mean score per element, in UNSUR order
    ikm: float  # Σ NRR × 1/9, scale 1–4
    conversion: float  # ikm × 25, scale 25–100
    mutu: str
    kinerja: str


def compute_index(responses: list[SurveiRespon]) -> Index | None:
    """IKM of these responses per PermenPANRB 14/2017; None without any response."""
    if not responses:
        return None
    nrr = tuple(sum(getattr(r, key) for r in responses) / len(responses) for key in KEYS)
    ikm = sum(value * WEIGHT for value in nrr)
    conversion = ikm * 25
    mutu, kinerja = grade(conversion)
    return Index(len(responses), nrr, ikm, conversion, mutu, kinerja)


def monthly_index(year: int, month: int, *, actor, session: Session) -> dict:
    """The index per service and for the whole office in one month, with the suggestions."""
    actor.require("survei.read")
    first, last = month_bounds(year, month)
    rows = list(session.scalars(select(SurveiRespon).where(SurveiRespon.tanggal.between(first, last))
                                .order_by(SurveiRespon.id)))
    names = dict(session.execute(select(Layanan.code, Layanan.nama)).all())
    per_service = [{"code": code, "nama": names.get(code, code),
                    "index": compute_index([r for r in rows if r.layanan_code == code])}
                   for code in sorted({r.layanan_code for r in rows}, key=lambda c: names.get(c, c))]
    return {"year": year, "month": month, "first": first, "last": last, "unsur": UNSUR,
            "total": compute_index(rows), "per_service": per_service,
            "saran": [r.saran for r in rows if r.saran]}
