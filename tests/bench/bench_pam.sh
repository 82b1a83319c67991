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
# The baseline: the same transaction through a stack of pam_permit alone,
# libpam's own share (its configuration, module loading, audit).
echo "auth required pam_permit.so" >"$work/pam.d/empty"
echo "pam_jit: one login = pam_start .. pam_authenticate .. pam_end, through libpam"
"$BENCH_PAM" -d "$work/pam.d" -s empty -u "$(id -un)" -r 192.0.2.10 -t "$ticket" | head -1 \
	| tee "$work/empty.txt"
"$BENCH_PAM" -d "$work/pam.d" -s offline -u "$(id -un)" -r 192.0.2.10 -t "$ticket" \
	| tee "$work/offline.txt"
"$BENCH_PAM" -d "$work/pam.d" -s online -u "$(id -un)" -r 192.0.2.10 -t "$ticket" | head -1
# p50 is the 5th field, raw verify the 4th of its line.
awk 'FNR == 1 && FILENAME ~ /empty/ { empty = $5 }
     FNR == 1 && FILENAME ~ /offline/ { jit = $5 }
     FNR == 2 && FILENAME ~ /offline/ { raw = $4 }
     END { if (raw > 0) printf "  pam_jit offline beyond the empty stack: %d us, %.1fx raw verify (target <= 2x)\n", jit - empty, (jit - empty) / raw }' \
	"$work/empty.txt" "$work/offline.txt"
echo "(targets: offline <= 200 us; online adds <= 1 ms)"
