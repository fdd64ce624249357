#!/usr/bin/env bash
# bench_sched.sh: gort's speed goals (issue #14) as one table: the scheduler
# benchmarks beside Go and Boost.Fiber, and one context switch as the
# scheduler does it beside Boost.Context. Builds bench/gort_sched_bench and
# bench/gort_switch_bench (Google Benchmark) and the Go peers in bench/go/
# (go test -bench, standard library only, no network), then prints
#
#   benchmark | gort ns | Go ns | Boost ns | gort/peer | cpu gort/peer | goal (range)
#
# Same run, interleaved. The machine may be shared and its speed drift over
# minutes, so every repetition runs each row's gort benchmark and its peers
# back to back (a process each), row after row; a row's ratio is the median
# over the repetitions of gort's time over the peer's *in that repetition*,
# and the ns columns are medians too. The goal is judged on that median of
# wall time, and the goal column adds the ratio's lowest and highest
# repetition, so that a verdict the noise could turn shows as such; the
# cpu column is the same ratio of process CPU time (every thread, spinning
# included) per operation, steadier than wall time when other work shares
# the CPUs.
#
# usage: tools/bench_sched.sh [--no-build] [--reps N] [--min-time S] [--rows REGEX]
#   --no-build    the native preset is already built (./kit bench does that)
#   --reps N      repetitions of each benchmark (3)
#   --min-time S  Google Benchmark's --benchmark_min_time and go test's
#                 -benchtime, seconds per run (1)
#   --rows REGEX  only the rows whose key matches (keys: switch0 switch
#                 switchg switchnofp mcall systemstack spawn spawn1 pingpong
#                 pingpong2 yield2 skynet fib27 yield parked lockadd)
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
PARKED_GORT=$BUILD/bench/gort_parked_bench
PARKED_FIBER=$BUILD/bench/gort_fiber_parked_bench
PARKED_GO=$BUILD/bench/go_parked

build=1 reps=3 min_time=1 rows=.
while (($#)); do
  case $1 in
    --no-build) build=0 ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    --rows) rows=$2; shift ;;
    -h | --help) sed -n '2,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
  cmake --build "$BUILD" --target gort_sched_bench gort_switch_bench gort_parked_bench \
    gort_fiber_parked_bench >>"$LOG" 2>&1 ||
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
  if ! (cd bench/go && GOCACHE=$ROOT/build/go-cache GOPATH=$ROOT/build/go-path \
        GO111MODULE=on GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
        go build -o "$PARKED_GO" parked.go) >>"$LOG" 2>&1; then
    die "go build parked.go failed; see ${LOG#"$ROOT"/}"
  fi
else
  say "go not found: the Go column will say n/a (apt-get install golang-go)"
  GOBIN="" PARKED_GO=""
fi
[[ -x $PARKED_FIBER ]] || PARKED_FIBER=""

say "$reps repetitions of every row, ${min_time}s per run, peers back to back (several minutes)"
python3 - "$BIN" "$SWBIN" "$GOBIN" "$go_version" "$reps" "$min_time" "$rows" "$JSON" "$LOG" \
  "$PARKED_GORT" "$PARKED_FIBER" "$PARKED_GO" <<'EOF'
import json, re, statistics, subprocess, sys

(bin_, swbin, gobin, go_version, reps, min_time, rows_re, json_path, log_path,
 parked_gort, parked_fiber, parked_go) = sys.argv[1:13]
reps = int(reps)
log = open(log_path, "a")

