// profile_darwin.cpp: the CPU profiler's timer and mapping table for
// gort's darwin port (core/os.hpp, CPU profiling).
//
// The timer: darwin has no per-thread CPU-time timer (no timer_create at
// all), so, as Go does there, one process-wide setitimer(ITIMER_PROF):
// the process's CPU time of all threads counts, and XNU sends SIGPROF to
// the thread that is running when the interval runs out, so busy threads
// are the ones sampled. core/cpuprof.cpp calls profile_process_start and
// profile_process_stop (profile_per_thread() is false); the per-thread
// hooks exist for the contract and make no timer.
#include <mach-o/dyld.h>
#include <mach-o/loader.h>
#include <pthread.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

ThreadClock thread_clock() {
  // Kept for messages: darwin cannot aim a CPU-time timer at a thread.
  ThreadClock t;
  std::uint64_t tid = 0;
  pthread_threadid_np(nullptr, &tid);
  t.tid = static_cast<long>(tid);
  return t;
}

bool profile_per_thread() { return false; }

void* profile_timer_start(const ThreadClock&, int) { return nullptr; }

void profile_timer_stop(void*) {}

void profile_process_start(int hz) {
  if (hz <= 0) return profile_process_stop();
  itimerval it{};
  it.it_interval.tv_sec = 0;
  it.it_interval.tv_usec = static_cast<suseconds_t>(hz >= 1000000 ? 1 : 1000000 / hz);
  it.it_value = it.it_interval;
  if (setitimer(ITIMER_PROF, &it, nullptr) != 0) rt::fatal("setitimer(ITIMER_PROF) failed, errno ", errno);
}

void profile_process_stop() {
  itimerval it{};
  setitimer(ITIMER_PROF, &it, nullptr);
}

namespace {

// each_exec_segment: fn for every executable segment of image i.
void each_exec_segment(std::uint32_t i, void (*fn)(const Mapping& m, void* arg), void* arg) {
  const mach_header* h = _dyld_get_image_header(i);
  if (h == nullptr || h->magic != MH_MAGIC_64) return;
  const char* path = _dyld_get_image_name(i);
  auto slide = static_cast<std::uintptr_t>(_dyld_get_image_vmaddr_slide(i));
  const auto* p = reinterpret_cast<const unsigned char*>(h) + sizeof(mach_header_64);
  std::uint32_t left = reinterpret_cast<const mach_header_64*>(h)->sizeofcmds;
  for (std::uint32_t k = 0; k < h->ncmds && left >= sizeof(load_command); ++k) {
    load_command lc;
    std::memcpy(&lc, p, sizeof lc);
    if (lc.cmdsize < sizeof lc || lc.cmdsize > left) return;
    if (lc.cmd == LC_SEGMENT_64 && lc.cmdsize >= sizeof(segment_command_64)) {
      segment_command_64 seg;
      std::memcpy(&seg, p, sizeof seg);
      if ((seg.initprot & VM_PROT_EXECUTE) && seg.vmsize != 0) {
        Mapping m;
        m.start = static_cast<std::uintptr_t>(seg.vmaddr) + slide;
        m.limit = m.start + static_cast<std::uintptr_t>(seg.vmsize);
        m.offset = static_cast<std::uintptr_t>(seg.fileoff);
        m.path = path;
        fn(m, arg);
      }
    }
    p += lc.cmdsize;
    left -= lc.cmdsize;
  }
}

}  // namespace

void for_each_mapping(void (*fn)(const Mapping& m, void* arg), void* arg) {
  // dyld's images: the executable segments of each (__TEXT), the program's
  // first (pprof takes mapping 1 for the binary).
  std::uint32_t n = _dyld_image_count(), prog = n;
  for (std::uint32_t i = 0; i < n && prog == n; ++i) {
    const mach_header* h = _dyld_get_image_header(i);
    if (h != nullptr && h->filetype == MH_EXECUTE) prog = i;
  }
  if (prog != n) each_exec_segment(prog, fn, arg);
  for (std::uint32_t i = 0; i < n; ++i)
    if (i != prog) each_exec_segment(i, fn, arg);
}

}  // namespace gort::os
