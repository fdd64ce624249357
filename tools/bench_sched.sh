#!/usr/bin/env bash
# bench_sched.sh: gort's scheduler benchmarks beside Go and Boost.Fiber, as
# one table. Builds bench/gort_sched_bench (gort and Boost.Fiber, Google
# Benchmark) and the Go peers in bench/go/ (go test -bench, standard library
# only, no network), runs each with 3 repetitions and prints the medians:
#
#   benchmark | gort ns | Go ns | Boost.Fiber ns | gort/Go | goal
#
# usage: tools/bench_sched.sh [--no-build] [--reps N] [--min-time S] [benchmark flags...]
#   --no-build    the native preset is already built (./kit bench does that)
#   --reps N      repetitions of each benchmark, the median is shown (3)
#   --min-time S  Google Benchmark's --benchmark_min_time and go test's
#                 -benchtime, seconds per repetition (1)
#   further flags go to gort_sched_bench (e.g. --benchmark_filter=gort)
# Environment: GORT_BENCH_BUILD: a build tree other than build/native (already
# configured). Logs and raw results: build/kit-logs/sched-bench.{log,json},
# build/kit-logs/sched-bench-go.txt.
#
# Exit status: non-zero if a build or a benchmark fails; goals missed are
# reported in the table, not as a failure. Without Go the Go column says n/a.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
BUILD=${GORT_BENCH_BUILD:-$ROOT/build/native}
LOGS=$ROOT/build/kit-logs
BIN=$BUILD/bench/gort_sched_bench
GOBIN=$BUILD/bench/go_sched_bench.test

