#!/bin/bash
# SPDX-License-Identifier: ISC
# pam_jit.so under valgrind, in a build without sanitizers (contrib/check.sh
# runs it on its release build): an accepted login, a refused one, the
# online check and the account check, each with no memory error and no
# definite or indirect leak. Prints one TAP line per case.
set -u
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")/..}/tap.sh"	# tap_workdir, tap_atexit
build=$(cd "${1:?usage: valgrind.sh BUILDDIR}" && pwd)
harness=$build/tests/pam/pam_harness
module=$build/pam_jit/.libs/pam_jit.so
jitctl=$build/broker/jitctl/jitctl
tap_workdir pam-valgrind
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
}
tap_atexit cleanup
n=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
if ! command -v valgrind >/dev/null; then
	echo "ok 1 - pam_jit under valgrind # SKIP valgrind is not installed"
	exit 0
fi
mkdir "$work/pam.d"
JITD=$build/broker/jitd/jitd JITCTL=$jitctl
. "$(dirname "${BASH_SOURCE[0]}")/../temp-jitd.sh"
temp_jitd "$work" web01 <<'CONF'
[policy ssh]
ports = 22/tcp
sources = any
CONF
pid=$temp_jitd_pid
ticket=$(JIT_SOCKET=$work/jitd.sock "$jitctl" request --for daemon --port 22/tcp --from 192.0.2.0/24 --duration 1h)
opts="pubkey=$work/broker.pub host=web01 port=22/tcp socket=$work/jitd.sock"
echo "auth required $module $opts" >"$work/pam.d/online"
echo "auth required $module $opts revocation=offline" >"$work/pam.d/offline"
echo "account required $module socket=$work/jitd.sock port=22/tcp mode=grant" >"$work/pam.d/grant"

# under_valgrind NAME WANTED_EXIT ARGS...: the harness's exit must be the
# PAM code wanted; valgrind's own errors exit 99.
under_valgrind() {
	local name=$1 want=$2 status=0
	shift 2
	valgrind -q --vgdb=no --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$harness" -d "$work/pam.d" "$@" >"$work/out" 2>"$work/vg" || status=$?
	result "$([ "$status" -eq "$want" ] && echo 0 || echo 1)" "valgrind: $name"
	[ "$status" -eq "$want" ] || { echo "#   exit $status, wanted $want"; sed "s/^/#   /" "$work/out"; }; [ "$status" -eq "$want" ] || sed 's/^/#   /' "$work/vg" | head -20
}
under_valgrind "an accepted login, online" 0 -s online -u daemon -r 192.0.2.10 -t "$ticket"
under_valgrind "an accepted login, offline" 0 -s offline -u daemon -r 192.0.2.10 -t "$ticket"
under_valgrind "a refused login" 7 -s online -u bin -r 192.0.2.10 -t "$ticket"
under_valgrind "an account check" 0 -s grant -m account -u daemon -r 192.0.2.10
echo "1..$n"
[ "$failed" -eq 0 ]
