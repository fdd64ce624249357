#!/usr/bin/env bash
# bench_sched.sh: gort's speed goals (issue #14) as one table: the scheduler
# benchmarks beside Go and Boost.Fiber, and one context switch as the
# scheduler does it beside Boost.Context. Builds bench/gort_sched_bench and
# bench/gort_switch_bench (Google Benchmark) and the Go peers in bench/go/
# (go test -bench, standard library only, no network), then prints
#
#   benchmark | gort ns | Go ns | Boost ns | gort/peer | goal
#
# Same run, interleaved. The machine may be shared and its speed drift over
# minutes, so every repetition runs each row's gort benchmark and its peers
# back to back (a process each), row after row; a row's ratio is the median
# over the repetitions of gort's time over the peer's *in that repetition*,
# and the ns columns are medians too.
#
# usage: tools/bench_sched.sh [--no-build] [--reps N] [--min-time S] [--rows REGEX]
#   --no-build    the native preset is already built (./kit bench does that)
#   --reps N      repetitions of each benchmark (3)
#   --min-time S  Google Benchmark's --benchmark_min_time and go test's
#                 -benchtime, seconds per run (1)
#   --rows REGEX  only the rows whose key matches (keys: spawn pingpong
#                 pingpong2 yield2 skynet fib27 switch yield)
# Environment: GORT_BENCH_BUILD: a build tree other than build/native
# (already configured). Raw results: build/kit-logs/sched-bench.json (every
# run), log: build/kit-logs/sched-bench.log.
#
# Exit status: non-zero if a build or a benchmark fails; goals missed are
# reported in the table, not as a failure. Without Go the Go column says n/a.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
BUILD=${GORT_BENCH_BUILD:-$ROOT/build/native}
LOGS=$ROOT/build/kit-logs
BIN=$BUILD/bench/gort_sched_bench
SWBIN=$BUILD/bench/gort_switch_bench
GOBIN=$BUILD/bench/go_sched_bench.test

build=1 reps=3 min_time=1 rows=.
while (($#)); do
  case $1 in
    --no-build) build=0 ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    --rows) rows=$2; shift ;;
    -h | --help) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'bench_sched: unknown argument %s (see --help)\n' "$1" >&2; exit 2 ;;
  esac
  shift
done

