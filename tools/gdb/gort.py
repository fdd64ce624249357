# gort.py: gdb commands for programs that run gort (goroutines for C++).
#
#   info goroutines                  every goroutine: id, status, wait reason
#                                    and the function it is in (the innermost
#                                    frame outside gort); "*" marks the one
#                                    running on the selected thread
#   goroutine N bt [full] [COUNT]    goroutine N's backtrace (also backtrace,
#                                    where)
#   goroutine N frame K [COMMAND]    print frame K of goroutine N, or run a gdb
#                                    COMMAND there ("info locals", "print x")
#   goroutine all bt [full] [COUNT]  every goroutine's backtrace
#
# Loading. Programs linked with libgort on ELF targets carry this file in a
# .debug_gdb_scripts section (core/gdbinfo.cpp); gdb runs it when it loads the
# program if `auto-load safe-path` allows the file, e.g. in ~/.gdbinit:
#   add-auto-load-safe-path /path/to/your/build
# or load it by hand: `source <prefix>/share/gort/gdb/gort.py`.
#
# Where the facts come from. The program holds a table, gort_gdb_info
# (core/gdbinfo.cpp), that the compiler fills from the runtime's own
# declarations: offsets of the fields of G, M and Sched, the address of the
# running run's Sched (g_sched), the G status values, and the CPU port's
# Gobuf layout from gort_arch.h: where sp and pc are saved, and the DWARF
# number and Gobuf offset of every saved integer register
# (GORT_GOBUF_DWARF). This script holds no offset of its own, needs no debug
# information for libgort, and reads the table of whatever CPU the program
# was built for (one gdb-multiarch serves all of them). The one per-CPU fact
# here is the psABI's: which gdb register a DWARF register number names
# (_DWARF_NAMES, checked against gdb's register list when a goroutine is
# unwound).
#
# Goroutines. The run's Sched lists every G it made (allgs, linked by
# alllink). A goroutine that runs, or is inside a blocking call, is on a
# thread: the one whose sp lies in the G's stack, or on the system stack (g0)
# of the M whose curg it is (gort's signal handler finds a G the same way).
# Its frames are that thread's. Any other goroutine is suspended: its
# context is in its Gobuf (saved sp, pc and callee-saved registers), and a
# Python unwinder hands exactly those registers to gdb as the caller of the
# selected thread's innermost frame; gdb's own unwinder (DWARF CFI, ARM
# EHABI) takes it from there. Nothing is written to the program: this works
# on a live process, a core file, and a remote target such as QEMU's gdb
# stub. Where a goroutine's frames cross stacks (systemstack to g0 in a
# blocking call, morestack to a segment), gdb refuses a caller whose frame
# lies below its callee's ("previous frame inner to this frame"), which
# happens whenever the caller's stack is the lower one; the script then
# reads that caller's registers from the switching frame's unwind
# information (`info frame`) and carries on from them the same way.
#
# Rejected: writing the Gobuf's registers into a stopped thread, running
# `bt` and writing the old ones back (it changes the program: on Linux gdb
# cancels the restart of an interrupted system call when pc is written;
# impossible on a core file); unwinding in Python (gdb's unwinder already
# knows every CPU's CFI and its quirks).
import re

import gdb
import gdb.unwinder

# DWARF register number -> gdb register name, per gdb architecture (the
# psABI's numbering; gort_arch.h's GORT_DWARF_* use the same). "pc" and
# "sp" name the registers gdb unwinds pc and sp into.
def _table(*parts, pc, sp, state=None):
    """{DWARF number: name} from lists (numbered from 0) and dicts, plus pc
    and sp; "state": f(pending frame, pc) -> [(name, value)], registers
    gdb's unwinder for the CPU reads from every frame besides those a
    Gobuf holds (a mode or status word: ARM's cpsr, s390x's pswm)."""
    t = {}
    for p in parts:
        t.update(p if isinstance(p, dict) else dict(enumerate(p)))
    t["pc"], t["sp"], t["state"] = pc, sp, state
    return t


def _arm_state(pf, pc):
    # The thread's cpsr, with the Thumb bit (5) of the code at pc: gdb
    # reads a frame's instruction set from it (and Thumb return addresses
    # have bit 0 set).
    cpsr = int(pf.read_register("cpsr")) & ~0x20
    return [("cpsr", cpsr | (0x20 if pc & 1 else 0))]


