#!/bin/bash
# SPDX-License-Identifier: ISC
# The fleet's figures, in network namespaces this script creates and removes:
# a controller (jitd and jit-sshd), the host web001 (an enforcer with
# nftables and a TCP listener on 22) and 99 more enforcers (firewall none),
# each with its jit-relay, and a client namespace whose source addresses
# (2001:db8:2::/64, routed by web001 through the client) are each granted
# once. Printed:
#   - request on the controller -> port reachable on web001, with 1 and with
#     100 enforcers connected, beside the same with a standalone jitd on
#     web001 measured in this run (the ratio is the fleet's cost);
#   - one grant for a group of 100 hosts -> every enforcer's ack;
#   - the controller's memory per connected enforcer: jitd's growth and the
#     jit-sshd process each link keeps, extrapolated to 1,000 and 10,000.
# Targets: p99 <= 20 ms for the first, p99 <= 100 ms for the second.
set -euo pipefail
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")/..}/tap.sh"	# tap_workdir, tap_atexit
: "${JITD:?}" "${JITCTL:?}" "${BENCH:?}" "${ECHO_SERVER:?}" "${JIT_BUILDDIR:?}"
RELAY=$JIT_BUILDDIR/broker/relay/jit-relay
FRONT=$JIT_BUILDDIR/broker/sshd/jit-sshd
HOSTS=${BENCH_FLEET_HOSTS:-100}
REQUESTS=${BENCH_FLEET_REQUESTS:-300}

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v nft >/dev/null ||
	! command -v ssh-keygen >/dev/null || [ ! -x "$RELAY" ] || [ ! -x "$FRONT" ] ||
	! id nobody >/dev/null 2>&1; then
	echo "fleet benchmark skipped: needs root, ip, nft, ssh-keygen, the user nobody and a build with jit-sshd"
	exit 0
fi
ctl=jqctl$$ cli=jqcli$$ h1=jqh1$$ hx=jqhx$$ sw=jqsw$$
tap_workdir fleetbench
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for ns in "$h1" "$ctl" "$cli" "$hx" "$sw"; do ip netns del "$ns" 2>/dev/null || true; done
}
tap_atexit cleanup

# --- the network ----------------------------------------------------------------------------
ip netns add "$sw"
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up
n=0
plug() {	# NS IPV4 IPV6
	local name=jq$$p$n
	n=$((n + 1))
	ip netns add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$1" link set lo up
	ip link add "$name"a netns "$sw" type veth peer name "$name"b netns "$1"
	ip -n "$sw" link set "$name"a master br0 up
	ip -n "$1" link set "$name"b up
	ip -n "$1" addr add "$2/24" dev "$name"b
	ip -n "$1" addr add "$3/64" dev "$name"b nodad
}
plug "$ctl" 192.0.2.1 2001:db8::1
plug "$cli" 192.0.2.10 2001:db8::10
plug "$h1" 192.0.2.21 2001:db8::21
plug "$hx" 192.0.2.30 2001:db8::30
ip -n "$h1" route add 2001:db8:2::/64 via 2001:db8::10
seq 1 4000 | awk '{ printf "addr add 2001:db8:2::%x/128 dev lo\n", $1 }' >"$work/addrs"
ip -n "$cli" -batch "$work/addrs"
ip netns exec "$h1" "$ECHO_SERVER" 22 >/dev/null 2>&1 &
pids+=($!)
sources() { seq "$1" $(($1 + $2 - 1)) | awk '{ printf "2001:db8:2::%x\n", $1 }'; }
await() {	# WHAT CMD...: within 60 s
	local i
	for i in $(seq 600); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "fleet benchmark: timed out waiting for $1" >&2
	exit 1
}

