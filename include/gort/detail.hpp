// detail.hpp: the small, type-erased interface between gort's public
// templates and the runtime (core/). Not for direct use.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort {

struct Config;

namespace detail {

// Erased operations on a value: move-construct into raw storage, destroy.
struct Ops {
  void (*move_construct)(void* dst, void* src);
  void (*destroy)(void* obj);
  std::size_t size;
  std::size_t align;
};

template <class T>
inline const Ops* ops_of() {
  static const Ops ops{
      [](void* d, void* s) { ::new (d) T(static_cast<T&&>(*static_cast<T*>(s))); },
      [](void* o) { static_cast<T*>(o)->~T(); }, sizeof(T), alignof(T)};
  return &ops;
}

// Scheduler.
int run_main(void (*fn)(void*), void* arg, const Config& cfg);
void newproc(void (*run)(void*), const Ops* ops, void* fobj);
void yield();
void sleep_ns(std::int64_t ns);
void entersyscall();
void exitsyscall();
// errno of the running thread, read and set by the runtime (blocking's
// hand-off): a thread's errno is shared by every goroutine that runs on the
// thread, which a thread checker (TSan) would take for a race between them
// if the header's code touched it (the runtime is not instrumented).
int thread_errno();
void set_thread_errno(int e);
void on_system_stack(void (*fn)(void*), void* arg);
// Callbacks from foreign code (core/cgocall.cpp): 0, or GORT_ENORUNTIME.
int cgocallback(void (*fn)(void*), void* arg);
[[noreturn]] void callback_no_runtime();
// A program that can be called back from threads gort did not create (Go's
// iscgo): set before main by any translation unit that calls
// gort::callback, and by the object holding the C API's gort_callback.
// checkdead is silent in such a program (core/proc.cpp says why).
bool note_foreign_callbacks() noexcept;
template <class>
struct ForeignCallbacks {
  static inline const bool linked = note_foreign_callbacks();
};
void lock_os_thread();
void unlock_os_thread();
std::int64_t nanotime();

// Channels. An hchan is reference-counted; chan<T> handles share one.
struct hchan;
hchan* chan_make(const Ops* ops, std::size_t cap);
void chan_retain(hchan* c);
void chan_release(hchan* c);
// chan_send: move *elem into the channel. block=false: false if it would
// block. Sending on a closed channel is fatal.
bool chan_send(hchan* c, void* elem, bool block);
// chan_recv: move the next value into raw storage out. Returns 0 if it would
// block (block=false only), 1 if a value arrived, 2 if the channel is closed
// and drained (out untouched).
int chan_recv(hchan* c, void* out, bool block);
void chan_close(hchan* c);
std::size_t chan_len(hchan* c);
std::size_t chan_cap(hchan* c);

// Room for one runtime sudog (a parked goroutine's entry in a channel's
// wait queue); core/chan.cpp checks that it fits exactly.
inline constexpr std::size_t kSudogWords = 6;

struct SelectCase {
  hchan* c;    // nullptr: never ready
  void* elem;  // send: the value; receive: raw storage for the value
  bool send;
  // selectgo's working storage, left uninitialized by the caller: entry k
  // of its poll order and of its lock order, and the sudog case k waits
  // with. Here, in the array the template sizes, a select's stack grows with
  // its cases instead of costing the most any select could need.
  struct Scratch {
    int poll;
    hchan* lock;
    alignas(void*) unsigned char sudog[kSudogWords * sizeof(void*)];
  } scratch;
};
// selectgo: run one ready case, chosen uniformly at random among the ready
// ones; if none is ready, block (or return -1 when block is false). For a
// receive, *recv_ok tells whether a value arrived (false: closed).
int selectgo(SelectCase* cases, int n, bool block, bool* recv_ok);

// Timers that send the time on a channel of capacity 1.
struct chantimer;
chantimer* chantimer_new(hchan* c, std::int64_t ns, bool one_shot_owned);
bool chantimer_stop(chantimer* t);
bool chantimer_reset(chantimer* t, std::int64_t ns);
void chantimer_free(chantimer* t);

// A queue of parked goroutines for the sync types; with count, a
// semaphore (releases that found nobody waiting).
struct WaitList {
  std::uintptr_t lock = 0;  // a runtime SpinLock (core/lock.hpp): one pointer-sized key
  std::uint32_t count = 0;
  void* head = nullptr;
  void* tail = nullptr;
};

}  // namespace detail
}  // namespace gort
