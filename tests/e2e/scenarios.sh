# SPDX-License-Identifier: ISC
# Source it after tap.sh and sshd-env.sh, inside sshenv_private_mounts. The
# world of the scenario suite (tests/e2e/scenarios.test) and of the live
# demonstration (contrib/try.sh), and the scenarios themselves.
#
# A server namespace runs jitd (backend $backend), sshd with pam_jit on 22,
# a second sshd on 2222 that no policy guards (a host whose firewall would
# admit anyone, so only the ticket stands in the way), and TCP listeners on
# 3389 (standing in for RDP) and 8080 (unguarded), and jit-sshd, the SSH front
# door, on 2022 as its own user. Client A (192.0.2.0/24,
# 2001:db8:a::/64) and client B (198.51.100.0/24, 2001:db8:b::/64) each have
# their own link to it. Users alice and bob are in role ops, carol in none;
# dave, a contractor, may have SSH only once carol approves; erin, on call,
# has windows whose sessions are cut when they are revoked or end; frank's
# windows allow one login each.
#
# Needs $work, $backend, $JITD, $JITCTL, $JIT_BUILDDIR, $SSHD. With
# SCN_NARRATE=1 the narration and what the firewall holds are printed for a
# reader; otherwise only as TAP comments.

. "$(dirname "${BASH_SOURCE[0]}")/sessions.sh"

srv=jssrv$$ cla=jsa$$ clb=jsb$$
S4A=192.0.2.1 S6A=2001:db8:a::1 S4B=198.51.100.1
A4=192.0.2.10 A6=2001:db8:a::10 B4=198.51.100.20 B6=2001:db8:b::20
PROBE=$JIT_BUILDDIR/tests/helpers/tcpprobe
ECHO=$JIT_BUILDDIR/tests/helpers/tcpecho
module=$JIT_BUILDDIR/pam_jit/.libs/pam_jit.so
scn_jitd_pid= scn_echo_pid= scn_front_pid=

# --- narration --------------------------------------------------------------------

scn_say() {
	if [ "${SCN_NARRATE:-}" = 1 ]; then
		printf '\n%s%s%s\n' "${scn_bold:-}" "$*" "${scn_plain:-}"
	else
		printf '# %s\n' "$*"
	fi
}

# scn_show TITLE CMD...: what CMD prints, for a reader only.
scn_show() {
	local title=$1
	shift
	[ "${SCN_NARRATE:-}" = 1 ] || return 0
	printf '   %s:\n' "$title"
	"$@" 2>&1 | sed 's/^/     /'
}

# --- the world ----------------------------------------------------------------------

scn_link() {
	local ns=$1 name=$2
	ip link add "$name"s netns "$srv" type veth peer name "$name"c netns "$ns"
	ip -n "$srv" link set "$name"s up
	ip -n "$ns" link set "$name"c up
}

scn_network() {
	local ns host
	for ns in "$srv" "$cla" "$clb"; do
		ip netns add "$ns"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set lo up
	done
	scn_link "$cla" "js${$}a"
	scn_link "$clb" "js${$}b"
	ip -n "$srv" addr add "$S4A/24" dev "js${$}as"
	ip -n "$srv" addr add "$S6A/64" dev "js${$}as" nodad
	ip -n "$srv" addr add "$S4B/24" dev "js${$}bs"
	ip -n "$srv" addr add 2001:db8:b::1/64 dev "js${$}bs" nodad
	# A's addresses: .10 for the main path, one more per scenario that needs
	# a source of its own.
	for host in 10 15 16 17 18 19 20 21 22 23 24 25 26; do
		ip -n "$cla" addr add "192.0.2.$host/24" dev "js${$}ac"
	done
	ip -n "$cla" addr add "$A6/64" dev "js${$}ac" nodad
	ip -n "$clb" addr add "$B4/24" dev "js${$}bc"
	ip -n "$clb" addr add "$B6/64" dev "js${$}bc" nodad
}

scn_jitd_config() {
	"$JITCTL" keygen --out "$work" >/dev/null
	cat >"$work/jitd.conf" <<CONF
[jitd]
host = web01
socket = $work/jitd.sock
socket_group = jit
database = $work/jit.db
key = $work/broker.key
firewall = $backend
reconcile_interval = 1s
used_up_grace = 3s

[policy ssh]
ports = 22/tcp
sources = 192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32
max_duration = 1h
justification = required

[policy rdp]
ports = 3389/tcp
sources = 192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32
max_duration = 1h

[policy ssh-reviewed]
ports = 22/tcp
sources = 192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32
max_duration = 1h
approvals = 1
approvers = user:carol

[policy oncall]
ports = 22/tcp, 3389/tcp
sources = 192.0.2.0/24
max_duration = 1h
on_revoke = terminate
on_expiry = terminate

[policy ssh-once]
ports = 22/tcp
sources = 192.0.2.0/24
max_duration = 1h
max_logins = 1

[role ops]
users = alice, bob
remote_users = alice, bob
policies = ssh, rdp
max_duration = 4h

[role contractors]
users = dave
remote_users = dave
policies = ssh-reviewed

[role oncall]
users = erin
policies = oncall

[role once]
users = frank
policies = ssh-once

[sshd]
user = jitsshd
listen = $S4A:2022, [$S6A]:2022, $S4B:2022, [2001:db8:b::1]:2022
host_key = $work/jit_host_key
authorized_keys = $work/authorized_keys
CONF
	chmod 0644 "$work/jitd.conf"
	export JIT_SOCKET=$work/jitd.sock
}

scn_start_jitd() {
	ip netns exec "$srv" "$JITD" -f -d -c "$work/jitd.conf" 2>>"$work/jitd.log" &
	scn_jitd_pid=$!
	sshenv_await "jitd" "$JITCTL" status
}

