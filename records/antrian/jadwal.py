"""Appointments (jadwal layanan): booked places in a service's daily slots, turned into queue
tickets on the day.

Who books: a clerk for a caller on the phone, an Operator Desa for a resident of their desa, a
citizen at the kiosk (for a later day) or on the public page. Each slot (`JadwalLayanan`, set
by Admin/Camat as data) has a quota; the reserved window is for lansia, disabilitas and ibu
hamil only (UU 25/2009 Pasal 29, docs/jadwal.md).

Concurrency, in the queue's lock order (records/antrian/services.py): every write here takes
the front office's write lock first (`serialise_writes`), then rows. The place itself is taken by a
conditional UPDATE (`terisi = terisi + 1 WHERE terisi < kuota`) that only one transaction can
win, so two clerks booking the last place at once never both get it; the second booking of a
NIK for the same service and day is refused by a unique constraint as well as by a check
(`_refuse_second`) that names the first booking's code only to staff who may see it.

The booking code is a bearer secret: whoever types it at the kiosk (`/antrian/hadir`) checks
the booking in, and `/lacak/<code>` shows it. So no public answer ever carries someone else's
code: the waiting-room TV shows only its last characters (`board_code`), and the public page's
refusal of a second booking does not name the first one's code.

On the day a booking becomes a ticket (`check_in`, the booking row keeps `tiket_id`):
`services._candidate` puts a ticket whose booking's slot time has come ahead of walk-ins in its
lane, and the lanes still follow the no-starvation rule. Bookings nobody checked in for are released
`tenggang_menit` after their start (`release_no_shows`, run on every call and every 5 minutes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from records.actor import Actor
from records.antrian.models import (
    ARRIVED,
    BOOKED,
    CANCELLED,
    RELEASED,
    WAITING,
    WEEKDAYS,
    AntrianLayanan,
    JadwalIsi,
    JadwalLayanan,
    Janji,
    Tiket,
)
from records.antrian.rules import PRIORITY_REASONS
from records.calendar_id import is_working_day
from records.exceptions import InvalidTransitionError, NotFoundError, ValidationError
from records.models import HariLibur, Penduduk
from records.nik import NikError, mask_nik, parse_nik
from records.services.audit import record_event, serialise_writes
from records.services.clock import clock, local_time
from records.services.idempotency import OTHER_USER, clean_key
from records.services.public_guard import add_hit, check_form, check_rate
from records.services.rows import changed_rows

#: How far ahead a place can be booked (calendar days).
HORIZON_DAYS = 30
#: Where a booking came from (the kiosk and the public page have no actor).
CLERK, DESA, KIOSK, PUBLIC = "petugas", "desa", "kios", "publik"
STATUS = {
    BOOKED: "Terjadwal — datang sesuai jam",
    ARRIVED: "Sudah hadir (tiket antrian dibuat)",
    RELEASED: "Dilepas — tidak hadir sampai batas tenggang",
    CANCELLED: "Dibatalkan",
}


@dataclass
class SlotView:
    """A slot on one day as the booking forms show it."""

    jadwal: JadwalLayanan
    tanggal: dt.date
    terisi: int

    @property
    def sisa(self) -> int:
        return max(0, self.jadwal.kuota - self.terisi)


#: The demo office's slots (`lemari demo`): for the services most asked for at the counter, the
#: reserved window for lansia, disabilitas and ibu hamil before the regular morning, Mon–Fri.
#: (service, start, end, quota per day, reserved); an office sets its own as data.
DEMO_SLOTS = tuple(
    (code, *slot)
    for code in ("ktp_el", "kk", "sktm", "sk_domisili")
    for slot in (
        (dt.time(8, 0), dt.time(9, 0), 4, True),
        (dt.time(9, 0), dt.time(12, 0), 15, False),
    )
)


def seed_demo_slots(session: Session) -> int:
    """The demo office's slots, for each listed service that is in the catalogue and has no
    slot yet (an office's own slots are never touched); returns how many were added."""
    with_slots = set(session.scalars(select(JadwalLayanan.layanan_code)))
    known = set(session.scalars(select(AntrianLayanan.layanan_code)))
    rows = [
        JadwalLayanan(
            layanan_code=code,
            jam_mulai=start,
            jam_selesai=end,
            kuota=quota,
            khusus=reserved,
            hari=WEEKDAYS,
            tenggang_menit=30,
            aktif=True,
        )
        for code, start, end, quota, reserved in DEMO_SLOTS
        if code in known and code not in with_slots
    ]
    session.add_all(rows)
    session.commit()
    return len(rows)


# ----- reading ---------------------------------------------------------------------------------


def slots_for(layanan_code: str, day: dt.date, *, session: Session) -> list[SlotView]:
    """The service's active slots that run on `day`, with the places already taken."""
    rows = session.scalars(
        select(JadwalLayanan)
        .where(JadwalLayanan.layanan_code == layanan_code, JadwalLayanan.aktif.is_(True))
        .order_by(JadwalLayanan.jam_mulai, JadwalLayanan.id)
    ).all()
    taken = dict(
        session.execute(select(JadwalIsi.jadwal_id, JadwalIsi.terisi).where(JadwalIsi.tanggal == day)).all()
    )
    return [SlotView(row, day, taken.get(row.id, 0)) for row in rows if day.weekday() in row.weekdays]


def closed_reason(session: Session, day: dt.date) -> str | None:
    """Why nobody can book on `day` (a weekend or a `hari_libur` row, named), else None; the
    slot list over REST and the CLI say it instead of showing a day with no slots."""
    holiday = session.get(HariLibur, day)
    if holiday is None and is_working_day(day, ()):
        return None
    why = f" ({holiday.keterangan})" if holiday is not None else ""
    return f"Kantor tutup pada {day:%d-%m-%Y}{why}; pilih hari kerja lain."


def slot_at(layanan_code: str, day: dt.date, start: dt.time, *, session: Session) -> JadwalLayanan:
    """The service's slot that starts at `start` on `day`: how the CLI names a slot (`--jam
    08:00`) where the screens and REST pass its id."""
    closed = closed_reason(session, day)
    if closed is not None:
        raise ValidationError(closed, {"tanggal": closed})
    slots = slots_for(layanan_code, day, session=session)
    for view in slots:
        if view.jadwal.jam_mulai == start:
            return view.jadwal
    offered = ", ".join(f"{v.jadwal.jam_mulai:%H:%M}" for v in slots) or "tidak ada"
    message = f"Tidak ada jam layanan mulai {start:%H:%M} pada {day:%d-%m-%Y} (tersedia: {offered})."
    raise ValidationError(message, {"jam": message})


def bookable_services(session: Session) -> list[AntrianLayanan]:
    """Queue services that have at least one active slot."""
    with_slots = select(JadwalLayanan.layanan_code).where(JadwalLayanan.aktif.is_(True))
    return list(
        session.scalars(
            select(AntrianLayanan)
            .options(joinedload(AntrianLayanan.layanan))
            .where(AntrianLayanan.aktif.is_(True), AntrianLayanan.layanan_code.in_(with_slots))
            .order_by(AntrianLayanan.urutan, AntrianLayanan.prefix)
        )
    )


def booking_by_code(code: str, *, session: Session) -> Janji:
    found = session.scalar(select(Janji).where(Janji.kode == (code or "").strip().upper()))
    if found is None:
        raise NotFoundError("Kode janji layanan tidak ditemukan.")
    return found


def bookings_on(day: dt.date, *, actor: Actor, session: Session) -> list[Janji]:
    """The day's bookings a clerk (all) or an Operator Desa (their desa's) may see; audited,
    since the list shows whose NIK booked (masked)."""
    actor.require("antrian.janji")
    query = select(Janji).options(joinedload(Janji.layanan)).where(Janji.tanggal == day)
    if actor.desa_scope is not None:
        query = query.where(Janji.desa_code.in_(sorted(actor.desa_scope)))
    rows = list(session.scalars(query.order_by(Janji.jam_mulai, Janji.id)))
    if rows:
        record_event(
            session,
            actor,
            "antrian.janji_daftar",
            object_type="janji",
            detail={"tanggal": day.isoformat(), "jumlah": len(rows)},
        )
        session.commit()
    return rows


def slip(booking: Janji, *, tz: str, base_url: str) -> dict:
    """What the slip, the kiosk's answer and the public page show: the NIK masked, and how the
    TV will show the booking (`layar`, the code's last characters) so the citizen knows it."""
    return {
        "kode": booking.kode,
        "layar": board_code(booking.kode),
        "layanan": booking.layanan.nama,
        "tanggal": booking.tanggal,
        "jam": f"{booking.jam_mulai:%H.%M}–{booking.jam_selesai:%H.%M}",
        "khusus": booking.jadwal.khusus,
        "alasan": PRIORITY_REASONS.get(booking.alasan_prioritas, ""),
        "nama": booking.nama,
        "nik": mask_nik(booking.nik),
        "status": STATUS.get(booking.status, ""),
        "tenggang": booking.jadwal.tenggang_menit,
        "url": f"{base_url}/lacak/{booking.kode}",
        "dibuat": local_time(tz, booking.created_at),
    }


def view_booking(code: str, *, actor: Actor, session: Session) -> Janji:
    """One booking for staff (REST, CLI): an Operator Desa sees only their desa's, and the read
    is audited like opening the slip (it shows the name and the masked NIK)."""
    actor.require("antrian.janji")
    booking = booking_by_code(code, session=session)
    if actor.desa_scope is not None:
        actor.require_desa(booking.desa_code, "Kode janji layanan tidak ditemukan.")
    audit_slip(booking, actor=actor, session=session)
    return booking


def audit_slip(booking: Janji, *, actor: Actor | str, session: Session) -> None:
    """A slip (masked NIK) was opened: the access is in the audit log like every other."""
    record_event(
        session,
        actor,
        "antrian.janji_slip",
        object_type="janji",
        object_id=booking.id,
        detail={"kode": booking.kode, "nik": mask_nik(booking.nik)},
    )
    session.commit()


# ----- booking ---------------------------------------------------------------------------------


def book(
    jadwal_id: int,
    day: dt.date,
    *,
    nik: str,
    nama: str = "",
    telepon: str = "",
    reason: str = "",
    actor: Actor | None,
    source: str,
    session: Session,
    tz: str,
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> Janji:
    """Book one place; commit. Refused with a clear message and nothing saved on a closed
    day, a full slot, a reserved window without its reason, or a second booking of the NIK.

    `idempotency_key` (a REST call's `Idempotency-Key`, staff only): a retry with the same key
    returns the booking the first call made and writes nothing, even when the slot has since
    filled or begun (the caller only lost the answer)."""
    if actor is not None:
        actor.require("antrian.janji")
    key = clean_key(idempotency_key) if actor is not None else None
    first = _by_key(session, key, actor)
    if first is not None:
        return first
    try:
        return _book(
            jadwal_id,
            day,
            nik=nik,
            nama=nama,
            telepon=telepon,
            reason=reason,
            actor=actor,
            source=source,
            session=session,
            tz=tz,
            now=now,
            key=key,
        )
    except ValidationError:
        session.rollback()
        raise


def _by_key(session: Session, key: str | None, actor: Actor | None) -> Janji | None:
    """The booking an earlier call with this key made (only its own maker may replay it)."""
    if key is None or actor is None:
        return None
    found = session.scalar(select(Janji).where(Janji.idempotency_key == key))
    if found is not None and found.dibuat_oleh != actor.username:
        raise ValidationError(OTHER_USER, {"idempotency_key": OTHER_USER})
    return found


def book_public(
    jadwal_id: int,
    day: dt.date,
    *,
    nik: str,
    nama: str,
    telepon: str,
    reason: str,
    kiosk: bool,
    client: str,
    token: str,
    honeypot: str,
    secret: str,
    limit: int,
    session: Session,
    tz: str,
    now: dt.datetime | None = None,
) -> Janji:
    """A citizen books on the public page or at the kiosk: the public forms' guards first
    (signed timestamp, honeypot, bookings per address per hour), then `book`."""
    now, _ = clock(tz, now)
    check_form(secret, token, honeypot, now)
    scope = "janji_kios" if kiosk else "janji"
    check_rate(
        session, scope, client, limit=limit, window=dt.timedelta(hours=1), now=now, what="janji layanan"
    )
    add_hit(session, scope, client, now)  # committed only with the booking
    return book(
        jadwal_id,
        day,
        nik=nik,
        nama=nama,
        telepon=telepon,
        reason=reason,
        actor=None,
        source=KIOSK if kiosk else PUBLIC,
        session=session,
        tz=tz,
        now=now,
    )


def _book(
    jadwal_id: int,
    day: dt.date,
    *,
    nik: str,
    nama: str,
    telepon: str,
    reason: str,
    actor: Actor | None,
    source: str,
    session: Session,
    tz: str,
    now: dt.datetime | None,
    key: str | None = None,
) -> Janji:
    now, today = clock(tz, now)
    jadwal = _slot(session, jadwal_id)
    clean_nik, penduduk, desa = _applicant(session, actor, nik, today)
    nama = (penduduk.nama if penduduk is not None else (nama or "").strip())[:100]
    if not nama:
        raise ValidationError("Nama pemohon wajib diisi.", {"nama": "Nama pemohon wajib diisi."})
    _check_reason(jadwal, reason)
    _check_day(session, jadwal, day, today, now, tz, later_only=source == KIOSK)
    serialise_writes(session)
    first = _by_key(session, key, actor)  # a retry that waited for the first call's lock
    if first is not None:
        session.rollback()
        return first
    _refuse_second(session, jadwal.layanan_code, day, clean_nik, actor)
    _take_place(session, jadwal, day)
    booking = Janji(
        kode=_new_code(session),
        jadwal_id=jadwal.id,
        layanan_code=jadwal.layanan_code,
        tanggal=day,
        jam_mulai=jadwal.jam_mulai,
        jam_selesai=jadwal.jam_selesai,
        mulai_at=_utc(day, jadwal.jam_mulai, tz),
        alasan_prioritas=reason,
        nik=clean_nik,
        nik_aktif=clean_nik,
        nama=nama,
        telepon=(telepon or "").strip()[:20],
        desa_code=desa,
        penduduk_id=penduduk.id if penduduk is not None else None,
        sumber=source,
        dibuat_oleh=actor.username if actor else source,
        created_at=now,
        status=BOOKED,
        idempotency_key=key,
    )
    session.add(booking)
    try:
        session.flush()
    except IntegrityError:
        raise _second_booking(None) from None
    record_event(
        session,
        actor or source,
        "antrian.janji",
        object_type="janji",
        object_id=booking.id,
        desa_code=desa,
        detail={
            "kode": booking.kode,
            "layanan": booking.layanan_code,
            "tanggal": day.isoformat(),
            "nik": mask_nik(clean_nik),
            "sumber": source,
        },
    )
    session.commit()
    return booking


def _slot(session: Session, jadwal_id: int) -> JadwalLayanan:
    jadwal = (
        session.get(JadwalLayanan, jadwal_id)
        if isinstance(jadwal_id, int) and 0 < jadwal_id < 2**31
        else None
    )
    if jadwal is None or not jadwal.aktif:
        raise ValidationError("Pilih jam layanan yang tersedia.", {"jadwal": "Jam layanan tidak tersedia."})
    return jadwal


def _applicant(
    session: Session, actor: Actor | None, nik: str, today: dt.date
) -> tuple[str, Penduduk | None, str | None]:
    """The checked NIK, the resident when the register knows them, and their desa.

    An Operator Desa books only for residents of their own desa: a NIK outside it is answered
    like an unknown one (as `kependudukan.find_penduduk_by_nik` does)."""
    try:
        clean = parse_nik(nik or "", ref_date=today).nik
    except NikError as exc:
        raise ValidationError(str(exc), {"nik": str(exc)}) from None
    resident = session.scalar(select(Penduduk).where(Penduduk.nik == clean))
    if actor is not None and actor.desa_scope is not None:
        if resident is None or not actor.sees_desa(resident.desa_code):
            raise ValidationError(
                "NIK tidak terdaftar di data penduduk desa Anda.",
                {"nik": "NIK tidak terdaftar di data penduduk desa Anda."},
            )
    if actor is None:
        resident = None  # the public page never learns whether the register knows a NIK
    return clean, resident, resident.desa_code if resident is not None else None


def _check_reason(jadwal: JadwalLayanan, reason: str) -> None:
    if reason and reason not in PRIORITY_REASONS:
        raise ValidationError("Alasan layanan khusus tidak dikenal.", {"prioritas": reason})
    if jadwal.khusus and not reason:
        message = "Jam ini khusus untuk lansia, penyandang disabilitas dan ibu hamil: pilih alasannya."
        raise ValidationError(message, {"prioritas": message})


def _check_day(
    session: Session,
    jadwal: JadwalLayanan,
    day: dt.date,
    today: dt.date,
    now: dt.datetime,
    tz: str,
    *,
    later_only: bool,
) -> None:
    """Open days only, within the horizon, and not a slot that has already begun."""
    if not isinstance(day, dt.date) or day < today or (later_only and day == today):
        message = (
            "Di kios, janji dibuat untuk hari berikutnya; untuk hari ini ambil nomor antrian."
            if later_only and day == today
            else "Tanggal janji sudah lewat."
        )
        raise ValidationError(message, {"tanggal": message})
    if day > today + dt.timedelta(days=HORIZON_DAYS):
        message = f"Janji paling lama {HORIZON_DAYS} hari ke depan."
        raise ValidationError(message, {"tanggal": message})
    closed = closed_reason(session, day)
    if closed is None and day.weekday() not in jadwal.weekdays:
        closed = f"Kantor tutup pada {day:%d-%m-%Y}; pilih hari kerja lain."
    if closed is not None:
        raise ValidationError(closed, {"tanggal": closed})
    if day == today and _utc(day, jadwal.jam_mulai, tz) <= now:
        message = "Jam layanan ini sudah dimulai; pilih jam atau hari lain."
        raise ValidationError(message, {"jadwal": message})


def _refuse_second(session: Session, layanan_code: str, day: dt.date, nik: str, actor: Actor | None) -> None:
    """Refuse a second booking of the NIK for the same service and day.

    The message names the first booking's code only to staff who could look that booking up
    anyway: a clerk (office-wide; the day's list shows every code) or an Operator Desa for a
    booking of their own desa. That is how the counter uses it: the caller on the phone has
    lost their slip, the clerk reads the code out. The public page and the kiosk (no actor)
    never name it: the code is a bearer secret (check-in, /lacak), and anyone who knows a
    resident's NIK could otherwise learn it; nor does an Operator Desa for a booking outside
    their desa (a public booking has no desa) — they are pointed to the slip or the counter."""
    first = session.execute(
        select(Janji.kode, Janji.desa_code).where(
            Janji.layanan_code == layanan_code, Janji.tanggal == day, Janji.nik_aktif == nik
        )
    ).first()
    if first is not None:
        code, desa = first
        raise _second_booking(code if actor is not None and actor.sees_desa(desa) else None)


def _second_booking(code: str | None) -> ValidationError:
    """The refusal of a second booking; `code` only for staff who may see it (`_refuse_second`)."""
    named = (
        f" (kode {code})"
        if code
        else ". Gunakan kode pada bukti janji yang sudah ada, atau tanyakan ke petugas loket"
    )
    message = f"NIK ini sudah memiliki janji untuk layanan yang sama pada tanggal tersebut{named}."
    return ValidationError(message, {"nik": message})


def _take_place(session: Session, jadwal: JadwalLayanan, day: dt.date) -> None:
    """The conditional UPDATE only one booking can win for the last place."""
    bump = (
        update(JadwalIsi)
        .where(JadwalIsi.jadwal_id == jadwal.id, JadwalIsi.tanggal == day, JadwalIsi.terisi < jadwal.kuota)
        .values(terisi=JadwalIsi.terisi + 1)
        .execution_options(synchronize_session=False)
    )
    if changed_rows(session.execute(bump)) == 1:
        return
    try:
        with session.begin_nested():
            session.execute(insert(JadwalIsi).values(jadwal_id=jadwal.id, tanggal=day, terisi=0))
    except IntegrityError:
        pass  # the day's row exists (full, or another booking opened it at the same moment)
    if changed_rows(session.execute(bump)) != 1:
        message = (
            f"Kuota jam {jadwal.jam_mulai:%H.%M}–{jadwal.jam_selesai:%H.%M} pada "
            f"{day:%d-%m-%Y} sudah penuh; pilih jam atau hari lain."
        )
        raise ValidationError(message, {"jadwal": message})


def _free_place(session: Session, booking: Janji) -> None:
    session.execute(
        update(JadwalIsi)
        .where(
            JadwalIsi.jadwal_id == booking.jadwal_id,
            JadwalIsi.tanggal == booking.tanggal,
            JadwalIsi.terisi > 0,
        )
        .values(terisi=JadwalIsi.terisi - 1)
        .execution_options(synchronize_session=False)
    )


def _new_code(session: Session) -> str:
    """A KB- code no ticket or booking has, so /lacak and the ticket can share it."""
    from records.services.requests import new_tracking_code

    while True:
        code = new_tracking_code()
        if (
            session.scalar(select(func.count(Janji.id)).where(Janji.kode == code)) == 0
            and session.scalar(select(func.count(Tiket.id)).where(Tiket.tracking_code == code)) == 0
        ):
            return code


def _utc(day: dt.date, at: dt.time, tz: str) -> dt.datetime:
    """The office's wall-clock time on `day` as naive UTC (how timestamps are stored)."""
    local = dt.datetime.combine(day, at, tzinfo=ZoneInfo(tz))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def cancel(code: str, *, actor: Actor, session: Session, tz: str, now: dt.datetime | None = None) -> Janji:
    """A caller cancels: the place and the NIK's day are free again."""
    actor.require("antrian.janji")
    now, _ = clock(tz, now)
    booking = booking_by_code(code, session=session)
    if actor.desa_scope is not None:
        actor.require_desa(booking.desa_code, "Kode janji layanan tidak ditemukan.")
    serialise_writes(session)
    _close(session, booking, CANCELLED, now, "Hanya janji yang masih terjadwal yang dapat dibatalkan.")
    record_event(
        session,
        actor,
        "antrian.janji_batal",
        object_type="janji",
        object_id=booking.id,
        desa_code=booking.desa_code,
        detail={"kode": booking.kode, "nik": mask_nik(booking.nik)},
    )
    session.commit()
    return booking


def _close(session: Session, booking: Janji, status: str, now: dt.datetime, refused: str) -> None:
    moved = session.execute(
        update(Janji)
        .where(Janji.id == booking.id, Janji.status == BOOKED)
        .values(status=status, nik_aktif=None, selesai_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed_rows(moved) != 1:
        session.rollback()
        raise InvalidTransitionError(refused)
    _free_place(session, booking)
    session.refresh(booking)


# ----- on the day ------------------------------------------------------------------------------


def check_in(
    code: str, *, actor: Actor | None, session: Session, tz: str, now: dt.datetime | None = None
) -> Tiket:
    """The booked visitor arrives (at the desk, or types the code at the kiosk): their ticket,
    under the booking's code, due at the slot's time; commit."""
    from records.antrian.services import new_ticket

    if actor is not None:
        actor.require("antrian.issue")
    now, today = clock(tz, now)
    booking = booking_by_code(code, session=session)
    if booking.status != BOOKED:
        raise InvalidTransitionError(f"Janji {booking.kode}: {STATUS.get(booking.status, booking.status)}.")
    if booking.tanggal != today:
        raise InvalidTransitionError(
            f"Janji {booking.kode} untuk tanggal {booking.tanggal:%d-%m-%Y}, bukan hari ini."
        )
    serialise_writes(session)
    moved = session.execute(
        update(Janji)
        .where(Janji.id == booking.id, Janji.status == BOOKED)
        .values(status=ARRIVED, selesai_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed_rows(moved) != 1:
        session.rollback()
        raise InvalidTransitionError(f"Janji {booking.kode} sudah tidak terjadwal.")
    ticket = new_ticket(
        session,
        booking.layanan_code,
        reason=booking.alasan_prioritas,
        actor=actor,
        now=now,
        today=today,
        booking_code=booking.kode,
    )
    session.execute(
        update(Janji)
        .where(Janji.id == booking.id)
        .values(tiket_id=ticket.id)
        .execution_options(synchronize_session=False)
    )
    record_event(
        session,
        actor or KIOSK,
        "antrian.janji_hadir",
        object_type="janji",
        object_id=booking.id,
        detail={"kode": booking.kode, "tiket": ticket.label},
    )
    session.commit()
    session.refresh(booking)
    return ticket


#: The count of wrong codes typed at the kiosk's check-in, per address (`public_guard`).
WRONG_CODE = "janji_kode_salah"


def check_in_public(
    code: str, *, client: str, limit: int, session: Session, tz: str, now: dt.datetime | None = None
) -> Tiket:
    """The kiosk's check-in by code (`/antrian/hadir`, no login): `check_in`, with the wrong
    codes counted per address: past `limit` in a minute every code from that address is
    refused until the minute is over (a right one too, else the answer would still tell a
    guess apart), so the code (a bearer secret, of which the TV shows the last characters)
    cannot be found by trying. Only codes that match no booking count; a code for another
    day or already used does not. The kiosk is one address for the whole room, hence a short
    window."""
    now, _ = clock(tz, now)
    window = dt.timedelta(minutes=1)
    check_rate(session, WRONG_CODE, client, limit=limit, window=window, now=now, what="kode janji salah")
    try:
        return check_in(code, actor=None, session=session, tz=tz, now=now)
    except NotFoundError:
        session.rollback()
        add_hit(session, WRONG_CODE, client, now)
        session.commit()
        raise


def due_no_shows(session: Session, *, now: dt.datetime) -> Sequence[Row]:
    """The bookings `release_no_shows` would release now (a read: no lock needed, since each
    release is a conditional UPDATE that a booking checked in meanwhile does not match)."""
    started = session.execute(
        select(
            Janji.id, Janji.kode, Janji.jadwal_id, Janji.tanggal, Janji.mulai_at, JadwalLayanan.tenggang_menit
        )
        .join(JadwalLayanan, JadwalLayanan.id == Janji.jadwal_id)
        .where(Janji.status == BOOKED, Janji.mulai_at < now)
        .order_by(Janji.id)
    ).all()
    return [row for row in started if row.mulai_at + dt.timedelta(minutes=row.tenggang_menit) <= now]


def release_no_shows(session: Session, *, now: dt.datetime, due: Sequence[Row] | None = None) -> int:
    """Release bookings nobody checked in for by their start plus grace: their NIK may book
    again and the TV stops showing them. The caller holds the audit lock and commits.
    `due`: what `due_no_shows` read before the lock (a counter's call reads it early)."""
    released = 0
    for booking_id, kode, jadwal_id, day, _start, _grace in (
            due_no_shows(session, now=now) if due is None else due):
        moved = session.execute(
            update(Janji)
            .where(Janji.id == booking_id, Janji.status == BOOKED)
            .values(status=RELEASED, nik_aktif=None, selesai_at=now)
            .execution_options(synchronize_session=False)
        )
        if changed_rows(moved) == 1:
            session.execute(
                update(JadwalIsi)
                .where(JadwalIsi.jadwal_id == jadwal_id, JadwalIsi.tanggal == day, JadwalIsi.terisi > 0)
                .values(terisi=JadwalIsi.terisi - 1)
                .execution_options(synchronize_session=False)
            )
            record_event(
                session,
                "sistem",
                "antrian.janji_lepas",
                object_type="janji",
                object_id=booking_id,
                detail={"kode": kode},
            )
            released += 1
    return released


def release_job(session: Session, *, tz: str, now: dt.datetime | None = None) -> int:
    """The periodic job: take the audit lock (the queue's lock order), release, commit."""
    now, _ = clock(tz, now)
    serialise_writes(session)
    released = release_no_shows(session, now=now)
    session.commit()
    return released


#: How many of a booking's code's last characters the TV shows (`board_code`).
BOARD_CODE_CHARS = 3


def board_code(kode: str) -> str:
    """How the waiting-room TV names a booking: "…" and the code's last 3 characters
    ("KB-7K2QM9XD" → "…9XD"). Enough for the citizen to find their line (the slip says what
    to look for), useless for checking in or /lacak: the full code is a bearer secret and the
    TV is watched by the whole room. The other 5 characters stay unknown (32⁵ ≈ 33 million)."""
    kode = (kode or "").strip()
    return "…" + kode[-BOARD_CODE_CHARS:] if kode else ""


def todays_board(session: Session, tz: str, today: dt.date | None = None) -> list[dict]:
    """The day's bookings for the TV: the code's last characters (`board_code`, never the whole
    code), time and status only (no name, no NIK); those still expected, and those checked in
    whose ticket still waits. The key stays "kode" so a TV page loaded before an upgrade
    still draws it."""
    today = today or clock(tz)[1]
    rows = session.execute(
        select(Janji.kode, Janji.jam_mulai, Janji.status, Tiket.status)
        .outerjoin(Tiket, Tiket.id == Janji.tiket_id)
        .where(Janji.tanggal == today, Janji.status.in_((BOOKED, ARRIVED)))
        .order_by(Janji.jam_mulai, Janji.kode)
    ).all()
    return [
        {
            "kode": board_code(kode),
            "jam": f"{start:%H.%M}",
            "status": "hadir" if status == ARRIVED else "terjadwal",
        }
        for kode, start, status, ticket_status in rows
        if status == BOOKED or ticket_status == WAITING
    ]


def track_booking(code: str, *, session: Session, tz: str) -> dict | None:
    """/lacak for a booking not yet checked in (hook `register_trackers`); no personal data."""
    booking = session.scalar(select(Janji).where(Janji.kode == code))
    if booking is None:
        return None
    return {
        "kind": "janji",
        "code": booking.kode,
        "layanan": booking.layanan.nama,
        "state": booking.status,
        "status": STATUS.get(booking.status, booking.status),
        "tanggal": booking.tanggal,
        "jam": f"{booking.jam_mulai:%H.%M}–{booking.jam_selesai:%H.%M}",
        "received": None,
        "overdue": False,
        "promised_date": None,
        "complete": False,
        "survey": False,
    }
