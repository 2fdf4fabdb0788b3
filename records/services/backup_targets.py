"""Automatic, encrypted, incremental backups to the office's targets, with rotation (issue 21).

A **target** is a folder (an external drive's mount point, a share of another PC mounted as a
path) holding `lemari-cadangan/`:

```
KANTOR.json               the office's id; written once, refuses another office's backups
kunci/<id>.json           the office's backup public key and its private key wrapped by the
                          passphrase (scrypt + AES-GCM): what a restore on a new PC needs
objek/ab/<name>           every archived file, encrypted, named by HMAC(naming key, sha256)
generasi/<stamp>/         one generation: basisdata.enc, kunci.enc, isi.enc (the encrypted
                          manifest: every plaintext SHA-256, object names, the audit checkpoint)
generasi/<stamp>/SELESAI.json   written last, atomically: only then the generation counts
```

What a crash does at each point: a process killed while writing leaves `*.tmp` files and a
generation folder without SELESAI.json. Neither counts: listing, restore and rotation read
only generations with SELESAI.json, and the next run (under the same lock) removes the rest.
An object is renamed into place only when whole, so an object that exists is complete and is
never copied again. Rotation removes a generation's SELESAI.json first, then its files, then
only the objects no kept generation names.

On the server (`<HOME>/cadangan/`): `kunci-kantor.json` (public key, wrapped private key, office
id) and `kunci-nama` (the naming key). Neither is the passphrase; with them an unattended job
encrypts but cannot decrypt. The plaintext snapshot is made in `<HOME>/cadangan/kerja/` (inside
the data folder) and removed after the run.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import tarfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.blobstore.atomic import atomic_write_bytes, atomic_write_text, ensure_dir, fsync_dir
from records.actor import Actor
from records.models.backup import BackupRun, BackupTarget
from records.ports import BlobStore
from records.services import backup as plain
from records.services import clock
from records.services.audit import record_event
from records.services.backup_crypto import (
    CryptoError,
    OfficeKey,
    check_passphrase,
    decrypt_stream,
    encrypt_stream,
    identity_from_text,
    new_naming_key,
    new_office_key,
    object_name,
)
from records.services.backup_crypto import WrongPassphraseError as WrongPassphraseError

ROOT_DIR, OFFICE_FILE, KEY_DIR = "lemari-cadangan", "KANTOR.json", "kunci"
OBJECTS, GENERATIONS, DONE = "objek", "generasi", "SELESAI.json"
DATABASE_ENC, KEYS_ENC, CONTENTS_ENC = "basisdata.enc", "kunci.enc", "isi.enc"
LABEL_FILE = "LEMARI-LABEL"
FORMAT = 2
SERVER_DIR, OFFICE_KEY_FILE, NAMING_KEY_FILE = "cadangan", "kunci-kantor.json", "kunci-nama"
SFTP_KEY_NAME = "kunci-ssh"
KEY_FILES = ("secret_key", "pki", f"{SERVER_DIR}/{OFFICE_KEY_FILE}", f"{SERVER_DIR}/{NAMING_KEY_FILE}",
             f"{SERVER_DIR}/{SFTP_KEY_NAME}")
TRIGGERS = ("jadwal", "pembaruan", "manual", "ups")


class BackupError(plain.BackupError):
    """The backup, restore or drill cannot go on; the message says why, in Indonesian."""


OS_REASONS = {
    errno.ENOSPC: "disk penuh", errno.EDQUOT: "kuota disk habis",
    errno.EROFS: "disk hanya-baca (mungkin dikunci atau rusak)",
    errno.EACCES: "tidak ada izin menulis", errno.EPERM: "tidak ada izin menulis",
    errno.EIO: "disk tidak merespons (terlepas atau rusak)",
    errno.ENODEV: "disk terlepas", errno.ENXIO: "disk terlepas",
    errno.ENOENT: "folder target hilang di tengah penulisan (disk terlepas?)",
    errno.ESTALE: "folder jaringan terputus", errno.ENOTCONN: "folder jaringan terputus",
}


def os_reason(exc: OSError) -> str:
    """An OSError as Indonesian words: the English strerror means nothing to the operator, the
    errno says which of full, read-only or unplugged it was."""
    return OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))


# --- the keys on the server ------------------------------------------------------------------

def server_dir(home: Path) -> Path:
    return Path(home) / SERVER_DIR


def load_office_key(home: Path) -> OfficeKey | None:
    """The office's backup key, or None before the Admin set a passphrase."""
    path = server_dir(home) / OFFICE_KEY_FILE
    if not path.is_file():
        return None
    return OfficeKey(json.loads(path.read_text(encoding="utf-8")))


def _naming_key(home: Path) -> bytes:
    return bytes.fromhex((server_dir(home) / NAMING_KEY_FILE).read_text(encoding="ascii").strip())


