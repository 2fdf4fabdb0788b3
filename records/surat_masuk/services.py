"""Incoming letters: the buku agenda, the dispositions and their follow-up, registers and reports.

Registering a letter (`register_letter`): every field is checked first (all problems at once,
in Indonesian), then a letter already in the book with the same sender and number stops the
clerk unless they confirm (`DuplicateLetterError`). Without a scan the letter, its agenda
number (register `agenda_surat_masuk`, gapless per year: `services.numbering.allocate`), the
creation step and the audit entry are one commit. With a scan, the adapter hands a `scan`
callable that runs the archive's ingest and calls back inside ingest's own transaction, so the
scan's record, its file, the letter, its number and (for a rahasia letter) the record's
readers are one commit: a crash before it leaves at worst an orphan file the fixity check
reports, never a letter without its scan nor a rahasia scan readable by all.

Moves go through `records.services.workflow_history.fire` (declared workflows `surat_masuk` and
`disposisi`); the caller of each service here commits nothing further.

Rahasia letters: visible only to those holding `surat_masuk.rahasia` through a role the
declaration names (the Camat; Admin's blanket grant does not open them) and to the people a
disposition names (as user or through the role/unit it was sent to) or who wrote one. Their
scans and attachments are restricted records (`RecordReader`), so the archive, the record
pages, file downloads, exports and search apply the same rule; the agenda book shows their
number and dates with the sender and subject hidden.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Select, column, exists, func, or_, select, table
from sqlalchemy.orm import Session

from records.actor import Actor, role_reader, user_reader
from records.declarations import Registry
from records.exceptions import NotFoundError, PermissionDeniedError, ValidationError
from records.models import IssuedNumber, Record, Register
from records.models.outbox import RECORD, enqueue
from records.services import workflow_history
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.klasifikasi import CURRENT_SCHEME, check_class
from records.services.numbering import allocate
from records.services.records import get_record, new_record, set_readers
from records.surat_masuk.models import (
    AgendaLama,
    Disposisi,
    InstruksiDisposisi,
    LaporanDisposisi,
    SuratMasuk,
)

LETTER, DISPOSITION = "surat_masuk", "disposisi"  # workflow names and history subjects
RECEIVED, DISPOSED, DONE, FILED = "diterima", "didisposisi", "selesai", "diarsipkan"
LETTER_INITIAL = RECEIVED
NEW, CLOSED_STATE = "baru", "selesai"
RAHASIA = "rahasia"
#: Sifat surat (Permendagri 1/2023 on naskah dinas: biasa, segera, sangat segera, rahasia).
SIFAT = {"biasa": "Biasa", "segera": "Segera", "sangat_segera": "Sangat Segera",
         "rahasia": "Rahasia"}
AGENDA_REGISTER = {"name": "agenda_surat_masuk", "title": "Buku Agenda Surat Masuk",
                   "unit": "Kec.KB", "number_format": "{urut}", "scheme": CURRENT_SCHEME}
OUTGOING_REGISTERS = ("surat_keluar", "surat_keluar_lama", "keputusan")
#: Shipped instructions of the lembar disposisi; an office edits them (`save_instruction`).
DEFAULT_INSTRUCTIONS = (
    ("tindak_lanjuti", "Tindak lanjuti"), ("hadiri", "Hadiri"), ("pelajari", "Pelajari"),
    ("laporkan", "Laporkan"), ("arsipkan", "Arsipkan"), ("koordinasikan", "Koordinasikan"),
    ("siapkan_jawaban", "Siapkan jawaban"), ("untuk_diketahui", "Untuk diketahui"),
    ("edarkan", "Edarkan"), ("wakili", "Wakili"),
)
MAX = {"pengirim": 200, "nomor_surat": 120, "perihal": 500, "lampiran": 100, "catatan": 2000}
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")
_SPACES = re.compile(r"\s+")
USERS = table("ab_user", column("username"), column("active"))


class DuplicateLetterError(ValidationError):
    """A letter with the same sender and number is already in the book; confirm to add it."""

    http_status = 409

    def __init__(self, message: str, duplicates: list[SuratMasuk]):
        super().__init__(message, {"konfirmasi_duplikat": message})
        self.duplicates = duplicates


@dataclass
class ScanOutcome:
    """What the archive's ingest answered for a letter's scan (status as the archive's)."""

    status: str
    reason: str = ""
    record_id: int | None = None


#: The adapter's way into the archive: `scan(values, then)` ingests the file with the archival
#: `values` and calls `then(record)` inside ingest's transaction before it commits.
ScanIngest = Callable[[dict, Callable[[Record], None]], ScanOutcome]


# --- seeds ----------------------------------------------------------------------------------

def seed(session: Session) -> None:
    """The agenda register and the default instructions that are missing; commit."""
    _agenda_register(session)
    known = set(session.scalars(select(InstruksiDisposisi.kode)))
    for order, (kode, teks) in enumerate(DEFAULT_INSTRUCTIONS, start=1):
        if kode not in known:
            session.add(InstruksiDisposisi(kode=kode, teks=teks, urutan=order * 10, aktif=True))
    session.commit()


def _agenda_register(session: Session) -> Register:
    found = session.scalar(select(Register).where(Register.name == AGENDA_REGISTER["name"]))
    if found is None:
        unit = session.scalar(select(Register.unit).where(Register.name == "surat_keluar"))
        found = Register(**{**AGENDA_REGISTER, "unit": unit or AGENDA_REGISTER["unit"]})
        session.add(found)
        session.flush()
    return found


# --- who sees what --------------------------------------------------------------------------

def sees_all_rahasia(actor: Actor, registry: Registry) -> bool:
    """True when a declared holder role of `surat_masuk.rahasia` is the actor's."""
    declared = registry.permissions["surat_masuk.rahasia"].roles
    return actor.can("surat_masuk.rahasia") and bool(actor.roles & declared)


def _names_actor(actor: Actor):
    """SQL: a disposition written by, or sent to, the actor (as user or through a role)."""
    return or_(Disposisi.kepada_user == actor.username, Disposisi.dari == actor.username,
               Disposisi.kepada_role.in_(sorted(actor.roles)))


def _involved(actor: Actor):
    return exists(select(Disposisi.id).where(Disposisi.surat_id == SuratMasuk.id,
                                             _names_actor(actor)))


def _visible(actor: Actor, registry: Registry):
    """Letters the actor may see: the book with `surat_masuk.read`, else only those disposed
    to them; rahasia ones only for the declared holders and the people named."""
    query = select(SuratMasuk)
    if not actor.can("surat_masuk.read"):
        if not actor.can("surat_masuk.follow"):
            raise PermissionDeniedError("Anda tidak berwenang (surat_masuk.read).")
        query = query.where(_involved(actor))
    if not sees_all_rahasia(actor, registry):
        query = query.where(or_(SuratMasuk.sifat != RAHASIA, _involved(actor)))
    return query


def may_see(actor: Actor, surat: SuratMasuk, registry: Registry) -> bool:
    """Whether the actor may open this letter (the rules of `_visible`, for one row)."""
    named = any(d.kepada_user == actor.username or d.dari == actor.username
                or (d.kepada_role or "") in actor.roles for d in surat.disposisi)
    if not actor.can("surat_masuk.read") and not (actor.can("surat_masuk.follow") and named):
        return False
    return surat.sifat != RAHASIA or named or sees_all_rahasia(actor, registry)


def readers_of(surat: SuratMasuk, registry: Registry) -> set[str]:
    """Who may read a rahasia letter's scans: the declared holder roles and everyone named."""
    found = {role_reader(r) for r in registry.permissions["surat_masuk.rahasia"].roles}
    for d in surat.disposisi:
        found.add(user_reader(d.dari))
        found.add(user_reader(d.kepada_user) if d.kepada_user else role_reader(d.kepada_role or ""))
    return found


def _restrict(session: Session, surat: SuratMasuk, registry: Registry) -> None:
    """Give a rahasia letter's scan and attachments its current readers (re-indexed)."""
    if surat.sifat != RAHASIA:
        return
    session.flush()
    readers = readers_of(surat, registry)
    ids = {surat.record_id} | {lap.record_id for d in surat.disposisi for lap in d.laporan}
    for record_id in sorted(i for i in ids if i):
        set_readers(session, record_id, readers)


# --- reading --------------------------------------------------------------------------------

def list_letters(*, actor: Actor, session: Session, registry: Registry, tahun: int | None = None,
                 state: str = "", teks: str = "", limit: int = 200) -> list[SuratMasuk]:
    """Letters the actor may see, newest agenda number first."""
    query = _visible(actor, registry)
    if tahun:
        query = query.where(SuratMasuk.tahun == tahun)
    if state:
        query = query.where(SuratMasuk.state == state)
    if teks.strip():
        like = f"%{teks.strip()[:100]}%"
        query = query.where(or_(SuratMasuk.pengirim.ilike(like), SuratMasuk.perihal.ilike(like),
                                SuratMasuk.nomor_surat.ilike(like)))
    return list(session.scalars(query.order_by(SuratMasuk.tahun.desc(),
                                               SuratMasuk.nomor_agenda.desc()).limit(limit)))


def get_letter(surat_id: object, *, actor: Actor, session: Session,
               registry: Registry) -> SuratMasuk:
    """One letter the actor may see; any other answers 'not found'."""
    if not (isinstance(surat_id, int) and 0 < surat_id < 2**31):
        raise NotFoundError("Surat masuk tidak ditemukan.")
    surat = session.scalar(_visible(actor, registry).where(SuratMasuk.id == surat_id))
    if surat is None:
        raise NotFoundError("Surat masuk tidak ditemukan.")
    return surat


def view_letter(surat_id: object, *, actor: Actor, session: Session, registry: Registry,
                channel: str = "web") -> SuratMasuk:
    """Open a letter and write the reading to the audit trail; commit."""
    surat = get_letter(surat_id, actor=actor, session=session, registry=registry)
    record_event(session, actor, "surat_masuk.view", object_type=LETTER, object_id=surat.id,
                 detail={"channel": channel, "sifat": surat.sifat})
    session.commit()
    return surat


def find_duplicates(session: Session, pengirim: str, nomor_surat: str) -> list[SuratMasuk]:
    """Letters already in the book from the same sender with the same number."""
    key = duplicate_key(pengirim, nomor_surat)
    return list(session.scalars(select(SuratMasuk).where(SuratMasuk.kunci_duplikat == key)
                                .order_by(SuratMasuk.id)))


def duplicate_key(pengirim: str, nomor_surat: str) -> str:
    """Sender and number compared without case, spaces or punctuation around them."""
    def norm(text: str) -> str:
        return _SPACES.sub(" ", (text or "").strip().lower()).strip(" .,")
    return f"{norm(pengirim)}|{norm(nomor_surat).replace(' ', '')}"[:330]


# --- registering ----------------------------------------------------------------------------

def parse_date(raw: object, name: str, errors: dict) -> dt.date | None:
    """A date as typed (2026-03-02, 02-03-2026, 02/03/2026) or given; errors in Indonesian."""
    if isinstance(raw, dt.date):
        return raw
    text = str(raw or "").strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors[name] = "Tanggal tidak dikenal; tulis 2026-03-02 atau 02-03-2026."
    return None


def clean_letter(values: dict, *, session: Session, today: dt.date) -> dict:
    """The letter's fields, trimmed and checked; every problem at once."""
    errors: dict[str, str] = {}
    out: dict[str, object] = {}
    for name, limit in MAX.items():
        text = str(values.get(name) or "").strip()
        if "\x00" in text:
            errors[name] = "Teks berisi karakter yang tidak sah."
        elif len(text) > limit:
            errors[name] = f"Paling banyak {limit} karakter."
        out[name] = text
    for name, label in (("pengirim", "Pengirim"), ("nomor_surat", "Nomor surat"),
                        ("perihal", "Perihal")):
        if not out[name] and name not in errors:
            errors[name] = f"{label} wajib diisi."
    sifat = str(values.get("sifat") or "biasa").strip().lower().replace(" ", "_")
    if sifat not in SIFAT:
        errors["sifat"] = "Pilih sifat surat: biasa, segera, sangat segera atau rahasia."
    out["sifat"] = sifat
    tanggal = parse_date(values.get("tanggal_surat"), "tanggal_surat", errors)
    if tanggal is None and "tanggal_surat" not in errors:
        errors["tanggal_surat"] = "Tanggal surat wajib diisi."
    elif tanggal is not None and tanggal > today:
        errors["tanggal_surat"] = "Tanggal surat tidak boleh di masa depan."
    elif tanggal is not None and tanggal.year < 1900:
        errors["tanggal_surat"] = "Tanggal surat sebelum tahun 1900."
    diterima = parse_date(values.get("tanggal_terima"), "tanggal_terima", errors) or today
    if diterima > today:
        errors["tanggal_terima"] = "Tanggal diterima tidak boleh di masa depan."
    elif tanggal is not None and diterima < tanggal:
        errors["tanggal_terima"] = "Tanggal diterima tidak boleh sebelum tanggal surat."
    out["tanggal_surat"], out["tanggal_terima"] = tanggal, diterima
    code = str(values.get("klasifikasi") or "").strip()
    out["skema_code"] = CURRENT_SCHEME
    out["klasifikasi"] = ""
    if code:
        try:
            out["klasifikasi"] = check_class(session, CURRENT_SCHEME, code[:40])
        except ValidationError as exc:
            errors["klasifikasi"] = exc.errors.get("klasifikasi", str(exc))
    if errors:
        raise ValidationError("Data surat masuk belum benar: " + "; ".join(errors.values()), errors)
    return out


def register_letter(values: dict, *, actor: Actor, session: Session, registry: Registry,
                    today: dt.date, scan: ScanIngest | None = None,
                    confirm_duplicate: bool = False) -> SuratMasuk:
    """Enter a letter in the buku agenda (with its scan when `scan` is given); commit.

    Raises ValidationError (nothing saved) for bad fields or a refused scan, and
    DuplicateLetterError when the same sender and number are already in the book and the
    clerk has not confirmed.
    """
    actor.require("surat_masuk.register")
    clean = clean_letter(values, session=session, today=today)
    duplicates = find_duplicates(session, str(clean["pengirim"]), str(clean["nomor_surat"]))
    if duplicates and not confirm_duplicate:
        first = duplicates[0]
        raise DuplicateLetterError(
            f"Surat dari {clean['pengirim']} nomor {clean['nomor_surat']} sudah tercatat "
            f"(agenda {first.nomor_agenda}/{first.tahun}). Centang konfirmasi bila memang "
            "surat yang berbeda.", duplicates)
    made: list[SuratMasuk] = []

    def enter(record: Record | None) -> None:
        made.append(_enter(clean, duplicates, record, actor=actor, session=session,
                           registry=registry))

    if scan is None:
        enter(None)
        session.commit()
        return made[0]
    archival = {"judul": f"Surat masuk — {clean['perihal']}"[:200] if clean["sifat"] != RAHASIA
                else "Surat masuk (rahasia)",
                "klasifikasi": clean["klasifikasi"],
                "tanggal": clean["tanggal_surat"].isoformat()}
    outcome = scan(archival, enter)
    if outcome.status != "diimpor" or not made:
        session.rollback()
        raise ValidationError(f"Pindaian surat ditolak: {outcome.reason or outcome.status}. "
                              "Surat belum dicatat.", {"berkas": outcome.reason or outcome.status})
    return made[0]


def _enter(clean: dict, duplicates: list[SuratMasuk], record: Record | None, *, actor: Actor,
           session: Session, registry: Registry) -> SuratMasuk:
    """Number, row, creation step, readers and audit entry (the caller commits)."""
    _agenda_register(session)
    received: dt.date = clean["tanggal_terima"]
    number = allocate(session, AGENDA_REGISTER["name"], kode=clean["klasifikasi"], on=received,
                      actor=actor, kind="agenda", record_id=record.id if record else None,
                      note=f"Surat masuk dari {clean['pengirim']}"[:200]
                      if clean["sifat"] != RAHASIA else "Surat masuk (rahasia)")
    taken = session.scalar(select(SuratMasuk.id).where(SuratMasuk.tahun == received.year,
                                                      SuratMasuk.nomor_agenda == number.sequence))
    if taken is not None:
        # a line of an old agenda book imported above the register's last number (the import
        # refuses that for the years Lemari numbers; a late letter of an earlier year can
        # still meet one): a clear refusal instead of the unique constraint's error
        raise ValidationError(
            f"Nomor agenda {number.sequence}/{received.year} sudah dipakai baris buku agenda "
            f"lama yang diimpor. Admin perlu melanjutkan register {AGENDA_REGISTER['title']} "
            f"tahun {received.year} dari nomor terakhir buku kertas (Pindah ke Lemari); "
            "surat belum dicatat.", {"tanggal_terima": "Nomor agenda tahun itu sudah terpakai."})
    now = utc_now()
    surat = SuratMasuk(tahun=received.year, nomor_agenda=number.sequence,
                       pengirim=clean["pengirim"], nomor_surat=clean["nomor_surat"],
                       kunci_duplikat=duplicate_key(clean["pengirim"], clean["nomor_surat"]),
                       tanggal_surat=clean["tanggal_surat"], perihal=clean["perihal"],
                       sifat=clean["sifat"], skema_code=clean["skema_code"],
                       klasifikasi=clean["klasifikasi"], lampiran=clean["lampiran"],
                       tanggal_terima=received, catatan=clean["catatan"],
                       duplikat_dari=duplicates[0].id if duplicates else None,
                       state=LETTER_INITIAL, record_id=record.id if record else None,
                       dicatat_oleh=actor.username, dicatat_pada=now)
    session.add(surat)
    session.flush()
    workflow_history.remember(session, LETTER, surat.id, "catat", None, LETTER_INITIAL,
                              actor.username, f"Agenda {surat.nomor_agenda}/{surat.tahun}", at=now)
    record_event(session, actor, "surat_masuk.catat", object_type=LETTER, object_id=surat.id,
                 detail={"agenda": f"{surat.nomor_agenda}/{surat.tahun}", "sifat": surat.sifat,
                         "record_id": surat.record_id, "duplikat_dari": surat.duplikat_dari})
    _restrict(session, surat, registry)
    return surat


# --- instructions ---------------------------------------------------------------------------

def instructions(session: Session, *, active_only: bool = True) -> list[InstruksiDisposisi]:
    """The instruction list in its order."""
    query = select(InstruksiDisposisi)
    if active_only:
        query = query.where(InstruksiDisposisi.aktif.is_(True))
    return list(session.scalars(query.order_by(InstruksiDisposisi.urutan, InstruksiDisposisi.id)))


def save_instruction(kode: str, teks: str, *, aktif: bool, actor: Actor, session: Session,
                     urutan: int | None = None) -> InstruksiDisposisi:
    """Add or change one instruction of the list (deactivate instead of delete); commit."""
    actor.require("surat_masuk.manage")
    kode, teks = (kode or "").strip().lower(), (teks or "").strip()
    errors = {}
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", kode):
        errors["kode"] = "Kode 2–40 huruf kecil, angka atau garis bawah."
    if not 2 <= len(teks) <= 100:
        errors["teks"] = "Teks instruksi 2–100 karakter."
    if errors:
        raise ValidationError("Instruksi belum benar.", errors)
    found = session.scalar(select(InstruksiDisposisi).where(InstruksiDisposisi.kode == kode))
    if found is None:
        last = session.scalar(select(func.max(InstruksiDisposisi.urutan))) or 0
        found = InstruksiDisposisi(kode=kode, teks=teks, urutan=urutan or last + 10, aktif=aktif)
        session.add(found)
    else:
        found.teks, found.aktif = teks, aktif
        if urutan is not None:
            found.urutan = urutan
    record_event(session, actor, "surat_masuk.instruksi", object_type="instruksi_disposisi",
                 object_id=kode, detail={"teks": teks, "aktif": aktif})
    session.commit()
    return found


# --- dispositions ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    """A user (`user`) or every holder of a role, i.e. a unit (`role`)."""

    kind: str
    name: str

    @property
    def label(self) -> str:
        return self.name if self.kind == "user" else f"{self.name} (unit)"


def parse_recipients(raw: Iterable[str]) -> list[Recipient]:
    """'sekcam', 'user:sekcam' or 'unit:Petugas Pelayanan' (also 'role:…'); blanks skipped."""
    found: list[Recipient] = []
    for item in raw:
        text = str(item or "").strip()
        if not text:
            continue
        kind, sep, name = text.partition(":")
        if sep and kind in ("unit", "role"):
            found.append(Recipient("role", name.strip()))
        elif sep and kind == "user":
            found.append(Recipient("user", name.strip()))
        else:
            found.append(Recipient("user", text))
    return list(dict.fromkeys(found))


def _check_recipients(recipients: list[Recipient], session: Session, registry: Registry,
                      errors: dict) -> None:
    if not recipients:
        errors["kepada"] = "Disposisi harus ditujukan kepada sedikitnya satu penerima."
        return
    active = set(session.scalars(select(USERS.c.username).where(USERS.c.active.is_(True))))
    for r in recipients:
        if r.kind == "user" and r.name not in active:
            errors["kepada"] = f"Pengguna '{r.name[:64]}' tidak dikenal atau tidak aktif."
        elif r.kind == "role" and r.name not in registry.roles:
            errors["kepada"] = f"Unit/peran '{r.name[:64]}' tidak dikenal."


def _check_instructions(codes: list[str], note: str, session: Session, errors: dict) -> list[str]:
    known = {i.kode: i.teks for i in instructions(session)}
    chosen = [c for c in dict.fromkeys(str(c).strip() for c in codes) if c]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        errors["instruksi"] = f"Instruksi tidak dikenal: {', '.join(u[:40] for u in unknown)}."
    elif not chosen and not note:
        errors["instruksi"] = "Pilih sedikitnya satu instruksi atau tulis catatan."
    if len(note) > MAX["catatan"]:
        errors["catatan"] = f"Catatan paling banyak {MAX['catatan']} karakter."
    return [known[c] for c in chosen if c in known]


def dispose(surat_id: int, *, kepada: Iterable[str], instruksi: Iterable[str], catatan: str,
            batas_waktu: object, actor: Actor, session: Session, registry: Registry,
            today: dt.date, induk_id: int | None = None) -> list[Disposisi]:
    """Dispose a letter (or forward the disposition `induk_id` one holds) to each recipient;
    commit. A disposition to nobody, an unknown instruction or a past deadline saves nothing."""
    surat = get_letter(surat_id, actor=actor, session=session, registry=registry)
    induk = _own_disposition(induk_id, surat, actor) if induk_id is not None else None
    if induk is None:
        actor.require("surat_masuk.dispose")
        if not actor.roles & registry.permissions["surat_masuk.dispose"].roles:
            raise PermissionDeniedError("Hanya pejabat yang ditetapkan yang dapat mendisposisikan.")
    if surat.state not in (RECEIVED, DISPOSED):
        raise ValidationError("Surat ini sudah selesai atau diarsipkan; tidak dapat didisposisikan.")
    errors: dict[str, str] = {}
    recipients = parse_recipients(kepada)
    _check_recipients(recipients, session, registry, errors)
    note = (catatan or "").strip()
    texts = _check_instructions(list(instruksi), note, session, errors)
    deadline = parse_date(batas_waktu, "batas_waktu", errors)
    if deadline is None and "batas_waktu" not in errors:
        errors["batas_waktu"] = "Batas waktu wajib diisi."
    elif deadline is not None and deadline < today:
        errors["batas_waktu"] = "Batas waktu sudah lewat; pilih hari ini atau sesudahnya."
    if errors or deadline is None:
        raise ValidationError("Disposisi belum benar: " + "; ".join(errors.values()), errors)
    workflows = registry.workflows
    if induk is not None:
        workflow_history.fire(session, induk, workflows[DISPOSITION], "teruskan",
                              subject=DISPOSITION, actor=actor,
                              note="Diteruskan kepada " + ", ".join(r.label for r in recipients))
    elif surat.state == RECEIVED:
        workflow_history.fire(session, surat, workflows[LETTER], "disposisikan", subject=LETTER,
                              actor=actor, note=", ".join(r.label for r in recipients))
    now = utc_now()
    made = []
    for r in recipients:
        row = Disposisi(surat_id=surat.id, induk_id=induk.id if induk else None,
                        dari=actor.username, kepada_user=r.name if r.kind == "user" else None,
                        kepada_role=r.name if r.kind == "role" else None, instruksi=texts,
                        catatan=note, batas_waktu=deadline, state=NEW, dibuat_pada=now)
        session.add(row)
        session.flush()
        surat.disposisi.append(row)
        workflow_history.remember(session, DISPOSITION, row.id, "buat", None, NEW,
                                  actor.username, note, at=now)
        record_event(session, actor, "disposisi.buat", object_type=DISPOSITION, object_id=row.id,
                     detail={"surat": surat.id, "kepada": r.label, "instruksi": texts,
                             "batas_waktu": deadline.isoformat(),
                             "induk": induk.id if induk else None})
        made.append(row)
    _restrict(session, surat, registry)
    session.commit()
    return made


def _holds(actor: Actor, d: Disposisi) -> bool:
    return d.kepada_user == actor.username or (d.kepada_role or "") in actor.roles


def _own_disposition(disposisi_id: object, surat: SuratMasuk | None, actor: Actor) -> Disposisi:
    found = next((d for d in (surat.disposisi if surat else []) if d.id == disposisi_id), None)
    if found is None:
        raise NotFoundError("Disposisi tidak ditemukan.")
    if not _holds(actor, found):
        raise PermissionDeniedError("Disposisi ini bukan untuk Anda.")
    actor.require("surat_masuk.follow")
    return found


def get_disposition(disposisi_id: object, *, actor: Actor, session: Session,
                    registry: Registry) -> Disposisi:
    """A disposition of a letter the actor may see."""
    row = session.get(Disposisi, disposisi_id) if isinstance(disposisi_id, int) \
        and 0 < disposisi_id < 2**31 else None
    if row is None:
        raise NotFoundError("Disposisi tidak ditemukan.")
    get_letter(row.surat_id, actor=actor, session=session, registry=registry)
    return row


Attach = Callable[[dict, Callable[[Record], None]], ScanOutcome]


def act(disposisi_id: int, name: str, *, note: str, actor: Actor, session: Session,
        registry: Registry, attachment: Attach | None = None) -> Disposisi:
    """Take a step on a disposition one holds: `baca`, `laporkan` (a progress report, with an
    optional attachment archived as a scan) or `selesaikan`; commit. Closing the last open
    disposition of a letter moves the letter to `selesai`."""
    row = get_disposition(disposisi_id, actor=actor, session=session, registry=registry)
    row = _own_disposition(row.id, row.surat, actor)
    note = (note or "").strip()
    if len(note) > MAX["catatan"]:
        raise ValidationError("Catatan terlalu panjang.",
                              {"note": f"Paling banyak {MAX['catatan']} karakter."})
    if name == "teruskan":
        raise ValidationError("Teruskan disposisi dengan memilih penerima lanjutan.")
    workflow = registry.workflows[DISPOSITION]
    closes = name in {t.name for t in workflow.transitions if t.target == CLOSED_STATE}

    def step(record: Record | None) -> None:
        values = {"selesai_pada": utc_now(), "selesai_oleh": actor.username} if closes else None
        workflow_history.fire(session, row, workflow, name, subject=DISPOSITION, actor=actor,
                              note=note, values=values, detail={"surat": row.surat_id})
        if name == "laporkan" or record is not None:
            report = LaporanDisposisi(disposisi_id=row.id, isi=note or "(lampiran)",
                                      record_id=record.id if record else None,
                                      oleh=actor.username, pada=utc_now())
            session.add(report)
            row.laporan.append(report)
        if closes:
            _maybe_done(row.surat, actor, session, registry)
        _restrict(session, row.surat, registry)

    if attachment is None:
        step(None)
        session.commit()
        return row
    archival = {"judul": (f"Lampiran laporan disposisi surat agenda {row.surat.nomor_agenda}/"
                          f"{row.surat.tahun}")[:200], "klasifikasi": row.surat.klasifikasi}
    done: list[bool] = []

    def with_file(record: Record) -> None:
        step(record)
        done.append(True)

    outcome = attachment(archival, with_file)
    if outcome.status != "diimpor" or not done:
        session.rollback()
        raise ValidationError(f"Lampiran ditolak: {outcome.reason or outcome.status}. "
                              "Laporan belum disimpan.", {"berkas": outcome.reason or outcome.status})
    return row


def _maybe_done(surat: SuratMasuk, actor: Actor, session: Session, registry: Registry) -> None:
    """The letter is done when every disposition on it is closed (a system step)."""
    session.flush()
    if surat.state == DISPOSED and all(d.state == CLOSED_STATE for d in surat.disposisi):
        workflow_history.move(session, surat, registry.workflows[LETTER].transition("selesaikan"),
                              subject=LETTER, actor=actor.username,
                              note="Semua disposisi selesai")
        record_event(session, actor, "surat_masuk.selesai", object_type=LETTER, object_id=surat.id,
                     detail={"from": DISPOSED, "to": DONE})


def file_letter(surat_id: int, *, note: str, actor: Actor, session: Session,
                registry: Registry) -> SuratMasuk:
    """Archive a letter (from diterima, e.g. 'untuk diketahui', or once selesai); commit."""
    surat = get_letter(surat_id, actor=actor, session=session, registry=registry)
    workflow_history.fire(session, surat, registry.workflows[LETTER], "arsipkan", subject=LETTER,
                          actor=actor, note=(note or "").strip()[:MAX["catatan"]])
    session.commit()
    return surat


def worklist_query(actor: Actor, *, open_only: bool = True) -> Select:
    """SQL of the dispositions sent to the actor (as user or through one of their roles),
    soonest deadline first; the home page counts it without loading a row."""
    query = select(Disposisi).where(or_(Disposisi.kepada_user == actor.username,
                                        Disposisi.kepada_role.in_(sorted(actor.roles))))
    if open_only:
        query = query.where(Disposisi.state != CLOSED_STATE)
    return query.order_by(Disposisi.batas_waktu, Disposisi.id)


def worklist(*, actor: Actor, session: Session, open_only: bool = True) -> list[Disposisi]:
    """Dispositions sent to the actor, soonest deadline first."""
    return list(session.scalars(worklist_query(actor, open_only=open_only)))


def worklist_count(*, actor: Actor, session: Session) -> int:
    """How many open dispositions wait for the actor (for a badge on the home page)."""
    if not actor.can("surat_masuk.follow"):
        return 0
    return len(worklist(actor=actor, session=session))


def chain(surat: SuratMasuk) -> list[tuple[int, Disposisi]]:
    """The letter's dispositions as (depth, row), each forwarded one under its parent."""
    children: dict[int | None, list[Disposisi]] = {}
    for d in surat.disposisi:
        children.setdefault(d.induk_id, []).append(d)
    out: list[tuple[int, Disposisi]] = []

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            out.append((depth, d))
            walk(d.id, depth + 1)
    walk(None, 0)
    return out


# --- replies --------------------------------------------------------------------------------

REPLY_TYPES = ("surat_dinas", "surat_undangan")


def draft_reply(surat_id: int, *, doctype: str, actor: Actor, session: Session,
                registry: Registry, policy: dict | None = None) -> Record:
    """Open a naskah dinas draft answering the letter, linked both ways; commit."""
    surat = get_letter(surat_id, actor=actor, session=session, registry=registry)
    if surat.balasan_record_id is not None:
        raise ValidationError(f"Surat ini sudah punya balasan (dokumen #{surat.balasan_record_id}).")
    if doctype not in REPLY_TYPES or doctype not in registry.document_types:
        raise ValidationError("Jenis naskah balasan tidak dikenal.")
    sifat = SIFAT[surat.sifat] if surat.sifat != "biasa" else "Biasa"
    data = {"sifat": sifat, "lampiran": "", "hal": f"Balasan: {surat.perihal}"[:200],
            "tujuan": surat.pengirim[:200], "tempat_tujuan": "Tempat",
            "isi": (f"Menindaklanjuti surat {surat.pengirim} Nomor {surat.nomor_surat} tanggal "
                    f"{surat.tanggal_surat:%d-%m-%Y} perihal {surat.perihal}, dengan ini kami "
                    "sampaikan hal-hal sebagai berikut."),
            "klasifikasi": surat.klasifikasi or registry.document_types[doctype].klasifikasi,
            "balasan_surat_masuk": f"{surat.nomor_agenda}/{surat.tahun}"}
    data = {k: v for k, v in data.items() if k in _field_names(registry, doctype) or k == "klasifikasi"}
    record = new_record(doctype, data, penduduk_id=None, actor=actor, session=session,
                        registry=registry, policy=policy)
    _link(surat, record, actor, session, registry)
    session.commit()
    return record


def _field_names(registry: Registry, doctype: str) -> set[str]:
    return {f.name for f in registry.document_types[doctype].fields}


def link_reply(surat_id: int, record_id: int, *, actor: Actor, session: Session,
               registry: Registry) -> SuratMasuk:
    """Link an existing naskah dinas as the letter's reply; commit."""
    surat = get_letter(surat_id, actor=actor, session=session, registry=registry)
    record = get_record(record_id, actor=actor, session=session)
    if record.doctype not in REPLY_TYPES:
        raise ValidationError("Balasan harus berupa naskah dinas (surat dinas atau undangan).")
    _link(surat, record, actor, session, registry)
    session.commit()
    return surat


def _link(surat: SuratMasuk, record: Record, actor: Actor, session: Session,
          registry: Registry) -> None:
    actor.require("record.create")
    surat.balasan_record_id = record.id
    record.data = {**(record.data or {}), "balasan_surat_masuk_id": surat.id}
    if surat.sifat == RAHASIA:
        set_readers(session, record.id, readers_of(surat, registry))
    record_event(session, actor, "surat_masuk.balasan", object_type=LETTER, object_id=surat.id,
                 detail={"record_id": record.id})
    enqueue(session, RECORD, record.id)


def reply_of(session: Session, record_id: int) -> SuratMasuk | None:
    """The letter a naskah dinas answers (for the record page's link back)."""
    return session.scalar(select(SuratMasuk).where(SuratMasuk.balasan_record_id == record_id))


# --- registers and reports ------------------------------------------------------------------

HIDDEN = "(rahasia)"
IMPORTED_MARK = "Diimpor dari buku agenda"


@dataclass
class AgendaRow:
    """One line of the buku agenda surat masuk as the actor may see it."""

    nomor_agenda: str
    tanggal_terima: dt.date
    pengirim: str
    nomor_surat: str
    tanggal_surat: dt.date | None
    perihal: str
    sifat: str
    klasifikasi: str
    disposisi: str
    status: str
    surat_id: int | None = None
    extra: dict = field(default_factory=dict)


def agenda_masuk(first: dt.date, last: dt.date, *, actor: Actor, session: Session,
                 registry: Registry) -> list[AgendaRow]:
    """The buku agenda surat masuk for a period, in number order: every number appears (the
    register is gapless); a rahasia letter the actor may not read shows only its number, dates
    and sifat."""
    actor.require("surat_masuk.report")
    rows = list(session.scalars(select(SuratMasuk)
                                .where(SuratMasuk.tanggal_terima.between(first, last))
                                .order_by(SuratMasuk.tahun, SuratMasuk.nomor_agenda)))
    states = registry.workflows[LETTER].states
    imported = set(session.scalars(select(AgendaLama.surat_masuk_id).where(
        AgendaLama.surat_masuk_id.in_([s.id for s in rows])))) if rows else set()
    out = []
    for s in rows:
        shown = may_see(actor, s, registry)
        out.append(AgendaRow(
            nomor_agenda=f"{s.nomor_agenda}/{s.tahun}", tanggal_terima=s.tanggal_terima,
            pengirim=s.pengirim if shown else HIDDEN,
            nomor_surat=s.nomor_surat if shown else HIDDEN,
            tanggal_surat=s.tanggal_surat if shown else None,
            perihal=s.perihal if shown else HIDDEN, sifat=SIFAT[s.sifat],
            klasifikasi=s.klasifikasi if shown else "",
            disposisi=", ".join(sorted({d.kepada for d in s.disposisi if d.induk_id is None}))
            if shown else "",
            status=IMPORTED_MARK if s.id in imported else states.get(s.state, s.state),
            surat_id=s.id if shown else None, extra={"diimpor": s.id in imported}))
    return out


def agenda_keluar(first: dt.date, last: dt.date, *, actor: Actor, session: Session,
                  registry: Registry) -> list[dict]:
    """The buku agenda surat keluar: numbers taken from the outgoing registers in the period
    (issued naskah dinas and numbers reserved for letters typed elsewhere)."""
    actor.require("surat_masuk.report")
    start = dt.datetime.combine(first, dt.time.min)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)
    query = (select(IssuedNumber, Register.title, Record)
             .join(Register, Register.id == IssuedNumber.register_id)
             .outerjoin(Record, Record.id == IssuedNumber.record_id)
             .where(Register.name.in_(OUTGOING_REGISTERS), IssuedNumber.issued_at >= start,
                    IssuedNumber.issued_at < end)
             .order_by(IssuedNumber.issued_at, IssuedNumber.id))
    out = []
    for number, register, record in session.execute(query):
        hidden = record is not None and record.readers and not (
            {r.principal for r in record.readers} & actor.reader_principals())
        data = (record.data or {}) if record is not None and not hidden else {}
        out.append({"nomor": number.number, "tanggal": number.issued_at.date(), "register": register,
                    "kepada": data.get("tujuan", ""),
                    "perihal": HIDDEN if hidden else (data.get("hal") or number.note or
                                                      (record.title if record else "")),
                    "klasifikasi": number.klasifikasi, "record_id": None if hidden else number.record_id})
    return sorted(out + _old_outgoing(first, last, session), key=lambda r: r["tanggal"])