# One row per metric: key, label, gort's benchmark, the peers' benchmarks
# (peer -> name), the goal's peer and the goal (max gort/peer; None: shown
# for context). Switch rows live in gort_switch_bench (ns per one-way
# switch), the scheduler rows in gort_sched_bench and go test; "parked" is
# bytes, from three small programs (parked below).
# The scheduler's own switch from goroutine to goroutine: setg and
# gort_swap where the CPU port has it (a solo P's direct switch,
# core/solo.cpp), else setg and gosave + gogo (each half of a trip through
# g0 is one of those).
listed = subprocess.run([swbin, "--benchmark_list_tests"], stdout=subprocess.PIPE, text=True).stdout.split()
SCHED_SWITCH = "gort_swap_with_setg" if "gort_swap_with_setg" in listed else "gort_switch_with_setg"
PEERS = [("go", "Go"), ("fiber", "Boost.Fiber"), ("ctx", "Boost.Context"), ("uctx", "ucontext")]
SW = {"ctx": "boost_context_fiber", "uctx": "ucontext_swapcontext"}
ROWS = [
    ("switch0", "switch, bare (gosave + gogo)", "gort_gosave_gogo", SW, None, None),
    ("switch", "switch as the scheduler does it (+ current G)", SCHED_SWITCH, SW, "ctx", 0.8),
    ("switchg", "(context) switch through gosave + gogo (+ current G)", "gort_switch_with_setg", SW, None, None),
] + ([
    # What the FP-control promise costs: the scheduler's switch without it
    # (bench/swap_nofp_amd64.S; not gort's switch, amd64 only).
    ("switchnofp", "(context) the same without FP control (not gort)", "gort_swap_nofp_with_setg", SW, None, None),
] if "gort_swap_nofp_with_setg" in listed else []) + [
    ("mcall", "mcall round trip, per switch", "gort_mcall_roundtrip", SW, None, None),
    ("systemstack", "systemstack round trip, per switch", "gort_systemstack_roundtrip", SW, None, None),
    ("spawn", "spawn + complete, 2 Ps", "gort_spawn", {"go": "Spawn", "fiber": "boost_fiber_spawn"}, "go", 0.25),
    ("spawn1", "(context) spawn + complete, 1 P", "gort_spawn1", {"go": "Spawn1"}, None, None),
    ("pingpong", "chan ping-pong round trip, 1 P", "gort_pingpong",
     {"go": "PingPong", "fiber": "boost_fiber_pingpong"}, "go", 0.25),
    ("pingpong2", "chan ping-pong round trip, 2 Ps", "gort_pingpong2",
     {"go": "PingPong2", "fiber": "boost_fiber_pingpong2"}, "go", 0.5),
    ("yield2", "yield, 2 goroutines take turns, 1 P", "gort_yield2",
     {"go": "Yield2", "fiber": "boost_fiber_yield2"}, "go", 0.3),
    ("skynet", "skynet 10^6, 2 Ps", "gort_skynet", {"go": "Skynet", "fiber": "boost_fiber_skynet"}, "go", 0.5),
    ("fib27", "fork-join fib(27), 2 Ps", "gort_fib27", {"go": "Fib27", "fiber": "boost_fiber_fib27"}, "go", 0.5),
    ("yield", "(context) yield, 1 goroutine alone, 1 P", "gort_yield",
     {"go": "Yield", "fiber": "boost_fiber_yield"}, None, None),
    ("parked", "bytes per parked goroutine, smallest stack", "parked",
     {"go": "parked", "fiber": "parked"}, None, None),
    # Not gort: the price of one locked read-modify-write here, the unit of
    # the floors docs/PERF.md counts (bench/sched_bench.cpp, locked_add).
    ("lockadd", "(context) one uncontended atomic add (not gort)", "locked_add", {}, None, None),
]
ROWS = [r for r in ROWS if re.search(rows_re, r[0])]
PARKED_N = 100000   # parked goroutines per measurement
PARKED_GOAL = 4608  # bytes (issue #14: at most 4.5 KB, smallest class)
to_ns = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
everything = []
errors = {}

def gbench(binary, name):
    """(wall, cpu) ns per operation of one Google Benchmark run (the switch
    bench: CPU ns per switch, both)."""
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
            v = r["ns_per_switch"] * 1e9  # stored in seconds
            return v, v
        wall = r["real_time"] * to_ns[r.get("time_unit", "ns")]
        return wall, wall * r.get("cpus", 0)
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
        m = re.match(r"^Benchmark(\w+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) cpu-ns/op)?", line)
        if m and m.group(1) == name:
            return float(m.group(3)), float(m.group(4) or 0)
    errors["Go " + name] = "no result"
    return None

def parked(who):
    """Resident bytes per parked goroutine (fiber), PARKED_N of them: gort
    on its smallest stack class, Go, Boost.Fiber on 16 KiB fixedsize stacks."""
    cmd = {"gort": [parked_gort, str(PARKED_N), "4096"], "go": [parked_go, str(PARKED_N)],
           "fiber": [parked_fiber, str(PARKED_N)]}[who]
    if not cmd[0]:
        return None
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.write("$ %s\n%s\n" % (" ".join(cmd), p.stdout))
    log.flush()
    m = re.search(r"([\d.]+) bytes RSS each", p.stdout)
    if p.returncode != 0 or not m:
        errors["parked " + who] = "exit status %d" % p.returncode if p.returncode else "no result"
        return None
    v = float(m.group(1))
    return v, v

def measure(who, name):
    if name == "parked":
        return parked(who)
    if who == "go":
        return gotest(name)
    return gbench(swbin if who in ("gort_sw", "ctx", "uctx") else bin_, name)

res = {r[0]: {k: [] for k in ["gort"] + [p for p, _ in PEERS] + ["r_" + p for p, _ in PEERS] + ["cpu"]}
       for r in ROWS}
