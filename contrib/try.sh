#!/bin/bash
# A short live demonstration of what jit does so far: a broker key pair, a
# ticket signed and inspected, the checks a login makes (user, host, source
# address, port, time), and a tampered ticket refused. Installs what is
# missing, builds, and exits 0 only if every step behaved as narrated.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JIT_TOP"

install_missing "${JIT_BUILD_PACKAGES[@]}"
say "building jit"
jit_configure_build "$JIT_TOP/build/try"
jitctl=$JIT_TOP/build/try/broker/jitctl

demo=$(mktemp -d /tmp/jit-try.XXXXXX)
trap 'rm -rf "$demo"' EXIT
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
	text=${text//"$jitctl"/jitctl}
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

echo
if [ "$failures" -eq 0 ]; then
	printf '%sEvery step behaved as described.%s\n' "$green" "$plain"
else
	printf '%s%d step(s) did not behave as described.%s\n' "$red" "$failures" "$plain"
	exit 1
fi
