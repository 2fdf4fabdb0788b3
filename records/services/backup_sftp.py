"""A backup target on an SSH/SFTP server (OpenSSH at the kabupaten), through `paramiko`
(decision in docs/decisions.md). Same contract as a folder target (backup_targets.Target):
every file is written as `*.tmp`, fsync'd on the server (fsync@openssh.com) and renamed into
place with posix-rename@openssh.com, so a file exists under its name only when whole, and a
generation counts only when its SELESAI.json is there.

The server is trusted by one pinned host key fingerprint (`SHA256:…`, what `ssh-keygen -lf
/etc/ssh/ssh_host_ed25519_key.pub` prints at the kabupaten), kept as the target's `label`:
a server that answers with another key gets nothing, not even the office's login. The office
logs in with its own Ed25519 key, a file in the data folder (`lemari backup sftp-key` makes
it and prints the line for the server's authorized_keys). What goes over the wire is already
encrypted (backup_crypto); SSH only keeps the kabupaten's other users and the network out.
"""

from __future__ import annotations

import errno
import posixpath
import re
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paramiko
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from paramiko.sftp import CMD_EXTENDED

from archive.blobstore.atomic import atomic_write_bytes
from records.models.backup import BackupTarget
from records.services.backup_targets import ROOT_DIR, BackupError, _HashingWriter

FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def normalise_fingerprint(text: str) -> str:
    """`SHA256:…` out of what the kabupaten sent (a bare fingerprint or a whole `ssh-keygen -l`
    line); anything else is refused, since without a pin any server could pose as theirs."""
    found = FINGERPRINT.search(text or "")
    if not found:
        raise BackupError("Sidik jari kunci host server SFTP wajib diisi, bentuknya SHA256:… (minta "
                          "admin kabupaten menjalankan `ssh-keygen -lf "
                          "/etc/ssh/ssh_host_ed25519_key.pub`).")
    return found.group(0)


def make_key(path: Path, comment: str) -> str:
    """Create the office's SSH key (Ed25519, file 0600) unless it exists; return its public line
    for the server's `authorized_keys`."""
    if not path.is_file():
        private = Ed25519PrivateKey.generate()
        atomic_write_bytes(path, private.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH,
                                                       NoEncryption()), mode=0o600)
    key = paramiko.Ed25519Key.from_private_key_file(str(path))
    return f"{key.get_name()} {key.get_base64()} {comment}".strip()


