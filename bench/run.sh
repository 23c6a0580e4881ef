#!/bin/sh
# make bench: every benchmark, figures on stdout. BENCH_DIR picks the file
# system (default: a fresh directory under /var/tmp, a disk, not tmpfs).
set -eu
BUILD=${1:-build}
DIR=$(mktemp -d "${BENCH_DIR:-/var/tmp}/conflux-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
echo "== store-append ($(df -T "$DIR" | awk 'NR==2 {print $2}') at $DIR)"
"$BUILD/bench/store-append" "$DIR" "${BENCH_COUNT:-5000}" "${BENCH_BATCH:-100}"
# Access servers against a throwaway Dovecot in the same run (issue 4).
export CONFLUX_BIN="$BUILD/src/cli/conflux"
if [ -f bench/imap_load.py ]; then
	echo "== imap_load (conflux vs Dovecot)"
	/usr/bin/python3 bench/imap_load.py ${BENCH_QUICK:+--quick}
fi
if [ -f bench/lmtp_bench.py ]; then
	echo "== lmtp_bench (conflux vs Dovecot)"
	/usr/bin/python3 bench/lmtp_bench.py ${BENCH_QUICK:+--quick}
fi
if [ -f bench/tls_idle.py ]; then
	echo "== tls_idle (conflux: idle IMAPS connections)"
	/usr/bin/python3 bench/tls_idle.py ${BENCH_QUICK:+--conns 1000}
fi
