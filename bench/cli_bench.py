"""`lemari bench cli`: how long a `lemari` command takes before it does its work.

Each row starts the real console script (`lemari` beside this Python, else the same entry point
through `python -c`) in a fresh process `n` times and keeps the median and the slowest wall
time, the median CPU time of the child (user + system) and which heavy libraries the command
imported (read from ``python -X importtime``). Commands that need no app (`lemari nik`, help
of the benchmark group) must answer within 0.3 s; the rest build the app and are listed as
reference, with `python -c pass` as the floor of any Python process on this machine.
The host's 1-minute load average is printed beside, as every Lemari benchmark does.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.3
#: Libraries a command that needs no app must not import.
HEAVY = ("flask_appbuilder", "sqlalchemy", "weasyprint", "pyhanko", "whoosh", "huey")
#: (label, arguments, needs an app)
ROWS = (
    ("lemari nik 6402081708050001", ["nik", "6402081708050001"], False),
    ("lemari nik --help", ["nik", "--help"], False),
    ("lemari bench --help", ["bench", "--help"], False),
    ("lemari --help", ["--help"], True),
    ("lemari db current", ["db", "current"], True),
)


def _command(args: list[str], *, importtime: bool = False) -> list[str]:
    script = Path(sys.executable).with_name("lemari")
    flags = ["-X", "importtime"] if importtime else []
    if script.is_file() and not importtime:
        return [str(script), *args]
    return [sys.executable, *flags, "-c",
            f"import sys; sys.argv = ['lemari', *{args!r}]; from records.console import main; main()"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(command: list[str], env: dict) -> tuple[float, float, int]:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, timeout=120)
    return time.perf_counter() - started, _children_cpu() - cpu_before, done.returncode


def _imported(args: list[str], env: dict) -> list[str]:
    """The heavy libraries the command imports (python -X importtime writes one line each)."""
    done = subprocess.run(_command(args, importtime=True), env=env, capture_output=True, text=True,
                          timeout=120)
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0]
             for line in done.stderr.splitlines() if line.startswith("import time:")}
    return [name for name in HEAVY if name in names]


def run(n: int = 10, log=print) -> dict:
    """Measure; returns the results as a dict (see format_table)."""
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="lemari-bench-cli-") as home:
        env = {**os.environ, "LEMARI_HOME": home, "LEMARI_LOG_LEVEL": "ERROR"}
        for label, args, needs_app in (("python -c pass (floor)", None, False), *ROWS):
            command = [sys.executable, "-c", "pass"] if args is None else _command(args)
            wall, cpu, codes = [], [], set()
            for _ in range(n):
                seconds, cpu_seconds, code = _once(command, env)
                wall.append(seconds)
                cpu.append(cpu_seconds)
                codes.add(code)
            row = {"command": label, "needs_app": needs_app, "median_s": round(statistics.median(wall), 3),
                   "max_s": round(max(wall), 3), "cpu_s": round(statistics.median(cpu), 3),
                   "exit": sorted(codes), "imports": [] if args is None else _imported(args, env)}
            rows.append(row)
            log(f"{label}: {row['median_s']} s")
    return {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "n": n, "rows": rows,
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def format_table(r: dict) -> str:
    """The results as a Markdown table."""
    lines = ["| Command | Median s | Slowest s | CPU s (median) | Heavy imports | Target | Met |",
             "|---|---|---|---|---|---|---|"]
    for row in r["rows"]:
        if row["command"].startswith("python"):
            target, met = "floor", ""
        elif row["needs_app"]:
            target, met = "reference (builds the app)", ""
        else:
            target = f"≤ {TARGET_S:g} s, no heavy import"
            met = "yes" if row["median_s"] <= TARGET_S and not row["imports"] else "NO"
        lines.append(f"| `{row['command']}` | {row['median_s']} | {row['max_s']} | {row['cpu_s']} | "
                     f"{', '.join(row['imports']) or '—'} | {target} | {met} |")
    lines.append(f"\nn={r['n']} fresh processes per command; load (1 min) {r['load_before']} → "
                 f"{r['load_after']}; {r['at']}")
    return "\n".join(lines)
