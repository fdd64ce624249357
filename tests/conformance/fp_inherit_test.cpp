// Promise (core, over the port's gort_arch::fpctl_copy): a goroutine
// starts with the FP control state it was made with, whatever the thread
// it first runs on was left in by the goroutine before it, which may have
// changed its own and then parked or ended there (the case these tests set
// up, on one P, where the goroutine after it is the new one for certain,
// and on two). Made with: for run's main goroutine and every goroutine
// gort::go makes, the state run's caller had, as in Go, where no goroutine
// inherits another's (so also not its creator's, which the tests change
// before they spawn); for a callback's goroutine, the calling thread's.
//
// The environments are the port's GORT_TEST_FPENV_A and _B (gort_arch.h),
// which differ in every bit compared; each case runs both ways round
// (harness.hpp's kFpPairs: `mine` is run's caller's, `other` the one the
// goroutines around it set).
#include <thread>

#include <gort/chan.hpp>
#include <gort/gort.hpp>
#include <gort/sync.hpp>

#include "harness.hpp"

namespace gort::test {
namespace {

#ifndef GORT_NO_FPENV

// Run's caller sets `run_env`. Main sets the other one and makes `first`
// (into the run queue's ring) and then `changer` (runnext, so it runs
// first): changer sets the other one too, makes `grandchild`, and then
// parks (park) or ends; `first` starts next on that thread. All three
// goroutines must start with run_env.
void after_a_changer(int procs, bool park) {
  FpEnvGuard guard;
  for (FpPair e : kFpPairs) {
    std::uint32_t first = 0, grandchild = 0;
    gort_test_fpenv_set(e.mine);  // run_env
    gort::run(
        [&] {
          gort::chan<int> release;
          gort::WaitGroup wg, ended;  // ended: the changer is over before main is (nothing abandoned)
          wg.add(3);
          ended.add(1);
          gort_test_fpenv_set(e.other);
          gort::go([&] {
            first = gort_test_fpenv_get();
            wg.done();
          });
          gort::go([&, park] {
            gort_test_fpenv_set(e.other);
            gort::go([&] {
              grandchild = gort_test_fpenv_get();
              wg.done();
            });
            wg.done();
            if (park) release.recv();
            ended.done();
          });
          wg.wait();
          release.close();
          ended.wait();
        },
        gort::Config{procs});
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(first, e.mine, "first");
    EXPECT_FPENV(grandchild, e.mine, "grandchild");
  }
}

TEST(FpInheritance, NewGoroutineAfterOneThatParkedOnOneP) { after_a_changer(1, true); }
TEST(FpInheritance, NewGoroutineAfterOneThatEndedOnOneP) { after_a_changer(1, false); }
TEST(FpInheritance, NewGoroutineAfterOneThatParkedOnTwoPs) { after_a_changer(2, true); }
TEST(FpInheritance, NewGoroutineAfterOneThatEndedOnTwoPs) { after_a_changer(2, false); }

// A goroutine's own changes stay its own across its switches and do not
// reach the goroutines that run between them.
TEST(FpInheritance, AGoroutinesChangesStayItsOwn) {
  FpEnvGuard guard;
  for (FpPair e : kFpPairs) {
    std::uint32_t mine_after = 0, theirs = 0;
    gort_test_fpenv_set(e.mine);
    gort::run(
        [&] {
          gort_test_fpenv_set(e.other);
          gort::chan<int> c;
          gort::go([&, c] {
            theirs = gort_test_fpenv_get();
            c.send(1);
          });
          c.recv();  // parks: the goroutine above runs meanwhile
          mine_after = gort_test_fpenv_get();
        },
        gort::Config{1});
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(mine_after, e.other, "main's own, after it parked");
    EXPECT_FPENV(theirs, e.mine, "the goroutine that ran meanwhile");
  }
}

// run's main goroutine: the caller of run's, on every kind of run.
TEST(FpInheritance, MainGoroutineGetsRunsCallersState) {
  FpEnvGuard guard;
  for (bool threads : {true, false}) {
    for (FpPair e : kFpPairs) {
      std::uint32_t got = 0;
      gort_test_fpenv_set(e.mine);
      gort::Config cfg{1};
      cfg.threads = threads;
      gort::run([&] { got = gort_test_fpenv_get(); }, cfg);
      gort_test_fpenv_set(guard.saved);
      EXPECT_FPENV(got, e.mine, (threads ? "main (threads)" : "main (no threads)"));
    }
  }
}

// A callback from a thread gort did not create: that thread's state, not
// the one main's thread or any M was in.
TEST(FpInheritance, CallbackGetsTheCallingThreadsState) {
  FpEnvGuard guard;
  for (FpPair e : kFpPairs) {
    std::uint32_t got = 0, caller_after = 0;
    gort_test_fpenv_set(e.other);
    gort::run(
        [&] {
          std::thread t([&] {
            gort_test_fpenv_set(e.mine);
            gort::callback([&] { got = gort_test_fpenv_get(); });
            caller_after = gort_test_fpenv_get();
          });
          gort::blocking([&] { t.join(); });
        },
        gort::Config{2});
    gort_test_fpenv_set(guard.saved);
    EXPECT_FPENV(got, e.mine, "the callback");
    EXPECT_FPENV(caller_after, e.mine, "the calling thread's, after the callback");
  }
}

#else   // GORT_NO_FPENV: each FpInheritance test above, skipped (harness.hpp)
GORT_FPENV_SKIPPED(FpInheritance, NewGoroutineAfterOneThatParkedOnOneP)
GORT_FPENV_SKIPPED(FpInheritance, NewGoroutineAfterOneThatEndedOnOneP)
GORT_FPENV_SKIPPED(FpInheritance, NewGoroutineAfterOneThatParkedOnTwoPs)
GORT_FPENV_SKIPPED(FpInheritance, NewGoroutineAfterOneThatEndedOnTwoPs)
GORT_FPENV_SKIPPED(FpInheritance, AGoroutinesChangesStayItsOwn)
GORT_FPENV_SKIPPED(FpInheritance, MainGoroutineGetsRunsCallersState)
GORT_FPENV_SKIPPED(FpInheritance, CallbackGetsTheCallingThreadsState)
#endif  // GORT_NO_FPENV

}  // namespace
}  // namespace gort::test
