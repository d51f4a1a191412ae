#!/usr/bin/env bash
# Scan-throughput comparison: palisade vs kube-score vs Gatekeeper's gator.
#
#   hack/bench/compare.sh
#   BENCH_N=2000 hack/bench/compare.sh
#   BENCH_N=3000 BENCH_FILES=30 hack/bench/compare.sh   # 30 multi-document files
#   PALISADE_CMD="palisade scan --preset recommended -o json" hack/bench/compare.sh
#
# Generates a deterministic corpus of BENCH_N (default 10000) Kubernetes
# objects with hack/bench/gencorpus, then times each tool over it with
# /usr/bin/time -v and prints wall time, objects/s and peak RSS.
#
# Tools come from hack/bench/build-tools.sh (built on first use; several
# minutes for gator). palisade is timed only if the first word of
# PALISADE_CMD resolves to ./bin/<word> in the repo or to <word> on PATH; the
# corpus directory is appended as its last argument; its findings are counted
# as matches of PALISADE_FINDINGS_RE (default: JSON "rule" keys).
#
# kube-score and gator exit 1 when they find problems; that is expected and
# only other exit codes (or exit 1 with no findings printed) are errors, and
# make this script exit 1 after printing the table. Set KEEP=1 to keep the temp
# dir (corpus and each tool's stdout/stderr).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
n="${BENCH_N:-10000}"
bin_dir="${BENCH_BIN:-${PALISADE_CACHE:-$HOME/.cache/palisade}/bin}"
palisade_cmd="${PALISADE_CMD:-palisade scan --preset recommended -o json}"

die() { echo "compare: $*" >&2; exit 2; }

# /usr/bin/time (GNU time) is needed for -v (peak RSS).
if ! /usr/bin/time -v true >/dev/null 2>&1; then
	echo "compare: installing GNU time (Debian package 'time')" >&2
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	$sudo apt-get install -y -qq time >/dev/null 2>&1 ||
		{ $sudo apt-get update -qq && $sudo apt-get install -y -qq time >/dev/null; } ||
		die "could not install the 'time' package"
fi

BENCH_BIN="$bin_dir" "$here/build-tools.sh" || die "building kube-score/gator failed"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/palisade-bench.XXXXXX")"
if [[ -n "${KEEP:-}" ]]; then
	echo "compare: keeping $tmp" >&2
else
	trap 'rm -rf "$tmp"' EXIT
fi
corpus="$tmp/corpus"

(cd "$root" && go build -o "$tmp/gencorpus" ./hack/bench/gencorpus) || die "building gencorpus failed"
files_flag=()
[[ -n "${BENCH_FILES:-}" ]] && files_flag=(-files "$BENCH_FILES")
"$tmp/gencorpus" -n "$n" "${files_flag[@]}" -out "$corpus" || die "generating corpus failed"