# jit-sshd's keys: its host key, known to both clients' ssh (OpenSSH's file
# and one for libssh, which jitctl --remote reads), and alice's and bob's keys.
scn_front_door_keys() {
	local key
	ssh-keygen -q -t ed25519 -N '' -f "$work/jit_host_key"
	chown jitsshd "$work/jit_host_key"
	key=$(cut -d' ' -f1,2 "$work/jit_host_key.pub")
	echo "* $key" >>"$work/known_hosts"
	printf '[%s]:2022 %s\n' "$S4A" "$key" "$S6A" "$key" "$S4B" "$key" 2001:db8:b::1 "$key" \
		>"$work/known_hosts.jit"
	printf 'jit-user="%s" %s\n' alice "$(cat "$work/keys/alice.pub")" bob \
		"$(cat "$work/keys/bob.pub")" dave "$(cat "$work/keys/dave.pub")" >"$work/authorized_keys"
}

scn_start_front_door() {
	ip netns exec "$srv" setpriv --reuid=jitsshd --regid=jitsshd --init-groups \
		"$JIT_BUILDDIR/broker/sshd/jit-sshd" -d -c "$work/jitd.conf" 2>>"$work/jit-sshd.log" &
	scn_front_pid=$!
	sshenv_await "jit-sshd" grep -q "listening on \[2001:db8:b::1\]:2022" "$work/jit-sshd.log"
}

scn_pam_config() {
	cat >"$work/pam.d/sshd" <<PAM
auth required $module pubkey=$work/broker.pub host=web01 socket=$JIT_SOCKET
account required pam_permit.so
session required pam_permit.so
password required pam_deny.so
PAM
}

# scn_world: everything above, started; returns 1 if some part did not.
scn_world() {
	sshenv_setup alice bob carol dave erin frank jitsshd
	scn_network
	scn_jitd_config
	scn_front_door_keys
	scn_start_jitd || return 1
	scn_start_front_door || return 1
	scn_pam_config
	ip netns exec "$srv" "$ECHO" 3389 8080 >/dev/null 2>&1 &
	scn_echo_pid=$!
	sshenv_start_sshd "$srv" 22 "AuthenticationMethods publickey,keyboard-interactive" &&
		sshenv_start_sshd "$srv" 2222 "AuthenticationMethods publickey,keyboard-interactive" &&
		sshenv_await "the TCP listeners" ip netns exec "$srv" "$PROBE" 127.0.0.1 8080
}

scn_cleanup() {
	[ -n "$scn_jitd_pid" ] && kill "$scn_jitd_pid" 2>/dev/null && wait "$scn_jitd_pid" 2>/dev/null
	[ -n "$scn_echo_pid" ] && kill "$scn_echo_pid" 2>/dev/null
	[ -n "$scn_front_pid" ] && kill "$scn_front_pid" 2>/dev/null && wait "$scn_front_pid" 2>/dev/null
	scn_jitd_pid= scn_echo_pid= scn_front_pid=
	ses_drop
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cla" 2>/dev/null
	ip netns del "$clb" 2>/dev/null
	sshenv_cleanup
}

# --- helpers ---------------------------------------------------------------------------

as_user() {
	local user=$1
	shift
	setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups "$@"
}

# Arguments as a reader would type them, quoted where they hold spaces.
scn_print_args() {
	local a
	for a in "$@"; do
		case $a in
		*" "*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
}

# scn_request NAME USER [jitctl request OPTIONS...]: USER asks; the answer
# (--json) lands in $work/NAME.json, the ticket in $work/NAME.ticket, the grant
# id in $scn_grant and the expiry (seconds) in $scn_expires.
scn_request() {
	local name=$1 user=$2
	shift 2
	scn_grant= scn_expires=
	if [ "${SCN_NARRATE:-}" = 1 ]; then
		printf '   $ [as %s] jitctl request' "$user"
		scn_print_args "$@"
	fi
	if ! as_user "$user" "$JITCTL" request --json "$@" >"$work/$name.json" 2>"$work/$name.err"; then
		[ "${SCN_NARRATE:-}" = 1 ] && sed 's/^/     /' "$work/$name.err"
		return 1
	fi
	sed -n 's/.*"ticket":"\([^"]*\)".*/\1/p' "$work/$name.json" >"$work/$name.ticket"
	scn_grant=$(sed -n 's/.*"grant_id":\([0-9]*\).*/\1/p' "$work/$name.json")
	scn_expires=$(date -d "$(sed -n 's/.*"expires":"\([^"]*\)".*/\1/p' "$work/$name.json")" +%s)
	[ "${SCN_NARRATE:-}" = 1 ] && printf '     granted: grant %s, open until %s, ticket %.40s…\n' \
		"$scn_grant" "$(date -d "@$scn_expires" +%T)" "$(cat "$work/$name.ticket")"
	return 0
}

# reaches NS SRC HOST PORT: a TCP connection gets through.
reaches() { ip netns exec "$1" "$PROBE" -s "$2" -t 500 "$3" "$4"; }
# Blocked is tcpprobe's exit 1 (refused, dropped, timed out), not any
# failure: a probe that could not run proves nothing.
blocked() {
	local rc=0
	reaches "$@" || rc=$?
	[ "$rc" -eq 1 ]
}

# The firewall's elements, without their ticking timeouts.
scn_fw_elements() {
	case $backend in
	nftables)
		ip netns exec "$srv" nft list table inet jit |
			sed -e 's/ timeout [0-9hms]*//g' -e 's/ expires [0-9hms]*//g'
		;;
	iptables) ip netns exec "$srv" ipset list | grep -v -e '^Size in memory' -e '^References' |
		sed 's/ timeout [0-9]*//' ;;
	esac
}

# Each set of table inet jit and its elements, one a line, without timeouts.
scn_nft_sets() {
	ip netns exec "$srv" nft list table inet jit | awk '
		$1 == "set" { name = $2; shown = 0 }
		/elements = \{/ { inside = 1; sub(/.*elements = \{ */, "") }
		inside {
			gsub(/^[ \t]+|[ \t]*,?[ \t]*$/, "")
			end = sub(/[ \t]*\}$/, "")
			sub(/ timeout [0-9hms]+/, "")
			if ($0 != "") { printf "%-8s %s\n", shown ? "" : name ":", $0; shown = 1 }
			if (end) inside = 0
		}'
}

# The timeout of SRC's window to PORT/tcp in the kernel, in whole seconds.
scn_window_timeout() {
	case $backend in
	nftables)
		ip netns exec "$srv" nft list set inet jit hosts4 |
			grep -o "$1 \\. tcp \\. $2 timeout [0-9hms]*" | awk '{
				t = $NF; sub(/[0-9]+ms$/, "", t); s = 0; n = ""
				for (i = 1; i <= length(t); i++) {
					c = substr(t, i, 1)
					if (c ~ /[0-9]/) { n = n c; continue }
					s += n * (c == "h" ? 3600 : c == "m" ? 60 : 1); n = ""
				}
				print s }'
		;;
	iptables) ip netns exec "$srv" ipset list jit4 | sed -n "s/^$1,tcp:$2 timeout \([0-9]*\).*/\1/p" ;;
	esac
}

