// time.cpp: timers, sleep, and timers that send on a channel.
//
// One 4-ary min-heap of timer*, keyed by when, under its own lock. Any M
// runs due timers: every pass through findrunnable, and the idle M that
// sleeps with a timeout for the earliest one (proc.cpp). Timer functions run
// with the heap lock held, one at a time in deadline order, so that two Ms
// running timers cannot ready goroutines out of order, and deltimer simply
// waits on the lock for a function in flight (a timer is never freed under
// its own function). Lock order: heap, then a channel's lock, then sched.
#include <climits>
#include <cstdint>

#include "gort/gort.hpp"
#include "os.hpp"
#include "sched.hpp"

namespace gort::rt {

void timers_changed();  // proc.cpp: a nearer timer was added

namespace {

struct Heap {
  Lock lock;
  timer** t = nullptr;
  std::int32_t n = 0;
  std::int32_t cap = 0;
  std::atomic<std::int64_t> next{INT64_MAX};
};
Heap heap;

void set(std::int32_t i, timer* t) {
  heap.t[i] = t;
  t->idx = i;
}

void siftup(std::int32_t i) {
  timer* t = heap.t[i];
  while (i > 0) {
    std::int32_t p = (i - 1) / 4;
    if (heap.t[p]->when <= t->when) break;
    set(i, heap.t[p]);
    i = p;
  }
  set(i, t);
}

void siftdown(std::int32_t i) {
  timer* t = heap.t[i];
  for (;;) {
    std::int32_t c = i * 4 + 1;
    if (c >= heap.n) break;
    std::int32_t best = c;
    for (std::int32_t k = c + 1; k < c + 4 && k < heap.n; ++k)
      if (heap.t[k]->when < heap.t[best]->when) best = k;
    if (heap.t[best]->when >= t->when) break;
    set(i, heap.t[best]);
    i = best;
  }
  set(i, t);
}

void remove_at(std::int32_t i) {
  timer* last = heap.t[--heap.n];
  heap.t[i]->idx = -1;
  if (i < heap.n) {
    set(i, last);
    siftup(i);
    siftdown(last->idx);
  }
  heap.next.store(heap.n ? heap.t[0]->when : INT64_MAX, std::memory_order_release);
}

}  // namespace

void addtimer(timer* t) {
  bool nearer;
  {
    LockGuard l(heap.lock);
    if (t->idx >= 0) fatal("addtimer: timer already added");
    if (heap.n == heap.cap) {
      std::int32_t cap = heap.cap ? heap.cap * 2 : 64;
      auto** nt = new timer*[cap];
      for (std::int32_t i = 0; i < heap.n; ++i) nt[i] = heap.t[i];
      delete[] heap.t;
      heap.t = nt;
      heap.cap = cap;
    }
    set(heap.n++, t);
    siftup(t->idx);
    nearer = heap.t[0] == t;
    heap.next.store(heap.t[0]->when, std::memory_order_release);
  }
  if (nearer) timers_changed();
}

bool deltimer(timer* t) {
  LockGuard l(heap.lock);
  if (t->idx < 0) return false;
  remove_at(t->idx);
  return true;
}

std::int64_t next_timer() { return heap.next.load(std::memory_order_acquire); }

bool timers_pending() { return next_timer() != INT64_MAX; }

void runtimers(std::int64_t now) {
  if (next_timer() > now) return;
  LockGuard l(heap.lock);
  while (heap.n > 0 && heap.t[0]->when <= now) {
    timer* t = heap.t[0];
    remove_at(0);
    t->f(t->arg);  // must not block or touch the heap; may free t
  }
}

void timers_clear() {
  LockGuard l(heap.lock);
  for (std::int32_t i = 0; i < heap.n; ++i) heap.t[i]->idx = -1;
  heap.n = 0;
  heap.next.store(INT64_MAX);
}

}  // namespace gort::rt

namespace gort::detail {

using namespace gort::rt;

void sleep_ns(std::int64_t ns) {
  checkpreempt();
  if (ns <= 0) {
    yield();
    return;
  }
  G* gp = getg();
  if (!in_goroutine()) fatal("gort::sleep_for called outside a goroutine of gort::run");
  timer t;
  t.when = os::nanotime() + ns;
  t.arg = gp;
  t.f = [](void* arg) {
    // Through the global queue, not runnext: sleepers wake in the order of
    // their deadlines, whichever M runs their timers.
    goready_global(static_cast<G*>(arg));
  };
  // Add the timer only once this G is parked, so that it cannot fire first.
  gopark(
      [](G*, void* p) {
        addtimer(static_cast<timer*>(p));
        return true;
      },
      &t, "sleep");
}

struct chantimer {
  timer t;
  hchan* c;
  bool owned;  // one-shot from gort::after: frees itself after firing
};

namespace {
void chantimer_fire(void* arg) {
  auto* ct = static_cast<chantimer*>(arg);
  Clock::time_point now = Clock::now();
  chan_send(ct->c, &now, false);  // capacity 1: never blocks; drops if full
  if (ct->owned) {
    chan_release(ct->c);
    delete ct;
  }
}
}  // namespace

chantimer* chantimer_new(hchan* c, std::int64_t ns, bool owned) {
  auto* ct = new chantimer;
  ct->c = c;
  ct->owned = owned;
  chan_retain(c);
  ct->t.when = os::nanotime() + (ns > 0 ? ns : 0);
  ct->t.f = &chantimer_fire;
  ct->t.arg = ct;
  addtimer(&ct->t);
  return ct;
}

bool chantimer_stop(chantimer* t) { return deltimer(&t->t); }

bool chantimer_reset(chantimer* t, std::int64_t ns) {
  bool active = deltimer(&t->t);
  t->t.when = os::nanotime() + (ns > 0 ? ns : 0);
  addtimer(&t->t);
  return active;
}

void chantimer_free(chantimer* t) {
  deltimer(&t->t);
  chan_release(t->c);
  delete t;
}

}  // namespace gort::detail