class SftpTarget:
    """One SFTP target, connected by `connect()` and closed by `close()`."""

    def __init__(self, target: BackupTarget, *, key_file: Path, timeout: float = 20.0) -> None:
        self.name = target.nama
        self.pin = target.label
        self.key_file = Path(key_file)
        self.timeout = timeout
        parts = urlsplit(target.lokasi)
        if parts.scheme.lower() != "sftp" or not parts.hostname or not parts.username:
            raise BackupError(f"Target {self.name}: lokasi SFTP harus sftp://pengguna@server[:port]/folder.")
        try:
            self.port = parts.port or 22
        except ValueError:
            raise BackupError(f"Target {self.name}: nomor port pada {target.lokasi} tidak sah.") from None
        self.host, self.user = parts.hostname, unquote(parts.username)
        path = unquote(parts.path)  # /srv/x is absolute; /~/x is x in the user's home folder
        self.base = (path[3:] if path.startswith("/~/") else path.rstrip("/")) or "."
        self.root = posixpath.join(self.base, ROOT_DIR)
        self.transport: paramiko.Transport | None = None
        self.sftp: paramiko.SFTPClient | None = None

    @property
    def where(self) -> str:
        return f"sftp://{self.user}@{self.host}:{self.port}/{self.base.lstrip('/')}"

    # --- connection ----------------------------------------------------------------------

    def connect(self) -> None:
        """Open the SSH connection, check the host key against the pin BEFORE logging in, then
        log in with the office's key and start SFTP."""
        if not self.key_file.is_file():
            raise BackupError(f"Target {self.name}: kunci SSH kantor belum dibuat ({self.key_file.name}); "
                              "jalankan `lemari backup sftp-key` dan kirim baris kuncinya ke kabupaten.")
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise BackupError(f"Target {self.name}: server SFTP {self.host}:{self.port} tidak dapat "
                              f"dihubungi ({exc.strerror or exc}); jaringan ke kabupaten terputus? "
                              "Generasi sebelumnya tetap utuh.") from None
        transport = paramiko.Transport(sock)
        transport.banner_timeout = transport.auth_timeout = self.timeout
        self.transport = transport
        try:
            transport.start_client(timeout=self.timeout)
            offered = transport.get_remote_server_key()
            if offered.fingerprint != self.pin:
                raise BackupError(
                    f"Target {self.name}: kunci host server {self.host} tidak dikenal "
                    f"({offered.get_name()} {offered.fingerprint}); yang dipercaya {self.pin}. "
                    "Server mungkin diganti, atau ada pihak lain di jaringan: tanyakan admin "
                    "kabupaten. Tidak ada yang dikirim.")
            transport.auth_publickey(self.user, paramiko.Ed25519Key.from_private_key_file(str(self.key_file)))
            self.sftp = paramiko.SFTPClient.from_transport(transport)
            if self.sftp is None:
                raise paramiko.SSHException("subsistem sftp tidak tersedia")
            channel = self.sftp.get_channel()
            if channel is not None:
                channel.settimeout(self.timeout * 3)
        except paramiko.AuthenticationException:
            self.close()
            raise BackupError(f"Target {self.name}: server {self.host} menolak kunci SSH kantor; pasang "
                              "baris dari `lemari backup sftp-key` di authorized_keys pengguna "
                              f"{self.user}.") from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            self.close()
            raise BackupError(f"Target {self.name}: sambungan SSH ke {self.host}:{self.port} gagal "
                              f"({exc}). Generasi sebelumnya tetap utuh.") from None
        except BackupError:
            self.close()
            raise

    def close(self) -> None:
        for part in (self.sftp, self.transport):
            if part is not None:
                try:
                    part.close()
                except Exception:  # closing a broken connection is not an error worth reporting
                    pass
        self.sftp = self.transport = None

    @property
    def client(self) -> paramiko.SFTPClient:
        if self.sftp is None:
            raise BackupError(f"Target {self.name}: belum tersambung.")
        return self.sftp

    @property
    def _internals(self) -> Any:
        """paramiko's request layer, for the OpenSSH extensions it has no public call for
        (fsync, statvfs) and for reading pipelined answers (see _drain)."""
        return self.client

    def _path(self, rel: str) -> str:
        return posixpath.join(self.root, rel) if rel else self.root

    @contextmanager
    def _talking(self, what: str) -> Iterator[None]:
        """A dropped connection or a server refusal, said in Indonesian."""
        try:
            yield
        except BackupError:
            raise
        except (TimeoutError, ConnectionError, paramiko.SSHException, EOFError) as exc:
            raise BackupError(f"Target {self.name}: sambungan SFTP terputus saat {what} ({exc}); "
                              "generasi sebelumnya tetap utuh, yang setengah jadi tidak dihitung.") from None
        except OSError as exc:
            raise BackupError(f"Target {self.name}: server menolak {what} ({exc.strerror or exc}); "
                              "disk server penuh atau hanya-baca? Generasi sebelumnya tetap utuh.") from None

    # --- the Target contract -------------------------------------------------------------

    def check(self) -> None:
        """The folder exists on the server and takes a write."""
        try:
            mode = self.client.stat(self.base).st_mode or 0
        except OSError:
            mode = 0
        if not stat.S_ISDIR(mode):
            raise BackupError(f"Target {self.name}: folder {self.base} tidak ada di server {self.host}.")
        probe = posixpath.join(self.base, ".lemari-uji")
        with self._talking("uji tulis"):
            with self.client.open(probe, "wb") as fh:
                fh.write(b"ok")
            self.client.remove(probe)

    def free(self) -> tuple[int, int] | None:
        """Free and total bytes of the server's disk (statvfs@openssh.com); None when the
        server does not tell."""
        try:
            kind, msg = self._internals._request(CMD_EXTENDED, "statvfs@openssh.com", self.base)
        except (OSError, paramiko.SSHException, EOFError):
            return None
        if msg is None:
            return None
        bsize, frsize, blocks, _bfree, bavail = (msg.get_int64() for _ in range(5))
        del bsize, kind
        return bavail * frsize, blocks * frsize

    def _stat_mode(self, rel: str) -> int:
        try:
            return self.client.stat(self._path(rel)).st_mode or 0
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return 0
            raise

    def exists(self, rel: str) -> bool:
        with self._talking("membaca"):
            return stat.S_ISREG(self._stat_mode(rel))

    def is_dir(self, rel: str) -> bool:
        with self._talking("membaca"):
            return stat.S_ISDIR(self._stat_mode(rel))

    def _makedirs(self, path: str) -> None:
        parts, built = path.split("/"), []
        for part in parts:
            built.append(part)
            here = "/".join(built) or "/"
            if not part or part == ".":
                continue
            try:
                self.client.stat(here)
            except OSError:
                self.client.mkdir(here)

    def write_stream(self, rel: str, writer) -> str:
        """Write through `writer(fh)` into `rel.tmp`, fsync it on the server, rename it into
        place; returns the written bytes' SHA-256."""
        final = self._path(rel)
        temp = final + ".tmp"
        with self._talking(f"menulis {rel}"):
            self._makedirs(posixpath.dirname(final))
            with self.client.open(temp, "wb") as raw:
                raw.set_pipelined(True)
                hashing = _HashingWriter(raw)
                writer(hashing)
                raw.flush()
                self._drain(raw)
                self._internals._request(CMD_EXTENDED, "fsync@openssh.com", raw.handle)
            written = self.client.stat(temp).st_size
            if written != hashing.size:
                raise BackupError(f"Target {self.name}: server menyimpan {written} dari {hashing.size} "
                                  f"byte {rel}; disk server penuh? Generasi sebelumnya tetap utuh.")
            self.client.posix_rename(temp, final)
        return hashing.hexdigest()

    def _drain(self, raw) -> None:
        """Read the server's answer to every pipelined write still unanswered, raising on the
        first refusal. paramiko (5.1) reads them only when more than 100 are waiting, and its
        close() drops the rest unread: a disk that fills up near the end of a file would go
        unnoticed and a cut-short file would be renamed into place."""
        while raw._reqs:
            self._internals._read_response(raw._reqs.popleft())

    def write_text(self, rel: str, text: str) -> None:
        self.write_stream(rel, lambda fh: fh.write(text.encode("utf-8")))

    def read_text(self, rel: str) -> str:
        with self._talking(f"membaca {rel}"), self.client.open(self._path(rel), "rb") as fh:
            return fh.read().decode("utf-8")

    @contextmanager
    def open(self, rel: str) -> Iterator:
        with self._talking(f"membaca {rel}"), self.client.open(self._path(rel), "rb") as fh:
            fh.prefetch()
            yield fh

    def _listing(self, path: str) -> list[paramiko.SFTPAttributes]:
        try:
            return self.client.listdir_attr(path)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return []
            raise

    def folders(self, rel: str) -> list[str]:
        with self._talking("membaca daftar generasi"):
            return sorted(a.filename for a in self._listing(self._path(rel)) if stat.S_ISDIR(a.st_mode or 0))

    def object_rels(self) -> list[str]:
        from records.services.backup_targets import OBJECTS

        found = []
        with self._talking("membaca daftar objek"):
            for shard in self._listing(self._path(OBJECTS)):
                if stat.S_ISDIR(shard.st_mode or 0):
                    found += [f"{OBJECTS}/{shard.filename}/{a.filename}"
                              for a in self._listing(self._path(f"{OBJECTS}/{shard.filename}"))
                              if stat.S_ISREG(a.st_mode or 0)]
        return found

    def remove(self, rel: str) -> None:
        with self._talking(f"menghapus {rel}"):
            try:
                self.client.remove(self._path(rel))
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise

    def remove_tree(self, rel: str) -> None:
        with self._talking(f"menghapus {rel}"):
            self._remove_tree(self._path(rel))

    def _remove_tree(self, path: str) -> None:
        for entry in self._listing(path):
            child = posixpath.join(path, entry.filename)
            if stat.S_ISDIR(entry.st_mode or 0):
                self._remove_tree(child)
            else:
                self.client.remove(child)
        try:
            self.client.rmdir(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise

    def sync(self, rel: str) -> None:
        """SFTP has no fsync of a folder; each file was fsync'd before its rename."""

    def tree_size(self, rel: str) -> int:
        with self._talking("membaca ukuran generasi"):
            return sum(a.st_size or 0 for a in self._listing(self._path(rel)) if stat.S_ISREG(a.st_mode or 0))