scn_fw_show() {
	case $backend in
	nftables) scn_show "the firewall (the sets of nft list table inet jit)" scn_nft_sets ;;
	iptables) scn_show "the firewall (ipset list)" ip netns exec "$srv" ipset list -t ;;
	esac
}

# scn_ssh NAME WANT NS SRC USER HOST PORT TICKET [LOG TEXT]: ssh must exit
# WANT (0 logged in as USER, 255 refused) and pam_jit must have logged TEXT.
scn_ssh() { sshenv_expect_login "$@"; }

# What a reader sees of each login (sshenv_expect_login calls it).
sshenv_show_login() {
	[ "${SCN_NARRATE:-}" = 1 ] || return 0
	printf '   $ ssh -b %s -p %s %s@%s   (ticket from askpass)\n' "$@"
	sed 's/^/     /' "$tap_out/stdout" "$tap_out/stderr"
	sshenv_log_since_mark | sed 's/^<[0-9]*>[A-Z][a-z]* [ 0-9:]* /     [syslog] /'
}

# scn_denied NAME CODE USER OPTIONS...: the request is denied with CODE in
# the error, and the firewall is left as it was.
scn_denied() {
	local name=$1 code=$2 user=$3 before
	shift 3
	before=$(scn_fw_elements)
	run_cmd as_user "$user" "$JITCTL" request "$@"
	[ "${SCN_NARRATE:-}" = 1 ] && sed 's/^/     /' "$tap_out/stderr"
	if [ "$status" != 1 ]; then
		tap_not_ok "$name" "jitctl exited $status, wanted 1" "$(head -c 300 "$tap_out/stderr")"
	elif ! grep -qF -- "denied ($code)" "$tap_out/stderr"; then
		tap_not_ok "$name" "no '$code' in: $(head -c 300 "$tap_out/stderr")"
	elif [ "$(scn_fw_elements)" != "$before" ]; then
		tap_not_ok "$name" "the firewall changed"
	else
		tap_ok "$name"
	fi
}

# Awaits the end of grant ID in jitd's list (its expiry is marked at that
# second).
scn_await_grant_end() {
	local id=$1
	sshenv_await "the end of grant $id" sh -c \
		'! "$JITCTL" list --all --active --json | grep -q "\"id\":$1,"' sh "$id"
}

# --- the scenarios ------------------------------------------------------------------

# Runs scenario N and notes that it ran (scenario 9 reads what 2 to 6 did).
# Every other scenario sets up what it needs; 1 expects nothing granted, so
# it comes first.
scn_ran=
scn_run() {
	"scenario_$1"
	scn_ran+=" $1"
}

scenario_1() {
	local t="scenario 1, nothing granted"
	scn_say "Scenario 1: nothing is granted yet. SSH (22) and RDP (3389) are closed to both clients; 8080, which no policy guards, is open."
	scn_fw_show
	check "$t: A cannot connect to 22" blocked "$cla" "$A4" "$S4A" 22
	check "$t: A cannot connect to 22 over IPv6" blocked "$cla" "$A6" "$S6A" 22
	check "$t: B cannot connect to 22" blocked "$clb" "$B4" "$S4B" 22
	check "$t: A cannot connect to 3389" blocked "$cla" "$A4" "$S4A" 3389
	check "$t: B cannot connect to 3389" blocked "$clb" "$B4" "$S4B" 3389
	check "$t: the unguarded port 8080 is reachable" reaches "$cla" "$A4" "$S4A" 8080
	check "$t: ... over IPv6 too" reaches "$cla" "$A6" "$S6A" 8080
}

scenario_2() {
	local t="scenario 2, alice asks for SSH from A"
	scn_say "Scenario 2: alice (role ops) asks for SSH from client A's address ($A4) for 10 minutes, with a justification."
	if scn_request alice alice --port 22/tcp --from "$A4" --duration 10m \
		--justification "INC-1 disk full"; then
		tap_ok "$t: the broker grants it and returns a ticket"
		scn_show "the ticket's claims (jitctl ticket inspect)" \
			"$JITCTL" ticket inspect --pubkey "$work/broker.pub" "$(cat "$work/alice.ticket")"
	else
		tap_not_ok "$t: the broker grants it and returns a ticket" "$(cat "$work/alice.err")"
	fi
	scn_fw_show
	check "$t: A now connects to 22" reaches "$cla" "$A4" "$S4A" 22
	check "$t: B still cannot" blocked "$clb" "$B4" "$S4B" 22
	check "$t: 3389 stays closed to A" blocked "$cla" "$A4" "$S4A" 3389
	scn_ssh "$t: alice logs in from A with her key and the ticket" 0 "$cla" "$A4" alice \
		"$S4A" 22 "$work/alice.ticket" "accepted alice from $A4, ticket"
	check "$t: ssh asked for the ticket once" test "$(cat "$work/prompts")" = "(alice@$S4A) JIT ticket: "
	scn_say "... and the same over IPv6, from $A6."
	scn_request alice6 alice --port 22/tcp --from "$A6" --duration 10m --justification "INC-1"
	check "$t: A connects to 22 over IPv6" reaches "$cla" "$A6" "$S6A" 22
	check "$t: ... B does not" blocked "$clb" "$B6" 2001:db8:b::1 22
	scn_ssh "$t: alice logs in over IPv6" 0 "$cla" "$A6" alice "$S6A" 22 "$work/alice6.ticket" \
		"accepted alice from $A6, ticket"
}

