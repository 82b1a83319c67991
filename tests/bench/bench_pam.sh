#!/bin/bash
# SPDX-License-Identifier: ISC
# Time per login through libpam and pam_jit.so: offline checks alone, and
# with the online question to jitd (backend none, on a temporary socket).
# Targets: offline <= 200 us; the online check adds <= 1 ms.
set -euo pipefail
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")/..}/tap.sh"	# tap_workdir, tap_atexit
: "${JITD:?}" "${JITCTL:?}" "${BENCH_PAM:?}" "${PAM_MODULE:?}"

tap_workdir pambench
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
}
tap_atexit cleanup
mkdir "$work/pam.d"
. "$(dirname "${BASH_SOURCE[0]}")/../temp-jitd.sh"
temp_jitd "$work" bench <<'CONF'
rate_requests = off
rate_verifications = off
[policy ssh]
ports = 22/tcp
sources = any
CONF
pid=$temp_jitd_pid
ticket=$(JIT_SOCKET=$work/jitd.sock "$JITCTL" request --port 22/tcp --from 192.0.2.0/24 --duration 1h)
opts="pubkey=$work/broker.pub host=bench port=22/tcp socket=$work/jitd.sock"
echo "auth required $PAM_MODULE $opts revocation=offline" >"$work/pam.d/offline"
echo "auth required $PAM_MODULE $opts" >"$work/pam.d/online"
echo "pam_jit: one login = pam_start .. pam_authenticate .. pam_end, through libpam"
"$BENCH_PAM" -d "$work/pam.d" -s offline -u "$(id -un)" -r 192.0.2.10 -t "$ticket"
"$BENCH_PAM" -d "$work/pam.d" -s online -u "$(id -un)" -r 192.0.2.10 -t "$ticket" | head -1
echo "(targets: offline <= 200 us; online adds <= 1 ms)"
