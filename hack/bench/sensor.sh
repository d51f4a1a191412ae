#!/usr/bin/env bash
# The syscall sensor's overhead: a syscall-heavy workload (hack/bench/sensor/
# sysload.c: OPENS openat+close pairs on /tmp/sysload.dat, which the
# kernel's path filter drops; the same on the relative path sysload.dat,
# which it cannot judge and passes to user space; then EXECS fork+exec)
# with no sensor and with `palisade sensor` running Falco's stable rules,
# side by side in one run: ROUNDS rounds, each running the workload once
# without and once with the sensor (the order alternating), medians
# reported. The row "attach" is the open loop with a sensor whose only
# rule is on execve: the syscall tracepoint is attached and returns at once
# for openat and close, which is the floor of any tracepoint-based sensor.
# Then the rate where the ring buffer starts dropping: the
# relative open loop on every core at once, with the default ring buffer
# and with a small one.
#
#   sudo hack/bench/sensor.sh        # ROUNDS=5 OPENS=1000000 EXECS=10000
#   sudo MODES="attach open" DROPS=0 ROUNDS=9 hack/bench/sensor.sh   # some rows only
#
# The workload runs in a container (containerd's ctr with the node's
# busybox image) when a cluster from hack/cluster.sh is up, else directly
# on the host; the sensor sees both the same way.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
ROUNDS=${ROUNDS:-5}
OPENS=${OPENS:-1000000}
EXECS=${EXECS:-10000}
MODES=${MODES:-attach open openrel exec}
DROPS=${DROPS:-1}
[ "$(id -u)" = 0 ] || { echo "run as root (the sensor loads eBPF programs)" >&2; exit 1; }
work=$(mktemp -d /tmp/palisade-bench-sensor.XXXXXX)
sensor_pid=
cleanup() {
	[ -n "$sensor_pid" ] && kill "$sensor_pid" 2>/dev/null && wait "$sensor_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -static -o "$work/sysload" hack/bench/sensor/sysload.c
go build -o "$work/palisade" ./cmd/palisade

# The node of hack/cluster.sh (its containerd has the busybox image), else
# the machine's containerd.
sock="${PALISADE_CLUSTER_DIR:-/tmp/palisade-cluster}/containerd.sock"
[ -S "$sock" ] || sock=/run/containerd/containerd.sock
incontainer=0
if [ -S "$sock" ] && ctr --address "$sock" -n k8s.io images ls -q 2>/dev/null | grep -q '^palisade.test/busybox:1$'; then
	incontainer=1
fi
# workload MODE COUNT prints the workload's wall seconds; MODE openrel is
# open on a relative path, attach the open loop.
workload() {
	local args=("$1" "$2")
	[ "$1" = openrel ] && args=(open "$2" sysload.dat)
	[ "$1" = attach ] && args=(open "$2")
	if [ "$incontainer" = 1 ]; then
		ctr --address "$sock" -n k8s.io run --rm --mount "type=bind,src=$work,dst=/bench,options=rbind:ro" \
			palisade.test/busybox:1 "palisade-bench-sysload-$$-$BASHPID-$RANDOM" /bench/sysload "${args[@]}"
	else
		"$work/sysload" "${args[@]}"
	fi
}
port=19464
cat >"$work/exec-only.yaml" <<'YAML'
- rule: Exec of a program nobody runs
  desc: the sensor's overhead floor (hack/bench/sensor.sh)
  condition: evt.type = execve and proc.name = palisade-no-such-program
  output: exec %proc.name
  priority: NOTICE
YAML
start_sensor() { # [RING_BYTES] [RULES_FILE]
	local args=(sensor --quiet --metrics-bind-address "127.0.0.1:$port" --log-format text)
	[ -n "${1:-}" ] && args+=(--ring-buffer-bytes "$1")
	[ -n "${2:-}" ] && args+=(--rules "$2")
	[ -S "$sock" ] && args+=(--cri-endpoint "$sock")
	"$work/palisade" "${args[@]}" 2>"$work/sensor.log" &
	sensor_pid=$!
	for _ in $(seq 100); do
		grep -q 'sensor started' "$work/sensor.log" && return 0
		sleep 0.1
	done
	cat "$work/sensor.log" >&2
	exit 1
}
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 ~ "^"m {s += $2} END {printf "%d", s}'; }
# cpu_seconds prints the sensor's CPU time so far (user + system).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$sensor_pid/stat"; }
stop_sensor() { kill "$sensor_pid"; wait "$sensor_pid" || true; sensor_pid=; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "workload: $OPENS openat+close (absolute, then relative path), $EXECS fork+exec; $ROUNDS rounds; in a container: $([ $incontainer = 1 ] && echo yes || echo no)"
for mode in $MODES; do
	count=$OPENS
	[ "$mode" = exec ] && count=$EXECS
	: >"$work/$mode.off"
	: >"$work/$mode.on"
	drops=0
	for r in $(seq "$ROUNDS"); do
		order="off on"
		[ $((r % 2)) = 0 ] && order="on off"
		for s in $order; do
			if [ "$s" = on ]; then
				if [ "$mode" = attach ]; then start_sensor "" "$work/exec-only.yaml"; else start_sensor; fi
				workload "$mode" "$count" >>"$work/$mode.on"
				drops=$((drops + $(metric palisade_sensor_ring_drops_total)))
				events=$(metric 'palisade_sensor_events_total')
				filtered=$(metric 'palisade_sensor_filtered_opens_total')
				cpu=$(cpu_seconds)
				stop_sensor
			else
				workload "$mode" "$count" >>"$work/$mode.off"
			fi
		done
	done
	off=$(median <"$work/$mode.off")
	on=$(median <"$work/$mode.on")
	awk -v m="$mode" -v off="$off" -v on="$on" -v d="$drops" -v e="$events" -v f="$filtered" -v cpu="$cpu" 'BEGIN {
		printf "%-7s no sensor %.3f s   sensor %.3f s   added %+.1f%%   ring drops %d   last round: %d events, %d opens filtered in the kernel, sensor CPU %.2f s (%.1f us per event)\n",
			m, off, on, (on / off - 1) * 100, d, e, f, cpu, cpu / e * 1e6 }'
done

[ "$DROPS" = 1 ] || exit 0
echo "drops under load: the relative open loop on every core at once ($(nproc) workers, $OPENS each)"
for ring in 8388608 262144; do
	start_sensor "$ring"
	t0=$(date +%s.%N)
	pids=()
	for _ in $(seq "$(nproc)"); do
		workload openrel "$OPENS" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s.%N)
	events=$(metric palisade_sensor_events_total)
	drops=$(metric palisade_sensor_ring_drops_total)
	stop_sensor
	awk -v r="$ring" -v e="$events" -v d="$drops" -v t0="$t0" -v t1="$t1" 'BEGIN {
		printf "ring %7d bytes: %d events evaluated in %.2f s (%.0f/s), %d dropped (%.2f%% of those offered)\n",
			r, e, t1 - t0, e / (t1 - t0), d, (e + d) ? 100 * d / (e + d) : 0 }'
done
