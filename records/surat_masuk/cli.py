"""`lemari surat-masuk daftar|lihat|catat|impor|disposisi|tindak|agenda|laporan`: thin
adapters over the letter services (`--as` names the acting account)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from records.extensions import db, lemari
from records.services.clock import clock


def _cli():
    from records import cli

    return cli


def _today() -> dt.date:
    return clock(lemari().settings["TIMEZONE"])[1]


def _echo_letter(s) -> None:
    from records.surat_masuk.api import surat_json

    click.echo(json.dumps(surat_json(s, full=True), ensure_ascii=False))


@click.group("surat-masuk")
def surat_masuk_group():
    """Surat masuk: buku agenda, disposisi, register."""


@surat_masuk_group.command("daftar")
@click.option("--as", "username", required=True)
@click.option("--tahun", type=int, default=None)
@click.option("--status", default="")
@with_appcontext
def list_command(username, tahun, status):
    """Daftar surat masuk yang boleh Anda lihat."""
    from records.surat_masuk import services as sm

    who = _cli().actor(username)
    rows = _cli().run_service(lambda: sm.list_letters(actor=who, session=db.session,
                                                      registry=lemari().registry, tahun=tahun,
                                                      state=status))
    for s in rows:
        click.echo(f"{s.nomor_agenda}/{s.tahun}\t{s.tanggal_terima}\t{s.sifat}\t{s.state}\t"
                   f"{s.pengirim}\t{s.nomor_surat}\t{s.perihal}\t#{s.id}")


@surat_masuk_group.command("lihat")
@click.argument("surat_id", type=int)
@click.option("--as", "username", required=True)
@with_appcontext
def show_command(surat_id, username):
    """Satu surat dengan alur disposisinya (JSON)."""
    from records.surat_masuk import services as sm

    who = _cli().actor(username)
    _echo_letter(_cli().run_service(lambda: sm.view_letter(
        surat_id, actor=who, session=db.session, registry=lemari().registry, channel="cli")))


@surat_masuk_group.command("catat")
@click.option("--as", "username", required=True)
@click.option("--pengirim", required=True)
@click.option("--nomor", "nomor_surat", required=True)
@click.option("--tanggal", "tanggal_surat", required=True, help="Tanggal surat (2026-03-02).")
@click.option("--perihal", required=True)
@click.option("--sifat", default="biasa", help="biasa, segera, sangat_segera, rahasia")
@click.option("--klasifikasi", default="")
@click.option("--lampiran", default="")
@click.option("--diterima", "tanggal_terima", default="", help="Tanggal diterima (bawaan: hari ini).")
@click.option("--pindaian", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--konfirmasi-duplikat", is_flag=True)
@with_appcontext
def register_command(username, pindaian, konfirmasi_duplikat, **values):
    """Catat surat masuk (dengan pindaiannya bila ada)."""
    from records.surat_masuk import services as sm
    from records.surat_masuk.desk import scan_from_path

    who = _cli().actor(username)
    surat = _cli().run_service(lambda: sm.register_letter(
        values, actor=who, session=db.session, registry=lemari().registry, today=_today(),
        scan=scan_from_path(pindaian, pindaian.name, actor=who) if pindaian else None,
        confirm_duplicate=konfirmasi_duplikat))
    click.echo(f"Tercatat: agenda {surat.nomor_agenda}/{surat.tahun} (#{surat.id})")


@surat_masuk_group.command("impor")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("daftar", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True)
@with_appcontext
def import_command(folder, daftar, username):
    """Catat surat dari FOLDER pindaian dengan DAFTAR CSV (kolom berkas, pengirim, nomor_surat,
    tanggal_surat, perihal, sifat, klasifikasi, lampiran, tanggal_terima); tiap baris sendiri."""
    import csv

    from records.exceptions import RecordsError
    from records.surat_masuk import services as sm
    from records.surat_masuk.desk import scan_from_path

    who = _cli().actor(username)
    done = failed = 0
    with open(daftar, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("berkas") or "").strip()
            path = folder / name if name else None
            try:
                if path is not None and (path.parent != folder or not path.is_file()):
                    raise click.ClickException(f"berkas {name} tidak ada di folder")
                scan = scan_from_path(path, name, actor=who) if path else None
                surat = sm.register_letter(row, actor=who, session=db.session,
                                           registry=lemari().registry, today=_today(), scan=scan)
            except (RecordsError, click.ClickException) as exc:
                db.session.rollback()
                failed += 1
                click.echo(f"gagal\t{name}\t{exc}")
                continue
            done += 1
            click.echo(f"dicatat\t{name}\t{surat.nomor_agenda}/{surat.tahun}")
    click.echo(f"Selesai: {done} dicatat, {failed} gagal.")


@surat_masuk_group.command("disposisi")
@click.argument("surat_id", type=int)
@click.option("--as", "username", required=True)
@click.option("--kepada", multiple=True, required=True, help="Nama pengguna atau unit:Peran.")
@click.option("--instruksi", multiple=True, help="Kode instruksi (tindak_lanjuti, hadiri, …).")
@click.option("--catatan", default="")
@click.option("--batas", "batas_waktu", required=True, help="Batas waktu (2026-03-09).")
@click.option("--induk", "induk_id", type=int, default=None, help="Teruskan disposisi ini.")
@with_appcontext
def dispose_command(surat_id, username, kepada, instruksi, catatan, batas_waktu, induk_id):
    """Disposisikan surat (atau teruskan disposisi yang Anda terima)."""
    from records.surat_masuk import services as sm

    who = _cli().actor(username)
    made = _cli().run_service(lambda: sm.dispose(
        surat_id, kepada=kepada, instruksi=instruksi, catatan=catatan, batas_waktu=batas_waktu,
        actor=who, session=db.session, registry=lemari().registry, today=_today(),
        induk_id=induk_id))
    for d in made:
        click.echo(f"Disposisi #{d.id} kepada {d.kepada}, batas {d.batas_waktu}")


@surat_masuk_group.command("tindak")
@click.argument("disposisi_id", type=int)
@click.argument("langkah", type=click.Choice(["baca", "laporkan", "selesaikan"]))
@click.option("--as", "username", required=True)
@click.option("--catatan", default="")
@click.option("--lampiran", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def act_command(disposisi_id, langkah, username, catatan, lampiran):
    """Tandai dibaca, laporkan perkembangan (dengan lampiran) atau selesaikan disposisi."""
    from records.surat_masuk import services as sm
    from records.surat_masuk.desk import scan_from_path

    who = _cli().actor(username)
    d = _cli().run_service(lambda: sm.act(
        disposisi_id, langkah, note=catatan, actor=who, session=db.session,
        registry=lemari().registry,
        attachment=scan_from_path(lampiran, lampiran.name, actor=who,
                                  permission="surat_masuk.follow") if lampiran else None))
    click.echo(f"Disposisi #{d.id}: {d.state}")


@surat_masuk_group.command("agenda")
@click.option("--as", "username", required=True)
@click.option("--dari", required=True)
@click.option("--sampai", required=True)
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx"]), default="xlsx")
@click.option("--keluaran", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def agenda_command(username, dari, sampai, fmt, keluaran):
    """Buku agenda surat masuk dan keluar satu periode (PDF atau XLSX)."""
    from archive.blobstore.atomic import atomic_write_bytes
    from records.surat_masuk import services as sm

    who = _cli().actor(username)
    try:
        first, last = dt.date.fromisoformat(dari), dt.date.fromisoformat(sampai)
    except ValueError:
        raise click.BadParameter("Tanggal ditulis 2026-03-01.") from None
    if fmt == "xlsx":
        data = _cli().run_service(lambda: sm.agenda_xlsx(first, last, actor=who,
                                                         session=db.session,
                                                         registry=lemari().registry))
    else:
        data = _cli().run_service(lambda: sm.agenda_pdf(first, last, actor=who, session=db.session,
                                                        desk=lemari().desk()))
    atomic_write_bytes(keluaran, data)
    click.echo(f"Buku agenda ditulis ke {keluaran}")


@surat_masuk_group.command("laporan")
@click.option("--as", "username", required=True)
@with_appcontext
def report_command(username):
    """Disposisi terbuka dan terlambat per penerima, dan rata-rata waktu penyelesaian."""
    from records.surat_masuk import services as sm

    who = _cli().actor(username)
    r = _cli().run_service(lambda: sm.disposition_report(actor=who, session=db.session,
                                                         registry=lemari().registry,
                                                         today=_today()))
    for e in r["per_penerima"]:
        click.echo(f"{e['kepada']}\tterbuka {e['terbuka']}\tterlambat {e['terlambat']}\t"
                   f"selesai {e['selesai']}")
    average = r["rata_rata_hari"]
    click.echo(f"Rata-rata penyelesaian: {average if average is not None else '-'} hari")



@click.command("impor-agenda")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--jenis", type=click.Choice(["masuk", "keluar"]), required=True,
              help="Buku agenda surat masuk atau surat keluar.")
@click.option("--as", "username", default="", help="Akun yang mengimpor (Arsiparis atau Admin).")
@click.option("--templat", "template", is_flag=True,
              help="Tulis templat kosong ke PATH (kolom yang diharapkan) alih-alih mengimpor.")
@with_appcontext
def impor_agenda_command(path: Path, jenis: str, username: str, template: bool) -> None:
    """Impor buku agenda lama (XLSX/CSV) dengan nomor dan tanggal aslinya; semua baris atau
    tidak sama sekali. Dengan --templat: tulis templat kosongnya ke PATH."""
    from archive.blobstore.atomic import atomic_write_bytes
    from records.surat_masuk import agenda_lama

    if template:
        atomic_write_bytes(path, agenda_lama.template_xlsx(jenis))
        click.echo(f"Templat {agenda_lama.JENIS[jenis].lower()} ditulis ke {path}")
        return
    if not username:
        raise click.UsageError("Sebutkan akun yang mengimpor: --as USERNAME.")
    if not path.is_file():
        raise click.BadParameter(f"Berkas {path} tidak ada.", param_hint="PATH")
    who = _cli().actor(username)
    rows = _cli().run_service(lambda: agenda_lama.read_agenda(path.read_bytes(), path.name, jenis))
    report = _cli().run_service(lambda: agenda_lama.import_agenda(
        rows, jenis, actor=who, session=db.session, registry=lemari().registry, source=path.name,
        today=_today()))
    click.echo(f"{len(report.created)} baris baru dicatat, {len(report.updated)} baris diperbarui "
               f"dari {agenda_lama.JENIS[jenis].lower()} {path.name}.")
    for row, text in report.created:
        click.echo(f"  baris {row}: {text} dicatat")
    for row, text in report.updated:
        click.echo(f"  baris {row}: {text} diperbarui")
