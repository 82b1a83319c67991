#!/bin/bash
# SPDX-License-Identifier: ISC
# The remote round trip as a sysadmin makes it: `jitctl --remote ... request`
# from a client namespace to jit-sshd in a server namespace (a new SSH
# connection, key exchange, public-key authentication, the request to jitd
# with backend none, the ticket back). Prints p50/p99 of one at a time, and
# requests per second with 20 clients at once; beside them, in the same run,
# a bare `ssh -p 22 alice@server true` to OpenSSH's sshd (public key, no PAM)
# with the key exchange jitctl's libssh negotiates (curve25519-sha256), the
# ratio of the p50s (target <= 1.5x), and the same ssh with OpenSSH's default
# key exchange (sntrup761x25519, far slower here). Needs root (namespaces).
set -u
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")/..}/tap.sh"	# tap_workdir, tap_atexit
: "${JITD:?}" "${JITCTL:?}" "${JIT_SSHD_BIN:?}" "${JIT_BUILDDIR:?}" "${JIT_TESTS_SRCDIR:?}"
if [ "$(id -u)" -ne 0 ] || ! command -v ssh-keygen >/dev/null; then
	echo "bench_remote: skipped (needs root and ssh-keygen)"
	exit 0
fi
. "$JIT_TESTS_SRCDIR/e2e/sshd-env.sh"
sshenv_private_mounts "$@"

SEQUENTIAL=${BENCH_SEQUENTIAL:-200} CLIENTS=${BENCH_CLIENTS:-20} PER_CLIENT=${BENCH_PER_CLIENT:-20}
srv=jbsrv$$ cli=jbcli$$
tap_workdir remotebench
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	sshenv_cleanup
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
}
tap_atexit cleanup
sshenv_setup alice jitsshd >/dev/null
ip netns add "$srv"
ip netns add "$cli"
ip link add "jb${$}s" netns "$srv" type veth peer name "jb${$}c" netns "$cli"
for ns in "$srv" "$cli"; do ip -n "$ns" link set lo up; done
ip -n "$srv" link set "jb${$}s" up
ip -n "$cli" link set "jb${$}c" up
ip -n "$srv" addr add 192.0.2.1/24 dev "jb${$}s"
ip -n "$cli" addr add 192.0.2.10/24 dev "jb${$}c"
# No delayed ACKs: OpenSSH writes the key exchange's last messages in small
# pieces before it turns TCP_NODELAY on, and each pause Nagle makes for a
# delayed ACK costs 40 ms; that compares timers, not work.
ip -n "$srv" route change 192.0.2.0/24 dev "jb${$}s" quickack 1
ip -n "$cli" route change 192.0.2.0/24 dev "jb${$}c" quickack 1

"$JITCTL" keygen --out "$work" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
chown jitsshd "$work/host_key"
echo "[192.0.2.1]:2022 $(cut -d' ' -f1,2 "$work/host_key.pub")" >"$work/kh"
echo "jit-user=\"alice\" $(cat "$work/keys/alice.pub")" >"$work/authorized_keys"
cat >"$work/jitd.conf" <<CONF
[jitd]
host = bench
socket = $work/jitd.sock
socket_group = jit
database = $work/jit.db
key = $work/broker.key
firewall = none
rate_requests = off

[policy ssh]
ports = 22/tcp
sources = any
max_duration = 1h

[role ops]
remote_users = alice
policies = ssh

[sshd]
user = jitsshd
listen = 192.0.2.1:2022
host_key = $work/host_key
authorized_keys = $work/authorized_keys
max_startups = 100
# 20 clients from one address at once: the benchmark is not an attack.
per_source_max_startups = 100
CONF
chmod 0644 "$work/jitd.conf"
"$JITD" -f -c "$work/jitd.conf" 2>/dev/null &
pids+=($!)
ip netns exec "$srv" setpriv --reuid=jitsshd --regid=jitsshd --init-groups \
	"$JIT_SSHD_BIN" -d -c "$work/jitd.conf" 2>"$work/jit-sshd.log" &
pids+=($!)
JIT_SOCKET=$work/jitd.sock sshenv_await "jitd" "$JITCTL" status
sshenv_await "jit-sshd" grep -q "listening on" "$work/jit-sshd.log"

