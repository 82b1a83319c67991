#!/bin/bash
# SPDX-License-Identifier: ISC
# Request -> port reachable with each firewall backend, in network namespaces
# this script creates and removes: jitd and a TCP listener on 22 in a server
# namespace, the benchmark's clients in a client namespace whose source
# addresses (2001:db8:2::/64, on its loopback, routed by the server through
# the client) are each granted once. Measured with 0 and with 10,000 other
# active grants, for nftables and iptables, and with 100,000 for nftables,
# beside the nft command run as a process per grant; jitd's anonymous memory
# (RssAnon) at each level. Targets: p99 <= 5 ms; for nftables, the 10,000-
# and 100,000-grant figures within 1.5x of the 0-grant ones, and jitd within
# 16 MiB at 100,000.
set -euo pipefail
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")/..}/tap.sh"	# tap_workdir, tap_atexit
: "${JITD:?}" "${JITCTL:?}" "${BENCH:?}" "${SOCKCAT:?}" "${ECHO_SERVER:?}"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v nft >/dev/null; then
	echo "firewall benchmark skipped: needs root, ip and nft"
	exit 0
fi
srv=jbsrv$$ cli=jbcli$$
tap_workdir fwbench
jitd_pid= echo_pid=
cleanup() {
	[ -n "$jitd_pid" ] && kill "$jitd_pid" 2>/dev/null && wait "$jitd_pid" 2>/dev/null
	[ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null
	ip netns del "$srv" 2>/dev/null || true
	ip netns del "$cli" 2>/dev/null || true
}
tap_atexit cleanup

ip netns add "$srv"
ip netns add "$cli"
# No duplicate address detection on these links (a per-namespace setting):
# the first packets need not wait for it.
for ns in "$srv" "$cli"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add "jb${$}s" netns "$srv" type veth peer name "jb${$}c" netns "$cli"
for ns in "$srv" "$cli"; do ip -n "$ns" link set lo up; done
ip -n "$srv" link set "jb${$}s" up
ip -n "$cli" link set "jb${$}c" up
ip -n "$srv" addr add 2001:db8::1/64 dev "jb${$}s" nodad
ip -n "$cli" addr add 2001:db8::10/64 dev "jb${$}c" nodad
ip -n "$srv" route add 2001:db8:2::/64 via 2001:db8::10
seq 1 6000 | awk '{ printf "addr add 2001:db8:2::%x/128 dev lo\n", $1 }' >"$work/addrs"
ip -n "$cli" -batch "$work/addrs"
ip netns exec "$srv" "$ECHO_SERVER" 22 >/dev/null 2>&1 &
echo_pid=$!

"$JITCTL" keygen --out "$work" >/dev/null
start_jitd() {
	cat >"$work/jitd.conf" <<CONF
[jitd]
host = bench
socket = $work/jitd.sock
socket_group = root
database = $work/$1.db
key = $work/broker.key
firewall = $1
rate_requests = off
[policy ssh]
ports = 22/tcp
sources = any
max_duration = 1h
CONF
	ip netns exec "$srv" "$JITD" -f -c "$work/jitd.conf" >/dev/null 2>&1 &
	jitd_pid=$!
	for _ in $(seq 100); do
		JIT_SOCKET=$work/jitd.sock "$JITCTL" status >/dev/null 2>&1 && break
		sleep 0.1
	done
}
stop_jitd() {
	kill "$jitd_pid" && wait "$jitd_pid" || true
	jitd_pid=
	ip netns exec "$srv" "$JITCTL" firewall remove --backend "$1" >/dev/null
}

# grant_many FIRST LAST: grants from the FIRST to the LAST address of
# 2001:db8:3::/64 (the number in the last two groups), straight to the socket.
grant_many() {
	seq "$1" "$2" | awk '{ printf "{\"v\":1,\"op\":\"request\",\"ports\":[\"22/tcp\"],\"from\":\"2001:db8:3::%x:%x\",\"duration\":3600}\n", int($1 / 65536), $1 % 65536 }' \
		| "$SOCKCAT" "$work/jitd.sock" | grep -c '"ok":true'
}
memory() {
	awk -v level="$1" '/^RssAnon:/ { printf "  jitd RssAnon with %s grants active: %.1f MiB\n", level, $2 / 1024 }' \
		"/proc/$jitd_pid/status"
}

# sources FIRST COUNT: that many client addresses from the FIRST.
sources() { seq "$1" $(($1 + $2 - 1)) | awk '{ printf "2001:db8:2::%x\n", $1 }'; }
measure() {
	sources "$1" 1000 >"$work/one"
	sources $(($1 + 1000)) 1000 >"$work/four"
	echo "  one client, 1000 requests, each from a new address:"
	ip netns exec "$cli" "$BENCH" -s "$work/jitd.sock" -k "$work/broker.pub" -u root -c 1 \
		-n 1000 -f "$work/one" -H 2001:db8::1 | sed 's/^/    /'
	echo "  4 concurrent clients, 250 requests each:"
	ip netns exec "$cli" "$BENCH" -s "$work/jitd.sock" -k "$work/broker.pub" -u root -c 4 \
		-n 250 -f "$work/four" -H 2001:db8::1 | sed 's/^/    /'
}

for backend in nftables iptables; do
	if [ "$backend" = iptables ] && ! command -v iptables-restore >/dev/null; then
		echo "firewall iptables: skipped, iptables is not installed"
		continue
	fi
	start_jitd "$backend"
	echo "firewall $backend: request -> port reachable (a TCP connection from the granted address)"
	echo "with no other grants active:"
	measure 1
	memory 2,000
	grant_many 1 10000 | sed 's/^/(10,000 more grants made: /; s/$/ ok)/'
	echo "with 10,000 other grants active:"
	measure 2001
	memory 14,000
	if [ "$backend" = nftables ]; then
		grant_many 10001 100000 | sed 's/^/(90,000 more grants made: /; s/$/ ok)/'
		echo "with 100,000 other grants active:"
		measure 4001
		memory 106,000
	fi
	stop_jitd "$backend"
done

# The same kind of element added by running nft once per grant, into a
# scratch table holding 10,000 elements.
{
	echo "add table inet jitbench"
	echo "add set inet jitbench g { type ipv6_addr . inet_proto . inet_service; flags interval,timeout; }"
	seq 1 10000 | awk '{ printf "add element inet jitbench g { 2001:db8:5::%x . tcp . 22 timeout 3600s }\n", $1 }'
} >"$work/scratch.nft"
ip netns exec "$srv" nft -f "$work/scratch.nft"
start=$(date +%s%N)
for i in $(seq 1 200); do
	ip netns exec "$srv" nft add element inet jitbench g "{ 2001:db8:6::$i . tcp . 22 timeout 3600s }"
done
end=$(date +%s%N)
awk -v ns=$((end - start)) 'BEGIN { printf "nft as a process per grant (10,000 elements in the set): %.2f ms per grant\n", ns / 200 / 1e6 }'
echo "(targets: p99 <= 5 ms; with 10,000 and 100,000 grants within 1.5x of the figures without;"
echo " jitd <= 16 MiB with 100,000)"