def set_passphrase(session: Session, actor: Actor, *, home: Path, passphrase: str,
                   confirmation: str) -> OfficeKey:
    """Make the office's backup key from a passphrase (first time, or a new passphrase).

    A new passphrase makes a new key pair and a new naming key: the next backup copies every
    file again under the new key, and older generations still open with the old passphrase."""
    actor.require("cadangan.manage")
    if passphrase != confirmation:
        raise BackupError("Frasa sandi dan ulangannya tidak sama.")
    try:
        check_passphrase(passphrase)
    except CryptoError as exc:
        raise BackupError(str(exc)) from None
    previous = load_office_key(home)
    office_id = previous.document["kantor"] if previous else uuid.uuid4().hex
    key = new_office_key(passphrase, office_id=office_id,
                         created=clock.utc_now().isoformat(timespec="seconds"))
    if previous:
        for other in previous.document.get("penerima_lain", []):
            key = key.with_recipient(other["nama"], other["publik"])
    folder = server_dir(home)
    ensure_dir(folder)
    atomic_write_text(folder / NAMING_KEY_FILE, new_naming_key().hex(), mode=0o600)
    atomic_write_text(folder / OFFICE_KEY_FILE, json.dumps(key.document, indent=1), mode=0o600)
    record_event(session, actor, "cadangan.frasa_sandi", object_type="cadangan",
                 object_id=key.key_id, detail={"kunci": key.key_id, "baru": previous is None})
    session.commit()
    return key


def add_recipient(session: Session, actor: Actor, *, home: Path, name: str, public: str) -> OfficeKey:
    """Encrypt every later object for one more public key too (the kabupaten's)."""
    actor.require("cadangan.manage")
    key = load_office_key(home)
    if key is None:
        raise BackupError("Atur frasa sandi cadangan dulu.")
    if not name.strip():
        raise BackupError("Nama penerima wajib diisi.")
    try:
        key = key.with_recipient(name.strip(), public)
    except CryptoError as exc:
        raise BackupError(str(exc)) from None
    atomic_write_text(server_dir(home) / OFFICE_KEY_FILE, json.dumps(key.document, indent=1), mode=0o600)
    record_event(session, actor, "cadangan.penerima", object_type="cadangan", object_id=key.key_id,
                 detail={"penerima": name.strip()})
    session.commit()
    return key


# --- targets ---------------------------------------------------------------------------------

def add_target(session: Session, actor: Actor, *, nama: str, lokasi: str, label: str = "",
               home: Path | None = None, settings: Mapping | None = None) -> BackupTarget:
    """A folder target (the folder must exist now: a drive is plugged in when it is added), or
    an SFTP target when `lokasi` is `sftp://user@host[:port]/folder`; then `label` is the
    server's host key fingerprint (SHA256:…) and the server must answer with that key now."""
    actor.require("cadangan.manage")
    nama, lokasi, label = nama.strip(), lokasi.strip(), label.strip()
    if not nama or not lokasi:
        raise BackupError("Nama dan lokasi target wajib diisi.")
    if session.scalar(select(BackupTarget).where(BackupTarget.nama == nama)):
        raise BackupError(f"Target bernama {nama} sudah ada.")
    if lokasi.lower().startswith("sftp://"):
        from records.services.backup_sftp import normalise_fingerprint

        target = BackupTarget(nama=nama, jenis="sftp", lokasi=lokasi,
                              label=normalise_fingerprint(label), aktif=True, dibuat=clock.utc_now())
        if home is None or settings is None:
            raise BackupError("Target SFTP butuh folder data dan pengaturan Lemari.")
        with open_target(target, home=home, settings=settings) as opened:
            opened.check()
    else:
        if not Path(lokasi).is_absolute():
            raise BackupError("Lokasi target harus path lengkap, mis. /media/usb-cadangan, "
                              "atau sftp://pengguna@server/folder.")
        target = BackupTarget(nama=nama, jenis="folder", lokasi=lokasi, label=label, aktif=True,
                              dibuat=clock.utc_now())
        FolderTarget(target).check()
    session.add(target)
    session.commit()
    return target


@contextmanager
def open_target(target: BackupTarget, *, home: Path, settings: Mapping) -> Iterator:
    """The target as something to read and write (FolderTarget or SftpTarget), closed after.
    An SFTP target connects here: an unreachable server or a wrong host key is a BackupError."""
    if target.jenis != "sftp":
        yield FolderTarget(target)
        return
    from records.services.backup_sftp import SftpTarget

    opened = SftpTarget(target, key_file=sftp_key_file(home, settings),
                        timeout=float(settings.get("BACKUP_SFTP_TIMEOUT_SECONDS", 20)))
    opened.connect()
    try:
        yield opened
    finally:
        opened.close()


def sftp_key_file(home: Path, settings: Mapping) -> Path:
    """The office's SSH key for SFTP targets (BACKUP_SFTP_KEY_FILE, by default in the data folder)."""
    return Path(settings.get("BACKUP_SFTP_KEY_FILE") or server_dir(home) / SFTP_KEY_NAME)


