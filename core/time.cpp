// time.cpp: timers, sleep, and timers that send on a channel.
//
// One 4-ary min-heap of timer* per run (Sched::timers), keyed by when, under
// its own lock. Any M
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

namespace {

void set(TimerHeap& h, std::int32_t i, timer* t) {
  h.t[i] = t;
  t->idx = i;
}

void siftup(TimerHeap& h, std::int32_t i) {
  timer* t = h.t[i];
  while (i > 0) {
    std::int32_t p = (i - 1) / 4;
    if (h.t[p]->when <= t->when) break;
    set(h, i, h.t[p]);
    i = p;
  }
  set(h, i, t);
}

void siftdown(TimerHeap& h, std::int32_t i) {
  timer* t = h.t[i];
  for (;;) {
    std::int32_t c = i * 4 + 1;
    if (c >= h.n) break;
    std::int32_t best = c;
    for (std::int32_t k = c + 1; k < c + 4 && k < h.n; ++k)
      if (h.t[k]->when < h.t[best]->when) best = k;
    if (h.t[best]->when >= t->when) break;
    set(h, i, h.t[best]);
    i = best;
  }
  set(h, i, t);
}

void remove_at(TimerHeap& h, std::int32_t i) {
  timer* last = h.t[--h.n];
  h.t[i]->idx = -1;
  if (i < h.n) {
    set(h, i, last);
    siftup(h, i);
    siftdown(h, last->idx);
  }
  h.next.store(h.n ? h.t[0]->when : INT64_MAX, std::memory_order_release);
}

}  // namespace

void addtimer(Sched& s, timer* t) {
  TimerHeap& h = s.timers;
  bool nearer;
  {
    LockGuard l(h.lock);
    if (t->idx >= 0) fatal("addtimer: timer already added");
    if (h.n == h.cap) {
      race::RuntimeOwn own;  // the heap's array: the runtime's, under h.lock
      std::int32_t cap = h.cap ? h.cap * 2 : 64;
      auto** nt = new timer*[cap];
      for (std::int32_t i = 0; i < h.n; ++i) nt[i] = h.t[i];
      delete[] h.t;
      h.t = nt;
      h.cap = cap;
    }
    t->heap.store(&h, std::memory_order_relaxed);
    set(h, h.n++, t);
    siftup(h, t->idx);
    nearer = h.t[0] == t;
    h.next.store(h.t[0]->when, std::memory_order_release);
  }
  if (nearer) timers_changed(s);
}

bool deltimer(timer* t) {
  // t->heap is set by addtimer (by t's owner) and cleared under the heap's
  // lock when the run's teardown detaches t or a Timer's fires: null once
  // the run, and its heap, are gone (a Timer may outlive its run). Non-null,
  // the lock waits for a function in flight.
  TimerHeap* h = t->heap.load(std::memory_order_relaxed);
  if (h == nullptr) return false;
  LockGuard l(h->lock);
  if (t->idx < 0) return false;
  remove_at(*h, t->idx);
  return true;
}

void runtimers(TimerHeap& h, std::int64_t now) {
  if (next_timer(h) > now) return;
  LockGuard l(h.lock);
  while (h.n > 0 && h.t[0]->when <= now) {
    timer* t = h.t[0];
    remove_at(h, 0);
    t->f(t->arg);  // must not block or touch the heap; may free t
  }
}

void timers_clear(TimerHeap& h) {
  LockGuard l(h.lock);
  for (std::int32_t i = 0; i < h.n; ++i) {
    timer* t = h.t[i];
    t->idx = -1;
    t->heap.store(nullptr, std::memory_order_relaxed);
    // A one-shot timer nobody else refers to (gort::after) would leak,
    // with its channel, if it never fired.
    if (t->owned) t->f_free(t->arg);
  }
  h.n = 0;
  h.next.store(INT64_MAX);
  race::RuntimeOwn own;  // see addtimer
  delete[] h.t;
  h.t = nullptr;
  h.cap = 0;
}

}  // namespace gort::rt

