#!/bin/bash
# SPDX-License-Identifier: ISC
# jitd under valgrind, in a build without sanitizers (contrib/check.sh runs
# it on its optimised build): a day of work in a few seconds (grants,
# denials, lists, revokes, the audit log, verify, a malformed line, 20
# clients at once, a reload, an expiry), then SIGTERM. Passes when valgrind
# finds no memory error and no definite or indirect leak, and jitd exits 0.
# Prints TAP.
set -u
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")}/tap.sh"	# tap_workdir, tap_atexit
build=$(cd "${1:?usage: valgrind-jitd.sh BUILDDIR}" && pwd)
jitd=$build/broker/jitd/jitd jitctl=$build/broker/jitctl/jitctl sockcat=$build/tests/helpers/sockcat
n=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
if ! command -v valgrind >/dev/null; then
	echo "ok 1 - jitd under valgrind # SKIP valgrind is not installed"
	echo "1..1"
	exit 0
fi
tap_workdir jitd-valgrind
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
}
tap_atexit cleanup
export JIT_SOCKET=$work/jitd.sock
"$jitctl" keygen --out "$work" >/dev/null
cat >"$work/jitd.conf" <<CONF
[jitd]
host = web01
socket = $work/jitd.sock
socket_group = $(id -gn)
database = $work/jit.db
key = $work/broker.key
firewall = none
rate_requests = 100/1m

[policy ssh]
ports = 22/tcp
sources = 192.0.2.0/24
CONF
valgrind -q --vgdb=no --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	"$jitd" -d -c "$work/jitd.conf" 2>"$work/vg" &
pid=$!
for _ in $(seq 300); do "$jitctl" status >/dev/null 2>&1 && break; sleep 0.1; done

ok=0
ticket=$("$jitctl" request --for daemon --port 22/tcp --from 192.0.2.10 --duration 1h) || ok=1
"$jitctl" request --for daemon --port 22/tcp --from 192.0.2.11 --duration 2s >/dev/null || ok=1
"$jitctl" request --for daemon --port 5985/tcp --from 192.0.2.12 >/dev/null 2>&1 && ok=1
"$jitctl" list --all >/dev/null || ok=1
"$jitctl" revoke 1 >/dev/null || ok=1
"$jitctl" audit >/dev/null || ok=1
printf '%s\n' "{\"v\":1,\"op\":\"verify\",\"ticket\":\"$ticket\",\"user\":\"daemon\",\"from\":\"192.0.2.10\",\"port\":\"22/tcp\"}" \
	'not json' '{"v":1,"op":"fly"}' | "$sockcat" "$JIT_SOCKET" >/dev/null || ok=1
clients=()
for _ in $(seq 20); do
	"$jitctl" request --for daemon --port 22/tcp --from 192.0.2.20 --duration 10m >/dev/null &
	clients+=($!)
done
wait "${clients[@]}" || ok=1
kill -HUP "$pid"
"$jitctl" status >/dev/null || ok=1
# The 2-second grant has ended once jitd lists it expired.
for _ in $(seq 100); do
	"$jitctl" list --all --json | grep -q '"id":2,[^}]*"state":"expired"' && break
	sleep 0.1
done
result "$ok" "valgrind: jitd served every request"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
result "$([ "$status" -eq 0 ] && echo 0 || echo 1)" "valgrind: jitd exits 0, no memory error, no leak"
[ "$status" -eq 0 ] || { echo "#   exit $status"; sed 's/^/#   /' "$work/vg" | head -30; }
echo "1..$n"
