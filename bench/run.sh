#!/bin/sh
# make bench: every benchmark, figures on stdout. BENCH_DIR picks the file
# system (default: a fresh directory under /var/tmp, a disk, not tmpfs).
set -eu
BUILD=${1:-build}
DIR=$(mktemp -d "${BENCH_DIR:-/var/tmp}/conflux-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
echo "== store-append ($(df -T "$DIR" | awk 'NR==2 {print $2}') at $DIR)"
"$BUILD/bench/store-append" "$DIR" "${BENCH_COUNT:-5000}" "${BENCH_BATCH:-100}"