def _s390_state(pf, pc):
    # The PSW's mask half: gdb unwinds each frame's from its callee's.
    return [("pswm", int(pf.read_register("pswm")))]


def _seq(fmt, lo, hi):
    return {n: fmt % n for n in range(lo, hi)}


_DWARF_NAMES = [
    ("i386:x86-64", _table(["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp"], _seq("r%d", 8, 16),
                           {16: "rip"}, pc="rip", sp="rsp")),
    ("i386", _table(["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip"], pc="eip", sp="esp")),
    ("aarch64", _table(_seq("x%d", 0, 31), {31: "sp"}, pc="pc", sp="sp")),
    ("arm", _table(_seq("r%d", 0, 13), {13: "sp", 14: "lr"}, pc="pc", sp="sp", state=_arm_state)),
    ("riscv", _table(["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1"]
                     + ["a%d" % i for i in range(8)] + ["s%d" % i for i in range(2, 12)]
                     + ["t%d" % i for i in range(3, 7)], pc="pc", sp="sp")),
    ("powerpc", _table(_seq("r%d", 0, 32), {65: "lr"}, pc="pc", sp="r1")),
    ("s390", _table(_seq("r%d", 0, 16), pc="pswa", sp="r15", state=_s390_state)),
    ("mips", _table(["zero", "at", "v0", "v1", "a0", "a1", "a2", "a3"],
                    {16 + i: "s%d" % i for i in range(8)},
                    {24: "t8", 25: "t9", 28: "gp", 29: "sp", 30: "s8", 31: "ra"}, pc="pc", sp="sp")),
]


class GortError(gdb.GdbError):
    pass


def _dwarf_names(arch):
    name = arch.name()
    for prefix, table in _DWARF_NAMES:
        if name.startswith(prefix):
            return table
    raise GortError("gort: no DWARF register names for gdb architecture %s (tools/gdb/gort.py)" % name)


class Runtime:
    """The program's gort_gdb_info table and readers of its memory."""

    def __init__(self):
        self.inf = gdb.selected_inferior()
        try:
            base = int(gdb.parse_and_eval("(char*)&gort_gdb_info"))
        except gdb.error:
            raise GortError("gort: no gort_gdb_info in this program (not linked with gort, "
                            "or its symbols were stripped)")
        self.ptrsize = gdb.lookup_type("void").pointer().sizeof
        self.big = "big endian" in gdb.execute("show endian", to_string=True)
        self.fields = {}   # "G.goid" -> (offset, size), "Gobuf.pc" -> (offset, size)
        self.values = {}   # the same keys -> offset; "G.size", "version" -> value
        self.status = {}   # "waiting" -> value
        self.status_name = {}  # value -> "waiting" (status_name in sched.hpp)
        self.regs = []     # (dwarf number, Gobuf offset)
        self.g_sched = 0
        w = self.ptrsize
        for i in range(256):
            key, a, b, p = self.words(base + i * 4 * w, 4)
            if key == 0:
                break
            k = self.cstring(key)
            a, b = self.signed(a), self.signed(b)
            if k == "reg":
                self.regs.append((a, b))
            elif k.startswith("Gstatus."):
                self.status[k[8:]] = a
                self.status_name[a] = self.cstring(p)
            elif k == "g_sched":
                self.g_sched = p
            elif k == "arch":
                self.arch = self.cstring(p)
            else:
                self.fields[k] = (a, b)
                self.values[k] = a
        if self.values.get("version") != 1:
            raise GortError("gort: gort_gdb_info version %s, this script knows 1"
                            % self.values.get("version"))
        if self.values.get("ptrsize") != w:
            raise GortError("gort: gort_gdb_info says %s-byte pointers, gdb %d"
                            % (self.values.get("ptrsize"), w))

    # ---- memory ----
    def read(self, addr, n):
        return bytes(self.inf.read_memory(addr, n))

    def int(self, b):
        return int.from_bytes(b, "big" if self.big else "little")

    def signed(self, v):
        bits = 8 * self.ptrsize
        return v - (1 << bits) if v >> (bits - 1) else v

    def words(self, addr, n):
        w = self.ptrsize
        b = self.read(addr, n * w)
        return [self.int(b[i * w:(i + 1) * w]) for i in range(n)]

    def word(self, addr):
        return self.words(addr, 1)[0]

    def cstring(self, addr, limit=200):
        if addr == 0:
            return ""
        out = b""
        while len(out) < limit:
            try:
                chunk = self.read(addr + len(out), 16)
            except gdb.MemoryError:
                chunk = self.read(addr + len(out), 1)
            if b"\0" in chunk:
                return (out + chunk[:chunk.index(b"\0")]).decode("utf-8", "replace")
            out += chunk
        return out.decode("utf-8", "replace")

    def struct(self, name, addr):
        """The object of type name (G, M) at addr, as a field reader."""
        return Struct(self, name, addr, self.read(addr, self.values[name + ".size"]))

    # ---- the run ----
    def sched(self):
        if self.g_sched == 0:
            return 0
        return self.word(self.g_sched)

    def allgs(self):
        s = self.sched()
        if s == 0:
            raise GortError("gort: no run active (gort::run has not started, or has returned)")
        off = self.fields["Sched.allgs"][0]
        gs, seen = [], set()
        g = self.word(s + off)
        while g != 0 and g not in seen and len(gs) < 10000000:
            seen.add(g)
            gs.append(self.struct("G", g))
            g = gs[-1].alllink
        # allgs is newest first.
        gs.sort(key=lambda g: g.goid)
        return gs

    def allms(self):
        s = self.sched()
        ms, seen = [], set()
        m = self.word(s + self.fields["Sched.allm"][0]) if s else 0
        while m != 0 and m not in seen:
            seen.add(m)
            ms.append(self.struct("M", m))
            m = ms[-1].alllink
        return ms

    def live(self, g):
        return g.status not in (self.status["dead"], self.status["idle"])


