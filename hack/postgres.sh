#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the storage tests and
# benchmarks: Debian's postgresql (installed on first use), a fresh cluster
# in a state folder, listening on 127.0.0.1 on a free port (unix sockets in
# the state folder), with an empty database "palisade_test".
#
#   hack/postgres.sh up     # start (or find running); prints the URL
#   hack/postgres.sh url    # print the URL of the running server
#   hack/postgres.sh down   # stop and delete the state
#
# State lives in $PALISADE_POSTGRES_DIR (default /tmp/palisade-postgres).
# PostgreSQL refuses to run as root: as root, the server runs as the
# "postgres" user the Debian package creates. Extra server settings can be
# passed as "-c name=value ..." in $PALISADE_POSTGRES_OPTS.
set -euo pipefail

dir="${PALISADE_POSTGRES_DIR:-/tmp/palisade-postgres}"
db=palisade_test

log() { echo "postgres: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# bindir prints the newest /usr/lib/postgresql/N/bin, or the folder of
# pg_ctl on the PATH.
bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		echo "$d"
	elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		dirname "$(readlink -f "$(command -v pg_ctl)")"
	fi
}

ensure_postgres() {
	bin=$(bindir)
	[ -n "$bin" ] && return
	log "installing Debian postgresql"
	# The package may start a system cluster on 5432; ours uses another port.
	apt_install postgresql
	bin=$(bindir)
	[ -n "$bin" ] || die "postgresql installed but no initdb/pg_ctl found"
}

# as_owner runs a command as the user that owns the server.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$dir" && runuser -u postgres -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	id postgres >/dev/null 2>&1 && return
	log "creating system user postgres"
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

running() {
	[ -f "$dir/url" ] && [ -f "$dir/port" ] && [ -n "${bin:-}" ] &&
		as_owner "$bin/pg_isready" -q -h 127.0.0.1 -p "$(cat "$dir/port")" -d "$db" -U postgres
}

up() {
	ensure_postgres
	ensure_user
	if running; then
		log "already running"
		cat "$dir/url"
		return
	fi
	down_quiet
	mkdir -p "$dir"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
	chmod 700 "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
		as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
		die "initdb failed: $(tail -5 "$dir/initdb.log")"
	local port
	port=$(free_port 25432)
	# shellcheck disable=SC2086 # PALISADE_POSTGRES_OPTS is a list of options
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir ${PALISADE_POSTGRES_OPTS:-}" start >/dev/null ||
		die "server did not start: $(tail -5 "$dir/server.log" 2>/dev/null)"
	echo "$port" >"$dir/port"
	as_owner "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE $db" >/dev/null || die "could not create database $db"
	echo "postgres://postgres@127.0.0.1:$port/$db?sslmode=disable" >"$dir/url"
	log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$port ($dir)"
	cat "$dir/url"
}

down_quiet() {
	if [ -d "$dir/data" ] && [ -n "${bin:-}" ]; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
	fi
	if [ -f "$dir/data/postmaster.pid" ]; then
		# pg_ctl could not stop it: end the postmaster named in its own pid file.
		kill -9 "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
	fi
	# Delete only a folder this script made (or an empty one).
	if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -d "$dir/data" ] && [ ! -f "$dir/url" ] && [ ! -f "$dir/initdb.log" ]; then
		die "$dir is not a state folder of this script; not deleting it"
	fi
	rm -rf "$dir"
}

case "${1:-}" in
up) up ;;
url)
	bin=$(bindir)
	running || die "not running (state folder $dir)"
	cat "$dir/url"
	;;
down)
	bin=$(bindir)
	down_quiet
	log "stopped"
	;;
*) echo "usage: $0 up|down|url" >&2; exit 2 ;;
esac
