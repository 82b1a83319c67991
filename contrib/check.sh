#!/bin/bash
# SPDX-License-Identifier: ISC
# Installs what is missing, builds jit with warnings as errors and with
# AddressSanitizer + UBSan, runs every test, checks `make distcheck`, prints
# the benchmark figures from an optimised build, runs pam_jit and jitd under
# valgrind and checks the hardening of the binaries there, builds, lints,
# installs and purges the Debian packages (in an overlay of /), runs each fuzz
# target for a few seconds (JIT_FUZZ_SECONDS, default 10), checks make install,
# and ends with the line
# "N passed, N failed, N skipped". Exits non-zero if anything failed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JIT_TOP"

install_missing "${JIT_BUILD_PACKAGES[@]}" "${JIT_CHECK_PACKAGES[@]}" "${JIT_FUZZ_PACKAGES[@]}"
command -v npm >/dev/null 2>&1 || install_missing nodejs npm

build=$JIT_TOP/build
say "build with -Werror, AddressSanitizer and UBSan"
jit_configure_build "$build/check" --enable-werror --enable-sanitizers --enable-fault-injection

# The independent PASETO implementation, pinned by tests/interop/package-lock.json.
interop=$build/interop
mkdir -p "$interop"
cp tests/interop/package.json tests/interop/package-lock.json "$interop/"
if (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
	export JIT_INTEROP_NODE_PATH=$interop/node_modules
else
	echo "npm ci failed: the interoperability test will report itself skipped" >&2
fi

# Real OpenSSH for the end-to-end tests (unpacked, not installed).
if JIT_SSHD=$(jit_test_sshd "$build/openssh"); then
	export JIT_SSHD
else
	echo "no sshd for the tests: those with real OpenSSH will report themselves skipped" >&2
fi

say "tests"
rm -f "$build/check/test-suite.log"
suite_status=0
make -C "$build/check" -s -j"$(nproc)" check || suite_status=$?

say "make distcheck"
distcheck_passed=0 distcheck_failed=0
# -j: distcheck runs the whole suite again, in the tarball's own build.
if make -C "$build/check" -s -j"$(nproc)" distcheck >"$build/distcheck.log" 2>&1; then
	distcheck_passed=1
	echo "ok - make distcheck"
else
	distcheck_failed=1
	tail -30 "$build/distcheck.log"
	echo "not ok - make distcheck (log: $build/distcheck.log)"
fi

# harness NAME [--only REGEX] CMD...: runs a TAP harness outside automake
# and prints its lines (with --only, the result lines matching REGEX). One
# that dies, or prints no result, is a failure: never nothing.
harness() {
	local name=$1 only= out status=0
	shift
	if [ "$1" = --only ]; then
		only=$2
		shift 2
	fi
	out=$("$@") || status=$?
	[ -n "$only" ] && out=$(grep -E "$only" <<<"$out" || true)
	[ -n "$out" ] && printf '%s\n' "$out"
	if ! grep -qE '^(not )?ok ' <<<"$out"; then
		echo "not ok - $name printed no result (exit $status)"
	elif [ "$status" -ne 0 ] && ! grep -q '^not ok ' <<<"$out"; then
		echo "not ok - $name exited $status"
	fi
}
export JIT_TESTS_SRCDIR=$JIT_TOP/tests JIT_SRCDIR=$JIT_TOP

say "Debian packages from the release tarball (contrib/debian)"
tarball=$(ls "$build"/check/jit-*.tar.gz 2>/dev/null | tail -1 || true)
package_tap=$(harness "Debian packages" bash tests/package/debian.test "${tarball:-none}")

say "benchmarks (optimised build)"
jit_configure_build "$build/release" --enable-werror CFLAGS="-O2 -g"
make -C "$build/release" -s bench

# valgrind cannot run sanitizer builds: pam_jit is checked on this one.
say "pam_jit under valgrind (optimised build)"
make -C "$build/release" -s tests/pam/pam_harness tests/helpers/sockcat tests/helpers/logsink
extra_tap=$(harness "pam_jit under valgrind" bash tests/pam/valgrind.sh "$build/release")
say "jitd under valgrind (optimised build)"
extra_tap+=$'\n'$(harness "jitd under valgrind" bash tests/valgrind-jitd.sh "$build/release")
say "jitd under valgrind through the integration tests (optimised build)"
extra_tap+=$'\n'$(harness "jitd under valgrind through the integration tests" \
	bash tests/valgrind-tests.sh "$build/release" tests/cli/jitd.test \
	tests/cli/broker.test tests/cli/approvals.test tests/cli/events.test tests/cli/ratelimit.test \
	tests/cli/fleet.test \
	tests/e2e/firewall.test tests/e2e/crash.test tests/e2e/fleet.test)
# jitd as its unit runs it, its system calls checked against the unit's
# filter: only here, since a sanitizer build makes calls of its own.
say "jitd sandboxed as jitd.service runs it (optimised build)"
extra_tap+=$'\n'$(harness "jitd sandboxed" --only '^(not )?ok .*(SystemCallFilter|system call)' \
	bash tests/e2e/jitd-sandbox.test "$build/release")
# Memory under load, where it is jitd's and not the sanitizer's.
say "jitd under load (optimised build)"
make -C "$build/release" -s tests/bench/bench_broker tests/helpers/slowclient
extra_tap+=$'\n'$(harness "jitd under load" --only '^(not )?ok .*memory stays level' \
	bash tests/cli/load.test "$build/release")
# The sanitizer build replaces _FORTIFY_SOURCE: its hardening is checked here.
say "hardening of the optimised build"
extra_tap+=$'\n'$(harness "hardening" bash tests/lint/hardening.test "$build/release")
say "make install of the optimised build, examples included"
extra_tap+=$'\n'$(harness "make install" bash tests/package/install.test "$build/release")
say "a build without jit-sshd, iptables and cmocka"
extra_tap+=$'\n'$(harness "reduced build" bash tests/package/reduced-build.test)
# Every fuzz target for a short time on its corpus (contrib/fuzz.sh SECONDS
# runs them longer).
say "fuzz targets, ${JIT_FUZZ_SECONDS:=10} s each (clang, libFuzzer)"
extra_tap+=$'\n'$(harness "fuzz targets" bash contrib/fuzz.sh "$JIT_FUZZ_SECONDS")
extra_tap+=$'\n'$package_tap
echo "$extra_tap"
extra_skipped=$(grep -c '^ok .*# SKIP' <<<"$extra_tap" || true)
extra_passed=$(( $(grep -c '^ok ' <<<"$extra_tap" || true) - extra_skipped ))
extra_failed=$(grep -c '^not ok ' <<<"$extra_tap" || true)

# Totals from automake's summary: every TAP line counted once.
count() { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$build/check/test-suite.log" | head -1; }
if [ ! -f "$build/check/test-suite.log" ]; then
	echo "the test suite did not run (make check exited $suite_status)" >&2
	exit 1
fi
passed=$(( $(count PASS) + $(count XFAIL) + distcheck_passed + extra_passed ))
failed=$(( $(count FAIL) + $(count XPASS) + $(count ERROR) + distcheck_failed + extra_failed ))
skipped=$(( $(count SKIP) + extra_skipped ))
if [ "$failed" -gt 0 ]; then
	grep -E "^(FAIL|ERROR|XPASS):" "$build/check/test-suite.log" || true
fi
[ "$suite_status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