for rep in range(reps):
    for key, label, g, peers, goal_peer, goal in ROWS:
        d = res[key]
        gv = measure("gort_sw" if "ctx" in peers else "gort", g)
        if gv is not None:
            d["gort"].append(gv[0])
        for p, _ in PEERS:
            if p not in peers:
                continue
            pv = measure(p, peers[p])
            if pv is None:
                continue
            d[p].append(pv[0])
            if gv is not None and pv[0]:
                d["r_" + p].append(gv[0] / pv[0])
                if p == goal_peer and gv[1] and pv[1]:
                    d["cpu"].append(gv[1] / pv[1])
    print("bench_sched: repetition %d of %d done" % (rep + 1, reps), file=sys.stderr)

json.dump({"benchmarks": everything, "medians": res}, open(json_path, "w"), indent=1)

def med(v):
    return statistics.median(v) if v else None

def fmt(v):
    if v is None:
        return "-"
    return "{:,.0f}".format(v) if v >= 10000 else "{:.1f}".format(v)

def fr(v):
    return "-" if v is None else ("%.2f" % v if v >= 0.1 else "%.3f" % v)

short = {"go": "/Go", "fiber": "/Fiber", "ctx": "/Ctx", "uctx": "/uctx"}
table = [tuple(["benchmark", "gort"] + [n for _, n in PEERS] + ["gort" + short[p] for p, _ in PEERS] +
               ["cpu ratio", "goal"])]
missed = 0
for key, label, g, peers, goal_peer, goal in ROWS:
    d = res[key]
    if key == "parked":
        v = med(d["gort"])
        verdict = "<= %d B %s" % (PARKED_GOAL, "-" if v is None else ("met" if v <= PARKED_GOAL else "MISSED"))
    elif goal is None:
        verdict = "-"
    else:
        rs = d["r_" + goal_peer]
        r = med(rs)
        verdict = "<= %.2f%s %s" % (goal, short[goal_peer], "n/a" if r is None else ("met" if r <= goal else "MISSED"))
        if len(rs) > 1:
            # The spread of the ratio over the repetitions: a verdict
            # decided inside it depends on the run (Go's own figure moves
            # most: spawn on 2 Ps from 143 to 254 ns over one day here).
            verdict += " (%s-%s)" % (fr(min(rs)), fr(max(rs)))
    missed += "MISSED" in verdict
    table.append(tuple([label, fmt(med(d["gort"]))] + [fmt(med(d[p])) for p, _ in PEERS] +
                       [fr(med(d["r_" + p])) for p, _ in PEERS] + [fr(med(d["cpu"])), verdict]))

widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
def line(row):
    cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])]
    return " | ".join(cells + [row[-1].ljust(widths[-1])]).rstrip()

print("gort beside its peers (native; ns per operation, bytes for the last row; medians of %d "
      "interleaved repetitions)" % reps)
print(line(table[0]))
print("-+-".join("-" * w for w in widths))
for row in table[1:]:
    print(line(row))
print("  gort/X: the median over the repetitions of gort's figure over X's in the same repetition;")
print("  lower is better. The goal names the peer it is judged against (wall time), then the")
print("  lowest and highest of that ratio over the repetitions; cpu ratio is the same median for")
print("  the goal's peer with process CPU time per operation (all threads).")
print("  Switch rows: ns per one-way switch; Boost.Context: fiber::resume; ucontext: swapcontext,")
print("  which also saves and restores the signal mask (a system call). The scheduler's switch is")
print("  %s: %s." % (SCHED_SWITCH, "setg + gort_swap, a solo P's direct switch from goroutine to goroutine"
                   if SCHED_SWITCH == "gort_swap_with_setg" else "setg + gosave/gogo (no gort_swap in this port)"))
if any(r[0] == "switchnofp" for r in ROWS):
    print("  (context) without FP control: the same switch minus saving and loading MXCSR and the x87")
    print("  control word, which gort keeps per goroutine (bench/swap_nofp_amd64.S): what that costs.")
print("  Go: %s, GOMAXPROCS as in the row." % (go_version or "not installed"))
print("  Boost.Fiber: one thread, pooled 64 KiB stacks (ping-pong on 2 Ps: two threads); skynet and")
print("  fib(27) under a LIFO scheduler (bench/sched_bench.cpp).")
print("  (context) yield has no goal: gort's yield returns at once when nothing else could run.")
print("  Parked: resident bytes per parked goroutine, %d parked on one channel; gort's smallest" % PARKED_N)
print("  class (4 KiB), Go's 2 KiB start, Boost.Fiber's fixedsize_stack of 16 KiB.")
if any(r[0] == "lockadd" for r in ROWS):
    print("  (context) atomic add: no runtime, one relaxed fetch_add on a line no other thread")
    print("  touches (x86: lock xadd), the price of each locked instruction a row makes.")
print("  %d goal(s) missed" % missed)
if errors:
    for n, e in sorted(errors.items()):
        print("  %s: %s" % (n, e))
    sys.exit(1)
EOF
