# SPDX-License-Identifier: ISC
# Source it. Real OpenSSH for the end-to-end tests, without touching this
# machine's own sshd, users or PAM files: the test re-executes itself in a
# private mount namespace where /etc/passwd, group, shadow, /etc/pam.d, /run
# and /dev are its own. Expects $work (a fresh directory), $JIT_BUILDDIR and
# tap.sh.
#
#   sshenv_find_sshd              SSHD=$JIT_SSHD or the system's sshd; 1 if none
#   sshenv_private_mounts "$@"    re-exec the test in a private mount namespace
#   sshenv_setup USER...          users (all in group "jit"), keys, /etc, /run
#                                 and /dev (with a syslog)
#   sshenv_start_sshd NS PORT [sshd_config LINE...]
#   sshenv_stop_sshd              stops every sshd started
#   sshenv_login NS SRC USER HOST PORT TICKET_FILE [COMMAND...]
#   sshenv_expect_login NAME WANT NS SRC USER HOST PORT TICKET_FILE [LOG TEXT]
#   sshenv_mark_log               later awaits read only what follows
#   sshenv_await_log TEXT         waits for TEXT in what the module logged

# JIT_SANITIZER_RUNTIME: the sanitizer runtime pam_jit.so was linked with, if
# any.
sshenv_find_sshd() {
	local c
	SSHD=
	for c in "${JIT_SSHD:-}" /usr/sbin/sshd; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			SSHD=$c
			break
		fi
	done
	JIT_SANITIZER_RUNTIME=$(ldd "$JIT_BUILDDIR/pam_jit/.libs/pam_jit.so" 2>/dev/null |
		awk '/libasan/ { print $3 }')
	[ -n "$SSHD" ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null
}

sshenv_private_mounts() {
	[ -n "${JIT_SSHENV_NS:-}" ] && return 0
	rm -rf "${tap_out:-}"
	JIT_SSHENV_NS=1 exec unshare --mount --propagation private -- bash "$0" "$@"
}

# A uid (and gid) free in both the host's passwd and group files, from 64100.
sshenv_free_id() {
	local id=64100
	while grep -q "^[^:]*:[^:]*:$id:" "$work/etc/passwd" "$work/etc/group"; do
		id=$((id + 1))
	done
	echo "$id"
}

# The host's files with USER removed if it exists, then USER added with its
# own group and a home in $work/home.
sshenv_add_user() {
	local user=$1 shell=$2 id f
	for f in passwd group shadow; do
		sed -i "/^$user:/d" "$work/etc/$f"
	done
	id=$(sshenv_free_id)
	echo "$user:x:$id:$id::$work/home/$user:$shell" >>"$work/etc/passwd"
	echo "$user:x:$id:" >>"$work/etc/group"
	echo "$user:*:20000:0:99999:7:::" >>"$work/etc/shadow"
	mkdir -p "$work/home/$user"
	chown "$id:$id" "$work/home/$user"
}

sshenv_etc() {
	local user f
	# sshd reads authorized keys as the user.
	chmod 0755 "$work"
	mkdir -p "$work/etc" "$work/pam.d" "$work/home" "$work/keys"
	for f in passwd group shadow; do
		cp "/etc/$f" "$work/etc/$f"
	done
	sshenv_add_user sshd /usr/sbin/nologin
	for user in "$@"; do
		sshenv_add_user "$user" /bin/sh
		ssh-keygen -q -t ed25519 -N '' -C "$user" -f "$work/keys/$user"
	done
	# A group of them all, for jitd's socket.
	sed -i "/^jit:/d" "$work/etc/group"
	echo "jit:x:$(sshenv_free_id):$(IFS=,; echo "$*")" >>"$work/etc/group"
	# An overlay over the whole of /etc rather than a bind mount per file:
	# useradd elsewhere on this machine replaces /etc/passwd by a rename,
	# which would take a bind mount on that file away with it.
	mkdir "$work/etc-work"
	mount -t overlay jitetc -o "lowerdir=/etc,upperdir=$work/etc,workdir=$work/etc-work" /etc
	sshenv_etc_mounted=1
	# libpam falls back to "other" for a service without a file: deny.
	printf '%s required pam_deny.so\n' auth account password session >"$work/pam.d/other"
	mount --bind "$work/pam.d" /etc/pam.d
}

# /dev: a tmpfs with the host's usual nodes bound in, and /dev/log a socket
# of our own, so what pam_jit logs lands in $work/syslog.
sshenv_dev() {
	local node
	mkdir "$work/dev"
	mount -t tmpfs -o mode=0755,size=1m jitdev "$work/dev"
	for node in null zero full random urandom tty; do
		: >"$work/dev/$node"
		mount --bind "/dev/$node" "$work/dev/$node"
	done
	mkdir "$work/dev/pts" "$work/dev/shm"
	mount --rbind /dev/pts "$work/dev/pts"
	mount -t tmpfs -o mode=1777 jitshm "$work/dev/shm"
	ln -s pts/ptmx "$work/dev/ptmx"
	ln -s /proc/self/fd "$work/dev/fd"
	ln -s fd/0 "$work/dev/stdin"
	ln -s fd/1 "$work/dev/stdout"
	ln -s fd/2 "$work/dev/stderr"
	mount --move "$work/dev" /dev
	"$JIT_BUILDDIR/tests/helpers/logsink" /dev/log "$work/syslog" >/dev/null &
	sshenv_logsink_pid=$!
	sshenv_await "the syslog socket" test -S /dev/log
}

sshenv_setup() {
	sshenv_etc "$@"
	# sshd's privilege separation directory.
	mount -t tmpfs -o mode=0755,size=1m jitrun /run
	mkdir -m 0755 /run/sshd
	sshenv_dev
	ssh-keygen -q -t ed25519 -N '' -f "$work/ssh_host_ed25519_key"
	echo "* $(cat "$work/ssh_host_ed25519_key.pub")" >"$work/known_hosts"
	# ssh's askpass: answers the ticket prompt (which ssh prefixes with
	# "(user@host) ") with $JIT_TICKET_FILE, records every prompt, and
	# answers nothing else.
	cat >"$work/askpass" <<'SH'
#!/bin/sh
printf '%s\n' "$1" >>"$JIT_PROMPTS"
case $1 in
*"JIT ticket: ") [ -n "$JIT_TICKET_FILE" ] && exec cat "$JIT_TICKET_FILE" ;;
esac
exit 1
SH
	chmod 0755 "$work/askpass"
}