# --- the baseline: a standalone jitd on web001 ----------------------------------------------
mkdir -p "$work/alone"
"$JITCTL" keygen --out "$work/alone" >/dev/null
cat >"$work/alone/jitd.conf" <<CONF
[jitd]
host = web001
socket = $work/alone/jitd.sock
socket_group = root
database = $work/alone/jit.db
key = $work/alone/broker.key
firewall = nftables
rate_requests = off
[policy ssh]
ports = 22/tcp
sources = any
max_duration = 1h
CONF
ip netns exec "$h1" "$JITD" -f -c "$work/alone/jitd.conf" >/dev/null 2>&1 &
alone_pid=$!
await "the standalone jitd" env JIT_SOCKET="$work/alone/jitd.sock" "$JITCTL" status
sources 1 "$REQUESTS" >"$work/src.alone"
echo "fleet: request -> port 22 reachable on web001 (one client, $REQUESTS requests, each from a new address)"
echo "  standalone jitd on web001 (the baseline, this run):"
ip netns exec "$cli" "$BENCH" -s "$work/alone/jitd.sock" -k "$work/alone/broker.pub" -u root -c 1 \
	-n "$REQUESTS" -f "$work/src.alone" -H 2001:db8::21 | tee "$work/alone.out" | sed 's/^/    /'
kill "$alone_pid" && wait "$alone_pid" || true
ip netns exec "$h1" "$JITCTL" firewall remove --backend nftables >/dev/null

# --- the controller ---------------------------------------------------------------------------
"$JITCTL" keygen --out "$work" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$work/ctl_host_key"
chown nobody "$work/ctl_host_key"
echo "[192.0.2.1]:2222 $(cut -d' ' -f1,2 "$work/ctl_host_key.pub")" >"$work/known_hosts"
names=$(seq 1 "$HOSTS" | awk '{ printf "web%03d\n", $1 }')
: >"$work/authorized_keys"
for h in $names; do
	mkdir -p "$work/$h"
	ssh-keygen -q -t ed25519 -N '' -f "$work/$h/id"
	echo "jit-host=\"$h\" $(cat "$work/$h/id.pub")" >>"$work/authorized_keys"
done
cat >"$work/ctl.conf" <<CONF
[jitd]
host = ctl
socket = $work/ctl.sock
socket_group = nogroup
database = $work/ctl.db
key = $work/broker.key
firewall = none
rate_requests = off
apply_timeout = 9s
[hostgroup all]
hosts = $(echo $names | tr ' ' ',')
[policy ssh]
ports = 22/tcp
sources = any
hosts = @all
max_duration = 1h
[sshd]
user = nobody
listen = 192.0.2.1:2222
host_key = $work/ctl_host_key
authorized_keys = $work/authorized_keys
max_startups = 200:30:400
per_source_max_startups = 200
CONF
chmod 0755 "$work"
chmod 0644 "$work/ctl.conf" "$work/authorized_keys"
ip netns exec "$ctl" "$JITD" -f -c "$work/ctl.conf" >/dev/null 2>&1 &
ctl_pid=$!
pids+=("$ctl_pid")
await "the controller" env JIT_SOCKET="$work/ctl.sock" "$JITCTL" status
ip netns exec "$ctl" "$FRONT" -c "$work/ctl.conf" >/dev/null 2>>"$work/front.log" &
front_pid=$!
pids+=("$front_pid")
await "jit-sshd" ip netns exec "$ctl" bash -c ': </dev/tcp/192.0.2.1/2222'

