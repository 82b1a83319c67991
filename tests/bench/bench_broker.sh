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
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	fi
}
tap_atexit cleanup

. "$(dirname "${BASH_SOURCE[0]}")/../temp-jitd.sh"
temp_jitd "$work" bench <<CONF
metrics_file = $work/jit.prom
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

# Where the time went, from jitd's own metrics (written as it stops).
kill "$pid" && wait "$pid" || true
pid=
awk '/^jit_request_duration_seconds_count / { n = $2 }
	/^jit_request_phase_seconds_total/ { split($1, a, "\""); t[a[2]] = $2; order[++k] = a[2] }
	END { printf "jitd per request (mean of %d):", n
	      for (i = 1; i <= k; i++) printf " %s %.0f us%s", order[i], t[order[i]] / n * 1e6, (i < k ? "," : "\n") }' \
	"$work/jit.prom"
