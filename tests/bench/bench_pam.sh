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
# libpam's own share (its configuration, module loading, audit). By path, so
# that bench_pam can hold the same file loaded.
permit=
for d in /usr/lib/*/security /lib/*/security /usr/lib64/security /lib/security; do
	[ -f "$d/pam_permit.so" ] && permit=$d/pam_permit.so && break
done
[ -n "$permit" ] || { echo "no pam_permit.so found: no PAM figures" >&2; exit 1; }
echo "auth required $permit" >"$work/pam.d/empty"
echo "pam_jit: one login = pam_start .. pam_authenticate .. pam_end, through libpam"
"$BENCH_PAM" -d "$work/pam.d" -s empty -u "$(id -un)" -r 192.0.2.10 -t "$ticket" \
	-m "$permit" | tee "$work/empty.txt"
"$BENCH_PAM" -d "$work/pam.d" -s offline -u "$(id -un)" -r 192.0.2.10 -t "$ticket" \
	-m "$PAM_MODULE" | tee "$work/offline.txt"
"$BENCH_PAM" -d "$work/pam.d" -s online -u "$(id -un)" -r 192.0.2.10 -t "$ticket"
# Each file: the logins loading the module afresh (p50 the 5th field of line
# 1), with it held loaded (line 2); offline.txt's line 3, the raw verify.
awk 'FILENAME ~ /empty/ && FNR == 1 { empty = $5 }
     FILENAME ~ /empty/ && FNR == 2 { empty_loaded = $5 }
     FILENAME ~ /offline/ && FNR == 1 { jit = $5 }
     FILENAME ~ /offline/ && FNR == 2 { jit_loaded = $5 }
     FILENAME ~ /offline/ && FNR == 3 { raw = $4 }
     END {
	if (raw <= 0) exit 1
	own = jit_loaded - empty_loaded
	printf "  pam_jit offline beyond the empty stack: %d us, %.1fx raw verify\n", jit - empty, (jit - empty) / raw
	printf "  of which pam_jit'"'"'s own work (both modules held loaded): %d us, %.1fx raw verify (target <= 2x)\n", own, own / raw
	printf "  and loading pam_jit.so with libsodium and libjansson, beyond pam_permit.so: %d us\n", jit - empty - own
     }' "$work/empty.txt" "$work/offline.txt"
echo "(targets: offline <= 200 us; online adds <= 1 ms)"