def remove_target(session: Session, actor: Actor, nama: str) -> None:
    """Stop backing up to a target (what it holds stays there)."""
    actor.require("cadangan.manage")
    target = session.scalar(select(BackupTarget).where(BackupTarget.nama == nama))
    if target is None:
        raise BackupError(f"Target {nama} tidak ada.")
    session.delete(target)
    session.commit()


def find_target(session: Session, nama: str) -> BackupTarget | None:
    return session.scalar(select(BackupTarget).where(BackupTarget.nama == nama))


def list_targets(session: Session) -> list[BackupTarget]:
    return list(session.scalars(select(BackupTarget).order_by(BackupTarget.nama)))


class Target(Protocol):
    """What a backup, a rotation and a restore need of a target: a folder (FolderTarget) or an
    SFTP server (records.services.backup_sftp.SftpTarget). Paths are relative to
    `lemari-cadangan/`, with `/`. A file written with write_stream or write_text appears under
    its name only when whole (written as `*.tmp`, then renamed)."""

    name: str

    @property
    def where(self) -> str: ...
    def check(self) -> None: ...
    def free(self) -> tuple[int, int] | None: ...
    def exists(self, rel: str) -> bool: ...
    def is_dir(self, rel: str) -> bool: ...
    def write_stream(self, rel: str, writer) -> str: ...
    def write_text(self, rel: str, text: str) -> None: ...
    def read_text(self, rel: str) -> str: ...
    def open(self, rel: str) -> AbstractContextManager: ...
    def folders(self, rel: str) -> list[str]: ...
    def object_rels(self) -> list[str]: ...
    def remove(self, rel: str) -> None: ...
    def remove_tree(self, rel: str) -> None: ...
    def sync(self, rel: str) -> None: ...
    def tree_size(self, rel: str) -> int: ...
    def close(self) -> None: ...


