#!/bin/bash
# SPDX-License-Identifier: ISC
# valgrind-tests.sh BUILDDIR TEST...: runs integration tests with every jitd
# they start under valgrind (tests/valgrind-wrap.sh as $JITD), in a build
# without sanitizers (contrib/check.sh passes its optimised one). A test
# passes when all its cases pass and valgrind reports no memory error and no
# definite or indirect leak in any of its jitd processes. Prints TAP.
set -u
. "${JIT_TESTS_SRCDIR:-$(dirname "$0")}/tap.sh"	# tap_workdir, tap_atexit
build=$(cd "${1:?usage: valgrind-tests.sh BUILDDIR TEST...}" && pwd)
shift
top=$(cd "$(dirname "$0")/.." && pwd)
n=0
if ! command -v valgrind >/dev/null; then
	echo "ok 1 - jitd under valgrind through the integration tests # SKIP valgrind is not installed"
	echo "1..1"
	exit 0
fi
# The helpers the tests drive are check programs: build them, run nothing.
make -s -C "$build" check TESTS= >/dev/null || { echo "not ok 1 - building the test helpers"; exit 1; }
tap_workdir valgrind-tests logs
export JIT_TESTS_SRCDIR=$top/tests JIT_SRCDIR=$top JIT_BUILDDIR=$build \
	JITCTL=$build/broker/jitctl/jitctl JITD=$top/tests/valgrind-wrap.sh \
	JIT_VALGRIND_JITD=$build/broker/jitd/jitd JIT_VALGRIND_LOGS=$logs JIT_FAULT_INJECTION=no
for t in "$@"; do
	n=$((n + 1))
	rm -f "$logs"/*
	out=$(bash "$top/$t" 2>&1)
	status=$?
	runs=$(find "$logs" -name 'jitd.*.log' | wc -l)
	reports=$(find "$logs" -name 'jitd.*.log' -size +0 | wc -l)
	failed=$(grep -c '^not ok' <<<"$out")
	if [ "$runs" -eq 0 ] && [ "$status" -eq 0 ] && grep -q '^ok .*# SKIP' <<<"$out"; then
		echo "ok $n - valgrind: jitd through $t # SKIP $(sed -n 's/^ok .*# SKIP //p' <<<"$out" | head -1)"
	elif [ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$reports" -eq 0 ] && [ "$runs" -gt 0 ]; then
		echo "ok $n - valgrind: jitd through $t ($runs runs): no memory error, no leak"
	else
		echo "not ok $n - valgrind: jitd through $t ($runs runs)"
		echo "#   exit $status, $failed cases failed, $reports valgrind reports"
		grep '^not ok' <<<"$out" | head -5 | sed 's/^/#   /'
		find "$logs" -name 'jitd.*.log' -size +0 -exec head -30 {} + | sed 's/^/#   /'
	fi
done
echo "1..$n"
