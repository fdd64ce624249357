// gdbinfo.cpp: the run's root pointer, and what a debugger needs to find
// goroutines from it without the runtime's debug information.
//
// tools/gdb/gort.py reads gort_gdb_info, a table of (key, a, b, p) entries
// ending with a null key: field offsets and sizes of G, M and Sched, the
// address of g_sched (the running run's Sched), the G status values and
// their names, and the CPU port's Gobuf layout: where sp and pc are saved
// and, from GORT_GOBUF_DWARF, the DWARF number and Gobuf offset of every
// saved integer register. Everything in it is computed by the compiler from
// the same declarations the runtime uses (gort_arch.h, runtime.hpp,
// sched.hpp), so nothing is typed twice and the script needs no per-CPU
// table of offsets: it reads the table of the program it debugs, whatever
// its CPU. The script itself travels in the program: on ELF targets this
// file puts tools/gdb/gort.py into a .debug_gdb_scripts section, which gdb
// loads with the program (as an inline Python script, so the copy always
// matches the table).
//
// g_sched lives here, not in run.cpp, so that every program that runs gort
// links this object (run.cpp refers to g_sched), and the table with it.
//
// Rejected: reading the layout from DWARF debug information in the script
// (a Release build of libgort has none, and gdb's view of std::atomic
// members differs between library versions); a Python file generated per
// CPU at build time and installed beside the script (one gdb debugging
// programs for several CPUs, or a program built elsewhere, would need the
// right one; the table always comes with its program).
#include <cstddef>
#include <cstdint>

#include "sched.hpp"

namespace gort::rt {

std::atomic<Sched*> g_sched{nullptr};

}  // namespace gort::rt

namespace {

using gort::rt::G;
using gort::rt::Gstatus;
using gort::rt::M;
using gort::rt::Sched;

struct GdbInfo {
  const char* key;
  std::intptr_t a;
  std::intptr_t b;
  const void* p;
};

}  // namespace

// offsetof on the runtime's structs: they are not standard-layout for the
// compiler's strict reading (atomics, private members of Lock and Note), but
// every compiler gort supports lays them out as C would; the static_asserts
// of port.hpp rely on the same.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"

#define GORT_FIELD(T, f) {#T "." #f, offsetof(T, f), sizeof(T::f), nullptr}
#define GORT_STATUS(s) {"Gstatus." #s, static_cast<std::intptr_t>(Gstatus::s), 0, \
                        gort::rt::status_name(Gstatus::s)}
#define GORT_GDB_REG(n, off) {"reg", (n), (off), nullptr},

#if defined(__has_attribute)
#if __has_attribute(retain)
// Kept by the linker even with --gc-sections: nothing in the program
// refers to it.
#define GORT_RETAIN __attribute__((retain))
#endif
#endif
#ifndef GORT_RETAIN
#define GORT_RETAIN
#endif

extern "C" {
extern const GdbInfo gort_gdb_info[];
__attribute__((used)) GORT_RETAIN const GdbInfo gort_gdb_info[] = {
    {"version", 1, 0, nullptr},
    {"arch", 0, 0, GORT_ARCH_NAME},
    {"ptrsize", GORT_PTRSIZE, 0, nullptr},
    {"g_sched", 0, 0, &gort::rt::g_sched},
    {"G.size", sizeof(G), 0, nullptr},
    GORT_FIELD(G, sched),
    GORT_FIELD(G, stack_lo),
    GORT_FIELD(G, stack_hi),
    GORT_FIELD(G, m),
    GORT_FIELD(G, goid),
    GORT_FIELD(G, status),
    GORT_FIELD(G, alllink),
    GORT_FIELD(G, waitreason),
    GORT_FIELD(G, is_main),
    GORT_FIELD(G, callback),
    GORT_FIELD(G, lockedm),
    GORT_FIELD(G, fn_run),
    GORT_FIELD(G, fn_obj),
    {"M.size", sizeof(M), 0, nullptr},
    GORT_FIELD(M, g0),
    GORT_FIELD(M, gsignal),
    GORT_FIELD(M, curg),
    GORT_FIELD(M, id),
    GORT_FIELD(M, alllink),
    {"Sched.size", sizeof(Sched), 0, nullptr},
    GORT_FIELD(Sched, allgs),
    GORT_FIELD(Sched, allm),
    GORT_STATUS(idle),
    GORT_STATUS(runnable),
    GORT_STATUS(running),
    GORT_STATUS(syscall),
    GORT_STATUS(waiting),
    GORT_STATUS(dead),
    // The CPU port (gort_arch.h).
    {"Gobuf.sp", GOBUF_SP, GORT_PTRSIZE, nullptr},
    {"Gobuf.pc", GOBUF_PC, GORT_PTRSIZE, nullptr},
    {"dwarf.sp", GORT_DWARF_SP, 0, nullptr},
    {"dwarf.ra", GORT_DWARF_RA, 0, nullptr},
    {"dwarf.fp", GORT_DWARF_FP, 0, nullptr},
    GORT_GOBUF_DWARF(GORT_GDB_REG)
    {nullptr, 0, 0, nullptr},
};
}

#undef GORT_FIELD
#undef GORT_STATUS
#undef GORT_GDB_REG
#pragma GCC diagnostic pop

// The script, inline (gdb's "inlined script" entry: type byte 4, a name
// line, the text, a NUL). gdb runs it when it loads the program if its
// `auto-load safe-path` allows the file (README: Debugging with gdb). Only
// where CMake passes GORT_GDB_SCRIPT: ELF targets.
#ifdef GORT_GDB_SCRIPT
asm(".pushsection .debug_gdb_scripts, \"MS\", %progbits, 1\n"
    ".byte 4\n"
    ".ascii \"gort-gdb.py\\n\"\n"
    ".incbin \"" GORT_GDB_SCRIPT "\"\n"
    ".byte 0\n"
    ".popsection\n");
#endif
