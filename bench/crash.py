"""Crash harness: SIGKILL a batch issuance (and the indexer) at random instants, restart, and
prove that nothing acknowledged was lost and nothing is inconsistent.

One run works on its own copy of a demo office. Each round starts ``lemari issue-batch`` on
the same CSV (so it resumes where the last round stopped) next to an indexer loop
(``lemari index-drain``), kills both with SIGKILL after a random delay, then checks:

1. every row the batch acknowledged (printed after its commit) is issued, with that number,
   that verification code and that file hash;
2. the register's numbers for the year are unique and gapless (1..N), and each belongs to an
   issued record with its archived PDF;
3. every archived file still has the SHA-256 recorded for it;
4. after an index drain the search index agrees with the database and ``lemari doctor`` passes.

The last round runs the batch to its end: every row is issued exactly once.

    .venv/bin/python -m bench.crash --kills 50 [--rows 120] [--seed 7] [--json]

``tests/crash/test_crash_harness.py`` runs a short version in ``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

DOCTYPE = "sk_domisili_penduduk"
SIGNER = "camat"


@dataclass
class Round:
    """What one kill found."""

    moment: str
    acknowledged: int
    issued_total: int
    problems: list[str] = field(default_factory=list)


def lemari_script() -> Path:
    return Path(sys.executable).with_name("lemari")


def environment(home: Path) -> dict:
    found = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    return {**found, "LEMARI_HOME": str(home), "LEMARI_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1"}


def run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(lemari_script()), *args], cwd=home, env=environment(home),
                          capture_output=True, text=True, timeout=timeout)


def make_office(home: Path) -> None:
    """A demo office whose accounts keep the demo password (no web login happens here)."""
    for args in (("init",), ("demo", "--keep-demo-passwords")):
        done = run(home, *args)
        if done.returncode != 0:
            raise RuntimeError(f"lemari {' '.join(args)} failed: {done.stderr}")


def write_batch(home: Path, rows: int) -> Path:
    """A CSV naming `rows` residents of the demo office."""
    with sqlite3.connect(home / "lemari.db") as conn:
        niks = [n for (n,) in conn.execute("SELECT nik FROM penduduk ORDER BY id LIMIT ?", (rows,))]
    path = home / "batch.csv"
    lines = ["nik,keperluan"] + [f"{nik},Uji ketahanan listrik padam" for nik in niks]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kill_round(home: Path, batch: Path, moment: tuple[str, float]) -> list[dict]:
    """Start the batch and an indexer loop and SIGKILL both at `moment`: ("start", s) is s
    seconds after launch (start-up, opening the database), ("issuing", s) is s seconds after
    the batch's first newly issued letter (mid-letter: numbering, rendering, signing, archiving or
    committing). Returns the rows the batch acknowledged before it died."""
    issuer = subprocess.Popen(
        [str(lemari_script()), "issue-batch", DOCTYPE, str(batch), "--as", SIGNER],
        cwd=home, env=environment(home), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True)
    indexer = subprocess.Popen(
        ["sh", "-c", f"while true; do '{lemari_script()}' index-drain --batch 5; sleep 0.2; done"],
        cwd=home, env=environment(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    acks, first = [], threading.Event()

    def read() -> None:
        for line in issuer.stdout:
            if line.startswith(b"{"):
                acks.append(json.loads(line))
                if acks[-1]["status"] == "terbit":  # new work, not a resumed run's re-report
                    first.set()
        first.set()  # the batch ended (or died) before any acknowledgement

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    phase, delay = moment
    if phase == "issuing":
        first.wait(timeout=300)
    time.sleep(delay)
    for process in (issuer, indexer):
        os.killpg(process.pid, signal.SIGKILL)
    issuer.wait(timeout=60)
    indexer.wait(timeout=60)
    reader.join(timeout=60)
    return acks


def blob_path(home: Path, sha256: str) -> Path:
    return home / "archive" / sha256[:2] / sha256[2:4] / sha256


def check_database(home: Path, acknowledged: list[dict]) -> tuple[int, list[str]]:
    """Checks 1-3 on the database and archive as the kill left them."""
    problems = []
    with sqlite3.connect(home / "lemari.db") as conn:
        for ack in acknowledged:
            if ack["status"] == "gagal":
                continue
            row = conn.execute(
                "SELECT r.state, r.number, r.verify_code, f.sha256 FROM record r "
                "JOIN record_file f ON f.record_id = r.id AND f.kind = 'terbit' WHERE r.id = ?",
                (ack["record_id"],)).fetchone()
            if row is None or row[0] != "terbit" or tuple(row[1:]) != (
                    ack["number"], ack["verify_code"], ack["sha256"]):
                problems.append(f"acknowledged row {ack['row']} lost or changed: {row}")
        numbers = conn.execute(
            "SELECT n.sequence, n.record_id, r.state, "
            "(SELECT count(*) FROM record_file f WHERE f.record_id = n.record_id AND f.kind = 'terbit') "
            "FROM issued_number n LEFT JOIN record r ON r.id = n.record_id "
            "ORDER BY n.register_id, n.year, n.sequence").fetchall()
        sequences = [n[0] for n in numbers]
        if sequences != list(range(1, len(sequences) + 1)):
            problems.append(f"numbers not gapless/unique: {sequences[:10]}…")
        for sequence, record_id, state, files in numbers:
            if state != "terbit" or files != 1:
                problems.append(f"number {sequence} of record {record_id}: state {state}, files {files}")
        for (sha256,) in conn.execute("SELECT sha256 FROM record_file"):
            path = blob_path(home, sha256)
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
                problems.append(f"archived file {sha256[:12]} missing or altered")
    return len(numbers), problems


def check_after_restart(home: Path) -> list[str]:
    """Check 4: what a restart does (drain the outbox), then the doctor's verdict."""
    problems = []
    drained = run(home, "index-drain")
    if drained.returncode != 0:
        problems.append(f"index-drain failed: {drained.stderr[-400:]}")
    doctor = run(home, "doctor")
    if doctor.returncode != 0:
        problems.append(f"doctor failed: {doctor.stdout[-800:]}{doctor.stderr[-400:]}")
    return problems