class Struct:
    def __init__(self, rt, name, addr, data):
        self._rt, self._name, self.addr, self._data = rt, name, addr, data

    def __getattr__(self, f):
        off, size = self._rt.fields[self._name + "." + f]
        return self._rt.int(self._data[off:off + size])

    def at(self, off, size):
        return self._rt.int(self._data[off:off + size])


# ---- threads ---------------------------------------------------------------

class Selection:
    """Saves gdb's selected thread and frame; restores them on exit."""

    def __enter__(self):
        self.thread = gdb.selected_thread()
        try:
            self.level = gdb.selected_frame().level()
        except gdb.error:
            self.level = None
        return self

    def __exit__(self, *exc):
        _unwinder.disable()
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
            if self.level is not None:
                f = gdb.newest_frame()
                for _ in range(self.level):
                    if f.older() is None:
                        break
                    f = f.older()
                f.select()
        return False


def _thread_sp(thread):
    thread.switch()
    try:
        return int(gdb.newest_frame().read_register("sp"))
    except gdb.error:
        return None


def thread_map(rt, gs):
    """{G address: gdb thread} for every goroutine that is on a thread, and
    the G on the thread selected when called (or None)."""
    stacks = [(g.stack_lo, g.stack_hi, g.addr) for g in gs if g.stack_hi]
    for m in rt.allms():
        for g0 in (m.g0, m.gsignal):
            if g0:
                s = rt.struct("G", g0)
                if s.stack_hi:
                    stacks.append((s.stack_lo, s.stack_hi, ("m", m.curg)))
    selected = gdb.selected_thread()
    on, selected_g = {}, None
    for t in gdb.selected_inferior().threads():
        if not t.is_valid():
            continue
        sp = _thread_sp(t)
        if sp is None:
            continue
        for lo, hi, who in stacks:
            if lo <= sp < hi:
                g = who[1] if isinstance(who, tuple) else who
                if g:
                    on.setdefault(g, t)
                    if t == selected:
                        selected_g = g
                break
    return on, selected_g


# ---- unwinding a suspended goroutine ---------------------------------------

class _FrameId:
    # gdb 13 wants gdb.Values here (gdb 14 has gdb.unwinder.FrameId).
    def __init__(self, sp, pc):
        self.sp, self.pc = gdb.Value(sp), gdb.Value(pc)


