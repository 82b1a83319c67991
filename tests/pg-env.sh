# SPDX-License-Identifier: ISC
# Source it. A private PostgreSQL 15 for a test, never the system's cluster:
# initdb into a new temporary directory, the server run unprivileged (as
# nobody when the test is root), listening on a Unix socket in that
# directory only (no TCP port).
#
#   pg_find               PG_BIN: PostgreSQL 15's bin directory; 1 if none
#   pg_start              starts it; sets PG_CONNINFO (database "jit", role
#                         "jit", its owner) and PG_DIR; 1 when it fails
#   pg_psql SQL...        runs each SQL as the superuser on database jit
#   pg_stop               stops it and removes its directory

pg_find() {
	local d
	PG_BIN=
	for d in "${JIT_PG_BIN:-}" /usr/lib/postgresql/15/bin; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			PG_BIN=$d
			return 0
		fi
	done
	return 1
}

# Runs a command as the server's user.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	pg_find || return 1
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jit-pg.XXXXXX") || return 1
	chmod 0755 "$PG_DIR"
	mkdir "$PG_DIR/data" "$PG_DIR/run"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R nobody:nogroup "$PG_DIR"
	fi
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-sync \
		-E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 || return 1
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $PG_DIR/run -c fsync=off" start >/dev/null || return 1
	pg_psql_db postgres "CREATE ROLE jit LOGIN" "CREATE DATABASE jit OWNER jit" || return 1
	PG_CONNINFO="host=$PG_DIR/run dbname=jit user=jit"
}

# pg_psql_db DATABASE SQL...: each SQL a transaction of its own.
pg_psql_db() {
	local db=$1 sql args=()
	shift
	for sql in "$@"; do args+=(-c "$sql"); done
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/run" -U postgres -d "$db" \
		"${args[@]}" >/dev/null
}

pg_psql() { pg_psql_db jit "$@"; }

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf --one-file-system "$PG_DIR"
	PG_DIR=
}
