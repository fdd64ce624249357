// mstats.cpp: gort::mem_stats, a snapshot of the runtime's memory.
#include "gort/gort.hpp"
#include "os.hpp"
#include "sched.hpp"

namespace gort {

MemStats mem_stats() {
  using namespace gort::rt;
  // The heap's counters sit under the heap lock, which only the system
  // stack may take (invariant 1). A thread with no G at all (outside any
  // run) is not on a goroutine stack, and reads them directly.
  // The resident size too, as Go's ReadMemStats runs on the system stack:
  // reading /proc can take more stack than a goroutine on the smallest
  // class has (ASan's interceptors of open and read took 2.5 KiB of a 4 KiB
  // stack).
  HeapStats h;
  std::size_t rss = 0;
  if (getg() != nullptr) {
    systemstack([&] {
      h = heap_stats();
      rss = os::resident_bytes();
    });
  } else {
    h = heap_stats_nocheck();
    rss = os::resident_bytes();
  }
  StackStats st = stack_stats();
  MemStats m;
  m.heap_reserved = h.reserved;
  m.heap_inuse = h.inuse;
  m.heap_released = h.released;
  m.stack_inuse = static_cast<std::size_t>(st.inuse_bytes);
  Sched* s = getg() && getg()->m->sched ? getg()->m->sched : nullptr;
  m.goroutines = s ? static_cast<std::size_t>(goroutine_count(*s)) : 0;
  m.resident = rss;
  return m;
}

}  // namespace gort
