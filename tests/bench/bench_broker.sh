#!/bin/bash
# SPDX-License-Identifier: ISC
# Grants per second and request->ticket latency over jitd's socket, with the
# firewall backend "none": jitd runs on a temporary socket and database, as
# it would under systemd (-f), and bench_broker's clients check every ticket.
# Target on the 2-core reference machine: >= 2,000 grants/s, p99 <= 5 ms.
set -euo pipefail
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")/..}/tap.sh"	# tap_workdir, tap_atexit
: "${JITD:?}" "${JITCTL:?}" "${BENCH:?}"

tap_workdir bench
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
}
tap_atexit cleanup

. "$(dirname "${BASH_SOURCE[0]}")/../temp-jitd.sh"
temp_jitd "$work" bench <<'CONF'
rate_requests = off
rate_verifications = off
[policy ssh]
ports = 22/tcp
sources = any
max_duration = 1h
CONF
pid=$temp_jitd_pid

echo "broker: request -> ticket over the Unix socket, backend none, SQLite WAL"
echo "latency, one client at a time:"
"$BENCH" -s "$work/jitd.sock" -k "$work/broker.pub" -u "$(id -un)" -c 1 -n 5000
echo "throughput, 4 concurrent clients:"
"$BENCH" -s "$work/jitd.sock" -k "$work/broker.pub" -u "$(id -un)" -c 4 -n 5000
echo "(target: >= 2000 grants/s, p99 <= 5 ms)"
