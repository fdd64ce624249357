#!/usr/bin/env python3
"""gdb_test.py: debug tests/gdb/parked.cpp with gdb and tools/gdb/gort.py.

Natively, gdb runs the program itself. With --emulator (qemu-<cpu>), the
program runs under QEMU user-mode emulation with its gdb stub waiting on a
Unix socket (qemu-<cpu> -g PATH), and gdb-multiarch attaches to it with
`target remote PATH`. Either way gdb stops the program in gdb_stop_here(),
runs check_goroutines.py, and this script passes if that says PASS.
Natively the program also dumps core there (PARKED_ABORT), and a second
gdb runs the same checks on the core file.

The gort extension is not sourced: gdb must load it from the program's
.debug_gdb_scripts section (core/gdbinfo.cpp); the safe path allows it.

Exit status: 0 pass, 1 fail, 77 skipped (no gdb: ctest's SKIP_RETURN_CODE).
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77


def dump_core(program, tmp):
    """Run program with PARKED_ABORT set in tmp; the core file it leaves, or None."""
    import resource

    def unlimited_core():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    env = dict(os.environ, PARKED_ABORT="1")
    subprocess.run([os.path.abspath(program)], cwd=tmp, env=env, preexec_fn=unlimited_core,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    cores = [f for f in os.listdir(tmp) if f.startswith("core")]
    return os.path.join(tmp, cores[0]) if cores else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gdb", required=True, help="gdb (native) or gdb-multiarch (emulated)")
    ap.add_argument("--program", required=True)
    ap.add_argument("--emulator", default="", help="the target's emulator command, e.g. qemu-aarch64")
    ap.add_argument("--timeout", type=float, default=240)
    args = ap.parse_args()

    gdb = shutil.which(args.gdb)
    if gdb is None:
        print("SKIP: %s not found (./kit deps installs gdb and gdb-multiarch)" % args.gdb)
        return SKIP
    emulator = shlex.split(args.emulator)
    common = [gdb, "-nx", "-batch",
              "-iex", "set auto-load safe-path /",
              "-iex", "set pagination off",
              "-iex", "set width 0",
              "-iex", "set confirm off"]
    check = os.path.join(HERE, "check_goroutines.py")
    qemu = None
    tmp = tempfile.mkdtemp(prefix="gort-gdb-")
    try:
        if not emulator:
            cmd = common + ["-ex", "break gdb_stop_here", "-ex", "run",
                            "-x", check, "-ex", "kill", args.program]
        else:
            if shutil.which(emulator[0]) is None:
                print("SKIP: %s not found" % emulator[0])
                return SKIP
            sock = os.path.join(tmp, "gdb.sock")
            qemu = subprocess.Popen(emulator + ["-g", sock, args.program],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            deadline = time.time() + 30
            while not os.path.exists(sock):
                if qemu.poll() is not None or time.time() > deadline:
                    print(qemu.stdout.read().decode(errors="replace"))
                    print("FAIL: %s -g %s did not open its gdb socket" % (emulator[0], sock))
                    return 1
                time.sleep(0.05)
            cmd = common + ["-iex", "set sysroot /nonexistent",
                            "-ex", "target remote " + sock,
                            "-ex", "break gdb_stop_here", "-ex", "continue",
                            "-x", check, "-ex", "kill", args.program]
        print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=args.timeout)
            out = p.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") + "\nTIMEOUT after %ds\n" % args.timeout
        print(out)
        if qemu is not None:
            try:
                qemu.wait(timeout=10)
            except subprocess.TimeoutExpired:
                qemu.kill()
                qemu.wait()
            print("--- %s:\n%s" % (emulator[0], qemu.stdout.read().decode(errors="replace")))
        if "GORT-GDB: PASS" not in out:
            print("FAIL: check_goroutines.py did not pass")
            return 1
        if not emulator:
            # The same program dumping core where gdb stopped it, and the same
            # checks on the core file. (The kernel's core, not gdb's gcore:
            # gcore reads memory a megabyte at a time and writes zeros for a
            # whole megabyte that holds a guard marker, Linux 6.13+'s
            # MADV_GUARD_INSTALL, which is most of gort's stack memory.)
            core = dump_core(args.program, tmp)
            if core is None:
                print("NOTE: no core file in %s (kernel.core_pattern: %s): core-file check not run"
                      % (tmp, open("/proc/sys/kernel/core_pattern").read().strip()))
                return 0
            cmd = common + ["-iex", "set $gort_core = 1", "-x", check, args.program, core]
            print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=args.timeout)
            out = p.stdout.decode(errors="replace")
            print(out)
            if "GORT-GDB: PASS" not in out:
                print("FAIL: check_goroutines.py did not pass on the core file")
                return 1
        return 0
    finally:
        if qemu is not None and qemu.poll() is None:
            qemu.kill()
            qemu.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
