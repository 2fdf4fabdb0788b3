#!/usr/bin/env bash
# Check the Debian/Ubuntu packages Lemari needs; install them with apt when run as root,
# otherwise print the exact command to run. Usage: scripts/system-deps.sh runtime|test|bench
set -euo pipefail

runtime=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng ghostscript)
# chromium: the browser journey; postgresql-client: pg_dump for backups; nodejs: the TV script test;
# nut-server, nut-client: NUT's upsd and dummy-ups driver for the power-cut tests (tests/daya);
# openssh-server: the sshd the SFTP backup tests start (tests/sshd_rig.py); postgresql: initdb,
# pg_ctl and pg_basebackup for the point-in-time recovery test's own throwaway cluster
test_only=(chromium postgresql-client nodejs nut-server nut-client openssh-server postgresql)
# haproxy: the load balancer in front of the app processes of `lemari bench kabupaten`
bench_only=(haproxy)

wanted=("${runtime[@]}")
[ "${1:-runtime}" = "test" ] && wanted+=("${test_only[@]}")
[ "${1:-runtime}" = "bench" ] && wanted+=("${test_only[@]}" "${bench_only[@]}")

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Memasang paket sistem: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Paket sistem belum terpasang. Jalankan:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
