#!/bin/bash
# SPDX-License-Identifier: ISC
# The live demonstration of jit, for a newcomer on a fresh Debian 12 machine,
# as root. Installs what is missing, builds, then plays it in network
# namespaces it creates, in two acts. One host: five scenarios of the suite
# (tests/e2e/scenarios.sh): nothing granted; alice asks for SSH and logs in
# with her key and the ticket; her ticket refused from another client and as
# another user; a window ending while a session goes on; a request that waits
# for an approver, and jitctl ssh waiting for it. A fleet (the world
# of tests/e2e/fleet.sh): a controller and two hosts following it; alice asks
# the controller for one host, logs in there, asks for both, a revocation
# closes a host, and one made while a host is cut off applies when it is
# back. Each step is narrated: what is asked, what the broker decided, what
# the firewall holds, what ssh did.
#
# This machine's own firewall, sshd, users and PAM files are not touched: the
# demo runs in its own namespaces, with its own /etc/passwd, /etc/pam.d, /run
# and /dev in a private mount namespace, and removes all of it at the end.
# Exits 0 only if every step behaved as narrated.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JIT_TOP"
build=$JIT_TOP/build/try

if [ -z "${JIT_SSHENV_NS:-}" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "contrib/try.sh: run it as root: it installs packages and creates network namespaces" >&2
		exit 1
	fi
	install_missing "${JIT_BUILD_PACKAGES[@]}" "${JIT_SCENARIO_PACKAGES[@]}"
	say "building jit"
	jit_configure_build "$build"
	make -C "$build" -s tests/helpers/tcpprobe tests/helpers/tcpecho tests/helpers/logsink
	say "OpenSSH's server for the demo (unpacked into $build/openssh, not installed)"
	JIT_SSHD=$(jit_test_sshd "$build/openssh")
	export JIT_SSHD
	rc=0
	for act in host fleet; do
		JIT_SSHENV_NS=1 JIT_TRY_ACT=$act unshare --mount --propagation private -- \
			bash "$JIT_TOP/contrib/try.sh" || rc=1
	done
	exit "$rc"
fi

# From here on every step is counted, not fatal.
set +e
export JITD=$build/broker/jitd/jitd JITCTL=$build/broker/jitctl/jitctl JIT_BUILDDIR=$build
export JIT_TESTS_SRCDIR=$JIT_TOP/tests SCN_NARRATE=1
. tests/tap.sh
. tests/e2e/sshd-env.sh
if ! sshenv_find_sshd; then
	echo "contrib/try.sh: no sshd to run the demo with" >&2
	exit 1
fi
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	scn_bold=$'\033[1m' green=$'\033[32m' red=$'\033[31m' scn_plain=$'\033[0m'
else
	scn_bold= green= red= scn_plain=
fi

# The checks print as a reader wants them, without the scenario's name,
# which the narration has just given.
tap_ok() {
	tap_count=$((tap_count + 1))
	printf '   %s[ok]%s %s\n' "$green" "$scn_plain" "${1#*: }"
}
tap_not_ok() {
	tap_count=$((tap_count + 1))
	tap_failures=$((tap_failures + 1))
	printf '   %s[FAILED]%s %s\n' "$red" "$scn_plain" "${1#*: }"
	shift
	for line in "$@"; do printf '            %s\n' "$line"; done
}

summary() {
	echo
	if [ "$tap_failures" -eq 0 ]; then
		printf '%sAll %d steps of this act behaved as narrated.%s Everything it created is removed.\n' \
			"$green" "$tap_count" "$scn_plain"
	else
		printf '%s%d of %d steps of this act did not behave as narrated.%s\n' "$red" \
			"$tap_failures" "$tap_count" "$scn_plain"
		exit 1
	fi
}

if [ "${JIT_TRY_ACT:-host}" = fleet ]; then
	. "$JIT_TOP/contrib/try-fleet.sh"
	summary
	exit 0
fi

tap_workdir try
backend=nftables
. tests/e2e/scenarios.sh
tap_atexit scn_cleanup

say "act one: one host"
cat <<TEXT
   web01 (a network namespace) runs jitd with the nftables backend, sshd with
   pam_jit on port 22, and a TCP listener on 3389 standing in for RDP.
   Client A is $A4 and $A6, client B is $B4.
   jitd's policies: SSH (22/tcp) up to 1h with a justification, RDP
   (3389/tcp) up to 1h, both from documentation prefixes; alice and bob are
   in role ops, which may use both. dave, a contractor, may have SSH only
   once carol approves (a policy with approvals = 1, approvers = user:carol).
TEXT
if ! scn_world; then
	echo "the demo could not start: $(tail -n 3 "$work/jitd.log")" >&2
	exit 1
fi
for n in 1 2 3 5 11; do
	scn_run "$n"
done
summary
