// chan.cpp: channels and select, after Go's runtime/chan.go and select.go.
//
// An hchan holds a ring buffer of constructed values and two queues of
// waiting goroutines (sudogs). A sudog lives on its goroutine's stack (the
// stack never moves, so a waker can move a value straight into the waiting
// goroutine's storage). Every transfer happens under the channel's lock; a
// woken goroutine finds in its sudog whether the transfer succeeded
// (success=false: the channel was closed).
//
// Happens-before for TSan (race.hpp), Go's memory model: a send happens
// before the receive that takes its value, the k-th receive from a
// channel of capacity C before the (k+C)-th send completes (each buffer
// slot is acquired and released by every operation that uses it), a
// receive from an unbuffered channel before its send completes (a parked
// goroutine releases its sudog before it waits and acquires it when woken;
// the one that dequeues it acquires it before the hand-off and releases it
// after), a close before a receive that sees it (the channel itself).
//
// select locks every channel involved in address order (so two selects
// over the same channels cannot deadlock), polls the cases in a random
// order, and otherwise enqueues one sudog per case and parks. The first
// waker to flip the goroutine's select_done flag wins; the others skip its
// sudogs, and the woken select removes the rest.
#include <cstdint>
#include <cstring>
#include <new>

#include "gort/gort.hpp"
#include "sched.hpp"

namespace gort::rt {

struct Sudog {
  G* g = nullptr;
  Sudog* next = nullptr;
  Sudog* prev = nullptr;
  void* elem = nullptr;  // send: value to move from; receive: storage to move into
  ::gort::detail::hchan* c = nullptr;
  bool is_select = false;
  bool success = false;
};

namespace {
struct WaitQ {
  Sudog* first = nullptr;
  Sudog* last = nullptr;

  void enqueue(Sudog* s) {
    s->next = nullptr;
    s->prev = last;
    if (last)
      last->next = s;
    else
      first = s;
    last = s;
  }
  void remove(Sudog* s) {
    if (s->prev)
      s->prev->next = s->next;
    else if (first == s)
      first = s->next;
    else
      return;  // not queued
    if (s->next)
      s->next->prev = s->prev;
    else
      last = s->prev;
    s->next = s->prev = nullptr;
  }
  // dequeue: the first sudog whose goroutine can still be woken.
  Sudog* dequeue() {
    for (;;) {
      Sudog* s = first;
      if (s == nullptr) return nullptr;
      first = s->next;
      if (first)
        first->prev = nullptr;
      else
        last = nullptr;
      s->next = s->prev = nullptr;
      if (s->is_select) {
        std::uint32_t z = 0;
        if (!s->g->select_done.compare_exchange_strong(z, 1)) continue;  // another case won
      }
      return s;
    }
  }
};
}  // namespace

}  // namespace gort::rt

namespace gort::detail {

using namespace gort::rt;

struct hchan {
  std::atomic<std::int64_t> refs{1};
  SpinLock lock;  // lock.hpp says why not a Lock
  const Ops* ops;
  std::size_t dataqsiz;
  std::size_t qcount = 0;
  std::size_t sendx = 0;
  std::size_t recvx = 0;
  unsigned char* buf = nullptr;
  WaitQ recvq;
  WaitQ sendq;
  bool closed = false;

