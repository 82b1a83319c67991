# SPDX-License-Identifier: ISC
# Source it. The fleet's world for tests/e2e/fleet.test and contrib/try.sh, in
# network namespaces on one bridge: a controller ctl at 192.0.2.1 (jitd with
# the signing key and the policies, jit-sshd as its own user on port 2222),
# hosts each an enforcer at 192.0.2.2N (jitd with the broker's public key and
# its own firewall, jit-relay as its own user), a TCP listener on 8080,
# 3389 and 5985 on each host, and a client namespace with 192.0.2.10, .11 and .12.
# Expects tap.sh and sshd-env.sh sourced, $work, $JITD, $JITCTL and
# $JIT_BUILDDIR.
#
#   flt_world HOST...            accounts, network, keys, configurations; nothing
#                                started (HOST: web01, web02 or web03)
#   flt_firewall[HOST]=BACKEND   before flt_world: a host's backend (nftables)
#   start_controller, start_front_door, start_jitd HOST, start_relay HOST
#   reaches SRC HOST PORT, blocked SRC HOST PORT, await WHAT CMD...
#   ask ARGS...                  jitctl request on the controller, as alice
#   as_alice CMD..., on HOST JITCTL-ARGS..., ctl_hosts, host_is HOST COL VALUE
#   connected HOST...            each followed now, its changes all acked
#   flt_sshd HOST                sshd with pam_jit for HOST, on its port 22
#   flt_cleanup                  stops everything, removes the namespaces
. "$(dirname "${BASH_SOURCE[0]}")/sessions.sh"

RELAY=$JIT_BUILDDIR/broker/relay/jit-relay
FRONT=$JIT_BUILDDIR/broker/sshd/jit-sshd
PROBE=$JIT_BUILDDIR/tests/helpers/tcpprobe
ECHO=$JIT_BUILDDIR/tests/helpers/tcpecho
module=$JIT_BUILDDIR/pam_jit/.libs/pam_jit.so
sw=jfsw$$ ctl=jfctl$$ cli=jfcli$$
hosts=
declare -A ns=([web01]=jfh1$$ [web02]=jfh2$$ [web03]=jfh3$$) addr=([web01]=192.0.2.21
	[web02]=192.0.2.22 [web03]=192.0.2.23) flt_firewall=() jitd_pid=() relay_pid=()
ctl_pid= front_pid= echo_pids=
stop() { [ -n "${1:-}" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; return 0; }
flt_cleanup() {
	local h
	for h in $hosts; do stop "${relay_pid[$h]:-}"; stop "${jitd_pid[$h]:-}"; done
	ses_drop
	stop "$front_pid"
	stop "$ctl_pid"
	for h in $echo_pids; do stop "$h"; done
	sshenv_cleanup
	for h in "$sw" "$ctl" "$cli" "${ns[@]}"; do ip netns del "$h" 2>/dev/null; done
	return 0
}

# --- the network: every namespace on one bridge -------------------------------------------
flt_n=0
plug() {	# NS ADDRESS...
	local name=jf$$p$flt_n ns_=$1
	flt_n=$((flt_n + 1))
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip link add "$name"a netns "$sw" type veth peer name "$name"b netns "$1"
	ip -n "$sw" link set "$name"a master br0 up
	ip -n "$1" link set "$name"b up
	shift
	for a; do ip -n "$ns_" addr add "$a/24" dev "$name"b; done
}
flt_network() {
	local h
	ip netns add "$sw"
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	plug "$ctl" 192.0.2.1
	plug "$cli" 192.0.2.10 192.0.2.11 192.0.2.12
	for h in $hosts; do plug "${ns[$h]}" "${addr[$h]}"; done
}

reaches() { ip netns exec "$cli" "$PROBE" -s "$1" -t 500 "${addr[$2]}" "$3"; }
# Blocked is tcpprobe's 1 (refused, dropped, timed out); a probe that could
# not run proves nothing.
blocked() {
	local rc=0
	reaches "$@" || rc=$?
	[ "$rc" -eq 1 ]
}
# await WHAT CMD...: CMD within 30 s (windows that end, links that come back).
await() { sshenv_await_s=30 sshenv_await "$@"; }

# --- keys ---------------------------------------------------------------------------
flt_keys() {
	local h
	"$JITCTL" keygen --out "$work" >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$work/ctl_host_key"
	chown jitsshd "$work/ctl_host_key"
	echo "[192.0.2.1]:2222 $(cut -d' ' -f1,2 "$work/ctl_host_key.pub")" >"$work/known_hosts.ctl"
	echo "jit-user=\"alice\" $(cat "$work/keys/alice.pub")" >"$work/authorized_keys"
	for h in $hosts; do
		mkdir -p "$work/$h"
		ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$work/$h/id"
		chown jitrelay "$work/$h/id"
		echo "jit-host=\"$h\" $(cat "$work/$h/id.pub")" >>"$work/authorized_keys"
	done
}

# --- the controller --------------------------------------------------------------------------------
flt_controller_conf() {
	cat >"$work/ctl.conf" <<CONF
[jitd]
host = ctl
socket = $work/ctl.sock
socket_group = jit
database = $work/ctl.db
key = $work/broker.key
firewall = none
# Generous for a busy machine: an ack is milliseconds when all is well.
apply_timeout = 9s

[hostgroup web]
hosts = $(echo $hosts | sed 's/ /, /g')

[policy web]
ports = 22/tcp, 8080/tcp
sources = 192.0.2.0/24
hosts = @web
max_duration = 1h

# The controller's policies guard their ports on their hosts: 3389 on web02
# besides the ports each enforcer guards of its own. It opens once carol
# approves.
[policy rdp]
ports = 3389/tcp
sources = 192.0.2.0/24
hosts = web02
approvals = 1
approvers = user:carol

# WinRM's sessions end with their window, revoked or over.
[policy winrm]
ports = 5985/tcp
sources = 192.0.2.0/24
hosts = @web
max_duration = 1h
on_revoke = terminate
on_expiry = terminate

# One login per window on web02.
[policy web-once]
ports = 22/tcp
sources = 192.0.2.0/24
hosts = web02
max_logins = 1

[role ops]
users = alice
remote_users = alice
policies = web, rdp, winrm

[role once]
users = erin
policies = web-once

[sshd]
user = jitsshd
listen = 192.0.2.1:2222
host_key = $work/ctl_host_key
authorized_keys = $work/authorized_keys
CONF
	chmod 0644 "$work/ctl.conf"
}
start_controller() {
	ip netns exec "$ctl" "$JITD" -f -d -c "$work/ctl.conf" 2>>"$work/ctl.log" &
	ctl_pid=$!
	await "the controller" env JIT_SOCKET="$work/ctl.sock" "$JITCTL" status
}
start_front_door() {
	ip netns exec "$ctl" setpriv --reuid=jitsshd --regid=jitsshd --init-groups \
		"$FRONT" -d -c "$work/ctl.conf" 2>>"$work/front.log" &
	front_pid=$!
	await "jit-sshd" grep -q "listening on 192.0.2.1:2222" "$work/front.log"
}
as_alice() { setpriv --reuid=alice --regid=alice --init-groups env JIT_SOCKET="$work/ctl.sock" "$@"; }
as_carol() { setpriv --reuid=carol --regid=carol --init-groups env JIT_SOCKET="$work/ctl.sock" "$@"; }
as_erin() { setpriv --reuid=erin --regid=erin --init-groups env JIT_SOCKET="$work/ctl.sock" "$@"; }
ask() { as_alice "$JITCTL" request "$@"; }
ctl_hosts() { JIT_SOCKET=$work/ctl.sock "$JITCTL" hosts; }
logins_on_controller() {	# N: exactly N logins on web02 in the controller's audit log
	test "$(JIT_SOCKET=$work/ctl.sock "$JITCTL" audit --format csv |
		grep -c ',alice,login,alice,ok,.*web02')" -eq "$1"
}
host_is() {	# HOST COLUMN VALUE: jitctl hosts says so
	ctl_hosts | awk -v h="$1" -v c="$2" -v v="$3" '$1 == h && $c == v { f = 1 } END { exit !f }'
}
connected() {	# HOST...: each followed now, its changes all acked
	local h table
	table=$(ctl_hosts 2>/dev/null) || return 1
	for h; do
		awk -v h="$h" '$1 == h && $2 == "yes" && $5 == 0 { found = 1 } END { exit !found }' \
			<<<"$table" || return 1
	done
}