def _old_outgoing(first: dt.date, last: dt.date, session: Session) -> list[dict]:
    """Lines of old agenda books surat keluar sent in the period (`agenda_lama`): their
    original numbers, never in Lemari's registers."""
    lines = session.scalars(select(AgendaLama).where(AgendaLama.jenis == "keluar",
                                                     AgendaLama.tanggal.between(first, last))
                            .order_by(AgendaLama.tanggal, AgendaLama.id))
    return [{"nomor": line.nomor_surat, "tanggal": line.tanggal, "register": IMPORTED_MARK,
             "kepada": line.pihak, "perihal": line.perihal, "klasifikasi": line.klasifikasi,
             "record_id": line.record_id} for line in lines]


def is_overdue(d: Disposisi, today: dt.date) -> bool:
    """Still open after its deadline."""
    return d.state != CLOSED_STATE and d.batas_waktu < today


def disposition_report(*, actor: Actor, session: Session, registry: Registry,
                       today: dt.date) -> dict:
    """Open and overdue dispositions per recipient, the overdue list, and the average days
    from disposition to close (of those the actor may see)."""
    actor.require("surat_masuk.report")
    rows = [d for d in session.scalars(select(Disposisi).order_by(Disposisi.id))
            if may_see(actor, d.surat, registry)]
    per: dict[str, dict] = {}
    for d in rows:
        entry = per.setdefault(d.kepada, {"kepada": d.kepada, "terbuka": 0, "terlambat": 0,
                                          "selesai": 0})
        if d.state == CLOSED_STATE:
            entry["selesai"] += 1
        else:
            entry["terbuka"] += 1
            entry["terlambat"] += is_overdue(d, today)
    days = [(d.selesai_pada - d.dibuat_pada).total_seconds() / 86400 for d in rows
            if d.selesai_pada is not None]
    return {"per_penerima": sorted(per.values(), key=lambda e: (-e["terlambat"], e["kepada"])),
            "terlambat": [d for d in rows if is_overdue(d, today)],
            "rata_rata_hari": round(statistics.mean(days), 1) if days else None,
            "jumlah_selesai": len(days), "today": today}


