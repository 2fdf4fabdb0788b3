"""Incoming letters (naskah masuk): the buku agenda, the Camat's dispositions and their
follow-up, the registers and reports (issue #18; the national SRIKANDI's core).

Everything here is data: the permissions and the roles holding them, the two workflows (the
letter's and the disposition's) with their meaning tags, the agenda register and the default
instruction list. Who may dispose is whoever holds `surat_masuk.dispose` through a role the
declaration names (Camat and Sekcam by default); who may read a `rahasia` letter is whoever
holds `surat_masuk.rahasia` that way (the Camat) plus the people the letter is disposed to.
"""

from pathlib import Path

from records.builtin.core import ARSIPARIS, AUDITOR, CAMAT, HUMAS, PETUGAS, SEKCAM
from records.declarations import CLOSED, DocumentType, Field, Permission, Transition, Workflow
from records.hookspecs import hookimpl

STAFF = frozenset({CAMAT, SEKCAM, PETUGAS, ARSIPARIS, HUMAS})
REGISTRARS = frozenset({PETUGAS, ARSIPARIS, SEKCAM})
DISPOSERS = frozenset({CAMAT, SEKCAM})

PERMISSIONS = (
    Permission("surat_masuk.read", "Melihat buku agenda surat masuk (selain surat rahasia)",
               STAFF | {AUDITOR}),
    Permission("surat_masuk.register", "Mencatat surat masuk di buku agenda", REGISTRARS),
    Permission("surat_masuk.dispose", "Mendisposisikan surat masuk", DISPOSERS),
    Permission("surat_masuk.follow", "Menindaklanjuti, meneruskan dan menyelesaikan disposisi",
               STAFF),
    Permission("surat_masuk.rahasia", "Membaca semua surat masuk bersifat rahasia",
               frozenset({CAMAT})),
    Permission("surat_masuk.report", "Mencetak buku agenda dan laporan disposisi",
               frozenset({CAMAT, SEKCAM, ARSIPARIS, AUDITOR})),
    Permission("surat_masuk.manage", "Mengatur daftar instruksi disposisi", DISPOSERS),
    Permission("surat_masuk.impor", "Mengimpor buku agenda lama (surat masuk dan keluar)",
               frozenset({ARSIPARIS})),
)

#: The search entry of a line of an old agenda book (agenda_lama.py): made by the import only,
#: never drafted, never issued; its fields are what search indexes ("label: value").
OLD_AGENDA_WORKFLOW = Workflow(
    name="agenda_lama", title="Buku agenda lama", initial="diimpor",
    states={"diimpor": "Diimpor dari buku agenda"}, transitions=())
OLD_AGENDA_TYPE = DocumentType(
    name="agenda_lama", title="Buku Agenda Lama (impor)", workflow="agenda_lama",
    needs_penduduk=False, internal=True, klasifikasi="",
    description="Baris buku agenda surat masuk/keluar yang ditulis tangan sebelum Lemari, "
                "diimpor dengan nomor dan tanggal aslinya.",
    fields=(Field("buku", "Buku agenda", required=False),
            Field("nomor_agenda", "Nomor agenda", required=False),
            Field("nomor_surat", "Nomor surat", required=False),
            Field("tanggal_surat", "Tanggal surat", required=False),
            Field("tanggal", "Tanggal diterima/dikirim", required=False),
            Field("pihak", "Pengirim/tujuan", required=False),
            Field("perihal", "Perihal", required=False),
            Field("keterangan", "Keterangan", required=False),
            Field("sumber", "Sumber", required=False)))

LETTER_WORKFLOW = Workflow(
    name="surat_masuk",
    title="Surat masuk",
    initial="diterima",
    states={"diterima": "Diterima", "didisposisi": "Didisposisi", "selesai": "Selesai",
            "diarsipkan": "Diarsipkan"},
    transitions=(
        Transition("disposisikan", "Disposisikan", ("diterima",), "didisposisi", DISPOSERS),
        # taken by the system when the last disposition of the letter is closed
        Transition("selesaikan", "Selesaikan", ("didisposisi",), "selesai", DISPOSERS),
        Transition("arsipkan", "Arsipkan", ("diterima", "selesai"), "diarsipkan",
                   REGISTRARS | DISPOSERS),
    ),
    state_tags={"selesai": {CLOSED}, "diarsipkan": {CLOSED}},
)