scenario_3() {
	local t="scenario 3, a ticket used out of place"
	scn_say "Scenario 3: bob gets a window for client B ($B4). alice's ticket is then tried from B, and by bob: the firewall lets B in now, but pam_jit refuses."
	# alice's ticket for A comes from scenario 2; run alone, ask for it here.
	[ -s "$work/alice.ticket" ] || scn_request alice alice --port 22/tcp --from "$A4" --duration 10m \
		--justification "INC-1 disk full"
	scn_request bob bob --port 22/tcp --from "$B4" --duration 10m --justification "INC-2"
	check "$t: bob's window opens 22 to B" reaches "$clb" "$B4" "$S4B" 22
	scn_ssh "$t: bob logs in from B with his own ticket" 0 "$clb" "$B4" bob "$S4B" 22 \
		"$work/bob.ticket" "accepted bob from $B4, ticket"
	scn_ssh "$t: alice's ticket from B is refused (wrong source)" 255 "$clb" "$B4" alice \
		"$S4B" 22 "$work/alice.ticket" "source not allowed: $B4 is in no src prefix"
	scn_ssh "$t: alice's ticket used as bob is refused (wrong user)" 255 "$clb" "$B4" bob \
		"$S4B" 22 "$work/alice.ticket" "wrong user: ticket is for alice, login is bob"
}

scenario_4() {
	local t="scenario 4, requests the policy denies"
	scn_say "Scenario 4: requests the policy denies, each with its reason; nothing opens."
	scn_denied "$t: longer than the policy's maximum (1h)" duration_exceeds_policy alice \
		--port 22/tcp --from "$B6" --duration 2h --justification "long job"
	scn_denied "$t: from outside the allowed prefixes" source_not_allowed alice \
		--port 22/tcp --from 203.0.113.5 --justification "from home"
	scn_denied "$t: without the required justification" justification_required alice \
		--port 22/tcp --from "$B6" --duration 10m
	scn_denied "$t: carol is in no role" no_role carol \
		--port 22/tcp --from "$B6" --duration 10m --justification "let me in"
	check "$t: B still cannot connect over IPv6" blocked "$clb" "$B6" 2001:db8:b::1 22
}

scenario_5() {
	local t="scenario 5, expiry" src=192.0.2.15 line
	scn_say "Scenario 5: alice opens an SSH session from $src in a 6-second window. When the window ends, the session goes on; a new connection fails."
	scn_request expiry alice --port 22/tcp --from "$src" --duration 6s --justification "INC-3"
	local grant=$scn_grant
	coproc SCN_SESSION { sshenv_stdin=- sshenv_login "$cla" "$src" alice "$S4A" 22 \
		"$work/expiry.ticket" 'echo "logged in as $(id -un)"; cat' 2>"$work/session.err"; }
	local session_pid=$SCN_SESSION_PID
	[ "${SCN_NARRATE:-}" = 1 ] && printf '   $ ssh -b %s -p 22 alice@%s   (kept open; it echoes what is typed)\n' \
		"$src" "$S4A"
	IFS= read -r -t 10 line <&"${SCN_SESSION[0]}" || line=
	check "$t: alice logs in during the window" test "$line" = "logged in as alice"
	echo "typed during the window" >&"${SCN_SESSION[1]}"
	IFS= read -r -t 10 line <&"${SCN_SESSION[0]}" || line=
	check "$t: the session answers during the window" test "$line" = "typed during the window"
	scn_await_grant_end "$grant"
	scn_say "... the window of grant $grant has ended."
	scn_fw_show
	check "$t: a new connection from $src fails" blocked "$cla" "$src" "$S4A" 22
	echo "typed after the window" >&"${SCN_SESSION[1]}"
	IFS= read -r -t 10 line <&"${SCN_SESSION[0]}" || line=
	check "$t: the established session still answers" test "$line" = "typed after the window"
	exec {SCN_SESSION[1]}>&-
	wait "$session_pid" 2>/dev/null
	check "$t: the session ends cleanly when alice leaves" test $? -eq 0
}

scenario_6() {
	local t="scenario 6, revoke during a window" src=192.0.2.16
	scn_say "Scenario 6: alice's window from $src is revoked: new connections fail at once, and the ticket is refused even on port 2222, which the firewall does not guard."
	scn_request revoked alice --port 22/tcp --from "$src" --duration 10m --justification "INC-4"
	check "$t: A connects from $src before" reaches "$cla" "$src" "$S4A" 22
	expect "$t: alice revokes her grant" 0 --out "revoked grant $scn_grant" -- \
		as_user alice "$JITCTL" revoke "$scn_grant"
	check "$t: a new connection fails at once" blocked "$cla" "$src" "$S4A" 22
	scn_ssh "$t: the ticket is refused where the firewall admits it (online check)" 255 \
		"$cla" "$src" alice "$S4A" 2222 "$work/revoked.ticket" "jitd: the ticket's grant was revoked"
}

