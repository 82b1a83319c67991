#!/bin/bash
# SPDX-License-Identifier: ISC
# The store on PostgreSQL beside SQLite, in one run: a private PostgreSQL 15
# (tests/pg-env.sh: initdb in a temporary directory, run as nobody on a Unix
# socket, fsync on as a real server has it) and jitd with backend "none".
# Printed:
#   - request -> ticket, one client and 4 clients, jitd on SQLite, then on
#     PostgreSQL, and the ratio;
#   - two controllers on the one database at once, 2 clients each;
#   - as root, in network namespaces it creates: a change made on controller
#     A for web001, whose enforcer follows controller B, answered once the
#     host acked it through B, beside the same change made on B.
# Target: the last p99 <= 50 ms.
set -euo pipefail
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")/..}/tap.sh"	# tap_workdir, tap_atexit
. "$JIT_TESTS_SRCDIR/pg-env.sh"
: "${JITD:?}" "${JITCTL:?}" "${BENCH:?}" "${JIT_BUILDDIR:?}"
RELAY=$JIT_BUILDDIR/broker/relay/jit-relay
FRONT=$JIT_BUILDDIR/broker/sshd/jit-sshd
N=${BENCH_PG_REQUESTS:-3000}

if ! pg_find; then
	echo "PostgreSQL benchmark skipped: no PostgreSQL 15 here (postgresql-15)"
	exit 0
fi
tap_workdir pgbench
pids=() namespaces=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for p in "${namespaces[@]}"; do ip netns del "$p" 2>/dev/null || true; done
	pg_stop
}
tap_atexit cleanup
pg_start
# As a server runs, with fsync (pg-env.sh turns it off for the tests).
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	-o "-c listen_addresses='' -k $PG_DIR/run" start >/dev/null
chmod 0755 "$work"
"$JITCTL" keygen --out "$work" >/dev/null