class FolderTarget:
    """A target folder; every write is a temporary file, fsync, rename, fsync of the folder."""

    def __init__(self, target: BackupTarget | None = None, *, path: Path | None = None,
                 label: str = "", name: str = "") -> None:
        self.name = target.nama if target else (name or str(path))
        self.base = Path(target.lokasi if target else path)  # type: ignore[arg-type]
        self.label = target.label if target else label
        self.root = self.base / ROOT_DIR
        self._started = self.root.is_dir()  # once there, its vanishing means the drive went

    def check(self) -> None:
        """The drive is plugged in (its label file matches) and writable."""
        if not self.base.is_dir():
            raise BackupError(f"Target {self.name}: folder {self.base} tidak ada (disk belum "
                              "dipasang atau folder jaringan terputus).")
        if self.label:
            found = self.base / LABEL_FILE
            text = found.read_text(encoding="utf-8").strip() if found.is_file() else None
            if text != self.label:
                raise BackupError(f"Target {self.name}: disk berlabel {self.label} tidak terpasang di "
                                  f"{self.base} (berkas {LABEL_FILE} tidak cocok).")
        probe = self.base / f".lemari-uji-{os.getpid()}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            self._discard(probe)
            raise BackupError(f"Target {self.name}: tidak dapat menulis ke {self.base}: "
                              f"{os_reason(exc)}. Generasi sebelumnya tetap utuh.") from None

    def still_there(self) -> None:
        """Before a folder is created or a file renamed: the drive is still the one checked.
        A drive pulled out mid-run leaves an empty mount point on the PC's own disk; writing
        on there would fill the system disk with a backup nobody can find."""
        gone = not self.base.is_dir() or (self.label and not (self.base / LABEL_FILE).is_file())
        if gone or (self._started and not self.root.is_dir()):
            raise BackupError(f"Target {self.name}: disk terlepas atau folder {self.base} hilang di "
                              "tengah penulisan. Generasi sebelumnya tetap utuh; generasi setengah "
                              "jadi tidak dihitung dan dibersihkan pada pencadangan berikutnya.")

    @property
    def where(self) -> str:
        return str(self.base)

    def free(self) -> tuple[int, int] | None:
        usage = shutil.disk_usage(self.base)
        return usage.free, usage.total

    def is_dir(self, rel: str) -> bool:
        return self.path(rel).is_dir()

    def sync(self, rel: str) -> None:
        """Make a folder's renames and removals durable (fsync of the folder)."""
        fsync_dir(self.path(rel))

    def tree_size(self, rel: str) -> int:
        return sum(p.stat().st_size for p in self.path(rel).iterdir() if p.is_file())

    def object_rels(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in self.objects()]

    def close(self) -> None:
        """Nothing to close for a folder (SftpTarget closes its connection)."""

    def path(self, rel: str) -> Path:
        return self.root / rel

    def exists(self, rel: str) -> bool:
        return self.path(rel).is_file()

    def write_stream(self, rel: str, writer) -> str:
        """Write through `writer(fh)`; returns the written bytes' SHA-256."""
        final = self.path(rel)
        self.still_there()
        ensure_dir(final.parent)
        self._started = True
        temp = final.with_name(final.name + ".tmp")
        try:
            with open(temp, "wb") as raw:
                hashing = _HashingWriter(raw)
                writer(hashing)
                raw.flush()
                os.fsync(raw.fileno())
            self.still_there()
            os.replace(temp, final)
        except BaseException:
            self._discard(temp)
            raise
        fsync_dir(final.parent)
        return hashing.hexdigest()

    @staticmethod
    def _discard(temp: Path) -> None:
        """A cut write's `*.tmp` goes at once when the disk still takes removals (a full disk
        gets its space back); otherwise the next run's prune removes it."""
        try:
            temp.unlink(missing_ok=True)
        except OSError:
            pass

    def write_text(self, rel: str, text: str) -> None:
        self.still_there()
        ensure_dir(self.path(rel).parent)
        self._started = True
        atomic_write_text(self.path(rel), text)

    def read_text(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    @contextmanager
    def open(self, rel: str) -> Iterator:
        with open(self.path(rel), "rb") as fh:
            yield fh

    def folders(self, rel: str) -> list[str]:
        folder = self.path(rel)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def objects(self) -> Iterator[Path]:
        folder = self.path(OBJECTS)
        return (p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else iter(())

    def remove(self, rel: str) -> None:
        self.path(rel).unlink(missing_ok=True)

    def remove_tree(self, rel: str) -> None:
        shutil.rmtree(self.path(rel), ignore_errors=True)


class _HashingWriter:
    def __init__(self, raw) -> None:
        self.raw, self.hasher, self.size = raw, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def hexdigest(self) -> str:
        return self.hasher.hexdigest()


# --- generations and rotation ----------------------------------------------------------------

@dataclass
class Generation:
    """A complete generation on a target (its SELESAI.json was read)."""

    name: str
    created: dt.datetime
    done: dict


def generations(target: Target) -> list[Generation]:
    """Complete generations, oldest first; a folder without a readable SELESAI.json is not one."""
    found = []
    for name in target.folders(GENERATIONS):
        rel = f"{GENERATIONS}/{name}/{DONE}"
        if not target.exists(rel):
            continue
        try:
            done = json.loads(target.read_text(rel))
            created = dt.datetime.fromisoformat(done["dibuat"])
        except (ValueError, KeyError, OSError):
            continue
        found.append(Generation(name, created, done))
    return sorted(found, key=lambda g: (g.created, g.name))


def plan_keep(found: list[Generation], *, tz: str, daily: int, weekly: int, monthly: int) -> set[str]:
    """Names kept: the newest of each of the last `daily` days, `weekly` ISO weeks and `monthly`
    months (office dates), and always the newest of all."""
    zone = ZoneInfo(tz)
    keep: set[str] = set()
    for count, bucket in ((daily, lambda d: d.isoformat()),
                          (weekly, lambda d: tuple(d.isocalendar())[:2]),
                          (monthly, lambda d: (d.year, d.month))):
        seen: list = []
        for gen in reversed(found):
            key = bucket(gen.created.replace(tzinfo=dt.UTC).astimezone(zone).date())
            if key not in seen:
                if len(seen) >= count:
                    break
                seen.append(key)
                keep.add(gen.name)
    if found:
        keep.add(found[-1].name)
    return keep


def prune(target: Target, keep: set[str]) -> list[str]:
    """Remove generations outside `keep`, unfinished ones, and objects no kept generation names.
    Call it only under the backup lock (no other run is writing). Returns the removed names."""
    complete = {g.name: g for g in generations(target)}
    removed = []
    for name in target.folders(GENERATIONS):
        if name in complete and name in keep:
            continue
        target.remove(f"{GENERATIONS}/{name}/{DONE}")  # it stops counting first
        target.sync(f"{GENERATIONS}/{name}")
        target.remove_tree(f"{GENERATIONS}/{name}")
        if name in complete:
            removed.append(name)
    referenced = {obj for name in keep if name in complete for obj in complete[name].done["objek"]}
    for rel in target.object_rels():  # *.tmp of a cut write too
        if rel.rsplit("/", 1)[-1] not in referenced:
            target.remove(rel)
    return removed


# --- the snapshot (plaintext, inside the data folder) ----------------------------------------

@dataclass
class Snapshot:
    folder: Path
    database: str
    database_file: Path
    keys_file: Path
    shas: list[str]
    revision: str | None
    checkpoint: dict | None
    schema: str = ""  # a kecamatan's schema of a kabupaten database (its dump holds it alone)


def take_snapshot(work: Path, *, engine, database_url: str, home: Path,
                  checkpoint: dict | None) -> Snapshot:
    """A consistent database copy and the keys, in `work` (under HOME: never leaves it)."""
    from records.services.schema import SchemaError, current_state

    ensure_dir(work)
    kind = plain._dump_database(work, database_url, engine)
    keys = work / "kunci.tar"
    with tarfile.open(keys, "w") as tar:
        for name in KEY_FILES:
            if (Path(home) / name).exists():
                tar.add(Path(home) / name, arcname=name)
    try:
        revision = current_state(engine).current
    except SchemaError:
        revision = None
    database_file = work / (plain.SQLITE_FILE if kind == "sqlite" else plain.PG_FILE)
    return Snapshot(work, kind, database_file, keys, plain._referenced_files(engine), revision,
                    checkpoint, plain.kecamatan_schema(database_url))


# --- one backup to one target ----------------------------------------------------------------

@dataclass
class Written:
    generation: str
    new_objects: int
    bytes: int
    removed: list[str] = field(default_factory=list)
    warning: str = ""


def _blob_size(blobs: BlobStore, sha256: str) -> int:
    with blobs.open(sha256) as fh:
        return fh.seek(0, os.SEEK_END)


def _ensure_office(target: Target, key: OfficeKey, office_name: str) -> None:
    office = key.document["kantor"]
    if target.exists(OFFICE_FILE):
        try:
            held = json.loads(target.read_text(OFFICE_FILE)).get("kantor")
        except ValueError:
            held = None
        if held != office:
            raise BackupError(f"Target {target.name} berisi cadangan kantor lain; pilih disk atau "
                              "folder lain (tidak ada yang ditulis).")
    else:
        target.write_text(OFFICE_FILE, json.dumps({"format": FORMAT, "kantor": office,
                                                   "nama_kantor": office_name}, indent=1))
    key_rel = f"{KEY_DIR}/{key.key_id}.json"
    if not target.exists(key_rel):
        target.write_text(key_rel, json.dumps(key.document, indent=1))


def write_generation(target: Target, snapshot: Snapshot, *, blobs: BlobStore, key: OfficeKey,
                     naming_key: bytes, settings: Mapping, now: dt.datetime) -> Written:
    """Write one generation; SELESAI.json last. Raises BackupError before writing when the
    target is missing, another office's, or too full."""
    target.check()
    recipients = key.recipients()
    names = {sha: object_name(naming_key, sha) for sha in snapshot.shas if blobs.exists(sha)}
    missing = [sha for sha, name in names.items() if not target.exists(_object_rel(name))]
    new_bytes = sum(_blob_size(blobs, sha) for sha in missing)
    reserve = int(settings.get("BACKUP_RESERVE_MB", 8)) * 1024 * 1024
    need = (snapshot.database_file.stat().st_size + snapshot.keys_file.stat().st_size
            + new_bytes + reserve)
    space = target.free()  # None: the server does not say (the write itself may still fail)
    if space is not None and space[0] < need:
        raise BackupError(f"Target {target.name} hampir penuh: perlu {need / 1e6:.0f} MB, tersisa "
                          f"{space[0] / 1e6:.0f} MB. Generasi lama tetap utuh; kosongkan atau ganti disk.")
    _ensure_office(target, key, settings.get("OFFICE_NAME", ""))
    written = 0
    for sha in missing:
        with blobs.open(sha) as src:
            target.write_stream(_object_rel(names[sha]),
                                lambda fh, src=src: encrypt_stream(src, fh, recipients))
        written += 1
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    gen = f"{GENERATIONS}/{stamp}"
    if target.is_dir(gen):  # a cut run of this same second: start it afresh
        target.remove_tree(gen)
    files, plain_sha = {}, {}
    for label, source, enc in (("basisdata", snapshot.database_file, DATABASE_ENC),
                               ("kunci", snapshot.keys_file, KEYS_ENC)):
        with open(source, "rb") as src:
            holder: dict = {}
            files[enc] = target.write_stream(
                f"{gen}/{enc}", lambda fh, src=src, holder=holder: holder.update(
                    sha=encrypt_stream(src, fh, recipients)))
            plain_sha[label] = {"nama": enc, "sha256": holder["sha"]}
    contents = {"format": FORMAT, "kantor": key.document["kantor"],
                "nama_kantor": settings.get("OFFICE_NAME", ""), "dibuat": now.isoformat(),
                "revisi": snapshot.revision, "database": snapshot.database, "berkas": plain_sha,
                "objek": {sha: names[sha] for sha in sorted(names)}, "audit": snapshot.checkpoint}
    if snapshot.schema:  # restored into that kecamatan only (records.services.backup)
        contents["skema"] = snapshot.schema
    payload = io.BytesIO(json.dumps(contents).encode("utf-8"))
    files[CONTENTS_ENC] = target.write_stream(f"{gen}/{CONTENTS_ENC}",
                                              lambda fh: encrypt_stream(payload, fh, recipients))
    done = {"format": FORMAT, "kantor": key.document["kantor"], "kunci": key.key_id,
            "dibuat": now.isoformat(), "objek": sorted(names.values()), "berkas": files}
    target.write_text(f"{gen}/{DONE}", json.dumps(done, indent=1))  # the generation now counts
    target.sync(GENERATIONS)
    keep = plan_keep(generations(target), tz=settings["TIMEZONE"],
                     daily=settings["BACKUP_KEEP_DAILY"], weekly=settings["BACKUP_KEEP_WEEKLY"],
                     monthly=settings["BACKUP_KEEP_MONTHLY"])
    removed = prune(target, keep)
    size = target.tree_size(gen)
    warning = space_warning(target, target.free(), next_need=size + new_bytes + reserve,
                            settings=settings)
    return Written(stamp, written, size, removed, warning)


def space_warning(target: Target, space: tuple[int, int] | None, *, next_need: int,
                  settings: Mapping) -> str:
    """Warn while the target still takes backups, not when it refuses one: the next run is
    expected to need what this one did (its generation, the files it added, the reserve).
    Fewer than BACKUP_WARN_RUNS_LEFT such runs left, or less than BACKUP_WARN_FREE_PERCENT
    free, is a warning (shown on /cadangan, the home page and `lemari doctor`)."""
    if not space or not space[1]:
        return ""
    free, total = space
    runs_left = free // max(next_need, 1)
    if runs_left < int(settings.get("BACKUP_WARN_RUNS_LEFT", 3)):
        return (f"Target {target.name} hampir penuh: tersisa {free / 1e6:.1f} MB, cukup untuk "
                f"sekitar {runs_left} cadangan lagi (tiap cadangan perlu sekitar "
                f"{next_need / 1e6:.1f} MB). Kosongkan atau ganti disk sebelum cadangan gagal.")
    if free * 100 < total * settings["BACKUP_WARN_FREE_PERCENT"]:
        return (f"Target {target.name} hampir penuh: tersisa {free / 1e6:.0f} MB "
                f"({free * 100 // total}%).")
    return ""


def _object_rel(name: str) -> str:
    return f"{OBJECTS}/{name[:2]}/{name}"


# --- the run: lock, snapshot, every target, the record ---------------------------------------

@contextmanager
def backup_lock(home: Path, wait: int = 5) -> Iterator[None]:
    """One backup, restore or drill at a time per data folder (released when the process dies)."""
    folder = server_dir(home)
    ensure_dir(folder)
    with open(folder / "proses.lock", "a+") as fh:
        for attempt in range(wait * 10 + 1):  # a status look (home page) holds it an instant
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == wait * 10:
                    raise BackupError("Pencadangan lain sedang berjalan; coba lagi sebentar lagi.") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def lock_is_free(home: Path) -> bool:
    try:
        with backup_lock(home, wait=0):
            return True
    except BackupError:
        return False


def reap_interrupted(session: Session) -> int:
    """Runs left `berjalan` by a process that died (call with the lock held): failed."""
    rows = list(session.scalars(select(BackupRun).where(BackupRun.status == "berjalan")))
    for row in rows:
        row.status, row.selesai = "gagal", clock.utc_now()
        row.pesan = "Terputus (listrik padam atau proses dihentikan); generasi setengah jadi tidak dihitung."
    session.commit()
    return len(rows)


def run_backup(session: Session, *, engine, database_url: str, blobs: BlobStore, home: Path,
               settings: Mapping, pemicu: str, checkpoint: dict | None = None) -> list[BackupRun]:
    """Back up to every active target; one BackupRun per target. A target that fails does not
    stop the others. Raises BackupError only when nothing can start (no key, no target, busy)."""
    if pemicu not in TRIGGERS:
        raise BackupError(f"Pemicu cadangan {pemicu} tidak dikenal.")
    key = load_office_key(home)
    if key is None:
        raise BackupError("Frasa sandi cadangan belum diatur; Admin mengaturnya di halaman Cadangan.")
    targets = [t for t in list_targets(session) if t.aktif]
    if not targets:
        raise BackupError("Belum ada target cadangan; tambahkan di halaman Cadangan.")
    session.rollback()  # end the read transaction before the snapshot
    with backup_lock(home):
        reap_interrupted(session)
        now = clock.utc_now()
        work = server_dir(home) / "kerja" / now.strftime("%Y%m%dT%H%M%SZ")
        shutil.rmtree(server_dir(home) / "kerja", ignore_errors=True)
        try:
            snapshot = take_snapshot(work, engine=engine, database_url=database_url, home=home,
                                     checkpoint=checkpoint)
            naming = _naming_key(home)
            runs = [BackupRun(jenis="cadangan", pemicu=pemicu, target_id=t.id, target_nama=t.nama,
                              mulai=now, status="berjalan", generasi="", berkas_baru=0,
                              byte_ditulis=0, pesan="") for t in targets]
            session.add_all(runs)
            session.commit()
            for target, run in zip(targets, runs, strict=True):
                try:
                    with open_target(target, home=home, settings=settings) as opened:
                        result = write_generation(opened, snapshot, blobs=blobs, key=key,
                                                  naming_key=naming, settings=settings, now=now)
                except (BackupError, CryptoError) as exc:
                    run.status, run.pesan = "gagal", str(exc)
                except OSError as exc:
                    run.status = "gagal"
                    run.pesan = (f"Target {target.nama}: gagal menulis, {os_reason(exc)}. Generasi "
                                 "sebelumnya tetap utuh; generasi setengah jadi tidak dihitung.")
                else:
                    run.status, run.generasi = "berhasil", result.generation
                    run.berkas_baru, run.byte_ditulis = result.new_objects, result.bytes
                    run.pesan = result.warning or (f"{len(snapshot.shas)} berkas; {result.new_objects} "
                                                   f"baru; {len(result.removed)} generasi lama dihapus.")
                run.selesai = clock.utc_now()
                session.commit()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return runs


# --- reading a generation back ---------------------------------------------------------------

@dataclass
class Opened:
    """A generation decrypted into a folder in the plain backup layout (services.backup)."""

    folder: Path
    contents: dict
    generation: str


def open_generation(target: Target, staging: Path, *, passphrase: str | None = None,
                    identity: str | None = None, generation: str | None = None) -> Opened:
    """Decrypt a generation (the newest by default) into `staging`, checking every plaintext
    SHA-256; the result passes `services.backup.verify_backup`. Any problem raises BackupError
    and removes what was written."""
    found = generations(target)
    if not found:
        raise BackupError(f"{target.where} tidak berisi generasi cadangan Lemari yang lengkap.")
    chosen = found[-1] if generation is None else next((g for g in found if g.name == generation), None)
    if chosen is None:
        raise BackupError(f"Generasi {generation} tidak ada; yang ada: "
                          + ", ".join(g.name for g in found[-10:]))
    if chosen.done.get("format", 0) > FORMAT:
        raise BackupError("Cadangan ini dibuat oleh versi Lemari yang lebih baru; perbarui Lemari dulu.")
    try:
        if identity is not None:
            private = identity_from_text(identity)
        else:
            key = OfficeKey(json.loads(target.read_text(f"{KEY_DIR}/{chosen.done['kunci']}.json")))
            private = key.unlock(passphrase or "")
    except (OSError, ValueError, KeyError):
        raise BackupError(f"Kunci cadangan generasi {chosen.name} tidak ada atau rusak di target.") from None
    except CryptoError as exc:
        raise BackupError(str(exc)) from None
    if staging.exists():
        shutil.rmtree(staging)
    ensure_dir(staging)
    try:
        return _decrypt_into(target, chosen, private, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _decrypt_into(target: Target, gen: Generation, private, staging: Path) -> Opened:
    base = f"{GENERATIONS}/{gen.name}"
    for name, expected in gen.done["berkas"].items():
        if not target.exists(f"{base}/{name}"):
            raise BackupError(f"Cadangan rusak: {name} hilang dari generasi {gen.name}; tidak ada yang "
                              "dipulihkan.")
        del expected  # the ciphertext is authenticated chunk by chunk below
    buffer = io.BytesIO()
    _decrypt(target, f"{base}/{CONTENTS_ENC}", buffer, private)
    contents = json.loads(buffer.getvalue())
    if contents.get("format", 0) > FORMAT:
        raise BackupError("Cadangan ini dibuat oleh versi Lemari yang lebih baru; perbarui Lemari dulu.")
    database = plain.SQLITE_FILE if contents["database"] == "sqlite" else plain.PG_FILE
    for label, out in (("basisdata", staging / database), ("kunci", staging / "kunci.tar")):
        entry = contents["berkas"][label]
        with open(out, "wb") as fh:
            got = _decrypt(target, f"{base}/{entry['nama']}", fh, private)
        if got != entry["sha256"]:
            raise BackupError(f"Cadangan rusak: {entry['nama']} tidak sesuai manifest.")
    for sha, name in contents["objek"].items():
        out = staging / plain.FILES_DIR / sha[:2] / sha
        ensure_dir(out.parent)
        with open(out, "wb") as fh:
            got = _decrypt(target, _object_rel(name), fh, private)
        if got != sha:
            raise BackupError(f"Cadangan rusak: objek {name[:12]}… bukan berkas {sha[:12]}….")
    with tarfile.open(staging / "kunci.tar") as tar:
        tar.extractall(staging / "kunci", filter="data")
    (staging / "kunci.tar").unlink()
    for name in ("secret_key", "pki"):
        if (staging / "kunci" / name).exists():
            os.replace(staging / "kunci" / name, staging / name)
    if contents.get("audit"):
        atomic_write_text(staging / plain.AUDIT_CHECKPOINT, json.dumps(contents["audit"], indent=1))
    info = {"format": plain.FORMAT_VERSION, "database": contents["database"],
            "files": len(contents["objek"]), "created": contents["dibuat"]}
    if contents.get("audit"):
        info["audit"] = contents["audit"]["head"]
    if contents.get("skema"):
        info["schema"] = contents["skema"]
    atomic_write_text(staging / plain.INFO, json.dumps(info, indent=1))
    plain.write_manifest(staging)
    return Opened(staging, contents, gen.name)


def _decrypt(target: Target, rel: str, out, private) -> str:
    if not target.exists(rel):
        raise BackupError(f"Cadangan rusak: {rel} hilang; tidak ada yang dipulihkan.")
    try:
        with target.open(rel) as fh:
            return decrypt_stream(fh, out, private, name=Path(rel).name)
    except CryptoError as exc:
        raise BackupError(f"{exc} Tidak ada yang dipulihkan.") from None


def restore_server_keys(opened: Opened, home: Path) -> None:
    """Put the backup keys of the restored office back (after services.backup.restore)."""
    for name in (OFFICE_KEY_FILE, NAMING_KEY_FILE):
        source = opened.folder / "kunci" / SERVER_DIR / name
        if source.is_file():
            atomic_write_bytes(server_dir(home) / name, source.read_bytes(), mode=0o600)


def office_of(home: Path) -> str | None:
    key = load_office_key(home)
    return key.document["kantor"] if key else None


# --- drills and status -----------------------------------------------------------------------

def start_run(session: Session, *, jenis: str, pemicu: str, target: BackupTarget | None) -> BackupRun:
    run = BackupRun(jenis=jenis, pemicu=pemicu, target_id=target.id if target else None,
                    target_nama=target.nama if target else "", mulai=clock.utc_now(),
                    status="berjalan", generasi="", berkas_baru=0, byte_ditulis=0, pesan="")
    session.add(run)
    session.commit()
    return run


def finish_run(session: Session, run: BackupRun, *, ok: bool, message: str, generation: str = "") -> None:
    run.status, run.pesan, run.generasi = ("berhasil" if ok else "gagal"), message, generation
    run.selesai = clock.utc_now()
    session.commit()


@dataclass
class Status:
    """What the home page and doctor say about backups."""

    configured: bool
    problems: list[str]
    lines: list[str]


def status(session: Session, *, home: Path, settings: Mapping) -> Status:
    """Missed, failed or interrupted backups and drills, as Indonesian sentences."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        targets = [t for t in list_targets(session) if t.aktif]
    except SQLAlchemyError:  # a database from before this feature's migration
        session.rollback()
        return Status(False, [], ["Tabel cadangan belum ada (jalankan lemari init)."])
    key = load_office_key(home)
    if not targets and key is None:
        return Status(False, [], ["Cadangan otomatis belum diatur."])
    now, tz = clock.utc_now(), settings["TIMEZONE"]
    problems, lines = [], []
    if key is None:
        problems.append("Frasa sandi cadangan belum diatur; cadangan otomatis tidak berjalan.")
    if not targets:
        problems.append("Belum ada target cadangan.")
    running_dead = lock_is_free(home)
    max_age = dt.timedelta(hours=settings["BACKUP_MAX_AGE_HOURS"])
    for target in targets:
        last = session.scalar(select(BackupRun).where(BackupRun.target_id == target.id,
                                                      BackupRun.jenis == "cadangan")
                              .order_by(BackupRun.mulai.desc(), BackupRun.id.desc()).limit(1))
        good = session.scalar(select(BackupRun).where(BackupRun.target_id == target.id,
                                                      BackupRun.jenis == "cadangan",
                                                      BackupRun.status == "berhasil")
                              .order_by(BackupRun.mulai.desc()).limit(1))
        when = clock.format_local(good.mulai, tz) if good else "belum pernah"
        lines.append(f"{target.nama}: cadangan berhasil terakhir {when}")
        if last is not None and (last.status == "gagal" or (last.status == "berjalan" and running_dead)):
            reason = last.pesan or "terputus (proses berhenti di tengah jalan)"
            problems.append(f"Cadangan ke {target.nama} gagal "
                            f"({clock.format_local(last.mulai, tz)}): {reason}")
        elif good is None or now - good.mulai > max_age:
            problems.append(f"Cadangan ke {target.nama} terlewat: yang berhasil terakhir {when}.")
        elif good.pesan.startswith(f"Target {target.nama} hampir penuh"):
            problems.append(good.pesan)
    drill = session.scalar(select(BackupRun).where(BackupRun.jenis == "latihan",
                                                   BackupRun.status != "berjalan")
                           .order_by(BackupRun.mulai.desc(), BackupRun.id.desc()).limit(1))
    if drill is not None:
        lines.append(f"Latihan pemulihan terakhir {clock.format_local(drill.mulai, tz)}: {drill.status}")
        if drill.status == "gagal":
            problems.append(f"Latihan pemulihan gagal ({clock.format_local(drill.mulai, tz)}): {drill.pesan}")
        elif now - drill.mulai > dt.timedelta(days=settings["BACKUP_DRILL_MAX_AGE_DAYS"]):
            problems.append("Latihan pemulihan mingguan terlewat.")
    elif targets and key is not None:
        has_backup = session.scalar(select(BackupRun.id).where(BackupRun.status == "berhasil").limit(1))
        if has_backup:
            lines.append("Latihan pemulihan belum pernah dijalankan.")
    return Status(True, problems, lines)


def history(session: Session, limit: int = 30) -> list[BackupRun]:
    return list(session.scalars(select(BackupRun).order_by(BackupRun.mulai.desc(), BackupRun.id.desc())
                                .limit(limit)))