scenario_7() {
	local t="scenario 7, RDP" src=192.0.2.17
	scn_say "Scenario 7: alice asks for RDP (3389/tcp) from $src: only that port opens."
	scn_request rdp alice --port 3389/tcp --from "$src" --duration 10m
	check "$t: $src connects to 3389" reaches "$cla" "$src" "$S4A" 3389
	check "$t: $src still cannot connect to 22" blocked "$cla" "$src" "$S4A" 22
	check "$t: B cannot connect to 3389" blocked "$clb" "$B4" "$S4B" 3389
}

scenario_8() {
	local t="scenario 8, jitd killed" src=192.0.2.18 closed grant audit
	scn_say "Scenario 8: jitd is killed with SIGKILL during a 4-second window from $src, beside bob's 10-minute window from B: the kernel still closes the short one on time; jitd restarted catches up and keeps bob's."
	scn_request survivor bob --port 22/tcp --from "$B4" --duration 10m --justification "INC-5"
	scn_request killed alice --port 22/tcp --from "$src" --duration 4s --justification "INC-5"
	grant=$scn_grant
	kill -KILL "$scn_jitd_pid"
	wait "$scn_jitd_pid" 2>/dev/null
	scn_jitd_pid=
	check "$t: the window is open with jitd gone" reaches "$cla" "$src" "$S4A" 22
	sshenv_await "the window to close" blocked "$cla" "$src" "$S4A" 22
	closed=$(date +%s)
	check "$t: the window closed on time (by $closed, expiry $scn_expires)" \
		test "$closed" -le $((scn_expires + 1))
	check "$t: bob's window is still open" reaches "$clb" "$B4" "$S4B" 22
	scn_start_jitd
	expect "$t: jitd restarted answers" 0 --out "firewall $backend" -- "$JITCTL" status
	audit=$("$JITCTL" audit --json)
	check "$t: it marked the grant that expired while it was down" \
		grep -q "\"action\":\"expire\",\"subject\":\"alice\",\"result\":\"ok\",\"reason\":null,\"details\":{\"grant\":$grant,\"host\":\"web01\"}" <<<"$audit"
	check "$t: bob's window survives the restart" reaches "$clb" "$B4" "$S4B" 22
	check "$t: and what no grant covers stays closed" blocked "$cla" "$src" "$S4A" 22
}

# What scenarios 2 to 6 did, read back from the audit log: it needs them
# earlier in the same run, and says so when they were not.
scenario_9() {
	local t="scenario 9, the audit log" audit code n missing=
	for n in 2 3 4 5 6; do
		case " $scn_ran " in *" $n "*) ;; *) missing+=" $n" ;; esac
	done
	if [ -n "$missing" ]; then
		tap_skip "$t: every step of scenarios 2 to 6" \
			"needs scenarios 2 to 6 earlier in the same run (missing:$missing; JIT_SCENARIOS)"
		return
	fi
	scn_say "Scenario 9: the audit log holds every step of scenarios 2 to 6."
	audit=$("$JITCTL" audit --json)
	scn_audit_has "$audit" "$t: alice's grant" '"actor":"alice","action":"request","subject":"alice","result":"granted"'
	scn_audit_has "$audit" "$t: bob's grant" '"actor":"bob","action":"request","subject":"bob","result":"granted"'
	for code in duration_exceeds_policy source_not_allowed justification_required no_role; do
		scn_audit_has "$audit" "$t: the denial $code" "\"denial\":\"$code\""
	done
	scn_audit_has "$audit" "$t: a login checked" '"action":"verify","subject":"alice","result":"ok"'
	scn_audit_has "$audit" "$t: the revoked ticket refused" '"action":"verify","subject":"alice","result":"refused"'
	scn_audit_has "$audit" "$t: the revoke" '"actor":"alice","action":"revoke"'
	scn_audit_has "$audit" "$t: the expiry of scenario 5" '"action":"expire"'
}

scenario_10() {
	local t="scenario 10, from a laptop through jit-sshd" id
	scn_say "Scenario 10: every window so far is revoked. alice, on client A, runs jitctl ssh: it asks jit-sshd for a window from the address jit-sshd sees, then runs ssh with the ticket answered for her. bob asks with plain OpenSSH, over IPv6."
	for id in $("$JITCTL" list --active --all --json | grep -o '"id":[0-9]*' | cut -d: -f2); do
		"$JITCTL" revoke "$id" >/dev/null
	done
	check "$t: A cannot connect to 22" blocked "$cla" "$A4" "$S4A" 22
	run_cmd ip netns exec "$cla" setsid -w "$JITCTL" ssh --broker "jit@$S4A:2022" \
		--identity "$work/keys/alice" --known-hosts "$work/known_hosts.jit" \
		--justification "INC-10" "alice@$S4A" -F /dev/null -i "$work/keys/alice" \
		-o IdentitiesOnly=yes -o UserKnownHostsFile="$work/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
		-o NumberOfPasswordPrompts=1 -o ConnectTimeout=5 'echo "logged in as $(id -un)"' </dev/null
	if [ "${SCN_NARRATE:-}" = 1 ]; then
		printf '   $ jitctl ssh --broker jit@%s:2022 --justification INC-10 alice@%s\n' "$S4A" "$S4A"
		sed 's/^/     /' "$tap_out/stdout" "$tap_out/stderr"
	fi
	if [ "$status" = 0 ] && grep -qx "logged in as alice" "$tap_out/stdout"; then
		tap_ok "$t: jitctl ssh gets the window and logs alice in"
	else
		tap_not_ok "$t: jitctl ssh gets the window and logs alice in" "exit $status" \
			"stderr: $(tail -c 300 "$tap_out/stderr")"
	fi
	check "$t: the window is for the address jit-sshd saw" \
		sh -c '"$JITCTL" list --active --all --json | grep -q "\"user\":\"alice\",[^}]*\"from\":\"$1/32\""' \
		sh "$A4"
	check "$t: B still cannot connect to 22" blocked "$clb" "$B4" "$S4B" 22
	expect "$t: bob asks with OpenSSH, over IPv6" 0 --out "v4.public." -- \
		sshenv_login "$clb" "$B6" bob 2001:db8:b::1 2022 "" request --port 22/tcp --justification INC-11
	check "$t: B reaches 22 over IPv6" reaches "$clb" "$B6" 2001:db8:b::1 22
	check "$t: A does not, over IPv6" blocked "$cla" "$A6" "$S6A" 22
	scn_fw_show
}

