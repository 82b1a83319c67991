#!/bin/bash
# A short live demonstration of what jit does so far: a broker key pair, a
# ticket signed and inspected, the checks a login makes (user, host, source
# address, port, time), a tampered ticket refused, then the broker jitd
# granting, denying, revoking and expiring windows. Installs what is missing,
# builds, and exits 0 only if every step behaved as narrated.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JIT_TOP"

install_missing "${JIT_BUILD_PACKAGES[@]}"
say "building jit"
jit_configure_build "$JIT_TOP/build/try"
jitctl=$JIT_TOP/build/try/broker/jitctl
jitd=$JIT_TOP/build/try/broker/jitd

demo=$(mktemp -d /tmp/jit-try.XXXXXX)
jitd_pid=
demo_user=jitdemo$$	# created for the broker demo, removed on exit
cleanup() {
	[ -n "$jitd_pid" ] && kill "$jitd_pid" 2>/dev/null && wait "$jitd_pid" 2>/dev/null
	id "$demo_user" >/dev/null 2>&1 && userdel "$demo_user"
	rm -rf "$demo"
}
trap cleanup EXIT
failures=0
ticket= tampered=
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	bold=$'\033[1m' green=$'\033[32m' red=$'\033[31m' plain=$'\033[0m'
else
	bold= green= red= plain=
fi