# sshenv_await WHAT CMD...: polls CMD for up to 10 s ($sshenv_await_s when set).
sshenv_await() {
	local what=$1 i
	shift
	for i in $(seq $((${sshenv_await_s:-10} * 20))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "# timed out waiting for $what" >&2
	return 1
}

sshenv_start_sshd() {
	local ns=$1 port=$2 conf=$work/sshd_config.$2 line
	shift 2
	{
		cat <<CONF
Port $port
HostKey $work/ssh_host_ed25519_key
PidFile $work/sshd.$port.pid
UsePAM yes
PubkeyAuthentication yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
AuthorizedKeysFile $work/keys/%u.pub
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 50
LogLevel VERBOSE
CONF
		for line in "$@"; do echo "$line"; done
	} >"$conf"
	: >"$work/sshd.$port.log"
	# ip netns exec execs sshd: $! is sshd's pid. A module built with the
	# sanitizers needs their runtime loaded first in sshd, which has none;
	# leaks are pam.test's and valgrind.sh's to find, not sshd's.
	ip netns exec "$ns" env LD_PRELOAD="${JIT_SANITIZER_RUNTIME:-}" ASAN_OPTIONS=detect_leaks=0 \
		"$SSHD" -D -e -f "$conf" 2>>"$work/sshd.$port.log" &
	sshenv_sshd_pids="${sshenv_sshd_pids:-} $!"
	sshenv_await "sshd on port $port" grep -q "Server listening on .* port $port" \
		"$work/sshd.$port.log"
}

sshenv_stop_sshd() {
	local pid
	for pid in ${sshenv_sshd_pids:-}; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	sshenv_sshd_pids=
}

# Runs ssh in NS from SRC as USER to HOST:PORT with USER's key (or
# $sshenv_key when set), the options in the array sshenv_opts first, standard input /dev/null (or $sshenv_stdin, a
# file or "-" for the caller's), answering the
# ticket prompt with TICKET_FILE ("" for none); the command defaults to
# printing who logged in. stdout and stderr are ssh's.
sshenv_login() {
	local ns=$1 src=$2 user=$3 host=$4 port=$5 ticket=$6
	shift 6
	[ $# -gt 0 ] || set -- 'echo "logged in as $(id -un)"'
	ip netns exec "$ns" env SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force \
		DISPLAY=:0 JIT_TICKET_FILE="$ticket" JIT_PROMPTS="$work/prompts" \
		setsid -w ssh -F /dev/null ${sshenv_opts[@]+"${sshenv_opts[@]}"} \
		-i "${sshenv_key:-$work/keys/$user}" -o IdentitiesOnly=yes \
		-o UserKnownHostsFile="$work/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o NumberOfPasswordPrompts=1 -o ConnectTimeout=5 \
		-b "$src" -p "$port" "$user@$host" "$@" <"$(sshenv_stdin_path)"
}

sshenv_stdin_path() {
	case ${sshenv_stdin:-/dev/null} in
	-) echo /dev/stdin ;;
	*) echo "${sshenv_stdin:-/dev/null}" ;;
	esac
}

