"""A small client of NUT's network protocol (upsd, TCP port 3493), stdlib only.

The protocol is one line per command, answered by one line or a `BEGIN LIST … END LIST` block:

    LIST VAR <ups>            BEGIN LIST VAR <ups> / VAR <ups> <name> "<value>" … / END LIST VAR <ups>
    LOGOUT                    OK Goodbye

Errors are `ERR <CODE>`: UNKNOWN-UPS (no such UPS in ups.conf), DATA-STALE (the driver stopped
answering), DRIVER-NOT-CONNECTED, ACCESS-DENIED … Reading variables needs no login.

`ups.status` is a list of flags: OL (on line power), OB (on battery), LB (low battery), plus
others this client passes through (CHRG, DISCHRG, RB, BYPASS, CAL, OFF, OVER, TRIM, BOOST, FSD).
A UPS that cannot be read gives `UpsUnreachable` with the reason in Indonesian, never a crash.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

ERRORS = {
    "UNKNOWN-UPS": "UPS tidak dikenal oleh upsd (periksa UPS_NAME dan ups.conf)",
    "DATA-STALE": "data UPS basi: driver tidak lagi menjawab",
    "DRIVER-NOT-CONNECTED": "driver UPS tidak tersambung ke upsd",
    "ACCESS-DENIED": "upsd menolak akses (periksa LISTEN dan izin di upsd.conf)",
}
MAX_LINE = 4096
MAX_LINES = 1000


class UpsUnreachable(Exception):
    """The UPS cannot be read now; the message says why, in Indonesian."""


@dataclass(frozen=True)
class Reading:
    """One reading of a UPS: its status flags and the variables upsd listed."""

    ups: str
    flags: frozenset[str]
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.variables.get("ups.status", " ".join(sorted(self.flags)))

    @property
    def on_battery(self) -> bool:
        return "OB" in self.flags

    @property
    def low_battery(self) -> bool:
        """Low battery counts only on battery (a UPS on line power with LB is charging)."""
        return "OB" in self.flags and ("LB" in self.flags or "FSD" in self.flags)

    @property
    def online(self) -> bool:
        return "OL" in self.flags and "OB" not in self.flags

    @property
    def charge(self) -> int | None:
        value = self.variables.get("battery.charge", "")
        try:
            return round(float(value))
        except ValueError:
            return None

    @property
    def runtime(self) -> int | None:
        """Seconds of battery left, when the UPS says."""
        value = self.variables.get("battery.runtime", "")
        try:
            return round(float(value))
        except ValueError:
            return None


def read_ups(host: str, port: int, ups: str, *, timeout: float = 3.0) -> Reading:
    """`LIST VAR <ups>` over one short connection; raises UpsUnreachable."""
    if not ups or any(c in ups for c in ' "\r\n'):
        raise UpsUnreachable(f"nama UPS tidak sah: {ups!r}")
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            stream = sock.makefile("rwb")
            stream.write(f"LIST VAR {ups}\n".encode("ascii"))
            stream.flush()
            variables = _read_list(stream, ups)
            try:
                stream.write(b"LOGOUT\n")
                stream.flush()
            except OSError:
                pass
    except UpsUnreachable:
        raise
    except TimeoutError:
        raise UpsUnreachable(f"upsd di {host}:{port} tidak menjawab dalam {timeout:g} detik") from None
    except ConnectionRefusedError:
        raise UpsUnreachable(f"upsd di {host}:{port} menolak sambungan (tidak berjalan?)") from None
    except OSError as exc:
        raise UpsUnreachable(f"upsd di {host}:{port} tidak terjangkau: {exc.strerror or exc}") from None
    status = variables.get("ups.status", "")
    if not status:
        raise UpsUnreachable("UPS tidak melaporkan ups.status")
    if status.split() == ["WAIT"]:
        raise UpsUnreachable("upsd masih menunggu data pertama dari driver UPS")
    return Reading(ups, frozenset(status.split()), variables)


def _read_list(stream, ups: str) -> dict[str, str]:
    first = _line(stream)
    if first.startswith("ERR "):
        raise UpsUnreachable(_error(first))
    if first != f"BEGIN LIST VAR {ups}":
        raise UpsUnreachable(f"jawaban upsd tidak dikenal: {first[:80]!r}")
    variables: dict[str, str] = {}
    for _ in range(MAX_LINES):
        line = _line(stream)
        if line == f"END LIST VAR {ups}":
            return variables
        if line.startswith("ERR "):
            raise UpsUnreachable(_error(line))
        name, value = parse_var(line, ups)
        variables[name] = value
    raise UpsUnreachable("jawaban upsd terlalu panjang")


def _line(stream) -> str:
    raw = stream.readline(MAX_LINE)
    if not raw:
        raise UpsUnreachable("upsd menutup sambungan")
    return raw.decode("utf-8", "replace").rstrip("\r\n")


def _error(line: str) -> str:
    code = line[4:].split()[0] if len(line) > 4 else ""
    return ERRORS.get(code, f"upsd menjawab {line[:80]}")


def parse_var(line: str, ups: str) -> tuple[str, str]:
    """`VAR <ups> <name> "<value>"` → (name, value); the value's \\" and \\\\ are unescaped."""
    prefix = f"VAR {ups} "
    if not line.startswith(prefix):
        raise UpsUnreachable(f"baris upsd tidak dikenal: {line[:80]!r}")
    name, _, quoted = line[len(prefix):].partition(" ")
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise UpsUnreachable(f"nilai upsd tidak dikenal: {line[:80]!r}")
    value, escaped = [], False
    for char in quoted[1:-1]:
        if escaped:
            value.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            value.append(char)
    return name, "".join(value)
