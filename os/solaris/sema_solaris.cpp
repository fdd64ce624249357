// sema_solaris.cpp: per-thread semaphores for core/lock_sema.cpp: the
// solaris port's lock choice, as in Go's os3_solaris.go. illumos has no
// public one-word wait (lwp_park/lwp_unpark wait on a thread, not a word,
// and are private to libc); POSIX semaphores are documented
// (sem_init(3C), sem_wait(3C), sem_timedwait(3C), sem_post(3C)), and
// sem_post is async-signal-safe, which lock_sema's one-word wait needs for
// signal delivery.
#include "defs_solaris.hpp"
#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

using namespace sol;

namespace {
static_assert(sizeof(SemT) <= sizeof(Sema::bytes) && alignof(SemT) <= alignof(Sema), "sem_t fits os::Sema");
SemT* sem(Sema* s) { return reinterpret_cast<SemT*>(s->bytes); }
}  // namespace

void semacreate(Sema* s) {
  if (sys_sem_init(sem(s), 0, 0) != 0) rt::fatal("sem_init failed, errno ", errno_value());
}

void semadestroy(Sema* s) { sys_sem_destroy(sem(s)); }

bool semasleep(Sema* s, std::int64_t ns) {
  if (ns < 0) {
    while (sys_sem_wait(sem(s)) != 0)
      if (errno_value() != kEINTR) rt::fatal("sem_wait failed, errno ", errno_value());
    return true;
  }
  // sem_reltimedwait_np(3C): a relative timeout, on a clock nobody sets.
  Timespec ts{static_cast<long>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  if (sys_sem_reltimedwait_np(sem(s), &ts) == 0) return true;
  int e = errno_value();
  if (e != kETIMEDOUT && e != kEINTR && e != kEAGAIN) rt::fatal("sem_reltimedwait_np failed, errno ", e);
  return false;
}

void semawakeup(Sema* s) { sys_sem_post(sem(s)); }

}  // namespace gort::os