class GobufUnwinder(gdb.unwinder.Unwinder):
    """While enabled for a thread, claims that thread's innermost real frame
    (level `level`, past any inline frames at its pc) and says that its
    caller's registers are those of a Gobuf: the suspended goroutine's
    innermost frame becomes that frame's caller."""

    def __init__(self):
        super().__init__("gort-gobuf")
        self.regs = None

    def enable(self, thread, level, sp, pc, regs):
        self.ptid, self.level, self.sp, self.pc, self.regs = thread.ptid, level, sp, pc, regs
        gdb.invalidate_cached_frames()

    def disable(self):
        if self.regs is not None:
            self.regs = None
            gdb.invalidate_cached_frames()

    def __call__(self, pf):
        if self.regs is None or pf.level() != self.level:
            return None
        t = gdb.selected_thread()
        if t is None or t.ptid != self.ptid:
            return None
        # An id below the goroutine's sp: gdb's check that each caller is
        # outer to its callee then holds for the goroutine's first frame.
        info = pf.create_unwind_info(_FrameId(self.sp - 1, self.pc))
        regs = list(self.regs)
        state = _dwarf_names(pf.architecture())["state"]
        if state is not None:
            regs += state(pf, self.pc)
        for name, value in regs:
            info.add_saved_register(name, gdb.Value(value).cast(pf.read_register(name).type))
        # Where the arch's pc is a pseudo register computed from a raw one
        # (s390's "pc" from pswa), gdb 13 asks the unwinder for the pseudo
        # register itself when it unwinds the pc: give it too.
        pcname = _dwarf_names(pf.architecture())["pc"]
        if pcname != "pc" and "pc" in _arch_register_names(pf.architecture()):
            info.add_saved_register("pc", gdb.Value(self.pc).cast(pf.read_register("pc").type))
        return info


_register_names = {}


def _arch_register_names(arch):
    n = _register_names.get(arch.name())
    if n is None:
        n = _register_names[arch.name()] = {r.name for r in arch.registers()}
    return n


_unwinder = GobufUnwinder()
gdb.unwinder.register_unwinder(None, _unwinder, replace=True)


def gobuf_regs(rt, g):
    """(sp, pc, [(gdb register name, value)]) of a suspended G's Gobuf."""
    names = _dwarf_names(gdb.selected_inferior().architecture())
    base = rt.fields["G.sched"][0]
    w = rt.ptrsize
    sp = g.at(base + rt.values["Gobuf.sp"], w)
    pc = g.at(base + rt.values["Gobuf.pc"], w)
    regs = [(names["pc"], pc), (names["sp"], sp)]
    for n, off in rt.regs:
        if n not in names:
            raise GortError("gort: DWARF register %d has no gdb name for %s (tools/gdb/gort.py)"
                            % (n, rt.arch))
        regs.append((names[n], g.at(base + off, w)))
    known = {r.name for r in gdb.selected_inferior().architecture().registers()}
    for name, _ in regs:
        if name not in known:
            raise GortError("gort: gdb has no register %s on %s (tools/gdb/gort.py)"
                            % (name, gdb.selected_inferior().architecture().name()))
    return sp, pc, regs


def _resume_at(sp, pc, regs):
    """Make (sp, pc, regs) the caller of the selected thread's innermost
    real frame (inline frames at its pc come first, and gdb asks unwinders
    about real frames only); return that caller's gdb frame."""
    _unwinder.disable()
    f0 = gdb.newest_frame()
    while f0.type() in (gdb.INLINE_FRAME, gdb.TAILCALL_FRAME) and f0.older() is not None:
        f0 = f0.older()
    level = f0.level()
    _unwinder.enable(gdb.selected_thread(), level, sp, pc, regs)
    f = gdb.newest_frame()
    for _ in range(level + 1):
        f = f.older() if f is not None else None
    return f


def caller_regs(rt, f):
    """(sp, pc, regs) of frame f's caller, as f's unwind information says
    (gdb's `info frame`: where f saved each register, and the caller's
    sp), for a caller gdb will not make a frame of."""
    names = _dwarf_names(gdb.selected_inferior().architecture())
    f.select()
    text = gdb.execute("info frame", to_string=True)
    saved = {}
    if "Saved registers:" in text:
        for m in re.finditer(r"\b(\w+) at (0x[0-9a-fA-F]+)", text.split("Saved registers:", 1)[1]):
            saved[m.group(1)] = int(m.group(2), 16)

    def unwound(name):
        if name in saved:
            return rt.word(saved[name])
        try:  # not saved by f: the caller's value is f's own
            return int(f.read_register(name))
        except (gdb.error, ValueError):
            return 0

    m = re.search(r"Previous frame's sp (is|at|in) (\S+)", text)
    if names["sp"] in saved or m is None:
        sp = unwound(names["sp"])
    elif m.group(1) == "is":
        sp = int(m.group(2), 16)
    elif m.group(1) == "at":
        sp = rt.word(int(m.group(2), 16))
    else:
        sp = int(f.read_register(m.group(2)))
    regs = [(names[n], unwound(names[n])) for n, _ in rt.regs]
    # The return-address column (GORT_DWARF_RA) holds the caller's pc.
    ra = names[rt.values["dwarf.ra"]]
    pc = unwound(names["pc"]) if names["pc"] in saved else unwound(ra)
    return sp, pc, [(names["pc"], pc), (names["sp"], sp)] + regs


