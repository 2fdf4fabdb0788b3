"""A real OpenSSH server for the SFTP backup tests (and the `sshd` fixture test modules import):
Debian's /usr/sbin/sshd (openssh-server), started by the test in a temporary folder with its
own generated Ed25519 host key, its own authorized_keys, on a free loopback port, logging in
as the current user (root in CI).

Variants: `read_only=True` serves SFTP read-only (`internal-sftp -R`, what a kabupaten does to
a folder it only wants read); `file_limit=N` starts sshd with RLIMIT_FSIZE N bytes (SIGXFSZ
ignored), so the server can write no file longer than N bytes: a disk that fills up in the
middle of a backup.
"""

from __future__ import annotations

import getpass
import os
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
PRIVSEP = Path("/run/sshd")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_sshd() -> None:
    """Skip without openssh-server; under CI=true fail (scripts/system-deps.sh test installs it)."""
    if not SSHD.exists():
        reason = f"OpenSSH server not installed ({SSHD} missing; apt-get install openssh-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — scripts/system-deps.sh test installs it")
        pytest.skip(reason)


def fingerprint(public_file: Path) -> str:
    """`SHA256:…` as `ssh-keygen -lf` prints it (what the kabupaten gives the office)."""
    line = subprocess.run(["ssh-keygen", "-lf", str(public_file)], check=True, capture_output=True,
                          text=True).stdout
    return next(part for part in line.split() if part.startswith("SHA256:"))


class SshdRig:
    """One sshd, a child process of the test; `restart()` keeps its host key and folders."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        self.host_key = folder / "host_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kabupaten",
                        "-f", str(self.host_key)], check=True)
        self.fingerprint = fingerprint(self.host_key.with_suffix(".pub"))
        self.authorized = folder / "authorized_keys"
        self.authorized.write_text("")
        self.user = getpass.getuser()
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = folder / "sshd.log"

    def url(self, path: Path) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}{path}"

    def authorize(self, public_line: str) -> None:
        self.authorized.write_text(public_line.strip() + "\n")
        self.authorized.chmod(0o600)

    def start(self, *, read_only: bool = False, file_limit: int | None = None) -> None:
        sftp = "internal-sftp -R" if read_only else "internal-sftp"
        config = self.folder / "sshd_config"
        config.write_text(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.host_key}
PidFile {self.folder / "sshd.pid"}
AuthorizedKeysFile {self.authorized}
AllowUsers {self.user}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp {sftp}
""")
        if os.geteuid() == 0:
            PRIVSEP.mkdir(mode=0o755, exist_ok=True)  # what Debian's ssh.service creates

        def limits() -> None:
            if file_limit is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log,
                                            stderr=log, preexec_fn=limits)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.process.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, "sshd did not start: " + self.log.read_text()
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def restart(self, **options) -> None:
        self.stop()
        self.start(**options)


@pytest.fixture(name="sshd")
def sshd_fixture(tmp_path):
    """A started OpenSSH server on a free port; stopped after the test."""
    require_sshd()
    rig = SshdRig(tmp_path / "sshd")
    rig.start()
    yield rig
    rig.stop()