# --- printed and exported -------------------------------------------------------------------

AGENDA_IN_HEADER = ("No. Agenda", "Tanggal diterima", "Pengirim", "Nomor surat", "Tanggal surat",
                    "Perihal", "Sifat", "Klasifikasi", "Disposisi kepada", "Status")
AGENDA_OUT_HEADER = ("Nomor", "Tanggal", "Register", "Kepada", "Perihal", "Klasifikasi")


def _audit_export(session: Session, actor: Actor, what: str, first: dt.date, last: dt.date) -> None:
    record_event(session, actor, "surat_masuk.ekspor", object_type="buku_agenda",
                 detail={"format": what, "dari": first.isoformat(), "sampai": last.isoformat()})
    session.commit()


def agenda_xlsx(first: dt.date, last: dt.date, *, actor: Actor, session: Session,
                registry: Registry) -> bytes:
    """Buku agenda surat masuk and surat keluar of a period as one workbook; audited."""
    from records.spreadsheets import workbook_bytes

    masuk = agenda_masuk(first, last, actor=actor, session=session, registry=registry)
    keluar = agenda_keluar(first, last, actor=actor, session=session, registry=registry)
    data = workbook_bytes([
        ("Surat Masuk", AGENDA_IN_HEADER,
         [(r.nomor_agenda, r.tanggal_terima, r.pengirim, r.nomor_surat, r.tanggal_surat or "",
           r.perihal, r.sifat, r.klasifikasi, r.disposisi, r.status) for r in masuk]),
        ("Surat Keluar", AGENDA_OUT_HEADER,
         [(r["nomor"], r["tanggal"], r["register"], r["kepada"], r["perihal"], r["klasifikasi"])
          for r in keluar]),
    ])
    _audit_export(session, actor, "xlsx", first, last)
    return data


