// Allocator: the system-stack rule for every allocator entry point, the
// two seed scenarios (morestack and spawn/exit on every P; cross-P frees
// with an integrity check), guard pages, mem_stats.
#include <signal.h>
#include <unistd.h>

#include <random>
#include <vector>

#include "malloc.hpp"
#include "sched.hpp"
#include "signal.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

using ::testing::ExitedWithCode;

struct EntryPoint {
  const char* name;
  void (*call)();
};

const EntryPoint kEntryPoints[] = {
    {"stackalloc", [] { rt::stackalloc(4096); }},
    {"stackfree", [] { rt::stackfree(rt::Stack{}); }},
    {"stackcache_refill", [] {
       rt::StackCache c;
       rt::stackcache_refill(&c, 0);
     }},
    {"stackcache_release", [] {
       rt::StackCache c;
       rt::stackcache_release(&c, 0);
     }},
    {"stackcache_flush", [] {
       rt::StackCache c[rt::kNumStackClasses];
       rt::stackcache_flush(c);
     }},
    {"mheap_alloc", [] { rt::mheap_alloc(1); }},
    {"mheap_free", [] { rt::mheap_free(nullptr); }},
    {"mheap_scavenge", [] { rt::mheap_scavenge(0, 0); }},
    {"stackpool_scavenge", [] { rt::stackpool_scavenge(0, 0); }},
    {"stack_check_integrity", [] { rt::stack_check_integrity(nullptr, 0); }},
};

TEST(AllocatorRuleDeathTest, EveryEntryPointFromAGoroutineIsFatal) {
  for (const EntryPoint& e : kEntryPoints) {
    SCOPED_TRACE(e.name);
    EXPECT_EXIT(run([&] { e.call(); }), ExitedWithCode(2),
                std::string("fatal: ") + e.name + " not on system stack");
  }
}

TEST(AllocatorRule, EveryEntryPointWorksThroughSystemstack) {
  run([] {
    rt::systemstack([] {
      rt::Stack s = rt::stackalloc(4096);
      rt::stackfree(s);
      rt::Span* sp = rt::mheap_alloc(3);
      EXPECT_EQ(sp->npages, 3u);
      rt::mheap_free(sp);
      rt::mheap_scavenge(0, 0);
      rt::StackCache c[rt::kNumStackClasses];
      rt::stackcache_refill(&c[1], 1);
      EXPECT_EQ(c[1].n, rt::kStackCacheMax / 2);
      rt::stackcache_flush(c);
      EXPECT_EQ(c[1].n, 0);
      EXPECT_EQ(rt::stack_check_integrity(nullptr, 0), nullptr);
    });
  });
}

// Seed scenario 1: on every P, goroutines recurse across many morestack
// segments while others are spawned and exit. Afterwards every segment and
// stack is back (counted), and once run returns every stack span has gone
// back to the heap.
__attribute__((noinline)) long recurse(int n) {
  if (n == 0) return 0;
  long r = n % 25 == 0 ? rt::morestack([n] { return recurse(n - 1); }) : recurse(n - 1);
  asm volatile("" ::: "memory");
  return r + n;
}

TEST(AllocatorSeed, MorestackWhileSpawningOnEveryP) {
  rt::StackStats before = rt::stack_stats();
  EXPECT_EQ(before.inuse_count, 0) << "a previous run leaked stacks";
  run(
      [] {
        const int kRecursers = 16, kDepth = 2000, kChurn = 20000 / kScale;
        WaitGroup wg;
        std::atomic<long> bad{0};
        for (int i = 0; i < kRecursers; ++i) {
          wg.add(1);
          go([&] {
            for (int k = 0; k < 5; ++k)
              if (recurse(kDepth) != long(kDepth) * (kDepth + 1) / 2) ++bad;
            wg.done();
          });
          wg.add(1);
          go([&] {
            for (int k = 0; k < kChurn / kRecursers; ++k) {
              wg.add(1);
              go([&] { wg.done(); });
              if (k % 64 == 0) yield();
            }
            wg.done();
          });
        }
        wg.wait();
        // done() runs before a goroutine has finished exiting: wait for the
        // stragglers to give their stacks back.
        for (int i = 0; i < 5000 && mem_stats().goroutines > 1; ++i) sleep_for(std::chrono::milliseconds(1));
        EXPECT_EQ(bad.load(), 0);
        EXPECT_EQ(rt::segments_live(), 0) << "morestack segments not freed";
        EXPECT_EQ(rt::stack_stats().inuse_count - rt::sigstacks_live(), 1)
            << "only main's stack (and the Ms' signal stacks) should be in use";
        rt::systemstack([] { EXPECT_EQ(rt::check_allocator_integrity(), nullptr); });
      },
      Config{4});
  rt::StackStats after = rt::stack_stats();
  EXPECT_EQ(after.inuse_count, 0);
  EXPECT_EQ(after.inuse_bytes, 0);
  EXPECT_EQ(after.spans, 0) << "stack spans not returned to the heap after run";
}