# kube-score takes files (not directories) as arguments and opens them all
# before parsing, so pass every file in a single invocation (one process, as
# a user would run it). That needs enough file descriptors and argv space;
# otherwise fall back to streaming the corpus on stdin as one multi-doc file.
# (gator also keeps every input file open while reading, so it needs as many
# descriptors as there are files; it reports ERROR(1) otherwise.)
shopt -s nullglob
files=()
for f in "$corpus"/*.yaml; do files+=("${f#"$corpus"/}"); done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
argbytes=$(printf '%s\0' "${files[@]}" | wc -c)
kube_score_stdin=""
if ((${#files[@]} + 64 > $(ulimit -n) || argbytes > 1500000)); then
	kube_score_stdin=1
	awk 'FNR == 1 && NR > 1 { print "---" } { print }' "$corpus"/*.yaml >"$tmp/all.yaml" ||
		die "concatenating corpus failed"
fi

results=()
row='%-10s %-28s %-10s %7s %7s %7s %9s %8s %9s'

# timed NAME VERSION CMD... runs CMD inside the corpus dir under
# /usr/bin/time -v and records a result row. STDIN_FILE feeds stdin;
# FINDINGS_RE (grep -E) counts findings (matches, not lines) in stdout.
timed() {
	local name="$1" version="$2"
	shift 2
	if (($# > 8)); then
		echo "compare: running $name: ${*:1:8} ... ($(($# - 8)) more args)" >&2
	else
		echo "compare: running $name: $*" >&2
	fi
	local rc=0
	(cd "$corpus" && /usr/bin/time -v -o "$tmp/$name.time" "$@" \
		<"${STDIN_FILE:-/dev/null}" >"$tmp/$name.out" 2>"$tmp/$name.err") || rc=$?
	local wall rss user sys status="ok" findings="-"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s }' "$tmp/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tmp/$name.time")
	user=$(awk -F': ' '/User time/ { print $2 }' "$tmp/$name.time")
	sys=$(awk -F': ' '/System time/ { print $2 }' "$tmp/$name.time")
	[[ -n "${FINDINGS_RE:-}" ]] && findings=$(grep -oE "$FINDINGS_RE" "$tmp/$name.out" | wc -l)
	# Exit 1 means "found problems" for kube-score and gator, but gator also
	# exits 1 on fatal errors (e.g. "too many open files"): only count it as
	# findings if findings were actually printed.
	if ((rc == 1)) && [[ "$findings" != 0 ]]; then
		status="findings"
	elif ((rc != 0)); then
		status="ERROR($rc)"
		echo "compare: $name exited $rc; last stderr lines:" >&2
		tail -n 5 "$tmp/$name.err" >&2
	fi
	local rate
	rate=$(awk -v n="$n" -v w="$wall" 'BEGIN { if (w > 0) printf "%.0f", n / w; else print "inf" }')
	results+=("$(printf "$row" "$name" "$version" "$status" "$wall" "$user" "$sys" \
		"$rate" "$rss" "$findings")")
}

ks_version="$("$bin_dir/kube-score" version 2>&1 | awk '{ print $3 }' | tr -d ,)"
gator_version="$("$bin_dir/gator" --version 2>&1 | head -n 1 |
	sed -E 's/^gator version ([^ ]+).* (opa\/[^,]+).*/\1 (\2)/')"

# kube-score findings: checks graded critical (1) or warning (5).
ks_re='"grade": [15],'
if [[ -n "$kube_score_stdin" ]]; then
	STDIN_FILE="$tmp/all.yaml" FINDINGS_RE="$ks_re" timed kube-score "$ks_version" \
		"$bin_dir/kube-score" score -o json --color never -
else
	FINDINGS_RE="$ks_re" timed kube-score "$ks_version" "$bin_dir/kube-score" score -o json --color never "${files[@]}"
fi

# gator reads directories recursively; the policy set is hack/bench/gator/.
FINDINGS_RE='^        "msg": ' timed gator "$gator_version" "$bin_dir/gator" test -o json -f "$corpus" -f "$here/gator"

read -r -a pcmd <<<"$palisade_cmd"
pbin=""
if [[ -x "$root/bin/${pcmd[0]}" ]]; then
	pbin="$root/bin/${pcmd[0]}"
elif command -v "${pcmd[0]}" >/dev/null 2>&1; then
	pbin="$(command -v "${pcmd[0]}")"
fi
if [[ -n "$pbin" ]]; then
	pver="$({ "$pbin" version || "$pbin" --version; } 2>/dev/null | head -n 1)"
	FINDINGS_RE="${PALISADE_FINDINGS_RE:-\"rule\": ?\"}" timed palisade "${pver:-unknown}" "$pbin" "${pcmd[@]:1}" "$corpus"
else
	echo "compare: skipping palisade: '${pcmd[0]}' not found at $root/bin/ or on PATH" >&2
fi

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (wall times are only meaningful on an idle machine; user_s/sys_s are steadier)"
echo "corpus: $n objects in ${#files[@]} files ($(du -sk "$corpus" | cut -f1) KiB); $(nproc) CPUs; $(go version | awk '{ print $3 }')"
[[ -n "$kube_score_stdin" ]] && echo "kube-score read the corpus from stdin (too many files for argv/fds)"
printf "$row\n" tool version exit wall_s user_s sys_s objects/s rss_MiB findings
printf '%s\n' "${results[@]}"
for r in "${results[@]}"; do [[ "$r" == *ERROR* ]] && exit 1; done
exit 0
