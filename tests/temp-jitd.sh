# SPDX-License-Identifier: ISC
# Source it. temp_jitd DIR HOST [JITD OPTIONS...]: starts "$JITD" with a new
# key pair in DIR, its socket DIR/jitd.sock (group: the caller's), database
# DIR/jit.db, firewall none, and the policies read from standard input;
# stderr goes to DIR/jitd.log. Sets temp_jitd_pid, exports JIT_SOCKET and
# returns once jitd answers (1 when it does not within 10 s). Options
# default to -f. Needs $JITD and $JITCTL.
temp_jitd() {
	local dir=$1 host=$2 i
	shift 2
	"$JITCTL" keygen --out "$dir" >/dev/null
	{
		cat <<CONF
[jitd]
host = $host
socket = $dir/jitd.sock
socket_group = $(id -gn)
database = $dir/jit.db
key = $dir/broker.key
firewall = none
CONF
		cat
	} >"$dir/jitd.conf"
	"$JITD" "${@:--f}" -c "$dir/jitd.conf" >/dev/null 2>>"$dir/jitd.log" &
	temp_jitd_pid=$!
	export JIT_SOCKET=$dir/jitd.sock
	for i in $(seq 100); do
		"$JITCTL" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