// Seed scenario 2: stacks freed on one P while another allocates; 10^6
// operations, then every free list is checked.
TEST(AllocatorSeed, CrossPFreesKeepCachesAndPoolsConsistent) {
  run(
      [] {
        const long kOps = 1000000 / kScale;
        chan<rt::Stack> handoff(64);
        WaitGroup wg;
        wg.add(2);
        // Allocator side: stacks of every class, handed to the other side.
        go([&, handoff] {
          std::mt19937 rng(1);
          for (long i = 0; i < kOps / 2; ++i) {
            std::size_t n = std::size_t(4096) << (rng() % 5);
            rt::Stack s;
            rt::systemstack([&] { s = rt::stackalloc(n); });
            *reinterpret_cast<volatile char*>(s.lo) = 1;  // usable
            handoff.send(s);
          }
          handoff.close();
          wg.done();
        });
        // Freeing side, on whichever P runs it.
        go([&, handoff] {
          for (rt::Stack s : handoff) rt::systemstack([s] { rt::stackfree(s); });
          wg.done();
        });
        // Meanwhile goroutines spawn and exit, moving stacks through caches.
        for (long i = 0; i < kOps / 2; ++i) {
          wg.add(1);
          go([&] { wg.done(); });
          if (i % 256 == 0) yield();
        }
        wg.wait();
        const char* err = nullptr;
        rt::systemstack([&] { err = rt::check_allocator_integrity(); });
        EXPECT_EQ(err, nullptr) << err;
      },
      Config{2});
}

// A stack overflow faults in the guard page just below the stack, not past
// it. (The runtime's own report of it is issue #5; here a test handler on
// an alternate stack looks at the fault address.)
std::uintptr_t g_guard_lo, g_guard_hi;

void on_segv(int, siginfo_t* si, void*) {
  auto a = reinterpret_cast<std::uintptr_t>(si->si_addr);
  const char* msg = a >= g_guard_lo && a < g_guard_hi ? "fault in guard page\n" : "fault outside guard page\n";
  (void)!write(2, msg, strlen(msg));
  _exit(a >= g_guard_lo && a < g_guard_hi ? 3 : 4);
}

__attribute__((noinline)) int overflow(int n) {
  if (n < 0) return 0;  // never: keeps the compiler from calling it infinite
  volatile char pad[256];
  pad[0] = static_cast<char>(n);
  int r = overflow(n + 1) + pad[0];
  asm volatile("" ::: "memory");
  return r;
}

TEST(GuardPageDeathTest, StackOverflowFaultsInTheGuardPage) {
  EXPECT_EXIT(
      {
        static char altstack[64 * 1024];
        stack_t ss{};
        ss.ss_sp = altstack;
        ss.ss_size = sizeof altstack;
        sigaltstack(&ss, nullptr);
        struct sigaction sa {};
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, nullptr);
        run(
            [] {
              rt::G* gp = rt::getg();
              g_guard_hi = gp->stack.lo;
              g_guard_lo = gp->stack.lo - rt::heap_page();
              overflow(0);
            },
            Config{1, false, 16 * 1024});
      },
      // gort's handler owns faults in a guard: its report wins over the
      // handler installed before the run (which gets any other fault).
      ExitedWithCode(2), "fatal: stack overflow in goroutine 1 \\(stack \\[0x");
}

TEST(MemStats, CountsGoroutinesAndStacks) {
  run([] {
    MemStats m0 = mem_stats();
    EXPECT_EQ(m0.goroutines, 1u);
    EXPECT_GT(m0.heap_reserved, 0u);
    EXPECT_GE(m0.stack_inuse, 64u * 1024);
    chan<int> park;
    WaitGroup started;
    for (int i = 0; i < 100; ++i) {
      started.add(1);
      go([&, park] {
        started.done();
        park.recv();
      });
    }
    started.wait();
    MemStats m1 = mem_stats();
    EXPECT_EQ(m1.goroutines, 101u);
    EXPECT_GE(m1.stack_inuse, m0.stack_inuse + 100u * 64 * 1024);
    EXPECT_GE(m1.heap_inuse, m1.stack_inuse);
    EXPECT_GT(m1.resident, 0u);
    park.close();
  });
}

}  // namespace
}  // namespace gort::test
