"""A real NUT server for the power tests (and the `nut` fixture the test modules import):
nut-server), started in a temporary folder with their own configuration on a free loopback
port, run as the current user (as root they are told to stay root: `-u root`).

The driver plays a `.seq` file: `ups.status: …` lines, each block held for `TIMER <seconds>`,
the way a real UPS moves from OL to OB to OB LB and back.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

UPSD = Path("/lib/nut/upsd")
DUMMY_UPS = Path("/lib/nut/dummy-ups")
UPS = "kantor"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_nut() -> None:
    """Skip (fail in CI, where scripts/system-deps.sh test installs them) without NUT."""
    missing = [str(p) for p in (UPSD, DUMMY_UPS) if not p.exists()]
    if missing:
        reason = f"NUT not installed ({', '.join(missing)} missing; apt-get install nut-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — scripts/system-deps.sh test installs it")
        pytest.skip(reason)


class NutRig:
    """upsd plus one dummy-ups driver named `kantor`, each a child process of the test."""

    def __init__(self, folder: Path, definition: str, *, suffix: str = "seq") -> None:
        self.folder, self.port = folder, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        (folder / f"ups.{suffix}").write_text(definition)
        (folder / "ups.conf").write_text(
            f'[{UPS}]\n  driver = dummy-ups\n  port = ups.{suffix}\n  desc = "UPS uji"\n')
        (folder / "upsd.conf").write_text(f"LISTEN 127.0.0.1 {self.port}\n")
        (folder / "upsd.users").write_text("")
        (folder / "nut.conf").write_text("MODE=standalone\n")
        for name in ("ups.conf", "upsd.conf", "upsd.users", "nut.conf"):
            (folder / name).chmod(0o600)
        self.env = {**os.environ, "NUT_CONFPATH": str(folder), "NUT_STATEPATH": str(folder),
                    "NUT_ALTPIDPATH": str(folder)}
        self.user = ["-u", getpass.getuser()] if os.geteuid() == 0 else []
        self.upsd: subprocess.Popen | None = None
        self.driver: subprocess.Popen | None = None

    def start_upsd(self) -> None:
        self.upsd = subprocess.Popen([str(UPSD), "-F", *self.user], env=self.env, cwd=self.folder,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.upsd.poll() is None, self.upsd.stderr.read().decode()
                assert time.monotonic() < deadline, "upsd did not start"
                time.sleep(0.1)

    def start_driver(self) -> None:
        self.driver = subprocess.Popen([str(DUMMY_UPS), "-a", UPS, "-F", *self.user], env=self.env,
                                       cwd=self.folder, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)

    def stop_driver(self) -> None:
        _stop(self.driver)
        self.driver = None

    def close(self) -> None:
        _stop(self.driver)
        _stop(self.upsd)


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(predicate, *, timeout: float = 60.0, what: str = "condition", interval: float = 0.2):
    """Poll `predicate()` until it returns something true (returned), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


@pytest.fixture(name="nut")
def nut_fixture(tmp_path):
    """Build rigs in this test's folder; every rig is closed after the test."""
    require_nut()
    rigs: list[NutRig] = []

    def make(definition: str, *, suffix: str = "seq", driver: bool = True) -> NutRig:
        rig = NutRig(tmp_path / f"nut{len(rigs)}", definition, suffix=suffix)
        rigs.append(rig)
        rig.start_upsd()
        if driver:
            rig.start_driver()
        return rig

    yield make
    for rig in rigs:
        rig.close()