enforcer() {	# HOST NS FIREWALL
	cat >"$work/$1/jitd.conf" <<CONF
[jitd]
host = $1
socket = $work/$1/jitd.sock
socket_group = root
database = $work/$1/jit.db
pubkey = $work/broker.pub
firewall = $3
[controller]
address = jit@192.0.2.1:2222
identity = $work/$1/id
known_hosts = $work/known_hosts
guard = 22/tcp
user = root
reconnect_max = 2s
CONF
	ip netns exec "$2" "$JITD" -f -c "$work/$1/jitd.conf" >/dev/null 2>&1 &
	pids+=($!)
	await "jitd on $1" env JIT_SOCKET="$work/$1/jitd.sock" "$JITCTL" status
	ip netns exec "$2" "$RELAY" -c "$work/$1/jitd.conf" >/dev/null 2>>"$work/$1/relay.log" &
	pids+=($!)
}
connected() {	# N: that many hosts followed now
	test "$(JIT_SOCKET=$work/ctl.sock "$JITCTL" hosts | awk '$2 == "yes"' | wc -l)" -ge "$1"
}
# kB of anonymous memory: jitd's, and the jit-sshd processes' serving links
# (each one's private pages: its share of what it has with its parent is
# counted once, in the parent).
rss_anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
front_children() { pgrep -P "$front_pid" || true; }
private_kb() {
	local p total=0
	for p; do
		total=$((total + $(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' \
			"/proc/$p/smaps_rollup")))
	done
	echo "$total"
}
measure_reach() {	# FIRST-SOURCE LABEL
	sources "$1" "$REQUESTS" >"$work/src.$2"
	echo "  through the controller, $2:"
	ip netns exec "$cli" "$BENCH" -s "$work/ctl.sock" -k "$work/broker.pub" -u root -c 1 \
		-n "$REQUESTS" -f "$work/src.$2" -H 2001:db8::21 -h web001 | tee "$work/$2.out" |
		sed 's/^/    /'
}

enforcer web001 "$h1" nftables
await "web001's link" connected 1
sleep 0.5	# the link's first acks and heartbeat, out of the way of the figures
jitd_one=$(rss_anon "$ctl_pid")
measure_reach 1001 "1 enforcer connected"
for h in $(echo "$names" | tail -n +2); do enforcer "$h" "$hx" none; done
await "$HOSTS links" connected "$HOSTS"
sleep 0.5
jitd_all=$(rss_anon "$ctl_pid")
read -r -a children <<<"$(front_children | tr '\n' ' ')"
child_kb=$(private_kb "${children[@]}")
measure_reach 2001 "$HOSTS enforcers connected"

echo "fleet: one grant for a group of $HOSTS hosts (@all) -> every enforcer's ack (one client, 50 requests)"
ip netns exec "$cli" "$BENCH" -s "$work/ctl.sock" -k "$work/broker.pub" -u root -c 1 -n 50 \
	-h @all | sed 's/^/    /'

p99() { sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' "$1"; }
p50() { sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' "$1"; }
awk -v a50="$(p50 "$work/alone.out")" -v a99="$(p99 "$work/alone.out")" \
	-v o50="$(p50 "$work/1 enforcer connected.out")" -v o99="$(p99 "$work/1 enforcer connected.out")" \
	-v h50="$(p50 "$work/$HOSTS enforcers connected.out")" -v h99="$(p99 "$work/$HOSTS enforcers connected.out")" \
	-v n="$HOSTS" 'BEGIN {
	printf "fleet: through the controller / standalone: p50 %.1fx, p99 %.1fx (1 enforcer); p50 %.1fx, p99 %.1fx (%d)\n",
		o50 / a50, o99 / a99, h50 / a50, h99 / a99, n
}'
awk -v one="$jitd_one" -v all="$jitd_all" -v kids="${#children[@]}" -v child="$child_kb" -v n="$HOSTS" 'BEGIN {
	per_jitd = (all - one) / (n - 1)
	per_child = kids > 0 ? child / kids : 0
	per = per_jitd + per_child
	printf "fleet: controller memory: jitd %d kB anonymous with 1 enforcer, %d kB with %d (%.1f kB each);\n", one, all, n, per_jitd
	printf "  %d jit-sshd link processes, %.0f kB private each: %.0f kB per connected enforcer,\n", kids, per_child, per
	printf "  so about %.0f MB for 1,000 hosts and %.0f MB for 10,000\n", per * 1000 / 1024, per * 10000 / 1024
}'
echo "(targets: request -> reachable p99 <= 20 ms; group of $HOSTS -> every ack p99 <= 100 ms)"
