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

With ``--database-url`` (PostgreSQL) and ``--nodes N`` it is the kabupaten's case (issue 19):
N issuing processes share the database and the data folder (the shared volume), each with a
batch of its own residents; one is killed at the random instant, the others keep issuing for
a moment (they must get past whatever the dead one held: its transaction, its number) and are
killed after, and the same checks run over every node's acknowledgements.

    .venv/bin/python -m bench.crash --kills 50 [--rows 120] [--seed 7] [--json]
    .venv/bin/python -m bench.crash --kills 20 --nodes 2 --database-url postgresql+psycopg://…

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
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

DOCTYPE = "sk_domisili_penduduk"
SIGNER = "camat"
#: The other kecamatan of the kabupaten, in the tenant variant: it must come out untouched.
NEIGHBOUR = "tenggarong"


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


def site(home: Path) -> tuple[str, Path]:
    """The office's database URL and data folder, as its config.py names them: a kecamatan of
    a kabupaten deployment (TENANT) has its schema and its folder under kecamatan/."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from records.settings import instance_overrides, sqlite_url
    from records.tenancy import SCHEMA_PREFIX, tenant_url

    settings = instance_overrides(home)
    url = settings.get("DATABASE_URL") or sqlite_url(home)
    tenant = settings.get("TENANT")
    if tenant:
        return tenant_url(url, SCHEMA_PREFIX + tenant), home / "kecamatan" / tenant
    return url, home


def connect(home: Path):
    """A connection to the office's database (SQLAlchemy, so one SQL text serves both engines)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(site(home)[0], poolclass=sqlalchemy.pool.NullPool)
    return engine.connect()


def rows_of(conn, sql: str, **params) -> list[tuple]:
    from sqlalchemy import text

    return [tuple(row) for row in conn.execute(text(sql), params)]


def run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(lemari_script()), *args], cwd=home, env=environment(home),
                          capture_output=True, text=True, timeout=timeout)


def make_office(home: Path) -> None:
    """A demo office whose accounts keep the demo password (no web login happens here)."""
    for args in (("init",), ("demo", "--keep-demo-passwords")):
        done = run(home, *args)
        if done.returncode != 0:
            raise RuntimeError(f"lemari {' '.join(args)} failed: {done.stderr}")


#: With several nodes, each node but the first gets this many times `rows`: on a fast machine
#: a survivor of 8 rows had finished its batch before the first node was killed (up to 2.5 s
#: into its work), so nothing showed that it went on after the kill.
SURVIVOR_ROWS = 3


def write_batches(home: Path, rows: int, nodes: int) -> list[tuple[Path, int]]:
    """Each node's CSV and its row count: `rows` residents for the first node, `rows` ×
    SURVIVOR_ROWS for each other, none shared."""
    batches, skip = [], 0
    for node in range(nodes):
        size = rows if node == 0 else rows * SURVIVOR_ROWS
        batches.append(write_batch(home, size, node, skip))
        skip += size
    return batches


def write_batch(home: Path, rows: int, node: int = 0, skip: int = 0) -> tuple[Path, int]:
    """A CSV naming `rows` residents of the demo office from the `skip`-th on, and how many
    it names (fewer when the office has fewer)."""
    with connect(home) as conn:
        niks = [n for (n,) in rows_of(conn, "SELECT nik FROM penduduk ORDER BY id LIMIT :rows "
                                            "OFFSET :skip", rows=rows, skip=skip)]
    path = home / f"batch-{node}.csv"
    lines = ["nik,keperluan"] + [f"{nik},Uji ketahanan listrik padam" for nik in niks]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(niks)


