#!/usr/bin/env bash
# Build the "previous release" fixture that tests/integration/test_migrations.py upgrades:
# an office made by release COMMIT's own code (init, demo, one issued letter, one archived
# scan, search index built), once on SQLite and once on PostgreSQL.
#
# Usage: scripts/make-release-fixture.sh COMMIT OUT_DIR [PG_ADMIN_URL]
#   COMMIT        the release, e.g. 6c75a7e
#   OUT_DIR       where to write sqlite-home.tar.gz, postgres.sql.gz, postgres-home.tar.gz and
#                 expected.json (e.g. tests/fixtures/release-6c75a7e)
#   PG_ADMIN_URL  a server where a throw-away database may be created
#                 (default postgresql://postgres@127.0.0.1:5432/postgres)
# Run from the project folder with the project's venv installed (PYTHON overrides .venv/bin/python).
set -euo pipefail

[ $# -ge 2 ] || { sed -n 2,12p "$0" >&2; exit 2; }
commit=$(git rev-parse --verify "$1^{commit}")
mkdir -p "$2"
out=$(cd "$2" && pwd)
pg_admin=${3:-postgresql://postgres@127.0.0.1:5432/postgres}
python=$(cd "$(dirname "${PYTHON:-.venv/bin/python}")" && pwd)/$(basename "${PYTHON:-.venv/bin/python}")
work=$(mktemp -d)
tree="$work/tree"
pg_db="lemari_fixture_$$"
pg_url="${pg_admin%/*}/$pg_db"

cleanup() {
  git worktree remove --force "$tree" 2>/dev/null || true
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git worktree add --quiet --detach "$tree" "$commit"

# `lemari ARGS` of the release's own code on data folder $home and database $url ("" = SQLite).
old_lemari() {
  (cd "$tree" && env -u FLASK_APP $(env | grep -o '^LEMARI_[A-Z_]*' | sed 's/^/-u /') \
     LEMARI_HOME="$home" LEMARI_DATABASE_URL="$url" LEMARI_LOG_LEVEL=WARNING PYTHONPATH="$tree" \
     "$python" -c "from records.cli import main; main()" "$@")
}

# One office: accounts and residents, one letter taken to issue, one scan archived, index built.
make_office() {
  old_lemari init >/dev/null
  old_lemari demo --keep-demo-passwords >/dev/null
  nik=$(LEMARI_HOME="$home" "$python" - "$url" <<'EOF'
import sys, sqlalchemy
url = sys.argv[1] or "sqlite:///" + __import__("os").environ["LEMARI_HOME"] + "/lemari.db"
with sqlalchemy.create_engine(url).connect() as conn:
    print(conn.exec_driver_sql("SELECT nik FROM penduduk ORDER BY id LIMIT 1").scalar())
EOF
)
  old_lemari issue sk_domisili_penduduk --nik "$nik" --field "keperluan=Melamar pekerjaan" --as camat \
    > "$work/issued.json"
  old_lemari demo-scans "$work/scans" >/dev/null
  mkdir -p "$work/scan"
  cp "$work/scans/keputusan-camat-digital.pdf" "$work/scan/"
  grep -e '^berkas,' -e '^keputusan-camat-digital.pdf,' "$work/scans/metadata.csv" > "$work/scan/metadata.csv"
  old_lemari import-scans "$work/scan" --metadata "$work/scan/metadata.csv" --as arsiparis \
    --report "$work/report.csv" >/dev/null
  old_lemari reindex >/dev/null
  rm -rf "$work/scans" "$work/scan"
}

# What the test checks after the upgrade, read from the release's database: key, values, counts.
describe() {
  LEMARI_HOME="$home" "$python" - "$1" "$url" "$commit" "$work/issued.json" "$out/expected.json" <<'EOF'
import hashlib, json, os, pathlib, sys, sqlalchemy
key, url, commit, issued_path, target = sys.argv[1:]
url = url or "sqlite:///" + os.environ["LEMARI_HOME"] + "/lemari.db"
issued = json.loads(pathlib.Path(issued_path).read_text())
engine = sqlalchemy.create_engine(url)
with engine.connect() as conn:
    tables = sorted(sqlalchemy.inspect(conn).get_table_names())
    counts = {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar() for t in tables}
    nik = conn.exec_driver_sql("SELECT p.nik FROM record r JOIN penduduk p ON p.id = r.penduduk_id "
                               "WHERE r.number IS NOT NULL").scalar()
    scan = conn.exec_driver_sql("SELECT f.sha256 FROM record_file f JOIN arsip a ON a.record_id = f.record_id "
                                "WHERE a.sumber = 'pindaian'").scalar()
engine.dispose()
found = json.loads(pathlib.Path(target).read_text()) if pathlib.Path(target).exists() else {}
found[key] = {"commit": commit, "number": issued["number"], "verify_code": issued["verify_code"],
              "pdf_sha256": pathlib.Path(issued["pdf"]).name, "nik": nik, "scan_sha256": scan,
              "counts": counts}
pathlib.Path(target).write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
EOF
}

# The data folder without what is rebuilt or re-queued (jobs.db, import journals).
pack_home() {
  tar -czf "$1" -C "$home" --exclude='*.lock' archive pki secret_key index "${@:2}"
}

rm -f "$out/expected.json"

echo "SQLite office from $commit ..."
home="$work/sqlite" url=""
make_office
"$python" -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')" \
  "$home/lemari.db"
rm -f "$home/lemari.db-wal" "$home/lemari.db-shm"
describe sqlite
pack_home "$out/sqlite-home.tar.gz" lemari.db

echo "PostgreSQL office from $commit ..."
home="$work/postgres" url="postgresql+psycopg://${pg_url#postgresql://}"
psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
make_office
describe postgres
pg_dump --format=plain --no-owner --no-privileges "$pg_url" | gzip -9 > "$out/postgres.sql.gz"
pack_home "$out/postgres-home.tar.gz"

du -ch "$out"/* | tail -1
