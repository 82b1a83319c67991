# SPDX-License-Identifier: ISC
# Source it after sshd-env.sh. Sessions held open in the background, for the
# tests of windows whose sessions are cut (tests/e2e/scenarios.sh, fleet.test):
# a TCP connection to an echo service (tcpprobe -k) or an ssh login running
# cat, each fed through a FIFO in $work. Expects $work and $PROBE.
#
#   ses_hold NAME NS SRC HOST PORT           a TCP connection from SRC
#   ses_hold_ssh NAME NS SRC USER HOST PORT TICKET
#   ses_server_pid NAME                      the pid of an ssh session's cat
#   ses_answers NAME TEXT                    TEXT typed is echoed
#   ses_cut NAME TEXT WANT                   TEXT typed ends it with status WANT
#   ses_await_cut LOG GRANT WHY              connections jitd cut (its log)
#   ses_drop                                 ends every session held

declare -A ses_pid=() ses_fd=()

# ses_open NAME CMD...: CMD in the background, its input the FIFO NAME.in,
# its output NAME.out (and NAME.err).
ses_open() {
	local name=$1 fd
	shift
	mkfifo "$work/$name.in"
	"$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
	ses_pid[$name]=$!
	exec {fd}>"$work/$name.in"
	ses_fd[$name]=$fd
}

ses_hold() {
	ses_open "$1" ip netns exec "$2" "$PROBE" -k -s "$3" -t 2000 "$4" "$5"
	sshenv_await "$1 to connect" grep -qx connected "$work/$1.out"
}

# An ssh login running cat, its input the caller's; the shell says its pid,
# which cat takes over.
ses_ssh_cat() {
	sshenv_stdin=- sshenv_login "$@" 'echo "logged in as $(id -un), pid $$"; exec cat'
}

ses_hold_ssh() {
	ses_open "$1" ses_ssh_cat "$2" "$3" "$4" "$5" "$6" "$7"
	sshenv_await "$1 to log in" grep -qx "logged in as $4, pid [0-9]*" "$work/$1.out"
}

ses_server_pid() {
	sed -n 's/^logged in as .*, pid \([0-9]*\)$/\1/p' "$work/$1.out"
}

# ses_runs PID USER COMMAND: the process runs COMMAND as USER.
ses_runs() {
	[ -n "$1" ] && [ "$(ps -o user=,comm= -p "$1" | tr -s ' ')" = "$2 $3" ]
}

# ses_gone PID: the process has ended (the tests share this machine's pid
# namespace).
ses_gone() {
	! kill -0 "$1" 2>/dev/null
}

# ses_type NAME TEXT: in a subshell, so that a session gone makes it, not
# the test, die of SIGPIPE.
ses_type() {
	(echo "$2" >&"${ses_fd[$1]}") 2>/dev/null
}

ses_answers() {
	ses_type "$1" "$2" || return 1
	sshenv_await "$1 to echo '$2'" grep -qxF -- "$2" "$work/$1.out"
}

# ses_cut NAME TEXT WANT: tcpprobe's 3 is a connection broken, ssh's 255.
# The session may end before TEXT: a delayed ACK of its last echo is a
# packet too.
ses_cut() {
	local name=$1 pid=${ses_pid[$1]} rc=0
	ses_type "$name" "$2"
	sshenv_await "$name to end" sh -c '! kill -0 "$1"' sh "$pid" || return 1
	wait "$pid" || rc=$?
	unset "ses_pid[$name]"
	[ "$rc" = "$3" ] && ! grep -qxF -- "$2" "$work/$name.out" && return 0
	echo "# $name: exit $rc, wanted $3; it printed: $(tr '\n' ' ' <"$work/$name.out")" >&2
	return 1
}

# ses_await_cut LOG GRANT WHY: how many connections jitd cut when GRANT was
# WHY (revoked, expired), once LOG, its log, says so.
ses_await_cut() {
	local line="grant $2 $3: \([0-9]*\) connections\? cut"
	sshenv_await "jitd to cut grant $2's connections" grep -q "$line" "$1" &&
		sed -n "s/.*$line.*/\1/p" "$1" | tail -1
}

ses_drop() {
	local name
	for name in "${!ses_pid[@]}"; do
		kill "${ses_pid[$name]}" 2>/dev/null
	done
	for name in "${!ses_fd[@]}"; do
		exec {ses_fd[$name]}>&-
	done
	ses_pid=() ses_fd=()
}
