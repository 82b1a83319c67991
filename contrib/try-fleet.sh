# SPDX-License-Identifier: ISC
# contrib/try.sh's second act, sourced by it in a private mount namespace:
# a controller and two hosts (tests/e2e/fleet.sh's world), narrated.
tap_workdir try-fleet
. "$JIT_TOP/tests/e2e/fleet.sh"
tap_atexit flt_cleanup

narrate() { printf '\n%s%s%s\n' "$scn_bold" "$*" "$scn_plain"; }
# show TITLE CMD...: what CMD prints, tickets shortened.
show() {
	printf '   %s:\n' "$1"
	shift
	"$@" 2>&1 | sed -E 's/(v4\.public\.[A-Za-z0-9_-]{12})[A-Za-z0-9_.-]*/\1…/g; s/^/     /'
}
# run_shown TITLE CMD...: the command as a reader would type it and what it
# printed (tickets shortened); its output in $work/out and $work/err, its
# exit status in $status.
run_shown() {
	local title=$1
	shift
	printf '   $ %s\n' "$title"
	"$@" >"$work/out" 2>"$work/err"
	status=$?
	sed -E 's/(v4\.public\.[A-Za-z0-9_-]{12})[A-Za-z0-9_.-]*/\1…/g; s/^/     /' "$work/out" \
		"$work/err"
	return 0
}
first_id() { grep -o '"id":[0-9]*' | head -1 | cut -d: -f2; }

say "act two: a fleet"
cat <<TEXT
   ctl (192.0.2.1) is the controller: jitd with the signing key, the policies
   and the audit log, and jit-sshd on port 2222. web01 (192.0.2.21) and web02
   (192.0.2.22) are enforcers: jitd with the broker's public key only and
   nftables, and jit-relay, which dials the controller with the host's SSH key
   (a jit-host= key, good for nothing but following that host's grants). Each
   host guards 22 and 8080; web02 runs sshd with pam_jit. The client is
   192.0.2.10 and .11. Policy web: 22 and 8080 on @web (both hosts), for alice.
TEXT
if ! flt_world web01 web02 || ! start_controller || ! start_front_door; then
	echo "the fleet could not start: $(tail -n 3 "$work/ctl.log" 2>/dev/null)" >&2
	exit 1
fi
for h in web01 web02; do
	start_jitd "$h" || exit 1
	start_relay "$h"
done
flt_sshd web02 || exit 1

narrate "Both hosts follow the controller; nothing is granted yet."
check "the controller lists both hosts connected" await "the links" connected web01 web02
show "jitctl hosts, on the controller" ctl_hosts
check "192.0.2.10 cannot connect to web01:8080" blocked 192.0.2.10 web01 8080
check "... nor to web02:22" blocked 192.0.2.10 web02 22

narrate "alice asks the controller for SSH on web02 from 192.0.2.10. The controller signs a ticket for web02 and answers once web02's enforcer has applied it."
run_shown "jitctl request --host web02 --port 22/tcp --from 192.0.2.10 --duration 30m" \
	ask --host web02 --port 22/tcp --from 192.0.2.10 --duration 30m
cp "$work/out" "$work/web02.ticket"
check "the ticket comes back, applied (no host pending)" test "$status" -eq 0 -a ! -s "$work/err"
check "192.0.2.10 connects to web02:22 at once" reaches 192.0.2.10 web02 22
check "... and still not to web01" blocked 192.0.2.10 web01 8080
sshenv_expect_login "alice logs in on web02 with her key and the ticket" 0 "$cli" 192.0.2.10 \
	alice 192.0.2.22 22 "$work/web02.ticket" "accepted alice from 192.0.2.10, ticket"
check "the login is in the controller's audit log, with its host" \
	await "the login on the controller" logins_on_controller 1
show "jitctl audit, on the controller (the last entries)" \
	bash -c "JIT_SOCKET='$work/ctl.sock' '$JITCTL' audit | tail -n 3"

narrate "alice asks for 8080 on the group @web from 192.0.2.11: one grant and one ticket per host."
run_shown "jitctl request --host @web --port 8080/tcp --from 192.0.2.11 --duration 30m" \
	ask --host @web --port 8080/tcp --from 192.0.2.11 --duration 30m
check "a line HOST TICKET for each host" test "$status" -eq 0 -a "$(wc -l <"$work/out")" -eq 2
check "192.0.2.11 connects to web01:8080" reaches 192.0.2.11 web01 8080
check "... and to web02:8080" reaches 192.0.2.11 web02 8080
show "jitctl list, alice's grants on the controller" as_alice "$JITCTL" list

narrate "alice revokes web01's window: it closes when jitctl returns."
id=$(as_alice "$JITCTL" list --json --active | tr '{' '\n' | grep '"host":"web01"' | first_id)
run_shown "jitctl revoke $id" as_alice "$JITCTL" revoke "$id"
check "revoked" test "$status" -eq 0
check "192.0.2.11 can no longer connect to web01:8080" blocked 192.0.2.11 web01 8080

narrate "web02's link is cut (its jit-relay stopped), and alice revokes its 8080 window meanwhile. The controller says the host has not applied it; web02 stays as it was until it hears, and applies it when the link is back."
stop "${relay_pid[web02]}"
relay_pid[web02]=
check "the controller sees web02 gone" await "web02 to be gone" host_is web02 2 no
id=$(as_alice "$JITCTL" list --json --active | tr '{' '\n' | grep '"host":"web02"' |
	grep '"from":"192.0.2.11/32"' | first_id)
run_shown "jitctl revoke $id" as_alice "$JITCTL" revoke "$id"
check "revoked, with web02 named pending" grep -q "web02's enforcer is not connected" "$work/err"
show "jitctl hosts (LAG: changes web02 has not acked)" ctl_hosts
start_relay web02
check "the link back, web02 has applied it" await "web02's link" connected web02
check "192.0.2.11 can no longer connect to web02:8080" blocked 192.0.2.11 web02 8080
check "... while alice's SSH window on web02 stays open" reaches 192.0.2.10 web02 22