# The id of the newest request pending for approval, once there is one.
scn_await_pending() {
	sshenv_await "a pending request" sh -c '"$JITCTL" pending --json | grep -q "\"id\":"'
	"$JITCTL" pending --json | grep -o '{"id":[0-9]*' | head -1 | cut -d: -f2
}

scenario_11() {
	local t="scenario 11, an approval" src=192.0.2.19 id rc ssh_pid
	scn_say "Scenario 11: dave, a contractor, may have SSH only once carol approves. He asks from $src: the request waits and 22 stays closed to him; carol approves, and his window opens from then. Then dave runs jitctl ssh through jit-sshd, which waits for carol's approval and logs him in."
	run_cmd as_user dave "$JITCTL" request --port 22/tcp --from "$src" --duration 10m
	[ "${SCN_NARRATE:-}" = 1 ] && printf '   $ [as dave] jitctl request --port 22/tcp --from %s --duration 10m\n' "$src" &&
		sed 's/^/     /' "$tap_out/stderr"
	id=$(sed -n 's/^pending: request \([0-9]*\) .*/\1/p' "$tap_out/stderr")
	check "$t: the request is pending (exit 4), no ticket" \
		test "$status" = 4 -a -n "$id" -a ! -s "$tap_out/stdout"
	check "$t: $src cannot connect to 22 while it is pending" blocked "$cla" "$src" "$S4A" 22
	expect "$t: carol sees it to review" 0 --out "review" -- as_user carol "$JITCTL" pending
	scn_show "carol's jitctl pending" cat "$tap_out/stdout"
	expect "$t: carol approves it" 0 --out "approved request $id: granted" -- \
		as_user carol "$JITCTL" approve "$id" --reason "CHG-11"
	[ "${SCN_NARRATE:-}" = 1 ] && printf '   $ [as carol] jitctl approve %s --reason CHG-11\n' "$id" &&
		sed 's/^/     /' "$tap_out/stdout"
	check "$t: $src now connects to 22" reaches "$cla" "$src" "$S4A" 22
	expect "$t: dave gets his ticket with --resume" 0 --out "v4.public." -- \
		as_user dave "$JITCTL" request --resume "$id"
	cp "$tap_out/stdout" "$work/dave.ticket"
	scn_ssh "$t: dave logs in with it" 0 "$cla" "$src" dave "$S4A" 22 \
		"$work/dave.ticket" "accepted dave from $src, ticket"
	ip netns exec "$cla" setsid -w "$JITCTL" ssh --broker "jit@$S4A:2022" \
		--identity "$work/keys/dave" --known-hosts "$work/known_hosts.jit" \
		"dave@$S4A" -F /dev/null -i "$work/keys/dave" \
		-o IdentitiesOnly=yes -o UserKnownHostsFile="$work/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
		-o NumberOfPasswordPrompts=1 -o ConnectTimeout=5 'echo "logged in as $(id -un)"' \
		</dev/null >"$work/dave-ssh.out" 2>"$work/dave-ssh.err" &
	ssh_pid=$!
	[ "${SCN_NARRATE:-}" = 1 ] &&
		printf '   $ jitctl ssh --broker jit@%s:2022 dave@%s   (it waits)\n' "$S4A" "$S4A"
	id=$(scn_await_pending)
	expect "$t: carol approves the request jitctl ssh made" 0 --out "approved request $id: granted" -- \
		as_user carol "$JITCTL" approve "$id"
	wait "$ssh_pid"
	rc=$?
	[ "${SCN_NARRATE:-}" = 1 ] && sed 's/^/     /' "$work/dave-ssh.out" "$work/dave-ssh.err"
	check "$t: jitctl ssh waited for the approval and logged dave in" \
		sh -c '[ "$1" = 0 ] && grep -qx "logged in as dave" "$2"' sh "$rc" "$work/dave-ssh.out"
	scn_fw_show
}

