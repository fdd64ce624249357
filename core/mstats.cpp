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
  HeapStats h;
  if (getg() != nullptr)
    systemstack([&] { h = heap_stats(); });
  else
    h = heap_stats_nocheck();
  StackStats st = stack_stats();
  MemStats m;
  m.heap_reserved = h.reserved;
  m.heap_inuse = h.inuse;
  m.heap_released = h.released;
  m.stack_inuse = static_cast<std::size_t>(st.inuse_bytes);
  Sched* s = getg() && getg()->m->sched ? getg()->m->sched : nullptr;
  m.goroutines = s ? static_cast<std::size_t>(goroutine_count(*s)) : 0;
  m.resident = os::resident_bytes();
  return m;
}

}  // namespace gort
