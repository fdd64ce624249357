// profile_linux.cpp: CPU-profiling timers and the mapping table for
// gort's Linux port.
//
// Timers: one per thread, on the thread's own CPU-time clock
// (pthread_getcpuclockid), delivering SIGPROF to that thread only
// (SIGEV_THREAD_ID). The process timer (setitimer(ITIMER_PROF)) counts
// the CPU time of all threads but delivers to whichever thread the kernel
// picks: a busy thread beside an idle one may never be sampled. Go moved
// to per-thread timers on Linux for this reason (Go 1.18).
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "os.hpp"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

namespace gort::os {

ThreadClock thread_clock() {
  ThreadClock t;
  clockid_t c;
  if (pthread_getcpuclockid(pthread_self(), &c) != 0) return t;
  t.tid = static_cast<long>(syscall(SYS_gettid));
  t.clock = static_cast<std::intptr_t>(c);
  t.valid = true;
  return t;
}

bool profile_per_thread() { return true; }

void* profile_timer_start(const ThreadClock& t, int hz) {
  if (!t.valid || hz <= 0) return nullptr;
  sigevent ev;
  std::memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGPROF;
  ev.sigev_notify_thread_id = static_cast<pid_t>(t.tid);
  timer_t id;
  if (timer_create(static_cast<clockid_t>(t.clock), &ev, &id) != 0) return nullptr;
  long ns = 1000000000L / hz;
  itimerspec its;
  its.it_interval.tv_sec = ns / 1000000000L;
  its.it_interval.tv_nsec = ns % 1000000000L;
  its.it_value = its.it_interval;
  if (timer_settime(id, 0, &its, nullptr) != 0) {
    timer_delete(id);
    return nullptr;
  }
  static_assert(sizeof(timer_t) <= sizeof(void*), "timer_t fits a pointer");
  void* h = nullptr;
  std::memcpy(&h, &id, sizeof id);
  return h ? h : reinterpret_cast<void*>(~std::uintptr_t(0));  // timer 0 is a valid id
}

void profile_timer_stop(void* h) {
  if (h == nullptr) return;
  timer_t id{};
  if (h != reinterpret_cast<void*>(~std::uintptr_t(0))) std::memcpy(&id, &h, sizeof id);
  timer_delete(id);
}

void profile_process_start(int hz) {
  itimerval it{};
  long us = 1000000L / (hz > 0 ? hz : 100);
  it.it_interval.tv_sec = us / 1000000L;
  it.it_interval.tv_usec = us % 1000000L;
  it.it_value = it.it_interval;
  setitimer(ITIMER_PROF, &it, nullptr);
}

void profile_process_stop() {
  itimerval it{};
  setitimer(ITIMER_PROF, &it, nullptr);
}

void for_each_mapping(void (*fn)(const Mapping& m, void* arg), void* arg) {
  // /proc/self/maps: "start-limit perms offset dev inode path". The main
  // program's mappings first (pprof takes mapping 1 for the binary).
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  for (int pass = 0; pass < 2; ++pass) {
    FILE* f = std::fopen("/proc/self/maps", "r");
    if (f == nullptr) return;
    char line[4096 + 256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      unsigned long start, limit, offset;
      char perms[8];
      int path_at = 0;
      if (std::sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &limit, perms, &offset, &path_at) < 4) continue;
      if (perms[2] != 'x' || path_at == 0) continue;
      char* path = line + path_at;
      path[std::strcspn(path, "\n")] = '\0';
      // Files, and the vDSO (where clock_gettime runs: a mapping of its own
      // keeps its samples apart from unknown code).
      if (path[0] != '/' && std::strcmp(path, "[vdso]") != 0) continue;
      bool main_program = std::strcmp(path, exe) == 0;
      if (main_program != (pass == 0)) continue;
      Mapping m;
      m.start = start;
      m.limit = limit;
      m.offset = offset;
      m.path = path;
      fn(m, arg);
    }
    std::fclose(f);
  }
}

}  // namespace gort::os
