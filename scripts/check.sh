#!/bin/sh
# Runs every test on the normal build and on the ASan+UBSan build, then
# prints one closing line "N passed, N failed". Exit status 0 only if
# nothing failed and something ran.
set -u
BUILD=${1:-build}
BUILD_ASAN=${2:-build-asan}
PY=/usr/bin/python3
OUT=$(mktemp -d /tmp/conflux-check.XXXXXX)
chmod 0711 "$OUT"
status=0

run_unit() {	# build-dir
	echo "== unit tests ($1)"
	meson test -C "$1" --suite unit --print-errorlogs --num-processes 2 \
		|| status=1
}

run_integration() {	# build-dir label port-range [pytest args]
	dir=$1; label=$2; ports=$3; shift 3
	# (runs in a background subshell: the export stays in it)
	[ "$label" = asan ] && export ASAN_OPTIONS=detect_leaks=0
	CONFLUX_BIN="$PWD/$dir/src/cli/conflux" \
	CONFLUX_BUILD_LABEL="$label" \
	CONFLUX_PORT_RANGE="$ports" \
	$PY -m pytest -q -p no:cacheprovider tests/integration \
		--junitxml="$OUT/$label.xml" "$@" > "$OUT/$label.log" 2>&1
	echo $? > "$OUT/$label.rc"
}

# The two integration runs spend most of their time waiting (daemons,
# Dovecot, timeouts), so they run side by side, each on its own ports.
run_both_integration() {
	echo "== integration tests ($BUILD and $BUILD_ASAN, side by side)"
	run_integration "$BUILD" normal 10000-20999 &
	run_integration "$BUILD_ASAN" asan 21000-31999 &
	wait
	for label in normal asan; do
		echo "== integration tests ($label)"
		cat "$OUT/$label.log"
		# 5: no test collected, which is a failure here.
		[ "$(cat "$OUT/$label.rc")" = 0 ] || status=1
	done
}

# UBSan findings fail the run; LeakSanitizer cannot stop a process that
# dropped privileges (it is no longer ptrace-able), so leaks are checked
# by the unit tests, which never drop them.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1

run_unit "$BUILD"
run_unit "$BUILD_ASAN"
run_both_integration

$PY scripts/count-results.py "$BUILD" "$BUILD_ASAN" "$OUT"/*.xml
[ $? -eq 0 ] || status=1
rm -rf "$OUT"
exit $status
