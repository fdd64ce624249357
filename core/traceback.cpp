// traceback.cpp: printing stacks (Go's traceback.go): a frame per line
// pair, "function+0xoffset" then "\tpc=0x... sp=0x...", from the unwinder
// (unwind.hpp). Everything here runs in signal handlers of dying
// processes: no allocation, no lock; walks of the goroutine list are racy
// (as Go's forEachGRace) and bounded.
#include "sched.hpp"
#include "signal.hpp"
#include "unwind.hpp"

namespace gort::rt {

namespace {
constexpr int kTracebackFrames = 100;
constexpr int kMaxGoroutines = 1 << 20;
}  // namespace

void print_frames(UnwindCursor* c) {
  for (int n = 0; n < kTracebackFrames; ++n) {
    // A return address points after the call: name the call's function.
    std::uintptr_t lookup = c->exact ? c->pc : c->pc - 1;
    const char* name = nullptr;
    std::uintptr_t off = 0;
    if (symbolize(lookup, &name, &off))
      print(name, "+", hex(off + (c->pc - lookup)), "\n");
    else
      print("?\n");
    print("\tpc=", hex(c->pc), " sp=", hex(c->sp()), "\n");
    if (!unwind_step(c)) return;
  }
  print("...additional frames elided...\n");
}

void print_all_goroutines(Sched* s, G* skip, bool full) {
  int n = 0;
  for (G* gp = racy(s->allgs); gp != nullptr && n < kMaxGoroutines; gp = racy(gp->alllink), ++n) {
    if (gp == skip) continue;
    Gstatus st = gp->status.load(std::memory_order_relaxed);
    if (st == Gstatus::dead || st == Gstatus::idle) continue;
    print(full ? "\n" : "", "goroutine ", racy(gp->goid), " [",
          st == Gstatus::waiting ? racy(gp->waitreason) : status_name(st), "]", gp->is_main ? " (main)" : "",
          full ? ":\n" : "\n");
    if (!full) continue;
    if (st == Gstatus::waiting || (st == Gstatus::runnable && gp->sched.sp != 0)) {
      // Parked: its Gobuf is where it resumes.
      UnwindCursor c;
      Gobuf buf = gp->sched;
      unwind_from_gobuf(&c, buf);
      add_stack_ranges(&c, gp);
      print_frames(&c);
    } else if (st == Gstatus::runnable) {
      print("\t(not started)\n");
    } else if (st == Gstatus::syscall) {
      print("\t(in a blocking call)\n");
    } else {
      print("\t(running on another thread)\n");
    }
  }
}

}  // namespace gort::rt