def agenda_pdf(first: dt.date, last: dt.date, *, actor: Actor, session: Session, desk) -> bytes:
    """Buku agenda surat masuk and surat keluar of a period as a PDF (A4 landscape); audited."""
    masuk = agenda_masuk(first, last, actor=actor, session=session, registry=desk.registry)
    keluar = agenda_keluar(first, last, actor=actor, session=session, registry=desk.registry)
    title = f"Buku Agenda Surat {first:%d-%m-%Y} s.d. {last:%d-%m-%Y}"
    metadata = desk.metadata_factory(title=title, author=desk.office["name"], subject=title,
                                     document_type="buku_agenda", issue_date=desk.today(),
                                     office=desk.office["name"])
    pdf = desk.renderer.render("surat_masuk/buku_agenda.html",
                               {"masuk": masuk, "keluar": keluar, "first": first, "last": last,
                                "office": desk.office, "made_on": desk.today(),
                                "made_by": actor.username, "title": title},
                               paper="A4", metadata=metadata).pdf
    _audit_export(session, actor, "pdf", first, last)
    return pdf


def lembar_disposisi_pdf(surat_id: int, *, actor: Actor, session: Session, desk) -> bytes:
    """The printable lembar disposisi of a letter (its data and the whole chain); audited."""
    surat = get_letter(surat_id, actor=actor, session=session, registry=desk.registry)
    title = f"Lembar Disposisi Agenda {surat.nomor_agenda}/{surat.tahun}"
    metadata = desk.metadata_factory(title=title, author=desk.office["name"], subject=title,
                                     document_type="lembar_disposisi", issue_date=desk.today(),
                                     office=desk.office["name"])
    options = [i.teks for i in instructions(session)]
    letter = {k: getattr(surat, k) for k in ("pengirim", "nomor_surat", "tanggal_surat", "perihal",
                                              "lampiran", "klasifikasi", "tanggal_terima",
                                              "nomor_agenda", "tahun")}
    states = desk.registry.workflows[DISPOSITION].states
    rows = [(depth, {"dari": d.dari, "kepada": d.kepada, "instruksi": list(d.instruksi or []),
                     "catatan": d.catatan, "batas_waktu": d.batas_waktu,
                     "state": states.get(d.state, d.state),
                     "dibuat": desk.local_time(d.dibuat_pada).strftime("%d-%m-%Y %H:%M")})
            for depth, d in chain(surat)]
    pdf = desk.renderer.render("surat_masuk/lembar_disposisi.html",
                               {"s": letter, "sifat": SIFAT[surat.sifat], "chain": rows,
                                "options": options, "office": desk.office, "title": title,
                                "made_on": desk.today()},
                               paper="A4", metadata=metadata).pdf
    record_event(session, actor, "surat_masuk.cetak_disposisi", object_type=LETTER,
                 object_id=surat.id, detail={"sifat": surat.sifat})
    session.commit()
    return pdf