# sshenv_expect_login NAME WANT NS SRC USER HOST PORT TICKET [LOG TEXT]: one
# TAP line: ssh must exit WANT (0 logged in as USER, 255 refused) and pam_jit
# must have logged TEXT. A function sshenv_show_login, when the caller has
# one, is given the login to show before the verdict.
sshenv_expect_login() {
	local name=$1 want=$2 ns=$3 src=$4 user=$5 host=$6 port=$7 ticket=$8 text=${9:-}
	sshenv_mark_log
	: >"$work/prompts"
	run_cmd sshenv_login "$ns" "$src" "$user" "$host" "$port" "$ticket"
	if declare -F sshenv_show_login >/dev/null; then
		sshenv_show_login "$src" "$port" "$user" "$host"
	fi
	if [ "$status" != "$want" ]; then
		tap_not_ok "$name" "ssh exited $status, wanted $want" \
			"stderr: $(tail -c 300 "$tap_out/stderr")" "log: $(sshenv_log_since_mark)"
	elif [ "$want" = 0 ] && ! grep -qx "logged in as $user" "$tap_out/stdout"; then
		tap_not_ok "$name" "no shell as $user: $(head -c 200 "$tap_out/stdout")"
	elif [ -n "$text" ] && ! sshenv_await_log "$text"; then
		tap_not_ok "$name" "pam_jit did not log: $text" "log: $(sshenv_log_since_mark)"
	else
		tap_ok "$name"
	fi
}

# sshenv_mark_log: later sshenv_await_log calls read only what is logged
# after this point.
sshenv_mark_log() {
	sshenv_log_mark=$(wc -l <"$work/syslog")
}

sshenv_log_since_mark() {
	tail -n +"$((${sshenv_log_mark:-0} + 1))" "$work/syslog"
}

sshenv_await_log() {
	sshenv_await "'$1' in the log" sh -c 'tail -n +"$1" "$2" | grep -qF -- "$3"' sh \
		"$((${sshenv_log_mark:-0} + 1))" "$work/syslog" "$1"
}

# Stops what sshenv started and takes its /etc away (the other mounts go
# with the namespace), so that $work can be removed.
sshenv_cleanup() {
	sshenv_stop_sshd
	[ -n "${sshenv_logsink_pid:-}" ] && kill "$sshenv_logsink_pid" 2>/dev/null
	sshenv_logsink_pid=
	if [ -n "${sshenv_etc_mounted:-}" ] && [ -n "${JIT_SSHENV_NS:-}" ]; then
		umount /etc/pam.d 2>/dev/null
		umount /etc 2>/dev/null
		sshenv_etc_mounted=
	fi
}
