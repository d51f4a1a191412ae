#!/usr/bin/env bash
# A fleet of simulated managed agents against console replicas on one
# PostgreSQL (issue 19): starts a throwaway PostgreSQL (hack/postgres.sh),
# FLEET_REPLICAS console replicas on loopback ports, and the simulator
# (hack/bench/fleet), then tears everything down. Flags after the script's
# name go to the simulator (go run ./hack/bench/fleet -h lists them).
#
#   hack/bench/fleet.sh -agents 2000 -d 30s -rate 5000
#   FLEET_KILL=KILL FLEET_KILL_AFTER=20s hack/bench/fleet.sh -agents 2000 -d 40s
#   FLEET_KILL=TERM FLEET_KILL_AFTER=20s hack/bench/fleet.sh -agents 2000 -d 40s   # a rolling upgrade
#
# Environment:
#   FLEET_REPLICAS         console replicas (2)
#   FLEET_KILL             KILL or TERM: signal the last replica during the load phase
#   FLEET_KILL_AFTER       when in the load phase (20s)
#   FLEET_SHUTDOWN_DELAY   the replicas' --shutdown-delay (5s, as the chart sets it)
#   FLEET_NOFILE           descriptor limit of the consoles and the simulator (1048576)
#   PALISADE_POSTGRES_DIR  the server's state folder (/tmp/pg-fleet)
#   PALISADE_POSTGRES_OPTS its settings ("-c shared_buffers=1GB -c max_connections=200")
#   FLEET_POOL_MAX_CONNS   each console's PostgreSQL pool size (pgx's default when unset: 4 on 2 cores)
#   FLEET_TLS              set: the consoles serve HTTPS (a throwaway CA) and every client speaks it (HTTP/2)
#   FLEET_PPROF            set: replica i serves Go's profiles on 127.0.0.1:16060+i (--profiling)
#
# The consoles run with --max-conns-per-client 0: every simulated agent
# connects from 127.0.0.x, where in a cluster each comes from its own
# address, so the per-address cap (64) would refuse the fleet at accept.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck source=hack/lib.sh
. hack/lib.sh

replicas="${FLEET_REPLICAS:-2}"
kill_signal="${FLEET_KILL:-}"
kill_after="${FLEET_KILL_AFTER:-20s}"
shutdown_delay="${FLEET_SHUTDOWN_DELAY:-5s}"
export PALISADE_POSTGRES_DIR="${PALISADE_POSTGRES_DIR:-/tmp/pg-fleet}"
export PALISADE_POSTGRES_OPTS="${PALISADE_POSTGRES_OPTS:--c shared_buffers=1GB -c max_connections=200}"
case "$kill_signal" in "" | KILL | TERM) ;; *) echo "FLEET_KILL must be KILL or TERM" >&2; exit 2 ;; esac

# Ten thousand long polls, event connections and queue files need more
# descriptors than the default; root may raise the hard limit.
ulimit -n "${FLEET_NOFILE:-1048576}" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work="$(mktemp -d /tmp/palisade-fleet.XXXXXX)"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	hack/postgres.sh down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/palisade" ./cmd/palisade
go build -o "$work/fleet" ./hack/bench/fleet
url=$(hack/postgres.sh up)
if [ -n "${FLEET_POOL_MAX_CONNS:-}" ]; then
	url="$url&pool_max_conns=$FLEET_POOL_MAX_CONNS"
fi
head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$work/admin-token"
tls_console=() tls_sim=() probe_url=http
if [ -n "${FLEET_TLS:-}" ]; then
	# HTTPS as over the chart's console.tls: Go's clients then speak
	# HTTP/2, one connection per agent instead of one per call in flight.
	mkdir -m 700 "$work/tls"
	"$work/fleet" -write-cert "$work/tls"
	tls_console=(--tls-cert-file "$work/tls/tls.crt" --tls-key-file "$work/tls/tls.key")
	tls_sim=(-tls-ca "$work/tls/ca.crt")
	probe_url=https
fi
chmod 600 "$work/admin-token"

consoles=""
port=18080
for i in $(seq 1 "$replicas"); do
	port=$(free_port $((port + 1)))
	profile=()
	if [ -n "${FLEET_PPROF:-}" ]; then
		# Go's profiles of replica i on port 16060+i.
		profile=(--profiling --metrics-bind-address "127.0.0.1:$((16060 + i))")
	fi
	"$work/palisade" console --database "$url" --listen "127.0.0.1:$port" --admin-token-file "$work/admin-token" \
		--max-conns-per-client 0 --shutdown-delay "$shutdown_delay" --log-level warn "${profile[@]}" "${tls_console[@]}" 2>"$work/console-$i.log" &
	pids+=($!)
	# The first replica migrates the database; the others start on it.
	for _ in $(seq 1 300); do
		curl -sfk "$probe_url://127.0.0.1:$port/readyz" >/dev/null && break
		kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/console-$i.log" >&2; exit 1; }
		sleep 0.1
	done
	consoles="$consoles${consoles:+,}127.0.0.1:$port"
done
echo "consoles: $consoles (pids ${pids[*]}), PostgreSQL $url" >&2

kill_args=()
if [ -n "$kill_signal" ]; then
	kill_args=(-kill-pid "${pids[-1]}" -kill-signal "$kill_signal" -kill-replica-after "$kill_after")
fi
status=0
pid_list=$(IFS=,; echo "${pids[*]}")
"$work/fleet" -consoles "$consoles" -pids "$pid_list" -postgres-pid "$(head -1 "$PALISADE_POSTGRES_DIR/data/postmaster.pid")" -admin-token-file "$work/admin-token" -database "$url" "${tls_sim[@]}" "${kill_args[@]}" "$@" || status=$?

for i in "${!pids[@]}"; do
	p=${pids[$i]}
	if [ -d "/proc/$p" ]; then
		echo "replica $((i + 1)) (pid $p): $(awk '/VmHWM/{printf "peak RSS since start %d MiB", $2/1024}' "/proc/$p/status")"
	else
		echo "replica $((i + 1)) (pid $p): gone"
	fi
	if grep -q '"level":"ERROR"' "$work/console-$((i + 1)).log"; then
		echo "  errors logged: $(grep -c '"level":"ERROR"' "$work/console-$((i + 1)).log"), first: $(grep -m1 '"level":"ERROR"' "$work/console-$((i + 1)).log" | cut -c1-300)"
	fi
done
exit "$status"
