// Promise: when a goroutine ends and the next goroutine its P would run has
// never run, that one starts on the ending goroutine's stack, from there
// (core/proc.cpp, goexit_direct), and nothing the scheduler must not skip
// is skipped: each new goroutine has a whole stack of the run's class to
// itself, stacks are neither lost nor shared, a goroutine that has run
// before is resumed by the scheduler, a locked one on its own thread,
// timers fire and work queued globally runs while goroutines end and start
// without pause. Builds whose sanitizers must hear of every switch between
// stacks (ASan, TSan) end every goroutine through g0.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdlib>

#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

using namespace std::chrono_literals;

// direct_starts: new goroutines started by goexit_direct, on every P.
std::uint64_t direct_starts() {
  rt::Sched& s = *rt::getg()->m->sched;
  std::uint64_t n = 0;
  for (std::int32_t i = 0; i < s.gomaxprocs; ++i) n += s.allp[i]->direct_starts;
  return n;
}

// use_stack: write and read back `bytes` of the current stack (frames of a
// recursion, each with a buffer), so a stack shorter than promised faults
// on its guard and one shared with another goroutine shows a wrong sum.
__attribute__((noinline)) long use_stack(std::size_t bytes, long seed) {
  volatile unsigned char buf[512];
  for (std::size_t i = 0; i < sizeof buf; ++i) buf[i] = static_cast<unsigned char>(seed + i);
  long below = bytes > sizeof buf + 128 ? use_stack(bytes - sizeof buf - 128, seed + 1) : 0;
  long sum = 0;
  for (std::size_t i = 0; i < sizeof buf; ++i) sum += buf[i];
  return sum + below;
}