def finish(home: Path, batch: Path, rows: int) -> list[str]:
    """Run the batch to its end; every row must be issued exactly once."""
    done = run(home, "issue-batch", DOCTYPE, str(batch), "--as", SIGNER)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    problems = []
    if done.returncode != 0 or len(results) != rows:
        problems.append(f"final batch: exit {done.returncode}, {len(results)} of {rows} rows")
    with sqlite3.connect(home / "lemari.db") as conn:
        records = conn.execute("SELECT count(*), count(DISTINCT penduduk_id) FROM record "
                               "WHERE doctype = ?", (DOCTYPE,)).fetchone()
    if records != (rows, rows):
        problems.append(f"{records[0]} records for {records[1]} residents; want {rows} each")
    return problems


def random_moment(rng: random.Random) -> tuple[str, float]:
    """One kill in five during start-up, the rest at a random instant while letters issue."""
    if rng.random() < 0.2:
        return "start", round(rng.uniform(0.0, 2.0), 2)
    return "issuing", round(rng.uniform(0.0, 2.5), 2)


def harness(kills: int, rows: int, seed: int, work: Path) -> dict:
    """Run `kills` rounds and the final one; returns the summary."""
    rng = random.Random(seed)
    home = work / "home"
    home.mkdir(parents=True)
    make_office(home)
    batch = write_batch(home, rows)
    rounds, acknowledged = [], {}  # row → its latest acknowledgement, over every round
    for _ in range(kills):
        moment = random_moment(rng)
        this_round = kill_round(home, batch, moment)
        acknowledged.update((ack["row"], ack) for ack in this_round)
        total, problems = check_database(home, list(acknowledged.values()))
        problems += check_after_restart(home)
        rounds.append(Round(f"{moment[0]}+{moment[1]}s", len(this_round), total, problems))
    final = finish(home, batch, rows) + check_after_restart(home)
    return {"kills": kills, "rows": rows, "seed": seed,
            "problems": sum(len(r.problems) for r in rounds) + len(final),
            "final_problems": final, "rounds": [asdict(r) for r in rounds]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lemari-crash-"))
    started = time.monotonic()
    try:
        summary = harness(args.kills, args.rows, args.seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary["seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{'round':>5} {'kill at':>14} {'acked':>6} {'issued':>7}  problems")
        for i, r in enumerate(summary["rounds"], 1):
            print(f"{i:>5} {r['moment']:>14} {r['acknowledged']:>6} {r['issued_total']:>7}  "
                  f"{'; '.join(r['problems']) or '-'}")
        print(f"kills {summary['kills']}, rows {summary['rows']}, problems {summary['problems']}, "
              f"final {summary['final_problems'] or 'ok'}, {summary['seconds']} s")
    return 0 if summary["problems"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