def kill_round(home: Path, batches: list[tuple[Path, int]], moment: tuple[str, float],
               survive: float = 0.0) -> tuple[list[dict], int]:
    """Start one batch per node and an indexer loop and SIGKILL them at `moment`: ("start", s)
    is s seconds after launch (start-up, opening the database), ("issuing", s) is s seconds
    after the first node's first newly issued letter (mid-letter: numbering, rendering,
    signing, archiving or committing). With several nodes only the first dies then; the
    others and the indexer die `survive` seconds later. Returns the rows the batches
    acknowledged before they died, and how many the other nodes acknowledged after the kill."""
    issuers = [subprocess.Popen(
        [str(lemari_script()), "issue-batch", DOCTYPE, str(batch), "--as", SIGNER],
        cwd=home, env=environment(home), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True) for batch, _ in batches]
    indexer = subprocess.Popen(
        ["sh", "-c", f"while true; do '{lemari_script()}' index-drain --batch 5; sleep 0.2; done"],
        cwd=home, env=environment(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    acks: list[dict] = []
    first, killed_at, after = threading.Event(), [float("inf")], []

    def read(node: int, issuer) -> None:
        for line in issuer.stdout:
            if line.startswith(b"{"):
                ack = {**json.loads(line), "node": node}
                acks.append(ack)
                # a letter another node newly issued after the kill (the reader's lag is
                # milliseconds; a line read in the first 0.2 s may have been written before)
                if node and ack["status"] == "terbit" and time.monotonic() > killed_at[0] + 0.2:
                    after.append(ack)
                if ack["status"] == "terbit" and node == 0:  # new work, not a re-report
                    first.set()
        if node == 0:
            first.set()  # the batch ended (or died) before any acknowledgement

    readers = [threading.Thread(target=read, args=(node, issuer), daemon=True)
               for node, issuer in enumerate(issuers)]
    for reader in readers:
        reader.start()
    phase, delay = moment
    if phase == "issuing":
        first.wait(timeout=300)
    time.sleep(delay)
    os.killpg(issuers[0].pid, signal.SIGKILL)
    killed_at[0] = time.monotonic()
    if len(issuers) > 1:
        time.sleep(survive)
    for process in (*issuers[1:], indexer):
        os.killpg(process.pid, signal.SIGKILL)
    for process in (*issuers, indexer):
        process.wait(timeout=60)
    for reader in readers:
        reader.join(timeout=60)
    return acks, len(after)


def blob_path(home: Path, sha256: str) -> Path:
    return site(home)[1] / "archive" / sha256[:2] / sha256[2:4] / sha256


def check_database(home: Path, acknowledged: list[dict]) -> tuple[int, list[str]]:
    """Checks 1-3 on the database and archive as the kill left them."""
    problems = []
    with connect(home) as conn:
        for ack in acknowledged:
            if ack["status"] == "gagal":
                continue
            found = rows_of(
                conn, "SELECT r.state, r.number, r.verify_code, f.sha256 FROM record r "
                "JOIN record_file f ON f.record_id = r.id AND f.kind = 'terbit' WHERE r.id = :id",
                id=ack["record_id"])
            row = found[0] if found else None
            if row is None or row[0] != "terbit" or tuple(row[1:]) != (
                    ack["number"], ack["verify_code"], ack["sha256"]):
                problems.append(f"acknowledged row {ack['row']} of node {ack.get('node', 0)} "
                                f"lost or changed: {row}")
        numbers = rows_of(
            conn, "SELECT n.sequence, n.record_id, r.state, "
            "(SELECT count(*) FROM record_file f WHERE f.record_id = n.record_id AND f.kind = 'terbit') "
            "FROM issued_number n LEFT JOIN record r ON r.id = n.record_id "
            "ORDER BY n.register_id, n.year, n.sequence")
        sequences = [n[0] for n in numbers]
        if sequences != list(range(1, len(sequences) + 1)):
            problems.append(f"numbers not gapless/unique: {sequences[:10]}…")
        for sequence, record_id, state, files in numbers:
            if state != "terbit" or files != 1:
                problems.append(f"number {sequence} of record {record_id}: state {state}, files {files}")
        for (sha256,) in rows_of(conn, "SELECT sha256 FROM record_file"):
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


def finish(home: Path, batches: list[tuple[Path, int]]) -> list[str]:
    """Run every node's batch to its end, all at once; every row must be issued exactly once."""
    finishing = [subprocess.Popen([str(lemari_script()), "issue-batch", DOCTYPE, str(batch), "--as",
                                   SIGNER], cwd=home, env=environment(home), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for batch, _ in batches]
    problems = []
    for node, (process, (_, rows)) in enumerate(zip(finishing, batches, strict=True)):
        out, err = process.communicate(timeout=1200)
        results = [line for line in out.splitlines() if line.startswith("{")]
        if process.returncode != 0 or len(results) != rows:
            problems.append(f"final batch of node {node}: exit {process.returncode}, "
                            f"{len(results)} of {rows} rows {err[-300:]}")
    with connect(home) as conn:
        records = rows_of(conn, "SELECT count(*), count(DISTINCT penduduk_id) FROM record "
                                "WHERE doctype = :doctype", doctype=DOCTYPE)[0]
    want = sum(rows for _, rows in batches)
    if records != (want, want):
        problems.append(f"{records[0]} records for {records[1]} residents; want {want} each")
    return problems


def random_moment(rng: random.Random) -> tuple[str, float]:
    """One kill in five during start-up, the rest at a random instant while letters issue."""
    if rng.random() < 0.2:
        return "start", round(rng.uniform(0.0, 2.0), 2)
    return "issuing", round(rng.uniform(0.0, 2.5), 2)


def make_kecamatan(home: Path, tenant: str) -> None:
    """A kabupaten with two kecamatan, `tenant` the one the nodes serve (its config.py says so,
    as a node dedicated to one kecamatan would) and a neighbour whose records must stay as they
    were: nothing of one kecamatan's crashes may land in another's schema."""
    for args in (("tenant", "tambah", tenant, "--nama", "Kota Bangun", "--kode", "64.02.08"),
                 ("tenant", "tambah", NEIGHBOUR, "--nama", "Tenggarong", "--kode", "64.02.06")):
        done = run(home, *args)
        if done.returncode != 0:
            raise RuntimeError(f"lemari {' '.join(args)} failed: {done.stderr}")
    with open(home / "config.py", "a", encoding="utf-8") as config:
        config.write(f"TENANT = {tenant!r}\n")


def neighbour_untouched(home: Path) -> list[str]:
    """The neighbouring kecamatan issued nothing and holds no record."""
    import sqlalchemy

    from records.tenancy import SCHEMA_PREFIX, tenant_url

    url = tenant_url(_plain_url(home), SCHEMA_PREFIX + NEIGHBOUR)
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as conn:
        counts = rows_of(conn, "SELECT (SELECT count(*) FROM record), "
                               "(SELECT count(*) FROM issued_number)")[0]
    return [] if counts == (0, 0) else [f"neighbouring kecamatan changed: {counts}"]


def _plain_url(home: Path) -> str:
    from records.settings import instance_overrides

    return instance_overrides(home)["DATABASE_URL"]


def harness(kills: int, rows: int, seed: int, work: Path, *, database_url: str = "",
            nodes: int = 1, tenant: str = "") -> dict:
    """Run `kills` rounds and the final one; returns the summary. `rows` for the first node
    (SURVIVOR_ROWS times as many for each other); with `tenant` (PostgreSQL only), the office
    is that kecamatan of a kabupaten deployment."""
    rng = random.Random(seed)
    home = work / "home"
    home.mkdir(parents=True)
    if database_url:  # what an office on PostgreSQL writes in its config.py
        (home / "config.py").write_text(f"DATABASE_URL = {database_url!r}\n", encoding="utf-8")
    if tenant:
        make_kecamatan(home, tenant)
    make_office(home)
    batches = write_batches(home, rows, nodes)
    rounds, acknowledged = [], {}  # (node, row) → its latest acknowledgement, over every round
    survivors_issued = 0
    for _ in range(kills):
        moment = random_moment(rng)
        this_round, after = kill_round(home, batches, moment, survive=rng.uniform(0.5, 2.0))
        survivors_issued += after
        acknowledged.update(((ack["node"], ack["row"]), ack) for ack in this_round)
        total, problems = check_database(home, list(acknowledged.values()))
        problems += check_after_restart(home)
        rounds.append(Round(f"{moment[0]}+{moment[1]}s", len(this_round), total, problems))
    final = finish(home, batches) + check_after_restart(home)
    if tenant:
        final += neighbour_untouched(home)
    return {"kills": kills, "rows": rows, "seed": seed, "nodes": nodes,
            "engine": "postgresql" if database_url else "sqlite", "tenant": tenant,
            "acknowledged_by_survivors_after_a_kill": survivors_issued,
            "problems": sum(len(r.problems) for r in rounds) + len(final),
            "final_problems": final, "rounds": [asdict(r) for r in rounds]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nodes", type=int, default=1, help="issuing processes at once")
    parser.add_argument("--database-url", default="",
                        help="an empty PostgreSQL database (default: SQLite in the data folder)")
    parser.add_argument("--tenant", default="",
                        help="the office as this kecamatan of a kabupaten (needs --database-url)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lemari-crash-"))
    started = time.monotonic()
    try:
        summary = harness(args.kills, args.rows, args.seed, work, database_url=args.database_url,
                          nodes=args.nodes, tenant=args.tenant)
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
        print(f"kills {summary['kills']}, nodes {summary['nodes']} on {summary['engine']}, rows "
              f"{summary['rows']} for the first node (×{SURVIVOR_ROWS} for each other), issued by "
              f"survivors after a kill "
              f"{summary['acknowledged_by_survivors_after_a_kill']}, problems {summary['problems']}, "
              f"final {summary['final_problems'] or 'ok'}, {summary['seconds']} s")
    return 0 if summary["problems"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
