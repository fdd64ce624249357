# check_goroutines.py: run inside gdb (gdb -x) by gdb_test.py, once the
# program tests/gdb/parked.cpp has stopped in gdb_stop_here(). Runs the
# commands of tools/gdb/gort.py, prints their output, checks it, and ends
# with "GORT-GDB: PASS" or "GORT-GDB: FAIL" and the reasons.
import re

import gdb

failures = []
# Set (gdb -iex 'set $gort_core = 1') when gdb reads a core file of the
# program instead: no thread is "the one that hit the breakpoint" there.
core = gdb.convenience_variable("gort_core") is not None


def run(cmd, may_fail=False):
    gdb.write("(gdb) %s\n" % cmd)
    try:
        out = gdb.execute(cmd, to_string=True)
    except gdb.error as e:
        out = "ERROR: %s\n" % e
        if not may_fail:
            failures.append("%s: %s" % (cmd, e))
    gdb.write(out)
    return out


def check(ok, what):
    if not ok:
        failures.append(what)


# id -> (status, wait reason, the function `info goroutines` must name)
EXPECT = {
    1: ("running", "", "gdb_stop_here"),
    2: ("waiting", "chan receive", "parked_in_recv"),
    3: ("waiting", "select", "parked_in_select"),
    4: ("waiting", "sleep", "parked_in_sleep"),
    5: ("waiting", "WaitGroup.wait", "parked_in_waitgroup"),
    6: ("waiting", "Mutex.lock", "parked_in_mutex"),
    7: ("blocking call", "", "read"),  # inside read(2), called by blocked_in_read
    8: ("waiting", "chan receive", "parked_on_segment"),
}
# Frames each backtrace must show, innermost first (other frames may sit
# between them), down to the goroutine's entry (goentry in core/proc.cpp).
# Only frames no compiler inlines: gopark, for one, is inlined into
# chan_recv by GCC 12 for ppc64le, and is then no frame of its own.
CHAIN = {
    1: ["gdb_stop_here", "goentry"],
    2: ["gort::detail::chan_recv", "parked_in_recv", "goentry"],
    3: ["gort::detail::selectgo", "parked_in_select", "goentry"],
    4: ["parked_in_sleep", "goentry"],
    5: ["parked_in_waitgroup", "goentry"],
    6: ["parked_in_mutex", "goentry"],
    # From the M's system stack (g0) back to the goroutine's own.
    7: ["read", "blocked_in_read", "gort_systemstack", "in_blocking_call", "goentry"],
    # From a morestack segment back to the goroutine's stack.
    8: ["parked_on_segment", "gort::rt::morestack", "parked_below_segment", "goentry"],
}
# What frame #0 of a parked goroutine may be: mcall (inlined into the park
# path), where the saved pc still falls inside mcall's inlined range. Where
# the whole park path is inlined into its caller (WaitGroup::wait and
# Mutex::lock's fast paths) the call to gort_mcall ends that range, and the
# saved pc, the return address, belongs to the function that parked: gdb
# looks frame #0 up at its pc exactly, not at pc-1 as for callers.
FRAME0 = {
    2: ("gort::rt::mcall",),
    3: ("gort::rt::mcall",),
    4: ("gort::rt::mcall",),
    5: ("gort::rt::mcall", "gort::WaitGroup::wait", "parked_in_waitgroup"),
    6: ("gort::rt::mcall", "gort::Mutex::lock", "parked_in_mutex"),
    8: ("gort::rt::mcall",),
}

before = run("frame")

out = run("info auto-load python-scripts")
check(re.search(r"Yes\s+gort-gdb\.py", out),
      "gort-gdb.py was not auto-loaded from the program's .debug_gdb_scripts section")

out = run("info goroutines")
rows = {}
for line in out.splitlines()[1:]:
    m = re.match(r"^([* ]) (\d+)\s+(blocking call|\S+)\s+(.*)$", line)
    if m:
        rows[int(m.group(2))] = (m.group(1) == "*", m.group(3), m.group(4))
check(sorted(rows) == sorted(EXPECT),
      "info goroutines lists ids %s, expected %s (main is 1, then creation order)"
      % (sorted(rows), sorted(EXPECT)))
for gid, (status, reason, fn) in EXPECT.items():
    if gid not in rows:
        continue
    star, st, rest = rows[gid]
    check(st == status, "goroutine %d: status %r, expected %r" % (gid, st, status))
    check(rest.startswith(reason), "goroutine %d: wait reason in %r, expected %r" % (gid, rest, reason))
    if not (core and gid == 1):  # in the core, 1 is inside abort()
        check(fn in rest, "goroutine %d: function %r not in %r" % (gid, fn, rest))
    if not core:
        check(star == (gid == 1), "goroutine %d: '*' %s" % (gid, "missing" if gid == 1 else "wrongly set"))
check("[thread" in rows.get(7, (0, 0, ""))[2], "goroutine 7 (blocking call) shows no thread")


def frames_of(text):
    return [l for l in text.splitlines() if re.match(r"^#\d+\s", l)]


for gid, chain in CHAIN.items():
    fr = frames_of(run("goroutine %d bt" % gid))
    check(fr and fr[0].startswith("#0 "), "goroutine %d bt: no frame #0" % gid)
    i = 0
    for f in fr:
        if i < len(chain) and chain[i] in f:
            i += 1
    check(i == len(chain), "goroutine %d bt: frames %s not found in order (found %d)"
          % (gid, chain, i))
    if gid in FRAME0:
        check(any(n in fr[0] for n in FRAME0[gid]) if fr else False,
              "goroutine %d bt: frame #0 is none of %s" % (gid, FRAME0[gid]))

# A variable of a suspended goroutine's frame, read through that frame's CFA.
fr = frames_of(run("goroutine 2 bt"))
k = next((int(re.match(r"#(\d+)", f).group(1)) for f in fr if "parked_in_recv" in f), None)
check(k is not None, "goroutine 2 bt: no parked_in_recv frame")
if k is not None:
    out = run("goroutine 2 frame %d" % k)
    check(re.match(r"#%d\s.*parked_in_recv" % k, out), "goroutine 2 frame %d: %r" % (k, out))
    out = run("goroutine 2 frame %d print tag" % k)
    check(re.search(r"= 1234\b", out), "goroutine 2 frame %d print tag: %r" % (k, out))

out = run("goroutine all bt")
for gid, (status, reason, fn) in EXPECT.items():
    check(re.search(r"^goroutine %d \[%s\]" % (gid, re.escape(reason or status)), out, re.M),
          "goroutine all bt: no header for goroutine %d" % gid)
    check(fn in out, "goroutine all bt: %s missing" % fn)

out = run("goroutine 99 bt", may_fail=True)
check("no goroutine 99" in out, "goroutine 99 bt: %r" % out)

# The commands leave gdb's selection as they found it.
after = run("frame")
# (The first line: gdb words a missing source file differently the second time.)
check(after.split("\n")[0] == before.split("\n")[0],
      "the selected frame changed: %r -> %r" % (before, after))

if failures:
    gdb.write("GORT-GDB: FAIL\n" + "".join("  - %s\n" % f for f in failures))
else:
    gdb.write("GORT-GDB: PASS\n")