# The command as a reader would type it: long values by name.
show_command() {
	local text
	text=$(printf '%q ' "$@")
	text=${text//"setpriv --reuid=$demo_user --regid=nogroup --init-groups $demo/bin/jitctl"/"[as $demo_user] jitctl"}
	text=${text//"setpriv --reuid=nobody --regid=nogroup --clear-groups $demo/bin/jitctl"/"[as nobody] jitctl"}
	text=${text//"$jitctl"/jitctl}
	text=${text//"$jitd"/jitd}
	text=${text//"$demo"/\$DEMO}
	[ -n "$ticket" ] && text=${text//"$ticket"/\$TICKET}
	[ -n "$tampered" ] && text=${text//"$tampered"/\$TAMPERED}
	printf '$ %s\n' "$text"
}

# step TEXT EXPECTED_STATUS CMD...: narrates, runs, and says what happened.
step() {
	local text=$1 want=$2 status=0
	shift 2
	printf '\n%s-- %s%s\n' "$bold" "$text" "$plain"
	show_command "$@"
	"$@" >"$demo/out" 2>&1 || status=$?
	sed 's/^/  /' "$demo/out"
	if [ "$status" -eq "$want" ]; then
		printf '  %s[as expected: exit %d]%s\n' "$green" "$status" "$plain"
	else
		printf '  %s[UNEXPECTED: exit %d, wanted %d]%s\n' "$red" "$status" "$want" "$plain"
		failures=$((failures + 1))
	fi
}

now() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
mkdir "$demo/etc"

echo "Demo files live in \$DEMO=$demo and are removed at the end."
say "1. The broker's signing key"
step "create the key pair (secret 0600, public 0644)" 0 "$jitctl" keygen --out "$demo/etc"
step "a second keygen never overwrites a key" 1 "$jitctl" keygen --out "$demo/etc"
ls -l "$demo/etc"

say "2. A ticket for alice: SSH on web01 from 192.0.2.0/24, for 2 minutes"
step "sign it" 0 "$jitctl" ticket sign --key "$demo/etc/broker.key" --user alice --host web01 \
	--from 192.0.2.0/24 --port 22/tcp --role ops --duration 2m
ticket=$(cat "$demo/out")
echo "  (that is \$TICKET below)"
step "inspect it: a standard PASETO v4.public token, key id in the footer" 0 \
	"$jitctl" ticket inspect --pubkey "$demo/etc/broker.pub" "$ticket"

say "3. What the login checks (the PAM module will make these same checks)"
login=("$jitctl" ticket verify --pubkey "$demo/etc/broker.pub" --host web01 --port 22/tcp)
step "alice from 192.0.2.10: accepted" 0 "${login[@]}" --user alice --from 192.0.2.10 "$ticket"
step "alice from 198.51.100.7, outside the ticket's source: refused" 1 \
	"${login[@]}" --user alice --from 198.51.100.7 "$ticket"
step "bob presenting alice's ticket: refused" 1 "${login[@]}" --user bob --from 192.0.2.10 "$ticket"
step "alice on another host (db01): refused" 1 \
	"$jitctl" ticket verify --pubkey "$demo/etc/broker.pub" --host db01 --port 22/tcp \
	--user alice --from 192.0.2.10 "$ticket"
step "alice to RDP (3389/tcp), not in the ticket: refused" 1 \
	"$jitctl" ticket verify --pubkey "$demo/etc/broker.pub" --host web01 --port 3389/tcp \
	--user alice --from 192.0.2.10 "$ticket"

say "4. Expiry: the same login 3 minutes from now"
step "expired: refused (30 s of clock skew allowed)" 1 \
	"${login[@]}" --user alice --from 192.0.2.10 --at "$(now '+3 min')" "$ticket"

say "5. Tampering"
c=${ticket:40:1}; r=A; [ "$c" = A ] && r=B
tampered=${ticket:0:40}$r${ticket:41}
step "one character of the ticket changed: refused" 1 \
	"${login[@]}" --user alice --from 192.0.2.10 "$tampered"

say "6. The broker: jitd grants, denies, revokes and expires windows"
chmod 755 "$demo"
mkdir "$demo/bin" "$demo/run"
cp "$jitctl" "$demo/bin/jitctl"	# where the demo users can run it
chmod 755 "$demo/bin/jitctl"
useradd -M -N -g nogroup -s /usr/sbin/nologin "$demo_user"
echo "A demo user $demo_user (group nogroup, jitd's socket group here) is in role ops."
cat >"$demo/etc/jitd.conf" <<CONF
[jitd]
host = web01
socket = $demo/run/jitd.sock
socket_group = nogroup
database = $demo/lib/jit.db
key = $demo/etc/broker.key
firewall = none        # this demo leaves this machine's own firewall alone

[policy ssh]
ports = 22/tcp
sources = 192.0.2.0/24
max_duration = 3h
justification = required

[role ops]
users = $demo_user
policies = ssh
max_duration = 1h
CONF
sed 's/^/  /' "$demo/etc/jitd.conf"
step "check the configuration as sshd -t would" 0 "$jitd" -t -c "$demo/etc/jitd.conf"
"$jitd" -d -c "$demo/etc/jitd.conf" 2>"$demo/jitd.log" &
jitd_pid=$!
export JIT_SOCKET=$demo/run/jitd.sock
for _ in $(seq 100); do "$jitctl" status >/dev/null 2>&1 && break; sleep 0.1; done
step "jitd is up" 0 "$jitctl" status
user_jitctl=(setpriv --reuid="$demo_user" --regid=nogroup --init-groups "$demo/bin/jitctl")
step "$demo_user asks for SSH from 192.0.2.10 for 10 minutes: the ticket comes back" 0 \
	"${user_jitctl[@]}" request --port 22/tcp --from 192.0.2.10 --duration 10m \
	--justification "INC-4711 disk full"
ticket=$(cat "$demo/out")
step "the broker's ticket passes the login checks" 0 \
	"${login[@]}" --user "$demo_user" --from 192.0.2.10 "$ticket"
step "without a justification: denied, with the reason" 1 \
	"${user_jitctl[@]}" request --port 22/tcp --from 192.0.2.10
step "from outside the policy's prefix: denied" 1 \
	"${user_jitctl[@]}" request --port 22/tcp --from 203.0.113.5 --justification "from home"
step "longer than the role allows: denied" 1 \
	"${user_jitctl[@]}" request --port 22/tcp --from 192.0.2.10 --duration 2h --justification "long job"
step "user nobody is in no role: denied" 1 \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$demo/bin/jitctl" request \
	--port 22/tcp --from 192.0.2.10 --justification "let me in"
step "a short window of 2 seconds" 0 "${user_jitctl[@]}" request --port 22/tcp \
	--from 192.0.2.11 --duration 2s --justification "expiry demo" --json
step "the grants so far (root sees everyone's)" 0 "$jitctl" list --all
step "revoke the first one" 0 "$jitctl" revoke 1
expired() { "$jitctl" list --all --json | grep -q '"id":2,[^}]*"state":"expired"'; }
for _ in $(seq 50); do expired && break; sleep 0.1; done
step "a moment later: one revoked, one expired, nothing active" 0 "$jitctl" list --all
step "every decision is in the audit log" 0 "$jitctl" audit --since 10m
kill "$jitd_pid" && wait "$jitd_pid" || true
jitd_pid=

echo
if [ "$failures" -eq 0 ]; then
	printf '%sEvery step behaved as described.%s\n' "$green" "$plain"
else
	printf '%s%d step(s) did not behave as described.%s\n' "$red" "$failures" "$plain"
	exit 1
fi