build=1 reps=3 min_time=1
extra=()
while (($#)); do
  case $1 in
    --no-build) build=0 ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1") ;;
  esac
  shift
done

say() { printf 'bench_sched: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$LOGS"
LOG=$LOGS/sched-bench.log
JSON=$LOGS/sched-bench.json
GOOUT=$LOGS/sched-bench-go.txt
: >"$LOG"
rm -f "$JSON" "$GOOUT"

cd "$ROOT"
if ((build)); then
  if [[ -z ${GORT_BENCH_BUILD:-} ]]; then
    cmake --preset native >>"$LOG" 2>&1 || die "configure failed; see ${LOG#"$ROOT"/}"
  fi
  cmake --build "$BUILD" --target gort_sched_bench >>"$LOG" 2>&1 ||
    die "build failed; see ${LOG#"$ROOT"/}"
fi
[[ -x $BIN ]] || die "no $BIN (Google Benchmark and Boost.Fiber are needed; see ${LOG#"$ROOT"/})"

# The Go peers: a test binary, built offline from the standard library. The
# file is named, not the folder, as bench/go/ also holds single-file commands
# (package main, for go run).
go_version=""
if command -v go >/dev/null; then
  go_version=$(go version | awk '{print $3}')
  say "building the Go peers ($go_version)"
  if ! (cd bench/go && GOCACHE=$ROOT/build/go-cache GOPATH=$ROOT/build/go-path \
        GO111MODULE=on GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
        go test -c -o "$GOBIN" sched_bench_test.go) >>"$LOG" 2>&1; then
    die "go test -c failed; see ${LOG#"$ROOT"/}"
  fi
else
  say "go not found: the Go column will say n/a (apt-get install golang-go)"
fi

say "running gort_sched_bench ($reps repetitions of ${min_time}s; a few minutes)"
"$BIN" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
  --benchmark_out="$JSON" --benchmark_out_format=json "${extra[@]}" >>"$LOG" 2>&1 ||
  die "gort_sched_bench failed; see ${LOG#"$ROOT"/}"

if [[ -n $go_version ]]; then
  say "running the Go peers ($reps x ${min_time}s each)"
  "$GOBIN" -test.run '^$' -test.bench . -test.benchtime "${min_time}s" -test.count "$reps" \
    >"$GOOUT" 2>&1 || die "the Go benchmarks failed; see ${GOOUT#"$ROOT"/}"
fi

python3 - "$JSON" "$GOOUT" "$go_version" "$reps" <<'EOF'
import json, os, re, statistics, sys

json_path, go_path, go_version, reps = sys.argv[1:5]

# gort and Boost.Fiber: Google Benchmark's median aggregate (ns per
# operation, manual time), or the median of the single runs.
runs = json.load(open(json_path))["benchmarks"]
to_ns = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
single, median, errors = {}, {}, {}
for r in runs:
    name = r.get("run_name", r["name"]).split("/")[0]
    if r.get("error_occurred"):
        errors[name] = r.get("error_message", "error")
        continue
    ns = r["real_time"] * to_ns[r.get("time_unit", "ns")]
    if r.get("run_type") == "aggregate":
        if r.get("aggregate_name") == "median":
            median[name] = ns
    else:
        single.setdefault(name, []).append(ns)
cpp = {n: median.get(n, statistics.median(v)) for n, v in single.items()}
cpp.update(median)

# Go: median of the -count repetitions of each BenchmarkX-N line.
go = {}
if os.path.exists(go_path):
    seen = {}
    for line in open(go_path):
        m = re.match(r"^Benchmark(\w+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if m:
            seen.setdefault(m.group(1), []).append(float(m.group(3)))
    go = {n: statistics.median(v) for n, v in seen.items()}

rows = [  # label, gort, Boost.Fiber, Go, goal (max gort/Go)
    ("spawn + complete, 2 Ps", "gort_spawn", "boost_fiber_spawn", "Spawn", 0.25),
    ("chan ping-pong round trip, 1 P", "gort_pingpong", "boost_fiber_pingpong", "PingPong", 0.25),
    ("yield, 1 goroutine, 1 P", "gort_yield", "boost_fiber_yield", "Yield", 0.25),
    ("fork-join fib(27), 2 Ps", "gort_fib27", "boost_fiber_fib27", "Fib27", 0.5),
    ("(context) yield, 2 goroutines take turns, 1 P", "gort_yield2", "boost_fiber_yield2", "Yield2", None),
]

def fmt(v):
    if v is None:
        return "n/a"
    return "{:,.0f}".format(v) if v >= 10000 else "{:.1f}".format(v)

table = [("benchmark", "gort ns", "Go ns", "Boost.Fiber ns", "gort/Go", "goal")]
for label, g, b, gname, goal in rows:
    gv, bv, ov = cpp.get(g), cpp.get(b), go.get(gname)
    if gv is None and g in errors:
        label += " (gort: " + errors[g] + ")"
    ratio = "%.2f" % (gv / ov) if gv is not None and ov else "n/a"
    if goal is None:
        verdict = "-"
    elif ratio == "n/a":
        verdict = "<= %.2f" % goal
    else:
        verdict = "<= %.2f %s" % (goal, "met" if gv / ov <= goal else "MISSED")
    table.append((label, fmt(gv), fmt(ov), fmt(bv), ratio, verdict))

widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
def line(row):
    cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])]
    return " | ".join(cells + [row[-1].ljust(widths[-1])]).rstrip()

print("scheduler benchmarks (native; ns per operation, median of %s)" % reps)
print(line(table[0]))
print("-+-".join("-" * w for w in widths))
for row in table[1:]:
    print(line(row))
print("  gort/Go: lower is better; goal: gort's time at most that fraction of Go's.")
print("  The last row has no goal: with one goroutine gort's yield returns at once (nothing")
print("  else could run); with two taking turns every yield switches.")
context = json.load(open(json_path)).get("context", {})
print("  Go: %s, GOMAXPROCS as in the row." % (go_version or "not installed"))
print("  Boost.Fiber %s: one thread, pooled 64 KiB stacks; fib(27) under a LIFO"
      " scheduler (bench/sched_bench.cpp)." % context.get("boost_version", "?").replace("_", "."))
if errors:
    for n, e in sorted(errors.items()):
        print("  %s: %s" % (n, e))
    sys.exit(1)
EOF
