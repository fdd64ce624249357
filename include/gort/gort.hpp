// gort.hpp: the runtime. gort::run starts it on the calling thread and runs
// a main goroutine; inside, gort::go starts goroutines that the scheduler
// multiplexes over GORTMAXPROCS processors (OS threads).
//
//   int main() {
//     return gort::run([] {
//       gort::chan<int> c;
//       gort::go([c]() mutable { c.send(42); });
//       return *c.recv();
//     });
//   }
//
// Goroutines migrate between threads. A goroutine may resume on another OS
// thread after anything that can park it (a channel operation, select,
// sleep_for, yield, Mutex::lock, WaitGroup::wait, the end of blocking()).
// What that means for thread-bound state:
//   - errno: gort's own operations may change it (its futex calls do).
//     Inside a blocking(f) call, f runs on one thread from start to end, so
//     errno set by a system call in f is f's to read; when blocking()
//     returns, errno on the thread the goroutine continues on holds the
//     value f left. The compiler may keep errno's address (glibc's
//     __errno_location() is a const function) across a park in one
//     function; read errno before parking, or return it from f.
//   - thread_local variables: a goroutine sees the thread's copy of the
//     moment; after a park it may be another thread's. Keep per-goroutine
//     state in the goroutine's own objects, or pin the goroutine to its
//     thread with lock_os_thread().
//   - Exceptions: a goroutine must not park inside a catch block (or while
//     std::current_exception()/uncaught_exceptions() matter): the C++
//     runtime's caught-exception stack is per thread, so resuming the
//     handler on another thread corrupts it. Copy what you need
//     (std::exception_ptr), leave the catch block, then park.
//   - Locks of the C++ library (std::mutex) must be released on the thread
//     that took them: do not park while holding one.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "gort/detail.hpp"

namespace gort {

// Config: how gort::run sets up the runtime.
struct Config {
  // procs: Ps (processors that run goroutines in parallel). 0: the
  // GORTMAXPROCS environment variable, else the number of CPUs.
  int procs = 0;
  // threads: false runs everything on the calling thread and starts no
  // thread at all (then procs must be 1, and blocking() blocks everything;
  // callbacks made inside it nest on that thread's stack and must return
  // innermost first, or it is fatal).
  bool threads = true;
  // stack_size: bytes of stack per goroutine; 0 for the default (64 KiB).
  // Rounded up to a size class (powers of two from 4 KiB to 256 KiB, with 4
  // KiB pages) or, above that, to whole pages; at most 1 GiB (more is
  // fatal). A guard page sits below every stack: overflowing it faults
  // instead of corrupting memory. The runtime's own heavier work (locks
  // that wait, the profiler, label sets, blocking calls, stack and heap
  // allocation) runs on the thread's system stack, so the smallest class
  // holds gort's calls themselves; what your code adds (its frames,
  // libc's: a libc function's first call in a dynamically linked program
  // goes through the loader's resolver, 1-3 KiB) is yours to fit.
  std::size_t stack_size = 0;
  // scavenge_delay: memory that stays free this long goes back to the OS.
  std::chrono::milliseconds scavenge_delay{1000};
};

// MemStats: a snapshot of the runtime's memory (gort::mem_stats()).
struct MemStats {
  std::size_t heap_reserved = 0;  // address space reserved for the page heap
  std::size_t heap_inuse = 0;     // bytes of it handed out (stacks included)
  std::size_t heap_released = 0;  // bytes of it free and given back to the OS
  std::size_t stack_inuse = 0;    // bytes of goroutine stacks handed out
  std::size_t goroutines = 0;     // goroutines alive in the caller's run (0 from a
                                  // thread outside it, which cannot read it safely)
  std::size_t resident = 0;       // the process's resident set (RSS)
};
MemStats mem_stats();

// run: start the runtime, run main() as the main goroutine, and return
// main's result (0 for void) when it returns. The calling thread waits
// while goroutines run on gort's threads (with Config::threads = false it
// runs them itself). One run at a time.
//
// When main returns, run returns. Other goroutines still alive are
// abandoned, as in Go: those parked are never resumed; a goroutine inside a
// blocking() call that has not returned within about 100 ms, or one
// running without reaching a safe point, keeps its thread, which leaves
// when the call returns or the goroutine reaches a safe point, without
// running the goroutine further. Nothing such a goroutine uses is freed
// under it; its frames are freed without unwinding. Objects of one run
// (channels, WaitGroups) must not be used by another.
template <class F>
int run(F main, Config cfg = {}) {
  using R = std::invoke_result_t<F&>;
  struct Frame {
    F* f;
    int result;
  } frame{&main, 0};
  detail::run_main(
      [](void* p) {
        auto* fr = static_cast<Frame*>(p);
        if constexpr (std::is_void_v<R>)
          (*fr->f)();
        else
          fr->result = static_cast<int>((*fr->f)());
      },
      &frame, cfg);
  return frame.result;
}

// go: start f() in a new goroutine. f is moved into the goroutine.
// Each goroutine keeps its own FP control state (rounding mode, exception
// masks, flush-to-zero) across every switch, and starts with the one the
// thread that called gort::run had, as the main goroutine does: not its
// creator's (as in Go, no goroutine inherits another's), and never what
// another goroutine left on the thread it first runs on. To run every
// goroutine in another mode, set it before gort::run; to run one in
// another, set it in that goroutine. A callback's goroutine starts with
// its calling thread's.
template <class F>
void go(F&& f) {
  using Fn = std::decay_t<F>;
  Fn tmp(std::forward<F>(f));
  detail::newproc([](void* p) { (*static_cast<Fn*>(p))(); }, detail::ops_of<Fn>(), &tmp);
}

// yield: let other goroutines run; this one stays runnable.
inline void yield() { detail::yield(); }

// sleep_for: park this goroutine for at least d.
inline void sleep_for(std::chrono::nanoseconds d) { detail::sleep_ns(d.count()); }

// blocking: run a blocking or foreign call f() on the system stack with
// this goroutine's processor handed off, so other goroutines keep running;
// return its result. f must not use goroutine operations (channels, go).
// f runs on one thread from start to end; errno after blocking() returns is
// the value f left (see "Goroutines migrate" above).
template <class F>
auto blocking(F&& f) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  struct Call {
    F* f = nullptr;
    std::conditional_t<std::is_void_v<R>, char, std::optional<std::conditional_t<std::is_void_v<R>, char, R>>> out{};
#if defined(__cpp_exceptions)
    std::exception_ptr error{};
#endif
    int err = 0;
  } call;
  call.f = &f;
  detail::entersyscall();
  detail::on_system_stack(
      [](void* p) {
        auto* c = static_cast<Call*>(p);
#if defined(__cpp_exceptions)
        try {
#endif
          if constexpr (std::is_void_v<R>)
            (*c->f)();
          else
            c->out.emplace((*c->f)());
#if defined(__cpp_exceptions)
        } catch (...) {
          c->error = std::current_exception();
        }
#endif
        c->err = detail::thread_errno();
      },
      &call);
  detail::exitsyscall();
  detail::set_thread_errno(call.err);  // on the thread this goroutine continues on
#if defined(__cpp_exceptions)
  if (call.error) std::rethrow_exception(call.error);
#endif
  if constexpr (!std::is_void_v<R>) return std::move(*call.out);
}

