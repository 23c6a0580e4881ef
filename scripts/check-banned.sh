#!/bin/sh
# Fails if src/ calls a banned function (curl's checksrc idea): each has a
# bounded or checked replacement (buf_printf, snprintf, str_to_uint64...).
set -u
cd "$(dirname "$0")/.."
banned='sprintf|vsprintf|strcpy|strcat|strncpy|gets|atoi|atol|strtok'
hits=$(grep -rnE "(^|[^_a-zA-Z0-9.>])($banned)[[:space:]]*\(" src \
	--include='*.c' --include='*.h' | grep -v 'check-banned: ok')
if [ -n "$hits" ]; then
	echo "banned functions used:"
	echo "$hits"
	exit 1
fi
echo "no banned functions in src/"
