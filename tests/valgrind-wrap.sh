#!/bin/bash
# SPDX-License-Identifier: ISC
# Stands in for jitd (as $JITD) when tests/valgrind-tests.sh runs a test:
# runs the real one, $JIT_VALGRIND_JITD, under valgrind, each process writing
# its report to a file of its own in $JIT_VALGRIND_LOGS.
exec valgrind -q --vgdb=no --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--suppressions="$(dirname "$0")/valgrind.supp" \
	--error-exitcode=99 --log-file="${JIT_VALGRIND_LOGS:?}/jitd.%p.log" \
	"${JIT_VALGRIND_JITD:?}" "$@"
