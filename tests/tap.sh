# SPDX-License-Identifier: ISC
# Minimal TAP producer for the shell tests; source it, then call done_testing.
# Each check prints one "ok N - name" or "not ok N - name" line; the plan is
# printed at the end, as TAP allows.

tap_count=0
tap_failures=0
tap_out=$(mktemp -d "${TMPDIR:-/tmp}/jit-tap.XXXXXX")

# Commands run when the script exits, the last registered first.
tap_exit_cmds=()
tap_run_exit() {
	local cmd
	for cmd in "${tap_exit_cmds[@]}"; do eval "$cmd"; done
}
# tap_atexit CMD: runs CMD when the script exits (before what was
# registered earlier: a work directory goes last).
tap_atexit() {
	tap_exit_cmds=("$1" "${tap_exit_cmds[@]}")
	trap tap_run_exit EXIT
}
tap_atexit 'rm -rf "$tap_out"'

# tap_workdir NAME [VAR]: a new directory /tmp/jit-NAME.XXXXXX in $VAR
# (default work), removed with all it holds when the script exits.
tap_workdir() {
	local tap_new_dir	# a name no caller's VAR is
	tap_new_dir=$(mktemp -d "${TMPDIR:-/tmp}/jit-$1.XXXXXX") || { echo "mktemp failed" >&2; exit 99; }
	printf -v "${2:-work}" '%s' "$tap_new_dir"
	tap_atexit "rm -rf --one-file-system '$tap_new_dir'"
}

tap_ok() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $1"; }

tap_not_ok() {
	tap_count=$((tap_count + 1))
	tap_failures=$((tap_failures + 1))
	echo "not ok $tap_count - $1"
	shift
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

tap_skip() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $1 # SKIP $2"; }

# tap_skip_all NAME WHY: the script cannot run here (no root, a tool or a
# part of the build missing): NAME counts as skipped, and the script ends.
tap_skip_all() {
	tap_skip "$1" "$2"
	done_testing
	exit 0
}

# run_cmd CMD...: runs CMD, keeping its stdout, stderr and status in
# $tap_out/stdout, $tap_out/stderr and $status.
run_cmd() {
	status=0
	"$@" >"$tap_out/stdout" 2>"$tap_out/stderr" || status=$?
}

# expect NAME STATUS [--out TEXT] [--err TEXT] -- CMD...: passes when CMD
# exits with STATUS and its stdout / stderr contain the texts given.
expect() {
	local name=$1 want=$2 out_text= err_text=
	shift 2
	while [ "$1" != "--" ]; do
		case $1 in
		--out) out_text=$2; shift 2 ;;
		--err) err_text=$2; shift 2 ;;
		*) echo "expect: bad argument $1" >&2; exit 99 ;;
		esac
	done
	shift
	run_cmd "$@"
	if [ "$status" != "$want" ]; then
		tap_not_ok "$name" "exit status $status, wanted $want" \
			"stderr: $(head -c 300 "$tap_out/stderr")"
	elif [ -n "$out_text" ] && ! grep -qF -- "$out_text" "$tap_out/stdout"; then
		tap_not_ok "$name" "stdout lacks: $out_text" "stdout: $(head -c 300 "$tap_out/stdout")"
	elif [ -n "$err_text" ] && ! grep -qF -- "$err_text" "$tap_out/stderr"; then
		tap_not_ok "$name" "stderr lacks: $err_text" "stderr: $(head -c 300 "$tap_out/stderr")"
	else
		tap_ok "$name"
	fi
}

# check NAME CMD...: passes when CMD exits 0 (for plain conditions).
check() {
	local name=$1
	shift
	if "$@"; then tap_ok "$name"; else tap_not_ok "$name" "condition failed: $*"; fi
}

# tap_show_log FILE WHO: after a failure, what WHO logged in FILE, as TAP
# comments: a sanitizer's report when there is one (its head, where the
# cause is), else the last lines but debug ones. Nothing when all passed.
tap_show_log() {
	[ "$tap_failures" -gt 0 ] && [ -f "$1" ] || return 0
	if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error' "$1"; then
		echo "# $2's sanitizer report:"
		grep -m1 -A24 'ERROR: [A-Za-z]*Sanitizer\|runtime error' "$1" | sed 's/^/#   /'
	else
		echo "# the last lines $2 logged:"
		grep -v ': debug: ' "$1" | tail -30 | sed 's/^/#   /'
	fi
}

done_testing() {
	rm -rf "$tap_out"
	echo "1..$tap_count"
	[ "$tap_failures" -eq 0 ]
}