DISPOSITION_WORKFLOW = Workflow(
    name="disposisi",
    title="Disposisi",
    initial="baru",
    states={"baru": "Baru", "dibaca": "Dibaca", "ditindaklanjuti": "Ditindaklanjuti",
            "diteruskan": "Diteruskan", "selesai": "Selesai"},
    transitions=(
        Transition("baca", "Tandai dibaca", ("baru",), "dibaca", STAFF),
        Transition("laporkan", "Laporkan perkembangan", ("baru", "dibaca", "ditindaklanjuti"),
                   "ditindaklanjuti", STAFF, note_required=True),
        Transition("teruskan", "Teruskan (disposisi lanjutan)",
                   ("baru", "dibaca", "ditindaklanjuti", "diteruskan"), "diteruskan", STAFF),
        Transition("selesaikan", "Selesaikan", ("baru", "dibaca", "ditindaklanjuti", "diteruskan"),
                   "selesai", STAFF, note_required=True),
    ),
    state_tags={"selesai": {CLOSED}},
)


@hookimpl
def register_permissions():
    return list(PERMISSIONS)


@hookimpl
def register_workflows():
    return [LETTER_WORKFLOW, DISPOSITION_WORKFLOW, OLD_AGENDA_WORKFLOW]


@hookimpl
def register_document_types():
    """The search entry of an imported line of an old agenda book."""
    return [OLD_AGENDA_TYPE]


@hookimpl
def register_models():
    """Letters, dispositions, progress reports and the instruction list."""
    return ["records.surat_masuk.models"]


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_template_dirs():
    """The lembar disposisi and the buku agenda (templates/pdf/surat_masuk/)."""
    return [Path(__file__).parent / "templates" / "pdf"]


@hookimpl
def register_views(appbuilder):
    """The agenda desk, the disposition worklist and the REST API."""
    from records.surat_masuk.views import register

    register(appbuilder)


@hookimpl
def register_commands(cli):
    """`lemari surat-masuk daftar|lihat|catat|disposisi|…` and `lemari impor-agenda`."""
    from records.surat_masuk.cli import impor_agenda_command, surat_masuk_group

    cli.add_command(surat_masuk_group)
    cli.add_command(impor_agenda_command)


@hookimpl
def register_index_fields():
    """A letter's sender, number and subject join its scan's search document."""
    return [index_fields]


def index_fields(record):
    """Pengirim, nomor, perihal and the agenda number of the letter this record is the scan
    of (a rahasia letter's scan is restricted to its readers: `RecordReader`)."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from records.indexing import IndexFields, mask_sixteen_digits
    from records.surat_masuk.models import SuratMasuk

    session = object_session(record)
    if session is None:
        return None
    surat = session.scalar(select(SuratMasuk).where(SuratMasuk.record_id == record.id))
    if surat is None:
        return None
    text = (f"Surat masuk agenda {surat.nomor_agenda}/{surat.tahun} dari {surat.pengirim} "
            f"nomor {surat.nomor_surat} perihal {surat.perihal}")
    return IndexFields(text=mask_sixteen_digits(text))


@hookimpl
def seed_office(session):
    """The agenda register and the default instructions (an office's edits are kept)."""
    from records.surat_masuk.services import seed

    seed(session)


@hookimpl
def register_worklists():
    """"Disposisi untuk saya" on the home page: open dispositions, soonest deadline first."""
    return [_my_dispositions]


def _my_dispositions(session, actor, today):
    from flask import url_for
    from sqlalchemy import func, select
    from sqlalchemy.orm import joinedload

    from records.services.worklists import Pending
    from records.surat_masuk import services

    if not actor.can("surat_masuk.follow"):
        return None
    query = services.worklist_query(actor)

    def links(limit):
        rows = session.scalars(query.options(joinedload(services.Disposisi.surat)).limit(limit))
        return [(f"{d.surat.perihal} — batas {d.batas_waktu:%d-%m-%Y}"
                 + (" (lewat)" if d.batas_waktu < today else ""),
                 url_for("SuratMasukView.show", surat_id=d.surat_id)) for d in rows]

    return Pending("disposisi_saya", "Disposisi untuk saya",
                   select(func.count()).select_from(query.order_by(None).subquery()),
                   links=links, menu="Disposisi Saya")


@hookimpl
def register_movein_items():
    """The "Pindah ke Lemari" checklist: have the old agenda books been imported?"""
    return [_movein_agenda]


def _movein_agenda(session, registry, *, year):
    """One line: which books and years are in, or that none is yet."""
    from records.services.pindah import MoveInItem
    from records.surat_masuk.agenda_lama import summary

    rows = summary(session)
    words = {"masuk": "surat masuk", "keluar": "surat keluar"}
    detail = "; ".join(f"{words.get(jenis, jenis)} {tahun}: {count} baris"
                       for jenis, tahun, count, _, _ in rows)
    return [MoveInItem(
        "agenda_lama", "Buku agenda lama (surat masuk dan keluar) diimpor", bool(rows),
        detail or "Belum ada buku agenda lama yang diimpor; surat sebelum Lemari belum dapat "
        "dicari.", "/surat-masuk/impor-agenda",
        "lemari impor-agenda FILE.xlsx --jenis masuk|keluar --as arsiparis", urutan=35)]