say() { printf 'bench_sched: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$LOGS"
LOG=$LOGS/sched-bench.log
JSON=$LOGS/sched-bench.json
: >"$LOG"
rm -f "$JSON"

cd "$ROOT"
if ((build)); then
  if [[ -z ${GORT_BENCH_BUILD:-} ]]; then
    cmake --preset native >>"$LOG" 2>&1 || die "configure failed; see ${LOG#"$ROOT"/}"
  fi
  cmake --build "$BUILD" --target gort_sched_bench gort_switch_bench >>"$LOG" 2>&1 ||
    die "build failed; see ${LOG#"$ROOT"/}"
fi
[[ -x $BIN ]] || die "no $BIN (Google Benchmark and Boost.Fiber are needed; see ${LOG#"$ROOT"/})"
[[ -x $SWBIN ]] || die "no $SWBIN (Google Benchmark is needed; see ${LOG#"$ROOT"/})"

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
  GOBIN=""
fi

say "$reps repetitions of every row, ${min_time}s per run, peers back to back (several minutes)"
python3 - "$BIN" "$SWBIN" "$GOBIN" "$go_version" "$reps" "$min_time" "$rows" "$JSON" "$LOG" <<'EOF'
import json, re, statistics, subprocess, sys

bin_, swbin, gobin, go_version, reps, min_time, rows_re, json_path, log_path = sys.argv[1:10]
reps = int(reps)
log = open(log_path, "a")

# key, label, gort benchmark, Boost benchmark, Go benchmark, peer of the
# ratio, goal (max gort/peer; None: context only). The switch row's gort and
# Boost benchmarks live in gort_switch_bench, its peer is Boost.Context.
ROWS = [
    ("spawn", "spawn + complete, 2 Ps", "gort_spawn", "boost_fiber_spawn", "Spawn", "go", 0.25),
    ("pingpong", "chan ping-pong round trip, 1 P", "gort_pingpong", "boost_fiber_pingpong", "PingPong", "go", 0.25),
    ("pingpong2", "chan ping-pong round trip, 2 Ps", "gort_pingpong2", "boost_fiber_pingpong2", "PingPong2", "go", 0.5),
    ("yield2", "yield, 2 goroutines take turns, 1 P", "gort_yield2", "boost_fiber_yield2", "Yield2", "go", 0.3),
    ("skynet", "skynet 10^6, 2 Ps", "gort_skynet", "boost_fiber_skynet", "Skynet", "go", 0.5),
    ("fib27", "fork-join fib(27), 2 Ps", "gort_fib27", "boost_fiber_fib27", "Fib27", "go", 0.5),
    ("switch", "one switch as the scheduler does it (vs Boost.Context)", "gort_switch_with_setg",
     "boost_context_fiber", None, "boost", 0.8),
    ("yield", "(context) yield, 1 goroutine alone, 1 P", "gort_yield", "boost_fiber_yield", "Yield", "go", None),
]
ROWS = [r for r in ROWS if re.search(rows_re, r[0])]
to_ns = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
everything = []
errors = {}

def gbench(binary, name):
    """ns per operation of one Google Benchmark run (the switch bench: ns per switch)."""
    cmd = [binary, "--benchmark_filter=^%s(/|$)" % name, "--benchmark_min_time=%s" % min_time,
           "--benchmark_format=json"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    log.write("$ %s\n%s\n" % (" ".join(cmd), p.stdout))
    log.flush()
    if p.returncode != 0:
        errors[name] = "exit status %d" % p.returncode
        return None
    runs = json.loads(p.stdout)["benchmarks"]
    everything.extend(runs)
    for r in runs:
        if r.get("error_occurred"):
            errors[name] = r.get("error_message", "error")
            return None
        if "ns_per_switch" in r:
            return r["ns_per_switch"] * 1e9  # stored in seconds
        return r["real_time"] * to_ns[r.get("time_unit", "ns")]
    errors[name] = "no result"
    return None

def gotest(name):
    if not gobin:
        return None
    cmd = [gobin, "-test.run", "^$", "-test.bench", "^Benchmark%s$" % name, "-test.benchtime",
           "%ss" % min_time, "-test.count", "1"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.write("$ %s\n%s\n" % (" ".join(cmd), p.stdout))
    log.flush()
    if p.returncode != 0:
        errors["Go " + name] = "exit status %d" % p.returncode
        return None
    for line in p.stdout.splitlines():
        m = re.match(r"^Benchmark(\w+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if m and m.group(1) == name:
            return float(m.group(3))
    errors["Go " + name] = "no result"
    return None

res = {r[0]: {"gort": [], "go": [], "boost": [], "ratio": []} for r in ROWS}
for rep in range(reps):
    for key, label, g, b, gname, peer, goal in ROWS:
        sw = key == "switch"
        gv = gbench(swbin if sw else bin_, g)
        ov = None if sw else gotest(gname)
        bv = gbench(swbin if sw else bin_, b)
        d = res[key]
        for k, v in (("gort", gv), ("go", ov), ("boost", bv)):
            if v is not None:
                d[k].append(v)
        pv = bv if peer == "boost" else ov
        if gv is not None and pv:
            d["ratio"].append(gv / pv)
    print("bench_sched: repetition %d of %d done" % (rep + 1, reps), file=sys.stderr)

json.dump({"benchmarks": everything, "medians": res}, open(json_path, "w"), indent=1)

def med(v):
    return statistics.median(v) if v else None

def fmt(v):
    if v is None:
        return "n/a"
    return "{:,.0f}".format(v) if v >= 10000 else "{:.1f}".format(v)

table = [("benchmark", "gort ns", "Go ns", "Boost ns", "gort/peer", "goal")]
for key, label, g, b, gname, peer, goal in ROWS:
    d = res[key]
    r = med(d["ratio"])
    ratio = "n/a" if r is None else "%.2f" % r
    if goal is None:
        verdict = "-"
    elif r is None:
        verdict = "<= %.2f" % goal
    else:
        verdict = "<= %.2f %s" % (goal, "met" if r <= goal else "MISSED")
    table.append((label, fmt(med(d["gort"])), fmt(med(d["go"])), fmt(med(d["boost"])), ratio, verdict))

widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
def line(row):
    cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])]
    return " | ".join(cells + [row[-1].ljust(widths[-1])]).rstrip()

print("speed goals (native; ns per operation, medians of %d interleaved repetitions)" % reps)
print(line(table[0]))
print("-+-".join("-" * w for w in widths))
for row in table[1:]:
    print(line(row))
print("  gort/peer: the median over the repetitions of gort's time over the peer's in the same")
print("  repetition; the peer is Go, except for the switch (Boost.Context's fiber::resume, per")
print("  one-way switch). Lower is better; goal: at most that fraction of the peer's time.")
print("  Go: %s, GOMAXPROCS as in the row." % (go_version or "not installed"))
print("  Boost.Fiber: one thread, pooled 64 KiB stacks (ping-pong on 2 Ps: two threads); skynet and")
print("  fib(27) under a LIFO scheduler (bench/sched_bench.cpp).")
print("  The last row has no goal: gort's yield returns at once when nothing else could run.")
if errors:
    for n, e in sorted(errors.items()):
        print("  %s: %s" % (n, e))
    sys.exit(1)
EOF
