#!/usr/bin/env bash
# Admission webhook load test: a real `palisade agent` over HTTPS on
# loopback, driven by hack/bench/webhookload as the kube-apiserver would.
#
#   hack/bench/webhook.sh
#   BENCH_N=20000 BENCH_C=16 hack/bench/webhook.sh
#   BENCH_EVENTS=1 hack/bench/webhook.sh     # also append events to a file
#   BENCH_HTTP1=1 hack/bench/webhook.sh      # HTTP/1.1 keep-alive instead of HTTP/2
#   BENCH_PRESET=log-all hack/bench/webhook.sh   # a built-in preset as the policy (log-all: every rule without a required property)
#   BENCH_FLOOR=1 hack/bench/webhook.sh      # hack/bench/webhookfloor instead of the agent: TLS and HTTP/2 alone
#
# Builds bin/palisade and the load tool, makes a self-signed ECDSA
# certificate for 127.0.0.1 (openssl), writes a policy holding every
# deployment rule of the recommended and restricted presets (read from
# internal/core/policy/presets), starts the agent on a free port, waits for
# /readyz, sends BENCH_N (default 200000) reviews BENCH_C (default 64) at a
# time, then prints the agent's peak RSS (VmHWM) and stops it. The agent and
# the load tool share the machine's cores. Set KEEP=1 to keep the temp dir
# (agent log, policy, certificate).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
n="${BENCH_N:-200000}"
c="${BENCH_C:-64}"

die() { echo "webhook.sh: $*" >&2; exit 2; }
command -v openssl >/dev/null || die "openssl is required"
command -v curl >/dev/null || die "curl is required"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/palisade-webhook-bench.XXXXXX")"
agent_pid=""
cleanup() {
	if [[ -n "$agent_pid" ]] && kill -0 "$agent_pid" 2>/dev/null; then
		kill -TERM "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
	fi
	if [[ -n "${KEEP:-}" ]]; then
		echo "webhook.sh: keeping $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

echo "== build"
palisade="${BENCH_PALISADE:-$root/bin/palisade}" # BENCH_PALISADE: a binary built elsewhere (another commit)
[[ -n "${BENCH_PALISADE:-}" ]] || (cd "$root" && go build -o bin/palisade ./cmd/palisade) || die "building palisade failed"
(cd "$root" && go build -o "$tmp/webhookload" ./hack/bench/webhookload) || die "building webhookload failed"

echo "== certificate and policy"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null || die "openssl failed"

# The deployment rules of a preset: the "- {rule: ...}" lines of its
# deployment tab.
preset_rules() {
	awk '/^    deployment:/{f=1;next} /^    [a-z]+:/{f=0} f && /- \{rule:/' "$root/internal/core/policy/presets/$1.yaml"
}
if [[ -n "${BENCH_PRESET:-}" ]]; then
	"$palisade" policy preset "$BENCH_PRESET" >"$tmp/policy.yaml" || die "no preset $BENCH_PRESET"
else
{
	cat <<-EOF
	apiVersion: palisade.dev/v1
	kind: Policy
	metadata:
	  name: recommended-restricted
	spec:
	  description: every deployment rule of the recommended and restricted presets
	  clusterWide:
	    deployment:
	      rules:
	EOF
	preset_rules recommended
	preset_rules restricted
} >"$tmp/policy.yaml"
fi
echo "policy: $(grep -c 'rule:' "$tmp/policy.yaml") rules"
"$palisade" policy validate "$tmp/policy.yaml" >/dev/null || die "the generated policy does not validate"

# A free loopback port: ask the kernel for one, else probe.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || true)"
if [[ -z "$port" ]]; then
	for p in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port="$p"; break; fi
	done
fi
[[ -n "$port" ]] || die "no free port"

echo "== agent on 127.0.0.1:$port"
events_flag=()
[[ -n "${BENCH_EVENTS:-}" ]] && events_flag=(--events "$tmp/events.jsonl")
decision_flag=()
# A preset that blocks nothing admits the violating objects too.
[[ -n "${BENCH_PRESET:-}" ]] && ! grep -q 'action: block' "$tmp/policy.yaml" && decision_flag=(-expect-decisions=false)
if [[ -n "${BENCH_FLOOR:-}" ]]; then
	# The floor: a server that answers "allowed" without judging anything.
	(cd "$root" && go build -o "$tmp/webhookfloor" ./hack/bench/webhookfloor) || die "building webhookfloor failed"
	"$tmp/webhookfloor" -listen "127.0.0.1:$port" -cert "$tmp/tls.crt" -key "$tmp/tls.key" 2>"$tmp/agent.log" &
	decision_flag=(-expect-decisions=false)
	ready=(curl -sS -o /dev/null) # any answer: it serves
else
	"$palisade" agent --listen "127.0.0.1:$port" \
		--tls-cert-file "$tmp/tls.crt" --tls-key-file "$tmp/tls.key" \
		--policy "$tmp/policy.yaml" "${events_flag[@]}" 2>"$tmp/agent.log" &
	ready=(curl -fsS -o /dev/null) # /readyz answers 200 once the policy is loaded
fi
agent_pid=$!

deadline=$((SECONDS + 30))
until "${ready[@]}" --cacert "$tmp/tls.crt" "https://127.0.0.1:$port/readyz" 2>/dev/null; do
	kill -0 "$agent_pid" 2>/dev/null || { cat "$tmp/agent.log" >&2; die "the agent exited"; }
	((SECONDS < deadline)) || die "the agent was not ready within 30s"
	sleep 0.2
done
echo "ready; RSS at start: $(awk '/^VmRSS/{print $2, $3}' "/proc/$agent_pid/status")"

echo "== load: $n reviews, $c concurrent"
http1_flag=()
[[ -n "${BENCH_HTTP1:-}" ]] && http1_flag=(-http1)
status=0
"$tmp/webhookload" -url "https://127.0.0.1:$port/validate?timeout=10s" -ca "$tmp/tls.crt" \
	-n "$n" -c "$c" "${http1_flag[@]}" "${decision_flag[@]}" || status=$?

echo "== agent"
echo "peak RSS (VmHWM): $(awk '/^VmHWM/{print $2, $3}' "/proc/$agent_pid/status")"
# The agent's own CPU time (user+sys) over the whole run: reviews per
# CPU-second is its capacity on cores it does not share with the load tool.
cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$agent_pid/stat")
echo "agent CPU: ${cpu_s} s for $n reviews ($(awk -v n="$n" -v c="$cpu_s" 'BEGIN{printf "%.0f", n / c}') reviews per CPU-second)"
echo "RSS now (VmRSS):  $(awk '/^VmRSS/{print $2, $3}' "/proc/$agent_pid/status")"
[[ -n "${BENCH_FLOOR:-}" ]] || curl -fsS --cacert "$tmp/tls.crt" "https://127.0.0.1:$port/metrics" |
	grep -E '^palisade_webhook_(requests|errors)_total' || true
if [[ -n "${BENCH_EVENTS:-}" ]]; then
	echo "events written: $(wc -l <"$tmp/events.jsonl") ($(du -h "$tmp/events.jsonl" | cut -f1))"
fi
kill -TERM "$agent_pid"
# The agent shuts down cleanly on SIGTERM; the floor just dies of it.
wait "$agent_pid" || [[ -n "${BENCH_FLOOR:-}" ]] || die "the agent exited with status $? on SIGTERM"
agent_pid=""
echo "agent stopped"
exit "$status"
