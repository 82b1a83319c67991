#!/bin/bash
# SPDX-License-Identifier: ISC
# contrib/fuzz.sh [SECONDS] [TARGET...]: builds the libFuzzer targets of
# tests/fuzz with clang (build/fuzz, ./configure --enable-fuzzing) and runs
# each for SECONDS (default 60) on its corpus: the seeds in
# tests/fuzz/corpus/TARGET plus what earlier runs found, kept in
# build/fuzz/corpus/TARGET. TARGETs are ticket, proto, config, netaddr and
# authkeys (default: all). Prints one TAP line per target with its count of
# executions; a crash, leak or sanitizer report fails it, and the input is
# kept as build/fuzz/crashes/TARGET/crash-… for `fuzz_TARGET FILE` to replay.
# Exits non-zero when any target failed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JIT_TOP"

usage() {
	echo "usage: contrib/fuzz.sh [SECONDS] [ticket|proto|config|netaddr|authkeys ...]" >&2
	exit 2
}

seconds=60
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi
[ "$seconds" -gt 0 ] || usage
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ticket proto config netaddr authkeys)
for t in "${targets[@]}"; do
	[ -d "tests/fuzz/corpus/$t" ] || { echo "fuzz.sh: no target '$t'" >&2; usage; }
done

install_missing "${JIT_BUILD_PACKAGES[@]}" "${JIT_FUZZ_PACKAGES[@]}" >&2
build=$JIT_TOP/build/fuzz
say "fuzzing build (clang, libFuzzer, ASan + UBSan)" >&2
jit_configure_build "$build" --enable-fuzzing --enable-werror CC=clang \
	--with-systemdsystemunitdir=no >&2

# Leaks are checked at the end of every run too; UBSan reports abort.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=0 n=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	corpus=$build/corpus/$t crashes=$build/crashes/$t log=$build/fuzz_$t.log
	mkdir -p "$corpus" "$crashes"
	status=0
	"$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$crashes/" \
		"$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$status" -eq 0 ] && [ -n "$runs" ]; then
		echo "ok $n - fuzz_$t: $runs executions in ${seconds} s, no crash, leak or sanitizer report"
	else
		failed=1
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 | sed 's/^/# /'
		echo "not ok $n - fuzz_$t: exit $status after ${runs:-?} executions (log: $log)"
	fi
done
echo "1..$n"
exit "$failed"