# --- the enforcers --------------------------------------------------------------------------------
enforcer_conf() {	# HOST FIREWALL
	cat <<CONF
[jitd]
host = $1
socket = $work/$1/jitd.sock
socket_group = jit
database = $work/$1/jit.db
pubkey = $work/broker.pub
firewall = $2
reconcile_interval = 1s
used_up_grace = 3s

[controller]
address = jit@192.0.2.1:2222
identity = $work/$1/id
known_hosts = $work/known_hosts.ctl
guard = 22/tcp, 8080/tcp
user = jitrelay
heartbeat = 2s
reconnect_max = 2s
CONF
}
on() { JIT_SOCKET=$work/$1/jitd.sock "$JITCTL" "${@:2}"; }	# HOST JITCTL ARGS...
listed() { on "$1" list --all | grep -qw "$2"; }	# HOST TEXT: in its jitctl list
start_jitd() {	# HOST
	ip netns exec "${ns[$1]}" "$JITD" -f -d -c "$work/$1/jitd.conf" 2>>"$work/$1/jitd.log" &
	jitd_pid[$1]=$!
	await "jitd on $1" on "$1" status
}
start_relay() {	# HOST
	ip netns exec "${ns[$1]}" setpriv --reuid=jitrelay --regid=jitrelay --init-groups \
		"$RELAY" -d -c "$work/$1/jitd.conf" 2>>"$work/$1/relay.log" &
	relay_pid[$1]=$!
}
flt_enforcers() {
	local h
	for h in $hosts; do
		enforcer_conf "$h" "${flt_firewall[$h]:-nftables}" >"$work/$h/jitd.conf"
		chmod 0644 "$work/$h/jitd.conf"
		ip netns exec "${ns[$h]}" "$ECHO" 8080 3389 5985 >/dev/null 2>&1 &
		echo_pids="$echo_pids $!"
	done
	for h in $hosts; do
		await "the echo service on $h" ip netns exec "${ns[$h]}" "$PROBE" 127.0.0.1 8080 || return 1
	done
}

# sshd with pam_jit for HOST (its ticket's aud), on its port 22.
flt_sshd() {
	cat >"$work/pam.d/sshd" <<PAM
auth required $module pubkey=$work/broker.pub host=$1 socket=$work/$1/jitd.sock
account required pam_permit.so
session required pam_permit.so
password required pam_deny.so
PAM
	sshenv_start_sshd "${ns[$1]}" 22 "AuthenticationMethods publickey,keyboard-interactive"
}

flt_world() {
	hosts="$*"
	# Accounts first: sshenv_setup mounts a /run of its own, where ip netns
	# keeps its namespaces.
	sshenv_setup alice carol erin jitsshd jitrelay
	flt_network
	flt_keys
	flt_controller_conf
	flt_enforcers
}