  void* slot(std::size_t i) const { return buf + i * ops->size; }
};

namespace {

std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

// send: hand ep to the waiting receiver s (c locked). Returns the G to
// ready once the caller has unlocked.
G* send(hchan* c, Sudog* s, void* ep) {
  race::acquire(s);
  if (s->elem) c->ops->move_construct(s->elem, ep);
  race::release(s);
  s->success = true;
  s->g->param = s;
  return s->g;
}

// recv: take from the waiting sender s into ep (c locked). With a buffer
// (which is full), the receiver takes the head and the sender's value goes to
// the tail, keeping FIFO order. Returns the G to ready after unlocking.
G* recv(hchan* c, Sudog* s, void* ep) {
  race::acquire(s);
  if (c->dataqsiz == 0) {
    c->ops->move_construct(ep, s->elem);
  } else {
    void* q = c->slot(c->recvx);
    race::acquire(q);
    c->ops->move_construct(ep, q);
    c->ops->destroy(q);
    c->ops->move_construct(q, s->elem);
    race::release(q);
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    c->sendx = c->recvx;
  }
  race::release(s);
  s->success = true;
  s->g->param = s;
  return s->g;
}

// buf_put, buf_take: a buffered value into its slot, out of it.
void buf_put(hchan* c, void* ep) {
  void* q = c->slot(c->sendx);
  race::acquire(q);
  c->ops->move_construct(q, ep);
  race::release(q);
  if (++c->sendx == c->dataqsiz) c->sendx = 0;
  ++c->qcount;
}

void buf_take(hchan* c, void* ep) {
  void* q = c->slot(c->recvx);
  race::acquire(q);
  c->ops->move_construct(ep, q);
  c->ops->destroy(q);
  race::release(q);
  if (++c->recvx == c->dataqsiz) c->recvx = 0;
  --c->qcount;
}

// park_on: the sudog's owner, just before it waits (see the top).
void park_on(Sudog* s) { race::release(s); }

void nil_block(const char* reason) {
  gopark(nullptr, nullptr, reason);
  fatal("unreachable: woke from ", reason);
}

}  // namespace

namespace {
// The live channel count (rt::chans_live: the tests' leak checks). Each M
// of a run counts the channels made and released on it in M::chans, with
// a plain load and store; other threads (no run, an adopted thread) and
// freed Ms' totals go to g_chans_live. One shared counter for all was two
// contended locked instructions per channel: skynet on 2 Ps spent 6% of
// its time on the instruction after chan_make's (perf), as much as on
// everything else chan_make does.
std::atomic<std::int64_t> g_chans_live{0};

void chans_add(std::int64_t d) {
  G* gp = getg();
  M* mp = gp != nullptr ? gp->m : nullptr;
  if (mp != nullptr && mp->sched != nullptr) {
    mp->chans.store(mp->chans.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
    return;
  }
  g_chans_live.fetch_add(d, std::memory_order_relaxed);
}
}  // namespace

hchan* chan_make(const Ops* ops, std::size_t cap) {
  std::uint64_t bytes = std::uint64_t(cap) * ops->size;
  if (bytes > SIZE_MAX / 2 || (ops->size && bytes / ops->size != cap)) fatal("chan: capacity out of range");
  auto* c = new hchan;
  chans_add(1);
  c->ops = ops;
  c->dataqsiz = cap;
  if (cap > 0 && ops->size > 0) {
    std::size_t a = ops->align < alignof(std::max_align_t) ? alignof(std::max_align_t) : ops->align;
    c->buf = static_cast<unsigned char*>(::operator new(round_up(cap * ops->size, a), std::align_val_t(a)));
  }
  return c;
}

void chan_retain(hchan* c) { c->refs.fetch_add(1, std::memory_order_relaxed); }

void chan_release(hchan* c) {
  // Every handle's last use happens before the buffer is freed (TSan).
  race::release(&c->refs);
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  race::acquire(&c->refs);
  for (std::size_t i = 0, x = c->recvx; i < c->qcount; ++i) {
    c->ops->destroy(c->slot(x));
    if (++x == c->dataqsiz) x = 0;
  }
  if (c->buf) {
    std::size_t a = c->ops->align < alignof(std::max_align_t) ? alignof(std::max_align_t) : c->ops->align;
    ::operator delete(c->buf, std::align_val_t(a));
  }
  delete c;
  chans_add(-1);
}

}  // namespace gort::detail

std::int64_t gort::rt::chans_live() {
  std::int64_t n = gort::detail::g_chans_live.load(std::memory_order_relaxed);
  if (Sched* s = current_sched()) {
    LockGuard l(s->lock);  // allm
    for (M* mp = s->allm; mp != nullptr; mp = mp->alllink) n += mp->chans.load(std::memory_order_relaxed);
  }
  return n;
}

void gort::rt::chans_fold(M* mp) {
  gort::detail::g_chans_live.fetch_add(mp->chans.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
}

namespace gort::detail {

bool chan_send(hchan* c, void* ep, bool block) {
  if (c == nullptr) {
    if (!block) return false;
    nil_block("chan send (nil chan)");
  }
  // The caller, read once for a blocking call: checkpreempt, the sudog and
  // gopark want it (one TLS read, not three). Null outside a run: gopark
  // then says so, before anything is written through it.
  G* gp = nullptr;
  if (block) {
    gp = getg();
    checkpreempt(gp);
  }
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    fatal("send on closed channel");
  }
  if (Sudog* s = c->recvq.dequeue()) {
    G* gp = send(c, s, ep);
    c->lock.unlock();
    goready(gp);
    return true;
  }
  if (c->qcount < c->dataqsiz) {
    buf_put(c, ep);
    c->lock.unlock();
    return true;
  }
  if (!block) {
    c->lock.unlock();
    return false;
  }
  Sudog my;
  my.g = gp;
  my.elem = ep;
  my.c = c;
  park_on(&my);
  c->sendq.enqueue(&my);
  gopark_unlock(gp, &c->lock, "chan send");
  race::acquire(&my);
  if (!my.success) fatal("send on closed channel");
  return true;
}

int chan_recv(hchan* c, void* ep, bool block) {
  if (c == nullptr) {
    if (!block) return 0;
    nil_block("chan receive (nil chan)");
  }
  G* gp = nullptr;  // as in chan_send
  if (block) {
    gp = getg();
    checkpreempt(gp);
  }
  c->lock.lock();
  if (c->closed && c->qcount == 0) {
    c->lock.unlock();
    race::acquire(c);  // the close
    return 2;
  }
  if (Sudog* s = c->sendq.dequeue()) {
    G* gp = recv(c, s, ep);
    c->lock.unlock();
    goready(gp);
    return 1;
  }
  if (c->qcount > 0) {
    buf_take(c, ep);
    c->lock.unlock();
    return 1;
  }
  if (!block) {
    c->lock.unlock();
    return 0;
  }
  Sudog my;
  my.g = gp;
  my.elem = ep;
  my.c = c;
  park_on(&my);
  c->recvq.enqueue(&my);
  gopark_unlock(gp, &c->lock, "chan receive");
  race::acquire(my.success ? static_cast<void*>(&my) : static_cast<void*>(c));
  return my.success ? 1 : 2;
}

void chan_close(hchan* c) {
  if (c == nullptr) fatal("close of nil channel");
  G* ready = nullptr;
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    fatal("close of closed channel");
  }
  c->closed = true;
  race::release(c);
  // Release every waiter: receivers get "closed", senders will fail.
  for (WaitQ* q : {&c->recvq, &c->sendq}) {
    while (Sudog* s = q->dequeue()) {
      s->success = false;
      s->g->param = s;
      s->g->schedlink = ready;
      ready = s->g;
    }
  }
  c->lock.unlock();
  while (ready) {
    G* next = ready->schedlink;
    goready(ready);
    ready = next;
  }
}

std::size_t chan_len(hchan* c) {
  LockGuard l(c->lock);
  return c->qcount;
}

std::size_t chan_cap(hchan* c) { return c->dataqsiz; }

// ---------------------------------------------------------------------------
// select
//
// selectgo keeps its poll order, lock order and sudogs in the cases' scratch
// (detail.hpp), on the caller's frame and sized by the template, which knows
// the number of cases: a two-case select costs a few hundred bytes of stack,
// not the 4 KiB that arrays for 64 cases took, and nothing is zeroed until
// the select blocks. So there is no limit on the number of cases either.

static_assert(sizeof(Sudog) == sizeof(SelectCase::Scratch::sudog),
              "detail::kSudogWords: make it fit rt::Sudog exactly");
static_assert(alignof(Sudog) <= alignof(void*), "SelectCase::Scratch::sudog: too weakly aligned");

namespace {

void sellock(SelectCase* cas, int n) {
  hchan* last = nullptr;
  for (int i = 0; i < n; ++i) {
    hchan* c = cas[i].scratch.lock;
    if (c != last) c->lock.lock();
    last = c;
  }
}

void selunlock(SelectCase* cas, int n) {
  for (int i = n - 1; i >= 0; --i) {
    if (i > 0 && cas[i].scratch.lock == cas[i - 1].scratch.lock) continue;
    cas[i].scratch.lock->lock.unlock();
  }
}

Sudog* sudog_of(SelectCase& c) { return std::launder(reinterpret_cast<Sudog*>(c.scratch.sudog)); }

struct ParkSet {
  SelectCase* cas;
  int n;
};

}  // namespace

int selectgo(SelectCase* cas, int ncases, bool block, bool* recv_ok) {
  if (block) checkpreempt();
  *recv_ok = false;
  // Random poll order over the non-nil cases (entry k in cas[k].scratch.poll),
  // lock order by address (entry k in cas[k].scratch.lock).
  auto poll = [cas](int k) -> int& { return cas[k].scratch.poll; };
  int np = 0;
  for (int i = 0; i < ncases; ++i) {
    if (cas[i].c == nullptr) continue;
    int j = np == 0 ? 0 : static_cast<int>(fastrand() % static_cast<std::uint32_t>(np + 1));
    poll(np) = poll(j);
    poll(j) = i;
    ++np;
  }
  if (np == 0) {
    if (!block) return -1;
    gopark(nullptr, nullptr, "select (no cases)");
    fatal("unreachable: woke from select with no cases");
  }
  for (int i = 0; i < np; ++i) {
    hchan* c = cas[poll(i)].c;
    int j = i;
    while (j > 0 && cas[j - 1].scratch.lock > c) {
      cas[j].scratch.lock = cas[j - 1].scratch.lock;
      --j;
    }
    cas[j].scratch.lock = c;
  }
  sellock(cas, np);

  // Pass 1: the first ready case in poll order.
  for (int k = 0; k < np; ++k) {
    int i = poll(k);
    hchan* c = cas[i].c;
    if (cas[i].send) {
      if (c->closed) {
        selunlock(cas, np);
        fatal("send on closed channel");
      }
      if (Sudog* s = c->recvq.dequeue()) {
        G* g2 = send(c, s, cas[i].elem);
        selunlock(cas, np);
        goready(g2);
        return i;
      }
      if (c->qcount < c->dataqsiz) {
        buf_put(c, cas[i].elem);
        selunlock(cas, np);
        return i;
      }
    } else {
      if (Sudog* s = c->sendq.dequeue()) {
        G* g2 = recv(c, s, cas[i].elem);
        selunlock(cas, np);
        goready(g2);
        *recv_ok = true;
        return i;
      }
      if (c->qcount > 0) {
        buf_take(c, cas[i].elem);
        selunlock(cas, np);
        *recv_ok = true;
        return i;
      }
      if (c->closed) {
        selunlock(cas, np);
        race::acquire(c);  // the close
        return i;
      }
    }
  }
  if (!block) {
    selunlock(cas, np);
    return -1;
  }

  // Pass 2: wait on every channel, with a sudog per case built only now.
  G* gp = getg();
  if (!in_goroutine(gp)) {
    selunlock(cas, np);
    gopark_misuse("select");
  }
  gp->select_done.store(0, std::memory_order_relaxed);
  gp->param = nullptr;
  for (int k = 0; k < np; ++k) {
    int i = poll(k);
    Sudog* s = ::new (cas[i].scratch.sudog) Sudog;
    s->g = gp;
    s->c = cas[i].c;
    s->elem = cas[i].elem;
    s->is_select = true;
    park_on(s);
    (cas[i].send ? cas[i].c->sendq : cas[i].c->recvq).enqueue(s);
  }
  ParkSet ps{cas, np};
  gopark(
      [](G*, void* p) {
        auto* set = static_cast<ParkSet*>(p);
        selunlock(set->cas, set->n);
        return true;
      },
      &ps, "select");

  // Woken by the case in gp->param; withdraw the others.
  sellock(cas, np);
  Sudog* won = gp->param;
  gp->param = nullptr;
  int chosen = -1;
  for (int k = 0; k < np; ++k) {
    int i = poll(k);
    Sudog* s = sudog_of(cas[i]);
    if (s == won) {
      chosen = i;
      continue;
    }
    (cas[i].send ? cas[i].c->sendq : cas[i].c->recvq).remove(s);
  }
  selunlock(cas, np);
  if (chosen < 0) fatal("select: woken without a case");
  race::acquire(won->success ? static_cast<void*>(won) : static_cast<void*>(cas[chosen].c));
  if (cas[chosen].send && !won->success) fatal("send on closed channel");
  *recv_ok = !cas[chosen].send && won->success;
  return chosen;
}

}  // namespace gort::detail
