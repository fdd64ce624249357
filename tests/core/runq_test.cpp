// Run queues: the global queue's batch never overflows a full local queue
// (that path took sched.lock again while holding it), and a goroutine
// readied by a goroutine that then spins is run by another P (its wakeup
// is not lost).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

using ::testing::ExitedWithCode;

TEST(RunqDeathTest, GlobalBatchIntoAFullLocalQueueTakesNoLock) {
  // In a child: a hang there (the old self-deadlock) ends in SIGALRM.
  EXPECT_EXIT(
      {
        signal(SIGALRM, SIG_DFL);
        alarm(20);
        static rt::G gs[rt::kRunqSize + 100];
        rt::Sched s;
        s.gomaxprocs = 1;
        rt::P p;
        for (std::uint32_t i = 0; i < rt::kRunqSize; ++i) rt::runqput(s, &p, &gs[i], false);
        s.lock.lock();
        for (int i = 0; i < 100; ++i) rt::globrunqput(s, &gs[rt::kRunqSize + i]);
        rt::G* gp = rt::globrunqget(s, &p, 0);
        s.lock.unlock();
        bool ok = gp == &gs[rt::kRunqSize] && p.runqtail.load() - p.runqhead.load() == rt::kRunqSize &&
                  s.runqsize.load() == 99;
        std::exit(ok ? 0 : 1);
      },
      ExitedWithCode(0), "");
}

TEST(Runq, GlobalBatchFillsTheLocalQueueUpToItsRoom) {
  static rt::G gs[300];
  rt::Sched s;
  s.gomaxprocs = 1;
  rt::P p;
  for (std::uint32_t i = 0; i < rt::kRunqSize - 10; ++i) rt::runqput(s, &p, &gs[i], false);
  s.lock.lock();
  for (int i = 0; i < 40; ++i) rt::globrunqput(s, &gs[260 + i]);
  rt::G* gp = rt::globrunqget(s, &p, 0);
  s.lock.unlock();
  EXPECT_EQ(gp, &gs[260]);
  EXPECT_EQ(p.runqtail.load() - p.runqhead.load(), rt::kRunqSize);  // 10 more queued
  EXPECT_EQ(s.runqsize.load(), 29);
}

// A goroutine readies another and then spins (no safe point) until the
// other has run. Only another P can run it: the wakeup at the ready
// (wakep's store-load ordering, proc.cpp) or, if that found every M busy
// or about to sleep, sysmon's backstop (sysmon.cpp: work queued behind a
// goroutine running 10 ms, a P idle, nobody spinning) must get it there.
// Without the backstop this lost a round in a few hundred under QEMU on
// arm and arm64 with the machine loaded; the fences themselves cannot be
// proven here (x86, and QEMU on x86, are TSO). The give-up bound turns a
// goroutine left behind into a failure instead of a hang.
TEST(Runq, ReadiedGoroutineRunsWhileItsReadierSpins) {
  run(
      [] {
        const int rounds = 1000 / kScale;  // each round waits for an idle CPU to wake: ms on a VM
        int lost = 0;
        for (int i = 0; i < rounds; ++i) {
          std::atomic<bool> ran{false};
          chan<int> c;
          go([&ran, c] {
            c.recv();
            ran.store(true);
          });
          yield();  // let it park on c
          auto give_up = Clock::now() + std::chrono::seconds(10);
          c.send(1);  // readies it on this P (runnext)...
          while (!ran.load()) {  // ...and spins: another P must take it
            if (Clock::now() > give_up) {
              ++lost;
              break;
            }
          }
          while (!ran.load()) yield();
        }
        EXPECT_EQ(lost, 0);
      },
      Config{2});
}

}  // namespace
}  // namespace gort::test