request() {
	timeout 30 ip netns exec "$cli" "$JITCTL" --remote jit@192.0.2.1:2022 --identity "$work/keys/alice" \
		--known-hosts "$work/kh" request --port 22/tcp --duration 10m >/dev/null
}

# The baseline: OpenSSH's sshd in the same namespace, a minimal
# configuration (public key only, no PAM), so what it costs is the new
# connection, key exchange, authentication and a forked session.
bare_sshd() {
	sshenv_find_sshd || return 1
	cat >"$work/sshd_config" <<CONF
ListenAddress 192.0.2.1:22
HostKey $work/ssh_host_ed25519_key
PidFile $work/sshd.pid
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $work/keys/%u.pub
StrictModes no
UseDNS no
MaxStartups 100
CONF
	: >"$work/sshd.log"
	ip netns exec "$srv" "$SSHD" -D -e -f "$work/sshd_config" 2>>"$work/sshd.log" &
	pids+=($!)
	sshenv_await "sshd" grep -q "Server listening on" "$work/sshd.log"
}
# bare_ssh [OPTION...]: ssh alice@server true.
bare_ssh() {
	timeout 30 ip netns exec "$cli" ssh -F /dev/null "$@" -i "$work/keys/alice" -o IdentitiesOnly=yes \
		-o UserKnownHostsFile="$work/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -p 22 alice@192.0.2.1 true </dev/null
}

# sequential NAME N CMD...: runs CMD N times, one at a time, and prints p50
# and p99 of the round trips; leaves p50 (microseconds) in $p50.
sequential() {
	local name=$1 n=$2 p99
	shift 2
	for _ in $(seq "$n"); do
		t0=$EPOCHREALTIME
		"$@" || echo "bench_remote: $name failed" >&2
		t1=$EPOCHREALTIME
		echo $(( (${t1/./} - ${t0/./}) ))
	done | sort -n >"$work/times"
	p50=$(sed -n "$(((n + 1) / 2))p" "$work/times")
	p99=$(sed -n "$(((n * 99 + 99) / 100))p" "$work/times")
	printf '%s, one at a time (%d): p50 %d.%02d ms  p99 %d.%02d ms\n' "$name" "$n" \
		$((p50 / 1000)) $((p50 % 1000 / 10)) $((p99 / 1000)) $((p99 % 1000 / 10))
}

sequential "jitctl --remote request" "$SEQUENTIAL" request
jit_p50=$p50
# Of that, starting the process and loading its libraries (libssh brings
# OpenSSL and Kerberos's).
process_alone() { "$JITCTL" --help >/dev/null; }
sequential "jitctl --help (the process alone)" "$SEQUENTIAL" process_alone
if bare_sshd; then
	sequential "bare ssh -o KexAlgorithms=curve25519-sha256 ... true" "$SEQUENTIAL" \
		bare_ssh -o KexAlgorithms=curve25519-sha256
	awk -v a="$jit_p50" -v b="$p50" 'BEGIN { printf "jitctl --remote request / that bare ssh (p50): %.2fx (target <= 1.5x)\n", a / b }'
	sequential "bare ssh ... true, OpenSSH's default key exchange" "$((SEQUENTIAL / 4))" bare_ssh
else
	echo "(no OpenSSH sshd here: no bare-ssh baseline)"
fi

# 20 clients at once.
clients=()
t0=$EPOCHREALTIME
for c in $(seq "$CLIENTS"); do
	(for _ in $(seq "$PER_CLIENT"); do request || echo fail; done) >"$work/fails.$c" &
	clients+=($!)
done
wait "${clients[@]}"
t1=$EPOCHREALTIME
us=$(( ${t1/./} - ${t0/./} ))
total=$((CLIENTS * PER_CLIENT))
failed=$(cat "$work"/fails.* 2>/dev/null | grep -c fail || true)
printf 'jitctl --remote request, %d clients x %d: %d requests/s (%d failed)\n' "$CLIENTS" "$PER_CLIENT" \
	$((total * 1000000 / us)) "$failed"
echo "(each request: a new process, a new SSH connection and key exchange, and the grant)"