class Goroutine:
    """One goroutine and how to see its frames."""

    def __init__(self, rt, g, thread):
        self.rt, self.g, self.thread = rt, g, thread
        self.id = g.goid
        st = g.status
        self.status = rt.status_name.get(st, "status %d" % st)
        self.waiting = st == rt.status["waiting"]
        self.reason = rt.cstring(g.waitreason) if self.waiting else ""
        self.started = g.at(rt.fields["G.sched"][0] + rt.values["Gobuf.pc"], rt.ptrsize) != 0
        # Its registers are a thread's, not its Gobuf's (stale while it runs).
        self.on_thread = st in (rt.status["running"], rt.status["syscall"])

    def frames(self):
        """gdb frames of the goroutine, innermost first. Call inside a
        Selection: it switches threads and enables the unwinder."""
        if self.thread is not None:
            self.thread.switch()
            _unwinder.disable()
            f = gdb.newest_frame()
        elif self.on_thread:
            return
        elif self.started:
            if gdb.selected_thread() is None:
                raise GortError("gort: no thread to unwind from")
            f = _resume_at(*gobuf_regs(self.rt, self.g))
        else:
            return
        hops = 0
        while f is not None:
            yield f
            try:
                older = f.older()
            except gdb.error:
                return
            # A stack switch (systemstack to g0, morestack to a segment):
            # gdb stops where a caller's frame lies below its callee's
            # ("previous frame inner to this frame"), as it may across a
            # switch, whichever way the two stacks lie in memory. Carry on
            # from the caller's registers, as for a Gobuf.
            if older is None and f.unwind_stop_reason() == gdb.FRAME_UNWIND_INNER_ID and hops < 16:
                hops += 1
                older = _resume_at(*caller_regs(self.rt, f))
            f = older

    def where(self):
        """The goroutine's function: its innermost frame outside gort."""
        if self.thread is None and self.on_thread:
            return "(on no thread gdb knows)"
        if self.thread is None and not self.started:
            return "(not started) " + symbol_at(self.g.fn_run)
        first = None
        try:
            for i, f in enumerate(self.frames()):
                if i >= 64:
                    break
                name = f.name()
                if first is None:
                    first = f
                if name and not _runtime_frame(name):
                    return _short_location(f)
        except gdb.error as e:
            return "(%s)" % e
        return _short_location(first) if first is not None else "?"


def _runtime_frame(name):
    return name.startswith("gort::") or name.startswith("gort_")


def symbol_at(addr):
    try:
        b = gdb.block_for_pc(addr)
        if b is not None and b.function is not None:
            return b.function.print_name
    except RuntimeError:
        pass
    s = gdb.execute("info symbol 0x%x" % addr, to_string=True).strip()
    return s.split(" in section")[0] if not s.startswith("No symbol") else "0x%x" % addr


def _short_location(f):
    sal = f.find_sal()
    name = f.name() or "0x%x" % f.pc()
    if sal.symtab is not None and sal.line:
        return "%s at %s:%d" % (name, sal.symtab.filename.split("/")[-1], sal.line)
    return name


def goroutines(rt):
    with Selection():
        gs = [g for g in rt.allgs() if rt.live(g)]
        on, selected = thread_map(rt, gs)
    running = (rt.status["running"], rt.status["syscall"])
    out = []
    for g in gs:
        t = on.get(g.addr) if g.status in running else None
        out.append((Goroutine(rt, g, t), g.addr == selected))
    return out


def find(rt, n):
    for gr, _ in goroutines(rt):
        if gr.id == n:
            return gr
    raise GortError("gort: no goroutine %d (info goroutines lists them)" % n)