long expected_use(std::size_t bytes, long seed) {
  long sum = 0;
  for (;;) {
    for (std::size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(seed + i);
    if (bytes <= 512 + 128) return sum;
    bytes -= 512 + 128;
    ++seed;
  }
}

// Batches of goroutines that each use most of a smallest-class stack, on 1
// and on 2 Ps: the batch's goroutines after the first start from the
// previous one's end.
TEST(GoroutineEnd, NewGoroutinesStartOnTheEndingOnesStack) {
  const int kBatches = 40 / kScale + 2, kBatch = 200;
  constexpr std::size_t kStack = 16 * 1024, kUse = 10 * 1024;
  for (int procs : {1, 2}) {
    std::atomic<long> bad{0}, ran{0};
    std::uint64_t starts = 0;
    std::size_t stack_before = 0, stack_after = 0;
    Config cfg;
    cfg.procs = procs;
    cfg.stack_size = kStack;
    run(
        [&] {
          std::uint64_t before = direct_starts();
          const long want = expected_use(kUse, 7);
          for (int b = 0; b < kBatches; ++b) {
            WaitGroup wg;
            for (int i = 0; i < kBatch; ++i) {
              wg.add(1);
              go([&] {
                if (use_stack(kUse, 7) != want) bad.fetch_add(1);
                ran.fetch_add(1);
                wg.done();
              });
            }
            wg.wait();
            if (b == 0) {
              await_stragglers();
              stack_before = mem_stats().stack_inuse;
            }
          }
          await_stragglers();
          stack_after = mem_stats().stack_inuse;
          starts = direct_starts() - before;
          const char* err = nullptr;
          rt::systemstack([&] { err = rt::check_allocator_integrity(); });
          EXPECT_EQ(err, nullptr) << err;
        },
        cfg);
    SCOPED_TRACE(procs == 1 ? "1 P" : "2 Ps");
    EXPECT_EQ(bad.load(), 0) << "a goroutine's stack was not its own";
    EXPECT_EQ(ran.load(), long(kBatches) * kBatch);
    // The same stacks in use before and after, give or take the signal
    // stacks (32 KiB) of Ms started meanwhile; a stack lost per goroutine
    // would be megabytes.
    auto diff = static_cast<long long>(stack_after) - static_cast<long long>(stack_before);
    EXPECT_LT(std::llabs(diff), 256 * 1024) << "stacks lost or counted twice";
    if (rt::race::kStackSwitch) {
      EXPECT_EQ(starts, 0u) << "with ASan or TSan every goroutine ends through g0";
    } else {
      // One in 61 goes through the scheduler on purpose (its fairness
      // tick), and each batch's first starts from main's wait; on 2 Ps the
      // other P's idle spells take more.
      std::uint64_t total = std::uint64_t(kBatches) * kBatch;
      EXPECT_GT(starts, procs == 1 ? total * 8 / 10 : total / 4) << "new goroutines started from g0";
    }
  }
}

// A goroutine that readies one that has run before (parked on a channel),
// which goes to runnext, and then ends: the scheduler resumes the parked
// one (M::handoff), on 1 and 2 Ps.
TEST(GoroutineEnd, AGoroutineThatRanBeforeIsResumedByTheScheduler) {
  const int kRounds = 2000 / kScale;
  for (int procs : {1, 2}) {
    long total = 0;
    run(
        [&] {
          chan<int> c;
          for (int i = 0; i < kRounds; ++i) {
            go([c, i] { c.send(i); });  // main is parked in recv: readied, then this ends
            total += *c.recv();
          }
          await_stragglers();
        },
        Config{procs});
    EXPECT_EQ(total, long(kRounds) * (kRounds - 1) / 2);
  }
}

// A goroutine locked to its thread, readied by goroutines that end right
// after: it runs on its own thread every time.
TEST(GoroutineEnd, ALockedGoroutineReadiedByAnEndingOneRunsOnItsThread) {
  const int kRounds = 500 / kScale;
  for (int procs : {1, 2}) {
    int moved = 0;
    long total = 0;
    run(
        [&] {
          chan<int> c;
          chan<bool> done;
          go([&, c, done] {
            lock_os_thread();
            pthread_t mine = pthread_self();
            for (int i = 0; i < kRounds; ++i) {
              total += *c.recv();
              moved += !pthread_equal(pthread_self(), mine);
            }
            unlock_os_thread();
            done.send(true);
          });
          for (int i = 0; i < kRounds; ++i) {
            WaitGroup wg;
            wg.add(1);
            go([c, i, &wg] {
              c.send(i);  // readies the locked goroutine, then ends
              wg.done();
            });
            wg.wait();
          }
          done.recv();
          await_stragglers();
        },
        Config{procs});
    EXPECT_EQ(moved, 0) << "a locked goroutine ran on another thread";
    EXPECT_EQ(total, long(kRounds) * (kRounds - 1) / 2);
  }
}

// A relay: every goroutine starts the next one and ends, so a new
// goroutine waits in runnext at every end and the P never idles. A
// sleeper must still wake (its timer fires, and its wake-up, queued
// globally when an idle M runs the timer, is served), with and without
// threads besides main's.
TEST(GoroutineEnd, TimersFireAndGlobalWorkRunsWhileGoroutinesEndAndStart) {
  for (bool threads : {true, false}) {
    std::atomic<bool> woke{false}, gave_up{false};
    std::atomic<long> hops{0};
    Config cfg;
    cfg.procs = 1;
    cfg.threads = threads;
    run(
        [&] {
          WaitGroup wg;
          wg.add(2);
          go([&] {
            sleep_for(2ms);
            woke = true;
            wg.done();
          });
          struct Relay {
            std::atomic<bool>* woke;
            std::atomic<bool>* gave_up;
            std::atomic<long>* hops;
            WaitGroup* wg;
            Clock::time_point give_up;
            void operator()() const {
              // Bounded: a scheduler that never serves the sleeper fails
              // here instead of hanging.
              long n = hops->fetch_add(1);
              if (!woke->load() && n % 4096 == 0 && Clock::now() > give_up) *gave_up = true;
              if (woke->load() || gave_up->load()) {
                wg->done();
                return;
              }
              go(*this);
            }
          };
          go(Relay{&woke, &gave_up, &hops, &wg, Clock::now() + 10s});
          wg.wait();
        },
        cfg);
    SCOPED_TRACE(threads ? "threads" : "no threads");
    EXPECT_FALSE(gave_up.load()) << "the sleeper did not run (or wake) in 10 s while goroutines ended and started";
    EXPECT_GT(hops.load(), 0);
  }
}

}  // namespace
}  // namespace gort::test
