// lock_os_thread: a locked goroutine resumes on its own thread after every
// park while other goroutines keep running; nesting counts as in Go; a
// goroutine that exits locked takes its thread with it.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "os.hpp"
#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

using namespace std::chrono_literals;

TEST(LockOsThread, ParksResumeOnTheSameThreadWhileOthersRun) {
  run(
      [] {
        std::atomic<bool> stop{false};
        std::atomic<long> others{0};
        WaitGroup wg;
        wg.add(1);
        go([&] {  // keeps the other P busy
          while (!stop.load()) {
            others.fetch_add(1);
            yield();
          }
          wg.done();
        });
        chan<int> c;
        go([c] {
          for (int i = 0; i < 500; ++i) c.send(i);
        });
        lock_os_thread();
        pthread_t me = pthread_self();
        int moved = 0;
        long before = others.load();
        for (int i = 0; i < 1000; ++i) {
          if (i % 2 == 0)
            EXPECT_EQ(*c.recv(), i / 2);
          else
            sleep_for(50us);
          if (!pthread_equal(pthread_self(), me)) ++moved;
        }
        unlock_os_thread();
        EXPECT_EQ(moved, 0) << "a locked goroutine resumed on another thread";
        EXPECT_GT(others.load(), before) << "the other goroutines did not run meanwhile";
        stop = true;
        wg.wait();
      },
      Config{2});
}

// Blocking calls of a locked goroutine while every P is busy: sysmon hands
// the P off, the call's return finds no P free, queues the goroutine and
// the locked M waits for it (not among the idle Ms).
TEST(LockOsThread, BlockingCallsWhileEveryPIsBusy) {
  run(
      [] {
        std::atomic<bool> stop{false};
        WaitGroup wg;
        for (int i = 0; i < 2; ++i) {
          wg.add(1);
          go([&] {
            while (!stop.load()) yield();
            wg.done();
          });
        }
        lock_os_thread();
        pthread_t me = pthread_self();
        int moved = 0;
        for (int i = 0; i < 200 / kScale + 20; ++i) {
          blocking([] { usleep(500); });
          if (!pthread_equal(pthread_self(), me)) ++moved;
        }
        unlock_os_thread();
        EXPECT_EQ(moved, 0);
        stop = true;
        wg.wait();
      },
      Config{2});
}

TEST(LockOsThread, NestingCountsAsInGo) {
  run([] {
    lock_os_thread();
    lock_os_thread();
    unlock_os_thread();
    EXPECT_EQ(rt::getg()->lockedm, rt::getg()->m) << "still locked once";
    unlock_os_thread();
    EXPECT_EQ(rt::getg()->lockedm, nullptr);
    unlock_os_thread();  // unlocking an unlocked goroutine does nothing
    EXPECT_EQ(rt::getg()->lockedm, nullptr);
  });
}

bool thread_alive(long tid) { return access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) == 0; }

TEST(LockOsThread, ExitingLockedTakesTheThreadWithIt) {
  if (access("/proc/self/task", F_OK) != 0) GTEST_SKIP() << "no /proc/self/task to see threads in";
  run(
      [] {
        chan<long> tid;
        go([tid] {
          lock_os_thread();
          tid.send(os::thread_id());
        });  // exits locked
        long t = *tid.recv();
        auto give_up = Clock::now() + std::chrono::seconds(20);
        while (thread_alive(t) && Clock::now() < give_up) sleep_for(1ms);
        EXPECT_FALSE(thread_alive(t)) << "the thread of a goroutine that exited locked is still there";
        // The run goes on with its other threads.
        chan<int> c;
        go([c] { c.send(7); });
        EXPECT_EQ(*c.recv(), 7);
      },
      Config{2});
}

}  // namespace
}  // namespace gort::test