conf() {	# NAME DATABASE HOST [MORE]: $work/NAME.conf
	cat >"$work/$1.conf" <<CONF
[jitd]
host = $3
socket = $work/$1.sock
socket_group = nogroup
database = $2
key = $work/broker.key
firewall = none
rate_requests = off
rate_verifications = off
${4:-}
[policy ssh]
ports = 22/tcp
sources = any
max_duration = 1h
CONF
}
start() {	# NAME [NAMESPACE]: jitd with NAME.conf, answering
	local i
	${2:+ip netns exec "$2"} "$JITD" -f -c "$work/$1.conf" >/dev/null 2>>"$work/$1.log" &
	pids+=($!)
	for i in $(seq 100); do
		JIT_SOCKET=$work/$1.sock "$JITCTL" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "PostgreSQL benchmark: jitd $1 did not start: $(tail -3 "$work/$1.log")" >&2
	exit 1
}
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
bench() {	# NAME CLIENTS REQUESTS [MORE]
	"$BENCH" -s "$work/$1.sock" -k "$work/broker.pub" -u root -c "$2" -n "$3" "${@:4}"
}
p50() { sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' "$1"; }
p99() { sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' "$1"; }
rate() { sed -n 's/^ *\([0-9]*\) grants\/s.*/\1/p' "$1"; }

echo "store: request -> ticket over the Unix socket, backend none, $N requests each"
conf lite "$work/jit.db" ctl
conf pg "$PG_CONNINFO" ctl
start lite
start pg
for c in 1 4; do
	for s in lite pg; do
		bench "$s" "$c" "$N" >"$work/$s.$c"
	done
	echo "  $c client(s), SQLite (WAL):   $(sed -n 2p "$work/lite.$c")"
	echo "  $c client(s), PostgreSQL 15: $(sed -n 2p "$work/pg.$c")"
	awk -v lr="$(rate "$work/lite.$c")" -v pr="$(rate "$work/pg.$c")" \
		-v l99="$(p99 "$work/lite.$c")" -v p99="$(p99 "$work/pg.$c")" \
		'BEGIN { printf "  PostgreSQL / SQLite: %.2fx the grants/s, %.1fx the p99\n", pr / lr, p99 / l99 }'
done
stop_all

echo "two controllers on the one PostgreSQL database at once, 2 clients each, $N requests each:"
conf pg-b "$PG_CONNINFO" ctl-b
start pg
start pg-b
bench pg 2 "$N" >"$work/both.a" &
a=$!
bench pg-b 2 "$N" >"$work/both.b"
wait "$a"
echo "  controller A: $(sed -n 2p "$work/both.a")"
echo "  controller B: $(sed -n 2p "$work/both.b")"
awk -v a="$(rate "$work/both.a")" -v b="$(rate "$work/both.b")" -v one="$(rate "$work/pg.4")" \
	'BEGIN { printf "  together %d grants/s: %.2fx one controller with 4 clients\n", a + b, (a + b) / one }'
stop_all

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v ssh-keygen >/dev/null ||
	[ ! -x "$RELAY" ] || [ ! -x "$FRONT" ] || ! id nobody >/dev/null 2>&1; then
	echo "change on A -> acked through B: skipped (needs root, ip, ssh-keygen, nobody, jit-sshd)"
	exit 0
fi
# --- a host following B; the change made on A ------------------------------------------------
sw=jpsw$$ nsa=jpa$$ nsb=jpb$$ nsh=jph$$
namespaces=("$nsa" "$nsb" "$nsh" "$sw")
ip netns add "$sw"
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up
n=0
plug() {	# NS IPV4
	local name=jp$$p$n
	n=$((n + 1))
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip link add "$name"a netns "$sw" type veth peer name "$name"b netns "$1"
	ip -n "$sw" link set "$name"a master br0 up
	ip -n "$1" link set "$name"b up
	ip -n "$1" addr add "$2/24" dev "$name"b
	# Delayed ACKs would add tens of ms to every figure.
	ip -n "$1" route change 192.0.2.0/24 dev "$name"b quickack 1
}
plug "$nsa" 192.0.2.1
plug "$nsb" 192.0.2.2
plug "$nsh" 192.0.2.21
ssh-keygen -q -t ed25519 -N '' -f "$work/ctl_host_key"
chown nobody "$work/ctl_host_key"
echo "[192.0.2.2]:2222 $(cut -d' ' -f1,2 "$work/ctl_host_key.pub")" >"$work/known_hosts"
mkdir -p "$work/web001"
ssh-keygen -q -t ed25519 -N '' -f "$work/web001/id"
echo "jit-host=\"web001\" $(cat "$work/web001/id.pub")" >"$work/authorized_keys"
chmod 0644 "$work/authorized_keys"
fleet="apply_timeout = 9s
[hostgroup all]
hosts = web001
[sshd]
user = nobody
listen = 192.0.2.2:2222
host_key = $work/ctl_host_key
authorized_keys = $work/authorized_keys"
conf pg "$PG_CONNINFO" ctl "$fleet"
conf pg-b "$PG_CONNINFO" ctl-b "$fleet"
sed -i 's/^max_duration = 1h$/&\nhosts = @all/' "$work/pg.conf" "$work/pg-b.conf"
chmod 0644 "$work/pg.conf" "$work/pg-b.conf"
start pg "$nsa"
start pg-b "$nsb"
ip netns exec "$nsb" "$FRONT" -c "$work/pg-b.conf" >/dev/null 2>>"$work/front.log" &
pids+=($!)
cat >"$work/web001/jitd.conf" <<CONF
[jitd]
host = web001
socket = $work/web001.sock
socket_group = root
database = $work/web001/jit.db
pubkey = $work/broker.pub
firewall = none
[controller]
address = jit@192.0.2.2:2222
identity = $work/web001/id
known_hosts = $work/known_hosts
guard = 22/tcp
user = root
reconnect_max = 2s
CONF
ip netns exec "$nsh" "$JITD" -f -c "$work/web001/jitd.conf" >/dev/null 2>>"$work/web001.log" &
pids+=($!)
ip netns exec "$nsh" "$RELAY" -c "$work/web001/jitd.conf" >/dev/null 2>>"$work/relay.log" &
pids+=($!)
followed() {
	JIT_SOCKET=$work/pg-b.sock "$JITCTL" hosts 2>/dev/null |
		awk '$1 == "web001" && $2 == "yes" { f = 1 } END { exit !f }'
}
for i in $(seq 300); do
	followed && break
	sleep 0.1
done
if ! followed; then
	echo "PostgreSQL benchmark: web001 did not reach controller B:" >&2
	for f in relay front web001 pg-b; do tail -n 5 "$work/$f.log" >&2; done
	exit 1
fi
echo "a change for web001, whose enforcer follows controller B: request -> answered applied (one client, 300 requests)"
logs() { for f in relay web001 pg pg-b; do tail -n 8 "$work/$f.log" >&2; done; exit 1; }
bench pg-b 1 300 -h web001 >"$work/on-b" || logs
bench pg 1 300 -h web001 >"$work/on-a" || logs
echo "  made on B (the host's own controller): $(sed -n 2p "$work/on-b")"
echo "  made on A, acked through B:           $(sed -n 2p "$work/on-a")"
awk -v b50="$(p50 "$work/on-b")" -v b99="$(p99 "$work/on-b")" -v a50="$(p50 "$work/on-a")" \
	-v a99="$(p99 "$work/on-a")" 'BEGIN {
	printf "  through another controller / its own: p50 %.1fx, p99 %.1fx (+%.2f ms at p50)\n",
		a50 / b50, a99 / b99, a50 - b50 }'
echo "(target: made on A, acked through B: p99 <= 50 ms)"