namespace gort::detail {

using namespace gort::rt;

namespace {
// when_after: the deadline ns from now. Capped at about 146 years: the sum
// wrapped negative and fired at once (sleep_for(nanoseconds::max())); the
// cap leaves room for the idle M's deadline arithmetic (Note::tsleep) and
// keeps the timer pending (INT64_MAX is "none").
std::int64_t when_after(std::int64_t ns) {
  constexpr std::int64_t kFar = INT64_MAX / 2;
  return os::nanotime() + (ns <= 0 ? 0 : ns < kFar ? ns : kFar);
}
}  // namespace

void sleep_ns(std::int64_t ns) {
  G* gp = getg();
  if (!in_goroutine(gp)) fatal("gort::sleep_for called outside a goroutine of gort::run");
  checkpreempt(gp);
  if (ns <= 0) {
    yield();
    return;
  }
  timer t;
  t.when = when_after(ns);
  t.arg = gp;
  t.f = [](void* arg) {
    // Through the global queue, not runnext: sleepers wake in the order of
    // their deadlines, whichever M runs their timers.
    goready_global(static_cast<G*>(arg));
  };
  // Add the timer only once this G is parked, so that it cannot fire first.
  gopark(
      [](G* g, void* p) {
        addtimer(*g->m->sched, static_cast<timer*>(p));
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
// run_of: the run of the calling goroutine, for timers it creates.
Sched& run_of(const char* what) {
  if (!in_goroutine()) fatal(what, " called outside a goroutine of gort::run");
  return *getg()->m->sched;
}

void chantimer_free_owned(void* arg) {
  race::RuntimeOwn own;  // see chantimer_fire
  auto* ct = static_cast<chantimer*>(arg);
  chan_release(ct->c);
  delete ct;
}

// On whichever M runs the timers, usually on its g0. TSan: the timer and
// the time it sends are the runtime's (race::RuntimeOwn), not the
// program's: recorded, the send's write would race with the channel's
// allocation by the goroutine that made it (no edge reaches the M), and
// its edges would pass the M's clock from receiver to receiver.
void chantimer_fire(void* arg) {
  race::RuntimeOwn own;
  auto* ct = static_cast<chantimer*>(arg);
  Clock::time_point now = Clock::now();
  chan_send(ct->c, &now, false);  // capacity 1: never blocks; drops if full
  if (ct->owned) {
    chan_release(ct->c);
    delete ct;
  } else {
    // Out of the heap, which its run frees; the heap's lock is still held,
    // so its owner's deltimer cannot pass it and free ct under us.
    ct->t.heap.store(nullptr, std::memory_order_relaxed);
  }
}
}  // namespace

chantimer* chantimer_new(hchan* c, std::int64_t ns, bool owned) {
  Sched& s = run_of(owned ? "gort::after" : "gort::Timer");
  race::RuntimeOwn own;  // see chantimer_fire
  auto* ct = new chantimer;
  ct->c = c;
  ct->owned = owned;
  chan_retain(c);
  ct->t.when = when_after(ns);
  ct->t.f = &chantimer_fire;
  ct->t.arg = ct;
  ct->t.owned = owned;
  ct->t.f_free = &chantimer_free_owned;
  addtimer(s, &ct->t);
  return ct;
}

bool chantimer_stop(chantimer* t) { return deltimer(&t->t); }

bool chantimer_reset(chantimer* t, std::int64_t ns) {
  Sched& s = run_of("gort::Timer::reset");
  bool active = deltimer(&t->t);
  t->t.when = when_after(ns);
  addtimer(s, &t->t);
  return active;
}

void chantimer_free(chantimer* t) {
  race::RuntimeOwn own;  // see chantimer_fire
  deltimer(&t->t);
  chan_release(t->c);
  delete t;
}

}  // namespace gort::detail