def print_frame(k, f, source=False):
    f.select()
    text = gdb.execute("frame", to_string=True)
    text = re.sub(r"^#\d+\s*", "#%-3d" % k, text)
    if not source:
        text = text.split("\n")[0] + "\n"
    gdb.write(text)


def backtrace(gr, full=False, count=None):
    with Selection():
        n = 0
        for k, f in enumerate(gr.frames()):
            if count is not None and k >= count:
                gdb.write("(More stack frames follow...)\n")
                break
            print_frame(k, f)
            if full:
                loc = gdb.execute("info locals", to_string=True)
                gdb.write("".join("        " + line + "\n" for line in loc.splitlines()))
            n += 1
        if n == 0 and gr.on_thread:
            gdb.write("    (%s on no thread gdb knows: no registers to unwind from)\n" % gr.status)
        elif n == 0:
            gdb.write("    (not started: %s)\n" % symbol_at(gr.g.fn_run))


# ---- commands --------------------------------------------------------------

class InfoGoroutines(gdb.Command):
    """List the goroutines of the running gort program.
Usage: info goroutines
Each line: id, status, wait reason (for a waiting goroutine) and the
function it is in (its innermost frame outside gort), and the thread of
one that runs or is in a blocking call. "*" marks the goroutine running on
the selected thread."""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        rt = Runtime()
        rows = []
        with Selection():
            for gr, sel in goroutines(rt):
                where = gr.where()
                if gr.thread is not None:
                    where += "  [thread %d]" % gr.thread.num
                rows.append(("*" if sel else " ", str(gr.id), gr.status, gr.reason, where))
        w = [max([len(r[i]) for r in rows] + [len(h)]) for i, h in
             enumerate(["", "Id", "Status", "Wait reason", ""])]
        gdb.write("  %-*s  %-*s  %-*s  %s\n" % (w[1], "Id", w[2], "Status", w[3], "Wait reason", "Function"))
        for r in rows:
            gdb.write("%s %-*s  %-*s  %-*s  %s\n" % (r[0], w[1], r[1], w[2], r[2], w[3], r[3], r[4]))


class GoroutineCmd(gdb.Command):
    """Inspect a goroutine of the running gort program.
Usage: goroutine N bt [full] [COUNT]
       goroutine N frame K [COMMAND]
       goroutine all bt [full] [COUNT]
bt (or backtrace, where) prints goroutine N's frames, innermost first; a
suspended goroutine is unwound from the context it saved when it parked.
frame K prints frame K of that backtrace, or runs a gdb COMMAND with that
frame selected (info locals, print EXPR, info frame); the selection is
restored afterwards."""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) < 2:
            raise GortError("usage: goroutine N bt | goroutine N frame K [COMMAND] | goroutine all bt")
        rt = Runtime()
        what, cmd, rest = argv[0], argv[1], argv[2:]
        if cmd in ("bt", "backtrace", "where"):
            full = "full" in rest
            nums = [a for a in rest if a != "full"]
            count = int(nums[0]) if nums else None
            if what == "all":
                for gr, _ in goroutines(rt):
                    gdb.write("goroutine %d [%s]%s:\n" % (gr.id, gr.reason or gr.status,
                                                          " (main)" if gr.g.is_main else ""))
                    backtrace(gr, full, count)
                    gdb.write("\n")
            else:
                backtrace(find(rt, _goid(what)), full, count)
        elif cmd == "frame":
            if what == "all" or not rest:
                raise GortError("usage: goroutine N frame K [COMMAND]")
            gr, k = find(rt, _goid(what)), int(rest[0])
            command = arg.split(None, 3)[3] if len(rest) > 1 else None
            with Selection():
                for i, f in enumerate(gr.frames()):
                    if i == k:
                        if command is None:
                            print_frame(k, f, source=True)
                        else:
                            f.select()
                            gdb.execute(command, from_tty)
                        return
            raise GortError("gort: goroutine %d has no frame %d" % (gr.id, k))
        else:
            raise GortError("gort: unknown goroutine subcommand %r (bt, frame)" % cmd)


def _goid(s):
    try:
        return int(s)
    except ValueError:
        raise GortError("gort: %r is no goroutine id" % s)


InfoGoroutines()
GoroutineCmd()