scenario_12() {
	local t="scenario 12, sessions cut on revoke" erin=192.0.2.20 alice=192.0.2.21 grant kept server
	scn_say "Scenario 12: erin (policy oncall: on_revoke = terminate) holds an SSH session and an RDP connection from $erin; alice (policy rdp: keep) holds RDP from $alice. Revoking erin's grant cuts both of hers with a reset at their next packet; alice's goes on, and survives her own plain revoke, but not a revoke --terminate."
	scn_request oncall erin --port 22/tcp,3389/tcp --from "$erin" --duration 10m
	grant=$scn_grant
	scn_request keep alice --port 3389/tcp --from "$alice" --duration 10m
	kept=$scn_grant
	check "$t: erin's RDP connection is up" ses_hold erin-rdp "$cla" "$erin" "$S4A" 3389
	check "$t: erin logs in over SSH" ses_hold_ssh erin-ssh "$cla" "$erin" erin "$S4A" 22 \
		"$work/oncall.ticket"
	check "$t: alice's RDP connection is up" ses_hold alice-rdp "$cla" "$alice" "$S4A" 3389
	check "$t: erin's SSH session answers" ses_answers erin-ssh "before the revoke"
	server=$(ses_server_pid erin-ssh)
	check "$t: ... its cat runs as erin on the server" \
		ses_runs "$server" erin cat
	expect "$t: root revokes erin's grant: its policy cuts her 2 connections" 0 \
		--out "revoked grant $grant: erin from $erin/32 to 22/tcp,3389/tcp; 2 connections cut" -- \
		"$JITCTL" revoke "$grant"
	[ "${SCN_NARRATE:-}" = 1 ] && sed 's/^/     /' "$tap_out/stdout"
	check "$t: erin's RDP connection meets a reset at its next packet" \
		ses_cut erin-rdp "after the revoke" 3
	check "$t: erin's SSH session ends at its next packet" ses_cut erin-ssh "after the revoke" 255
	check "$t: ... ssh says its connection broke" \
		grep -Eq "Broken pipe|Connection reset" "$work/erin-ssh.err"
	check "$t: ... and the session ends on the server too: its cat is gone" \
		sshenv_await "erin's session to end on the server" ses_gone "$server"
	check "$t: alice's connection, another grant's, still answers" \
		ses_answers alice-rdp "beside erin's revoke"
	expect "$t: alice revokes hers: policy rdp keeps sessions" 0 \
		--out "revoked grant $kept: alice from $alice/32 to 3389/tcp" -- \
		as_user alice "$JITCTL" revoke "$kept"
	check "$t: ... and says nothing of connections cut" \
		sh -c '! grep -q "connections\? cut" "$1"' sh "$tap_out/stdout"
	check "$t: her established connection goes on" ses_answers alice-rdp "after her own revoke"
	check "$t: a new connection from $alice fails" blocked "$cla" "$alice" "$S4A" 3389
	scn_request again alice --port 3389/tcp --from "$alice" --duration 10m
	expect "$t: revoke --terminate cuts what policy rdp would keep" 0 \
		--out "revoked grant $scn_grant: alice from $alice/32 to 3389/tcp; 1 connection cut" -- \
		as_user alice "$JITCTL" revoke --terminate "$scn_grant"
	check "$t: ... her connection meets a reset" ses_cut alice-rdp "after --terminate" 3
	scn_audit_has "$("$JITCTL" audit --json)" "$t: the audit log says which revoke terminated" \
		"\"details\":{\"grant\":$scn_grant,\"host\":\"web01\",\"sessions\":\"terminate\"}"
	ses_drop
}

scenario_13() {
	local t="scenario 13, sessions cut at the end" src=192.0.2.22 grant n
	scn_say "Scenario 13: erin's 4-second RDP window from $src ends (policy oncall: on_expiry = terminate): her connection is cut then, where scenario 5's SSH session, under a policy that keeps, went on."
	scn_request ending erin --port 3389/tcp --from "$src" --duration 4s
	grant=$scn_grant
	check "$t: erin's RDP connection is up" ses_hold erin-end "$cla" "$src" "$S4A" 3389
	check "$t: it answers during the window" ses_answers erin-end "during the window"
	n=$(ses_await_cut "$work/jitd.log" "$grant" expired)
	check "$t: jitd cut its 1 connection when the window ended" test "$n" = 1
	check "$t: the connection meets a reset at its next packet" ses_cut erin-end "after the end" 3
	check "$t: a new connection from $src fails" blocked "$cla" "$src" "$S4A" 3389
	ses_drop
}

scenario_14() {
	local t="scenario 14, a single login" src=192.0.2.23
	scn_say "Scenario 14: frank's window from $src allows one login (policy ssh-once: max_logins = 1). He logs in; his ticket is refused from then on, even where the firewall admits it (2222); port 22 closes 3 seconds later (used_up_grace); his session goes on."
	scn_request once frank --port 22/tcp --from "$src" --duration 10m
	check "$t: frank logs in" ses_hold_ssh frank "$cla" "$src" frank "$S4A" 22 "$work/once.ticket"
	check "$t: ... the kernel's timeout of his window is now the grace's, 3 s at most" \
		test "$(scn_window_timeout "$src" 22)" -le 3
	check "$t: ... his grant is used up" sh -c \
		'"$JITCTL" list --all --json | grep -q "\"id\":$1,[^}]*\"state\":\"used_up\""' sh "$scn_grant"
	scn_ssh "$t: a second login with the ticket is refused" 255 "$cla" "$src" frank "$S4A" 2222 \
		"$work/once.ticket" "jitd: the ticket's grant is used up: it allows 1 login"
	check "$t: port 22 closes to $src after the grace" \
		sshenv_await "22 to close to $src" blocked "$cla" "$src" "$S4A" 22
	check "$t: frank's session goes on" ses_answers frank "after the window closed"
	ses_drop
}

scenario_15() {
	local t="scenario 15, a window extended" src=192.0.2.24 grant first
	scn_say "Scenario 15: alice's 5-second window from $src is extended by 10 minutes before it ends: it stays open past its first end, and the new ticket jitctl extend prints, for the same grant, logs her in then."
	scn_request short alice --port 22/tcp --from "$src" --duration 5s --justification "INC-15"
	grant=$scn_grant first=$scn_expires
	expect "$t: alice extends it by 10 minutes" 0 --out "v4.public." -- \
		as_user alice "$JITCTL" extend "$grant" --duration 10m
	cp "$tap_out/stdout" "$work/extended.ticket"
	check "$t: ... the kernel's timeout of the window is the new end's" \
		test "$(scn_window_timeout "$src" 22)" -gt 500
	check "$t: ... the window's first end passes" \
		sshenv_await "the first end" sh -c '[ "$(date +%s)" -gt "$1" ]' sh "$((first + 1))"
	check "$t: $src still connects to 22" reaches "$cla" "$src" "$S4A" 22
	check "$t: ... the grant is active" sh -c \
		'"$JITCTL" list --all --active --json | grep -q "\"id\":$1,"' sh "$grant"
	scn_ssh "$t: the new ticket logs alice in" 0 "$cla" "$src" alice "$S4A" 22 \
		"$work/extended.ticket" "accepted alice from $src, ticket"
	check "$t: ... it is the old one's grant (the same ticket id), ending 10 minutes later" \
		scn_same_grant_later "$work/short.ticket" "$work/extended.ticket" 600
}

