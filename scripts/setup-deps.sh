#!/bin/sh
# Installs what conflux needs to build, run and test, from Debian's packages.
# As root: apt-get installs what is missing. Otherwise: prints the one line
# to run and fails. Also creates the unprivileged `conflux` system user that
# `conflux serve` (and every command run as root) switches to.
set -eu

PKGS="build-essential meson ninja-build pkg-config clang
libevent-dev libssl-dev libsqlite3-dev libsodium-dev libinih-dev libcmocka-dev
openssl sqlite3 python3 python3-pytest
dovecot-imapd dovecot-pop3d dovecot-lmtpd fetchmail isync curl"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "conflux needs packages that are not installed. Run:" >&2
		echo "  sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Dovecot's packages try to start the system service; we never use it.
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "$(id -u)" = 0 ] && ! getent passwd conflux >/dev/null; then
	echo "setup: creating system user conflux"
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin conflux
fi
exit 0
