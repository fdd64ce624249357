// sema_linux.cpp: per-thread semaphores for core/lock_sema.cpp on Linux.
// Linux has a one-word wait and uses core/lock_futex.cpp; this file exists
// so that the kit runs lock_sema.cpp (the choice of darwin and solaris,
// which nothing here can run) through the whole suite: preset "sema"
// (cmake -DGORT_LOCK=sema). It uses POSIX semaphores, as the solaris port
// does.
#include <semaphore.h>
#include <time.h>

#include <cerrno>
#include <new>

#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

namespace {
sem_t* sem(Sema* s) { return std::launder(reinterpret_cast<sem_t*>(s->bytes)); }
static_assert(sizeof(sem_t) <= sizeof(Sema::bytes) && alignof(sem_t) <= alignof(Sema), "sem_t fits os::Sema");
}  // namespace

void semacreate(Sema* s) {
  if (sem_init(::new (s->bytes) sem_t, 0, 0) != 0) rt::fatal("sem_init failed, errno ", errno);
}

void semadestroy(Sema* s) { sem_destroy(sem(s)); }

bool semasleep(Sema* s, std::int64_t ns) {
  if (ns < 0) {
    while (sem_wait(sem(s)) != 0)
      if (errno != EINTR) rt::fatal("sem_wait failed, errno ", errno);
    return true;
  }
  // sem_clockwait (glibc 2.30+) on the monotonic clock: sem_timedwait's
  // CLOCK_REALTIME deadline would move with the wall clock.
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::int64_t nsec = ts.tv_nsec + ns % 1000000000;
  ts.tv_sec += static_cast<time_t>(ns / 1000000000 + nsec / 1000000000);
  ts.tv_nsec = static_cast<long>(nsec % 1000000000);
  if (sem_clockwait(sem(s), CLOCK_MONOTONIC, &ts) == 0) return true;
  if (errno != ETIMEDOUT && errno != EINTR) rt::fatal("sem_clockwait failed, errno ", errno);
  return false;
}

void semawakeup(Sema* s) {
  // sem_post is async-signal-safe (POSIX).
  sem_post(sem(s));
}

}  // namespace gort::os