# The start of grant ID (Unix time), as jitctl list says.
scn_grant_start() {
	date -d "$("$JITCTL" list --all --json | jq -r ".[] | select(.id == $1) | .not_before")" +%s
}

# scn_opens_at SRC START: SRC's window to 22 opens, and not before START.
scn_opens_at() {
	sshenv_await "the window of $1 to open" reaches "$cla" "$1" "$S4A" 22 &&
		[ "$(date +%s)" -ge "$2" ]
}

scenario_16() {
	local t="scenario 16, a window scheduled" src=192.0.2.25 later=192.0.2.26 start asked
	scn_say "Scenario 16: alice asks now for a window from $src that starts 6 seconds later (--start +6s): it is recorded and its ticket given now, 22 stays closed until the start and opens then. Another from $later starts while jitd is stopped: jitd started again opens it."
	asked=$(date +%s)
	scn_request scheduled alice --port 22/tcp --from "$src" --duration 10m --start +6s \
		--justification "CHG-16"
	start=$(scn_grant_start "$scn_grant")
	check "$t: it is scheduled, to start 6 seconds after it was asked" \
		test "$start" -ge "$((asked + 5))"
	check "$t: ... jitctl list says so" sh -c \
		'"$JITCTL" list --all --json | grep -q "\"id\":$1,[^}]*\"state\":\"scheduled\""' sh "$scn_grant"
	check "$t: 22 is closed to $src before the start" blocked "$cla" "$src" "$S4A" 22
	scn_ssh "$t: its ticket is refused before the start (where 2222 admits it)" 255 "$cla" "$src" \
		alice "$S4A" 2222 "$work/scheduled.ticket" "jitd: the ticket's grant has not started"
	check "$t: 22 opens to $src at the start, not before" scn_opens_at "$src" "$start"
	scn_ssh "$t: the ticket logs alice in then" 0 "$cla" "$src" alice "$S4A" 22 \
		"$work/scheduled.ticket" "accepted alice from $src, ticket"
	scn_request restart alice --port 22/tcp --from "$later" --duration 10m --start +3s \
		--justification "CHG-16"
	start=$(scn_grant_start "$scn_grant")
	kill "$scn_jitd_pid" && wait "$scn_jitd_pid"
	scn_jitd_pid=
	check "$t: jitd stopped, the second window's start passes" \
		sshenv_await "its start" sh -c '[ "$(date +%s)" -gt "$1" ]' sh "$start"
	check "$t: ... its window is closed" blocked "$cla" "$later" "$S4A" 22
	scn_start_jitd
	check "$t: jitd started again opens it" reaches "$cla" "$later" "$S4A" 22
}

scenario_17() {
	local t="scenario 17, a lock" lock
	scn_say "Scenario 17: bob's account is thought compromised. root locks user bob: his window from B is revoked, his requests and logins are refused with the lock's reason, across a restart of jitd, until root unlocks him."
	scn_request lockme bob --port 22/tcp --from "$B4" --duration 10m --justification "INC-17"
	check "$t: bob's window from B is open" reaches "$clb" "$B4" "$S4B" 22
	expect "$t: root locks user bob, revoking his grants" 0 --out "locked user bob (lock" -- \
		"$JITCTL" lock --user bob --reason "INC-17 key leaked" --ttl 1h
	lock=$(sed -n 's/^locked user bob (lock \([0-9]*\)).*/\1/p' "$tap_out/stdout")
	[ "${SCN_NARRATE:-}" = 1 ] && sed 's/^/     /' "$tap_out/stdout"
	check "$t: ... his window is closed" blocked "$clb" "$B4" "$S4B" 22
	scn_denied "$t: bob's request is refused with the lock's reason" locked bob \
		--port 22/tcp --from "$B4" --duration 10m --justification "let me in"
	check "$t: ... which it names" grep -q "INC-17 key leaked" "$tap_out/stderr"
	scn_ssh "$t: bob's login with his ticket is refused (where 2222 admits it)" 255 "$clb" \
		"$B4" bob "$S4B" 2222 "$work/lockme.ticket" "jitd: the ticket's grant was revoked"
	expect "$t: jitctl locks lists it" 0 --out "user bob" -- "$JITCTL" locks
	kill "$scn_jitd_pid" && wait "$scn_jitd_pid"
	scn_jitd_pid=
	scn_start_jitd
	expect "$t: jitd restarted still has it" 0 --out "user bob" -- "$JITCTL" locks
	scn_denied "$t: ... and still refuses bob" locked bob --port 22/tcp --from "$B4" \
		--duration 10m --justification "after the restart"
	expect "$t: root unlocks him" 0 --out "unlocked lock $lock" -- "$JITCTL" unlock "$lock"
	check "$t: bob may ask again" scn_request relock bob --port 22/tcp --from "$B4" \
		--duration 10m --justification "INC-17 resolved"
	check "$t: ... and his window opens" reaches "$clb" "$B4" "$S4B" 22
}

# scn_same_grant_later OLD NEW SECONDS: the tickets' jti are one, and NEW's
# exp is SECONDS after OLD's.
scn_same_grant_later() {
	local old new
	old=$("$JITCTL" ticket inspect --pubkey "$work/broker.pub" "$(cat "$1")") || return 1
	new=$("$JITCTL" ticket inspect --pubkey "$work/broker.pub" "$(cat "$2")") || return 1
	[ "$(jq -r .payload.jti <<<"$old")" = "$(jq -r .payload.jti <<<"$new")" ] &&
		[ $(($(date -d "$(jq -r .payload.exp <<<"$new")" +%s) - \
			$(date -d "$(jq -r .payload.exp <<<"$old")" +%s))) -eq "$3" ]
}

scn_audit_has() {
	if grep -qF -- "$3" <<<"$1"; then tap_ok "$2"; else tap_not_ok "$2" "no $3 in the audit log"; fi
}