def read_scan(surat_id: int, record_id: int, *, actor: Actor, session: Session,
              registry: Registry, blobs) -> tuple[object, str]:
    """The stored file of the letter's scan or of a report's attachment, for anyone who may
    see the letter (a disposition's recipient needs no archive right to read what they were
    sent); checked against its hash and audited."""
    from records.models import RecordFile

    surat = get_letter(surat_id, actor=actor, session=session, registry=registry)
    owned = {surat.record_id} | {lap.record_id for d in surat.disposisi for lap in d.laporan}
    if not record_id or record_id not in owned:
        raise NotFoundError("Berkas tidak ditemukan.")
    stored = session.scalar(select(RecordFile).where(RecordFile.record_id == record_id)
                            .order_by(RecordFile.id.desc()).limit(1))
    if stored is None:
        raise NotFoundError("Berkas tidak ditemukan.")
    if not blobs.verify(stored.sha256):
        raise NotFoundError("Berkas rusak (tidak sesuai hash); pulihkan dari cadangan.")
    record_event(session, actor, "surat_masuk.unduh", object_type=LETTER, object_id=surat.id,
                 detail={"record_id": record_id, "sha256": stored.sha256, "sifat": surat.sifat})
    session.commit()
    return blobs.open(stored.sha256), f"surat-masuk-{surat.nomor_agenda}-{surat.tahun}-{record_id}"