// callback: run f() as a goroutine of the active run, from any thread: one
// gort did not create (a C library's worker, a std::thread), or one of
// gort's own inside blocking() (foreign code calling back: Go -> C -> Go).
// f may start goroutines, block on channels, select, sleep and call
// blocking (which may call back again). Its result, or its exception, comes
// back to the caller. From a goroutine it is a plain call. With no run
// active (or after main returned): fatal, "gort::callback with no runtime
// running" (the C API, gort.h, returns an error code instead). If the run
// ends while f is parked, the caller stays blocked, as would a goroutine.
template <class F>
auto callback(F&& f) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  // Dependent on F, so instantiated only where callback is: set before main.
  (void)detail::ForeignCallbacks<F>::linked;
  struct Call {
    F* f = nullptr;
    std::conditional_t<std::is_void_v<R>, char, std::optional<std::conditional_t<std::is_void_v<R>, char, R>>> out{};
#if defined(__cpp_exceptions)
    std::exception_ptr error{};
#endif
  } call;
  call.f = &f;
  int rc = detail::cgocallback(
      [](void* p) {
        auto* c = static_cast<Call*>(p);
#if defined(__cpp_exceptions)
        try {
#endif
          if constexpr (std::is_void_v<R>)
            (*c->f)();
          else
            c->out.emplace((*c->f)());
#if defined(__cpp_exceptions)
        } catch (...) {
          c->error = std::current_exception();
        }
#endif
      },
      &call);
  if (rc != 0) detail::callback_no_runtime();
#if defined(__cpp_exceptions)
  if (call.error) std::rethrow_exception(call.error);
#endif
  if constexpr (!std::is_void_v<R>) return std::move(*call.out);
}

// lock_os_thread: this goroutine runs only on its current thread, and that
// thread runs nothing else, until as many unlock_os_thread() calls (Go's
// LockOSThread). For thread-affine libraries (OpenGL contexts,
// thread_local-heavy code). A goroutine that exits while locked takes its
// thread with it: the thread ends, so whatever the goroutine left in it
// never reaches another goroutine. With Config::threads = false there is
// one thread: the goroutine stays on it, and it runs the others too
// whenever the locked one parks or yields.
inline void lock_os_thread() { detail::lock_os_thread(); }
// unlock_os_thread: undo one lock_os_thread (nothing if none is left).
inline void unlock_os_thread() { detail::unlock_os_thread(); }

}  // namespace gort

#include "gort/chan.hpp"
#include "gort/sync.hpp"
