// cases.cpp: programs that ASan and TSan must judge right about goroutines
// (core/race.hpp). `gort_sanitize_cases <case>` runs one case; ctest runs
// each through expect_output.cmake, which checks what the sanitizer said
// (tests/CMakeLists.txt lists the expectations).
//
// TSan, reported (a race the annotations must not hide):
//   race-two-ps     two goroutines running at once on two Ps (threads)
//                   write one int, with no synchronisation between them
//   race-one-p      the same on one P: the goroutines share a thread, and
//                   only switches that do not synchronise keep them apart
// TSan, not reported (an edge the runtime must tell TSan about):
//   go-start        data written before go(f), read in f
//   chan-unbuffered plain data handed back and forth by pointer over an
//                   unbuffered channel
//   chan-buffered   the same through a buffered channel, and its slots
//                   reused by the next sends
//   chan-close      data written before close, read after a receive that
//                   saw the channel closed
//   select          hand-offs through select, both directions
//   waitgroup       each goroutine writes its slot, done(); wait() reads all
//   mutex           a plain counter under gort::Mutex on every P
//   run-end         main writes, the caller of gort::run reads after it
//   callback        a foreign thread and its callback goroutine pass data
//                   both ways
//   stack-reuse     a goroutine's stack reused by a later, unrelated one
//   run-again       runs one after another, each starting goroutines whose
//                   captures live in their Gs: a later run's goroutines
//                   reuse those Gs (through the G allocator, not a P's free
//                   list)
//   notify-late     channels made and registered with gort::signal::notify
//                   after the delivery goroutine started: its sends into
//                   them come after their making (the queue's lock, told to
//                   TSan as a mutex: core/sigqueue.cpp)
// ASan:
//   heap-overflow   a goroutine writes past a heap block it allocated: the
//                   report's allocation stack (walked by frame pointers
//                   within the stack bounds ASan knows) names the goroutine's
//                   functions
//   stack-overflow  a goroutine writes past a local array: the report names
//                   the goroutine's frame and the variable (ASan finds
//                   the frame only in the stack it knows is current)
//   use-after-return  a goroutine uses a local of a function that returned
//                   (its fake stack, handled per goroutine)
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include <gort/gort.hpp>
#include <gort/signal.hpp>

namespace {

// Keeps the compiler from proving an access dead or out of bounds.
template <class T>
T* opaque(T* p) {
  asm volatile("" : "+r"(p)::"memory");
  return p;
}

long tid() { return syscall(SYS_gettid); }

// ---------------------------------------------------------------------------
// TSan: races.

int g_shared;  // the raced-on variable

__attribute__((noinline)) void racer_a_write() { *opaque(&g_shared) = 1; }
__attribute__((noinline)) void racer_b_write() { *opaque(&g_shared) = 2; }

// race-two-ps: each goroutine writes, then waits (spinning, without a safe
// point: so neither can give its thread to the other) until both have
// written, so they run at the same time on two threads. The flags are
// relaxed atomics, which order nothing for TSan (nor does the WaitGroup:
// it only orders them before main's wait).
int race_two_ps() {
  return gort::run(
      [] {
        std::atomic<int> arrived{0};
        std::atomic<long> tids[2] = {0, 0};
        gort::WaitGroup wg;
        wg.add(2);
        auto body = [&](int i) {
          if (i == 0)
            racer_a_write();
          else
            racer_b_write();
          tids[i].store(tid(), std::memory_order_relaxed);
          arrived.fetch_add(1, std::memory_order_relaxed);
          while (arrived.load(std::memory_order_relaxed) < 2) {
          }
          wg.done();
        };
        gort::go([&] { body(0); });
        gort::go([&] { body(1); });
        wg.wait();
        long a = tids[0].load(std::memory_order_relaxed), b = tids[1].load(std::memory_order_relaxed);
        std::printf("race-two-ps: the goroutines ran %s\n",
                    a != b ? "at once on two threads" : "on one thread");
        return 0;
      },
      gort::Config{.procs = 2});
}

// race-one-p: one P, so one thread runs both goroutines in turn. Each
// yields after its write, so both are alive at the second write: TSan
// forgets the accesses of a fiber once it is destroyed (the goroutine
// exited), and a race with a goroutine that already ended goes unreported.
int race_one_p() {
  return gort::run(
      [] {
        gort::WaitGroup wg;
        wg.add(2);
        std::atomic<long> tids[2] = {0, 0};
        gort::go([&] {
          racer_a_write();
          tids[0].store(tid(), std::memory_order_relaxed);
          gort::yield();
          wg.done();
        });
        gort::go([&] {
          racer_b_write();
          tids[1].store(tid(), std::memory_order_relaxed);
          gort::yield();  // alive when the other writes, whichever runs first
          wg.done();
        });
        wg.wait();
        std::printf("race-one-p: the goroutines ran %s\n",
                    tids[0].load() == tids[1].load() ? "on one thread" : "on two threads");
        return 0;
      },
      gort::Config{.procs = 1});
}

// ---------------------------------------------------------------------------
// TSan: hand-offs that must not be reported. Every case runs on 4 Ps so the
// goroutines spread over threads, and repeats enough for the values to
// cross threads both ways.

constexpr int kRounds = 200;
constexpr gort::Config kFourPs{.procs = 4};

struct Payload {
  long words[16];
};

void fill(Payload* p, long v) {
  for (long& w : p->words) w = v;
}

bool check(const Payload* p, long v) {
  for (long w : p->words)
    if (w != v) return false;
  return true;
}

int fail(const char* what) {
  std::printf("FAILED: %s\n", what);
  return 1;
}

int go_start() {
  return gort::run(
      [] {
        gort::WaitGroup wg;
        std::atomic<int> bad{0};
        for (int i = 0; i < kRounds; ++i) {
          auto* p = new Payload;
          fill(p, i);
          wg.add(1);
          gort::go([p, i, &wg, &bad] {
            if (!check(p, i)) bad.fetch_add(1);
            delete p;
            wg.done();
          });
        }
        wg.wait();
        return bad.load() ? fail("go-start") : 0;
      },
      kFourPs);
}

// Two goroutines pass one Payload back and forth, each rewriting it.
int chan_pingpong(std::size_t cap) {
  return gort::run(
      [cap] {
        gort::chan<Payload*> to(cap), back(cap);
        gort::WaitGroup wg;
        wg.add(1);
        bool ok = true;
        gort::go([&] {
          for (int i = 0; i < kRounds; ++i) {
            Payload* p = *to.recv();
            if (!check(p, 2 * i)) ok = false;
            fill(p, 2 * i + 1);
            back.send(p);
          }
          wg.done();
        });
        Payload* p = new Payload;
        for (int i = 0; i < kRounds; ++i) {
          fill(p, 2 * i);
          to.send(p);
          p = *back.recv();
          if (!check(p, 2 * i + 1)) ok = false;
        }
        wg.wait();
        delete p;
        return ok ? 0 : fail("chan");
      },
      kFourPs);
}

// chan-buffered also has many producers filling the slots, each slot
// reused by later sends, and values that own heap memory.
int chan_buffered() {
  if (int rc = chan_pingpong(4)) return rc;
  return gort::run(
      [] {
        gort::chan<Payload*> c(8);
        constexpr int kProducers = 4;
        for (int k = 0; k < kProducers; ++k)
          gort::go([c, k] {
            for (int i = 0; i < kRounds; ++i) {
              auto* p = new Payload;
              fill(p, k * kRounds + i);
              c.send(p);
            }
          });
        long sum = 0;
        for (int i = 0; i < kProducers * kRounds; ++i) {
          Payload* p = *c.recv();
          sum += p->words[15];
          delete p;
        }
        long n = kProducers * kRounds;
        return sum == n * (n - 1) / 2 ? 0 : fail("chan-buffered");
      },
      kFourPs);
}

int chan_close() {
  return gort::run(
      [] {
        bool ok = true;
        for (int i = 0; i < kRounds; ++i) {
          gort::chan<int> done;
          gort::WaitGroup wg;
          wg.add(1);
          Payload* p = new Payload;
          gort::go([&, p] {
            if (done.recv()) ok = false;  // closed: no value
            if (!check(p, i)) ok = false;
            delete p;
            wg.done();
          });
          fill(p, i);
          done.close();
          wg.wait();
        }
        return ok ? 0 : fail("chan-close");
      },
      kFourPs);
}

int select_cases() {
  return gort::run(
      [] {
        gort::chan<Payload*> a, b, back(1);
        gort::WaitGroup wg;
        wg.add(1);
        bool ok = true;
        gort::go([&] {
          for (int i = 0; i < kRounds; ++i) {
            Payload* got = nullptr;
            gort::select(gort::on_recv(a, [&](std::optional<Payload*> v) { got = *v; }),
                         gort::on_recv(b, [&](std::optional<Payload*> v) { got = *v; }));
            if (!check(got, i)) ok = false;
            fill(got, -i);
            gort::select(gort::on_send(back, got, [] {}));
          }
          wg.done();
        });
        for (int i = 0; i < kRounds; ++i) {
          auto* p = new Payload;
          fill(p, i);
          gort::select(gort::on_send(i % 2 ? a : b, p, [] {}));
          Payload* r = nullptr;
          gort::select(gort::on_recv(back, [&](std::optional<Payload*> v) { r = *v; }));
          if (!check(r, -i)) ok = false;
          delete r;
        }
        wg.wait();
        return ok ? 0 : fail("select");
      },
      kFourPs);
}

int waitgroup() {
  return gort::run(
      [] {
        constexpr int kN = 64;
        long slots[kN];
        for (int round = 0; round < kRounds / 10; ++round) {
          gort::WaitGroup wg;
          wg.add(kN);
          for (int i = 0; i < kN; ++i)
            gort::go([&, i] {
              slots[i] = i * round;
              wg.done();
            });
          wg.wait();
          for (int i = 0; i < kN; ++i)
            if (slots[i] != i * round) return fail("waitgroup");
        }
        return 0;
      },
      kFourPs);
}

int mutex() {
  return gort::run(
      [] {
        gort::Mutex mu;
        long counter = 0;
        gort::WaitGroup wg;
        constexpr int kG = 8;
        wg.add(kG);
        for (int k = 0; k < kG; ++k)
          gort::go([&] {
            for (int i = 0; i < kRounds; ++i) {
              std::lock_guard<gort::Mutex> l(mu);
              ++counter;
              if (i % 16 == 0) gort::yield();  // park holding nothing: others get in
            }
            wg.done();
          });
        wg.wait();
        std::lock_guard<gort::Mutex> l(mu);
        return counter == kG * kRounds ? 0 : fail("mutex");
      },
      kFourPs);
}

int run_end() {
  for (int i = 0; i < 20; ++i) {
    Payload p;
    gort::run([&p, i] { gort::go([] {}); fill(&p, i); }, kFourPs);
    if (!check(&p, i)) return fail("run-end");
  }
  return 0;
}

int callback() {
  return gort::run(
      [] {
        bool ok = true;
        gort::blocking([&] {
          std::thread t([&] {
            for (int i = 0; i < kRounds / 4; ++i) {
              Payload p;
              fill(&p, i);
              gort::callback([&] {
                if (!check(&p, i)) ok = false;
                fill(&p, -i);
              });
              if (!check(&p, -i)) ok = false;
            }
          });
          t.join();
        });
        return ok ? 0 : fail("callback");
      },
      kFourPs);
}

// stack-reuse: short goroutines one after another on a few Ps, each
// writing its locals: their stacks are reused by goroutines that have no
// edge to the ones before (the allocator's edge, race.hpp).
__attribute__((noinline)) long scribble(int seed) {
  volatile long local[64];
  for (int i = 0; i < 64; ++i) local[i] = seed + i;
  long s = 0;
  for (int i = 0; i < 64; ++i) s += local[i];
  return s;
}

int stack_reuse() {
  return gort::run(
      [] {
        std::atomic<long> total{0};
        for (int round = 0; round < kRounds; ++round) {
          gort::WaitGroup wg;
          wg.add(4);
          for (int k = 0; k < 4; ++k)
            gort::go([&, k] {
              total.fetch_add(scribble(k), std::memory_order_relaxed);
              wg.done();
            });
          wg.wait();
        }
        return total.load() > 0 ? 0 : fail("stack-reuse");
      },
      kFourPs);
}

// run-again: the captures (a channel handle) are destroyed by each run's
// goroutines when they end, in their Gs, and written by the next run's
// main when it starts goroutines in those Gs again (gort::run's Gs are
// freed at its end, and the G allocator hands them out again). Forty a
// run: TSan reuses the ids of ended fibers, and one that came back too
// soon would order the old accesses before the new by accident.
int run_again() {
  constexpr int kG = 40;
  for (int i = 0; i < 20; ++i) {
    int r = gort::run(
        [i] {
          gort::chan<int> c;
          for (int k = 0; k < kG; ++k) gort::go([c, i] { c.send(i); });
          int sum = 0;
          for (int k = 0; k < kG; ++k) sum += *c.recv();
          return sum;
        },
        kFourPs);
    if (r != kG * i) return fail("run-again");
  }
  return 0;
}

// notify-late: the first notify starts the delivery goroutine; then another
// goroutine makes channels, one at a time, registers each and signals the
// process: the delivery goroutine, which has no other edge to that
// goroutine, writes each signal into a buffer it allocated.
int notify_late() {
  return gort::run(
      [] {
        gort::chan<int> first(1);
        gort::signal::notify(first, {SIGUSR1});  // starts the delivery goroutine
        bool ok = true;
        gort::WaitGroup wg;
        wg.add(1);
        gort::go([&] {
          for (int i = 0; i < kRounds / 10; ++i) {
            gort::chan<int> late(1);
            gort::signal::notify(late, {SIGUSR2});
            std::raise(SIGUSR2);
            if (late.recv() != SIGUSR2) ok = false;
            gort::signal::stop(late);
          }
          wg.done();
        });
        wg.wait();
        gort::signal::stop(first);
        return ok ? 0 : fail("notify-late");
      },
      kFourPs);
}

// ---------------------------------------------------------------------------
// ASan.

__attribute__((noinline)) char* goroutine_alloc(std::size_t n) { return static_cast<char*>(std::malloc(*opaque(&n))); }

__attribute__((noinline)) void goroutine_overflow(char* p, std::size_t n) { opaque(p)[n] = 'x'; }

__attribute__((noinline)) void goroutine_heap_body() {
  char* p = goroutine_alloc(24);
  goroutine_overflow(p, 24);
  std::free(p);
}

int heap_overflow() {
  return gort::run([] {
    gort::chan<int> done;
    gort::go([done] {
      goroutine_heap_body();
      done.send(1);
    });
    done.recv();
    return 0;
  });
}

__attribute__((noinline)) void goroutine_stack_body(int n) {
  char buf[16];
  std::memset(buf, 0, sizeof buf);
  opaque(buf)[n] = 'x';
  std::printf("%c\n", buf[0]);
}

int stack_overflow() {
  return gort::run([] {
    gort::chan<int> done;
    gort::go([done] {
      goroutine_stack_body(16);  // the first byte past buf: its right redzone
      done.send(1);
    });
    done.recv();
    return 0;
  });
}

__attribute__((noinline)) int* goroutine_returns_local() {
  int local = 42;
  return opaque(&local);
}

__attribute__((noinline)) void goroutine_uses_dead_local() {
  int* p = goroutine_returns_local();
  std::printf("%d\n", *p);
}

int use_after_return() {
  return gort::run([] {
    gort::chan<int> done;
    gort::go([done] {
      gort::yield();
      goroutine_uses_dead_local();
      done.send(1);
    });
    done.recv();
    return 0;
  });
}

struct Case {
  const char* name;
  int (*fn)();
};

const Case kCases[] = {
    {"race-two-ps", race_two_ps},
    {"race-one-p", race_one_p},
    {"go-start", go_start},
    {"chan-unbuffered", [] { return chan_pingpong(0); }},
    {"chan-buffered", chan_buffered},
    {"chan-close", chan_close},
    {"select", select_cases},
    {"waitgroup", waitgroup},
    {"mutex", mutex},
    {"run-end", run_end},
    {"callback", callback},
    {"stack-reuse", stack_reuse},
    {"run-again", run_again},
    {"notify-late", notify_late},
    {"heap-overflow", heap_overflow},
    {"stack-overflow", stack_overflow},
    {"use-after-return", use_after_return},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2)
    for (const Case& c : kCases)
      if (std::strcmp(argv[1], c.name) == 0) {
        int rc = c.fn();
        std::printf("%s: done\n", c.name);
        return rc;
      }
  std::fprintf(stderr, "usage: %s <case>; cases:", argv[0]);
  for (const Case& c : kCases) std::fprintf(stderr, " %s", c.name);
  std::fprintf(stderr, "\n");
  return 2;
}
