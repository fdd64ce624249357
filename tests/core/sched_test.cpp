// Scheduler: spawning and joining, work spread over Ps, progress during a
// blocking call, yield, results, threads=false, schedtrace, exceptions.
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "sched.hpp"
#include "testutil.hpp"
#include "thread_count.hpp"

namespace gort::test {
namespace {

int current_p() { return rt::getg()->m->p->id; }

int threads_in_process() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

TEST(Run, ReturnsMainsResult) {
  EXPECT_EQ(run([] { return 42; }), 42);
  EXPECT_EQ(run([] {}), 0);
  EXPECT_EQ(run([] { return 7; }, Config{1, false}), 7);
}

// Each run's goroutine is awaited before main returns: a send that meets
// its receiver already waiting returns at once, so the sender can still be
// out (runnable, its function object holding c) when main returns, and run
// would abandon it, whose captures are never destroyed (lifecycle_test.cpp
// covers that on purpose, with the leak checker off): LeakSanitizer saw
// the channel leak in about 1 run in 300 of this test.
TEST(Run, RunsAgainAfterReturning) {
  for (int i = 0; i < 20; ++i) {
    int r = run([i] {
      chan<int> c;
      go([c, i] { c.send(i); });
      int v = *c.recv();
      await_stragglers();
      return v;
    });
    EXPECT_EQ(r, i);
  }
}

TEST(Go, HundredThousandGoroutinesSpawnedAndJoined) {
  run([] {
    const int n = 100000 / kScale;
    WaitGroup wg;
    std::atomic<long> sum{0};
    for (int i = 0; i < n; ++i) {
      wg.add(1);
      go([&, i] {
        sum += i;
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(sum.load(), long(n) * (n - 1) / 2);
  });
}

TEST(Go, BigFunctionObjectsAreMovedIntoTheGoroutine) {
  run([] {
    std::array<long, 64> big{};
    for (int i = 0; i < 64; ++i) big[i] = i;
    chan<long> c;
    go([big, c] {
      long s = 0;
      for (long v : big) s += v;
      c.send(s);
    });
    EXPECT_EQ(c.recv(), 2016);
  });
}

TEST(Sched, WorkIsSpreadOverPs) {
  run(
      [] {
        std::mutex mu;
        std::set<int> ps;
        WaitGroup wg;
        for (int i = 0; i < 64; ++i) {
          wg.add(1);
          go([&] {
            auto until = Clock::now() + std::chrono::milliseconds(2);
            while (Clock::now() < until) {
            }
            {
              std::lock_guard<std::mutex> l(mu);
              ps.insert(current_p());
            }
            wg.done();
          });
        }
        wg.wait();
        EXPECT_EQ(ps.size(), 2u) << "goroutines ran on only one of two Ps";
      },
      Config{2});
}

TEST(Sched, ProgressWhileAnotherGoroutineBlocks) {
  run(
      [] {
        std::atomic<bool> in_call{false}, done{false};
        std::atomic<long> progress_during_call{0};
        WaitGroup wg;
        wg.add(2);
        go([&] {
          blocking([&] {
            in_call = true;
            usleep(200000);
            in_call = false;
          });
          done = true;
          wg.done();
        });
        go([&] {
          while (!done) {
            if (in_call) ++progress_during_call;
            yield();
          }
          wg.done();
        });
        wg.wait();
        EXPECT_GT(progress_during_call.load(), 100)
            << "the other goroutine was stuck behind the blocking call on a 1-P runtime";
      },
      Config{1});
}

TEST(Sched, BlockingReturnsValuesAndRethrows) {
  run([] {
    EXPECT_EQ(blocking([] { return 6 * 7; }), 42);
    std::string s = blocking([] { return std::string("foreign"); });
    EXPECT_EQ(s, "foreign");
#if defined(__cpp_exceptions)
    EXPECT_THROW(blocking([]() -> int { throw std::runtime_error("x"); }), std::runtime_error);
#endif
  });
}

TEST(Sched, YieldLetsOthersRun) {
  run(
      [] {
        // The two goroutines write the order one slot each, through an
        // atomic index: only the scheduler orders them (one P), which Go's
        // memory model does not count, so a shared string would be a race
        // between them (TSan reports it). The WaitGroup orders every slot
        // before main reads them.
        std::atomic<int> turns{0};
        char slots[6] = {};
        WaitGroup wg;
        wg.add(2);
        for (char who : {'a', 'b'})
          go([&, who] {
            for (int i = 0; i < 3; ++i) {
              slots[turns.fetch_add(1)] = who;
              yield();
            }
            wg.done();
          });
        wg.wait();
        std::string order(slots, sizeof slots);
        // Whichever starts first (the newest spawn runs next, as in Go),
        // each yield hands the P to the other.
        EXPECT_TRUE(order == "ababab" || order == "bababa") << order;
      },
      Config{1});
}

// A tree of goroutines runs depth first (runq.cpp): each fib(n) spawns
// fib(n-1) and fib(n-2) and waits for both, and the newest unstarted child
// runs next, so the goroutines spawned and not yet finished stay a few per
// level of the tree. Run breadth first (a FIFO queue, as Go's), fib(18)
// keeps thousands of them at once. One P without threads: deterministic.
int tree_fib(int n, std::atomic<int>& live, std::atomic<int>& peak) {
  if (n < 2) return n;
  int a = 0, b = 0;
  WaitGroup wg;
  for (int* r : {&a, &b}) {
    int now = ++live;
    for (int p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);) {
    }
    wg.add(1);
    go([&, r, m = r == &a ? n - 1 : n - 2] {
      *r = tree_fib(m, live, peak);
      --live;
      wg.done();
    });
  }
  wg.wait();
  return a + b;
}

// The run queue alone, on plain threads: an owner puts new Gs (never run)
// through runnext, which pushes the older ones onto its LIFO, and takes
// them back while two thieves steal from it. Every G is taken exactly once
// and the queue is empty at the end of each round: the owner and a thief
// racing for the last G in the LIFO settle it with one CAS (runq.cpp,
// lifoget). Rounds of one to three Gs, so that most rounds end in that race
// (which needs the threads to run at once: on a busy machine a broken CAS
// shows in about one run in two).
TEST(RunQueue, OwnerAndThievesTakeEachNewGoroutineOnce) {
  constexpr int kG = 3;
  const long kRounds = 2000000 / kScale;
  rt::Sched s;
  s.gomaxprocs = 3;
  rt::P owner, thief[2];
  rt::P* allp[3] = {&owner, &thief[0], &thief[1]};
  s.allp = allp;
  static rt::G gs[kG];
  std::atomic<int> taken[kG];
  std::atomic<long> round{0}, done_thieves{0};
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0};
  auto take = [&](rt::G* gp) {
    if (gp == nullptr) return;
    long i = gp - gs;
    if (i < 0 || i >= kG) {
      ++bad;
      return;
    }
    ++taken[i];
  };
  std::thread thieves[2];
  for (int k = 0; k < 2; ++k)
    thieves[k] = std::thread([&, k] {
      while (!stop.load(std::memory_order_relaxed)) take(rt::runqsteal(&thief[k], &owner, false));
      ++done_thieves;
    });
  for (long r = 0; r < kRounds && bad.load() == 0; ++r) {
    int n = 1 + static_cast<int>(r % kG);
    for (int i = 0; i < kG; ++i) taken[i].store(0, std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) rt::runqput(s, &owner, &gs[i], true);
    bool inherit = false;
    // Take until every G of the round was taken by someone.
    for (;;) {
      take(rt::runqget(&owner, &inherit));
      int sum = 0;
      for (int i = 0; i < n; ++i) sum += taken[i].load();
      if (sum >= n) break;
    }
    for (int i = 0; i < n; ++i)
      if (taken[i].load() != 1) ++bad;
    if (!rt::runqempty(&owner)) ++bad;
  }
  stop = true;
  for (auto& t : thieves) t.join();
  EXPECT_EQ(bad.load(), 0) << "a G taken twice or never, or the queue not empty after a round";
}

// Free Gs move between a P and the run's list in whole batches of kGBatch
// (proc.cpp, gfput). Bursts of goroutines alive at once on 3 Ps, so that
// every P both keeps Gs and trades them with the run's list; after each,
// every dead G is on exactly one free list, the run's list holds only
// whole batches and counts them, and each P's lists match their counts.
// A G lost (a spare dropped, a batch unlinked) or counted wrong shows here.
TEST(Sched, FreeGsTravelInWholeBatchesAndNoneIsLost) {
  run(
      [] {
        rt::Sched& s = *rt::getg()->m->sched;
        auto burst = [](int n) {
          chan<int> gate;
          WaitGroup wg;
          for (int i = 0; i < n; ++i) {
            wg.add(1);
            go([gate, &wg] {
              gate.recv();
              wg.done();
            });
          }
          gate.close();
          wg.wait();
        };
        // "" or what is wrong. Every other goroutine has ended, so no P
        // touches its lists; sched.lock keeps idle Ps idle meanwhile.
        auto check = [&s]() -> std::string {
          std::set<rt::G*> seen;
          auto walk = [&seen](rt::G* head, long want, const char* what) -> std::string {
            long k = 0;
            for (rt::G* gp = head; gp != nullptr; gp = gp->schedlink, ++k) {
              if (gp->status.load() != rt::Gstatus::dead) return std::string(what) + ": a G that is not dead";
              if (!seen.insert(gp).second) return std::string(what) + ": a G on two free lists";
            }
            if (k != want)
              return std::string(what) + ": " + std::to_string(k) + " Gs, counted " + std::to_string(want);
            return "";
          };
          rt::LockGuard l(s.lock);
          {
            rt::LockGuard lg(s.gflock);
            long batches = 0;
            for (rt::G* b = s.gfree.load(); b != nullptr; b = b->gfree_batch, ++batches)
              if (auto e = walk(b, rt::kGBatch, "a batch of the run's list"); !e.empty()) return e;
            if (s.ngfree != batches * rt::kGBatch)
              return "the run's list counts " + std::to_string(s.ngfree) + " Gs in " + std::to_string(batches) +
                     " batches";
          }
          for (int i = 0; i < s.gomaxprocs; ++i) {
            rt::P* pp = s.allp[i];
            if (pp->gfreecnt < 0 || pp->gfreecnt >= rt::kGBatch)
              return "a P's partial batch counts " + std::to_string(pp->gfreecnt);
            if (auto e = walk(pp->gfree, pp->gfreecnt, "a P's partial batch"); !e.empty()) return e;
            if (pp->gspare != nullptr)
              if (auto e = walk(pp->gspare, rt::kGBatch, "a P's spare batch"); !e.empty()) return e;
          }
          long dead = 0;
          rt::LockGuard la(s.allglock);
          for (rt::G* gp = s.allgs; gp != nullptr; gp = gp->alllink) dead += gp->status.load() == rt::Gstatus::dead;
          if (dead != static_cast<long>(seen.size()))
            return std::to_string(dead) + " dead Gs, " + std::to_string(seen.size()) + " on free lists";
          return "";
        };
        // Sizes off the batch boundary, and one far past what a P keeps.
        for (int n : {1, rt::kGBatch - 1, rt::kGBatch + 1, 3 * rt::kGBatch + 5, 4000 / kScale, 7}) {
          burst(n);
          await_stragglers();
          EXPECT_EQ(check(), "") << "after a burst of " << n;
        }
      },
      Config{3});
}

TEST(Sched, TreeOfGoroutinesRunsDepthFirst) {
  std::atomic<int> live{0}, peak{0};
  int r = 0;
  run([&] { r = tree_fib(18, live, peak); }, Config{1, false});
  EXPECT_EQ(r, 2584);
  EXPECT_LE(peak.load(), 4 * 18) << "goroutines spawned and unfinished at once";
  RecordProperty("peak", peak.load());
}

// Every thread the runtime starts goes through pthread_create (os::newosproc),
// and every call of it is counted (thread_count.cpp): a thread that started
// and exited during the run still shows. The /proc count is kept as a second
// check, for a thread started some other way that is still alive.
TEST(Sched, NoThreadsWhenThreadsIsFalse) {
  // The counter sees the runtime's threads: a run with threads starts sysmon.
  long with_threads = pthread_creates();
  run([] {}, Config{1});
  ASSERT_GT(pthread_creates(), with_threads) << "pthread_create is not wrapped (tests/CMakeLists.txt)";

  int before = threads_in_process();
  long creates_before = pthread_creates();
  int during = -1;
  long sum = 0;
  run(
      [&] {
        chan<int> c(4);
        WaitGroup wg;
        for (int i = 0; i < 100; ++i) {
          wg.add(1);
          go([&, c, i] {
            sleep_for(std::chrono::microseconds(100 * (i % 5)));
            c.send(i);
            wg.done();
          });
        }
        for (int i = 0; i < 100; ++i) sum += *c.recv();
        wg.wait();
        during = threads_in_process();
      },
      Config{1, false});
  EXPECT_EQ(pthread_creates() - creates_before, 0)
      << "pthread_create was called with Config::threads = false";
  EXPECT_EQ(sum, 4950);
  // Not equal: a thread of an earlier run may still be leaving the kernel's
  // books after pthread_join returned. None may have been added.
  EXPECT_LE(during, before) << "a thread was started with Config::threads = false";
}

TEST(Sched, LongRunningGoroutineIsAskedToYield) {
  run(
      [] {
        std::atomic<bool> other_ran{false};
        go([&] { other_ran = true; });
        // Spin without blocking; only the safe point in the loop lets the other
        // goroutine run, once sysmon flags this one (after about 10 ms).
        auto give_up = Clock::now() + std::chrono::seconds(20);
        while (!other_ran && Clock::now() < give_up) rt::checkpreempt();
        EXPECT_TRUE(other_ran.load());
      },
      Config{1});
}

TEST(SchedDeathTest, SchedtracePrintsPeriodically) {
  EXPECT_EXIT(
      {
        setenv("GORTDEBUG", "schedtrace=5", 1);
        run([] { sleep_for(std::chrono::milliseconds(60)); }, Config{2});
        std::exit(0);
      },
      ::testing::ExitedWithCode(0),
      "SCHED [0-9]+ms: gomaxprocs=2 idleprocs=[0-9]+ threads=[0-9]+ spinningthreads=[0-9]+ "
      "idlethreads=[0-9]+ runqueue=[0-9]+ \\[[0-9]+ [0-9]+\\]");
}

TEST(Mutex, ExcludesAndWorksWithLockGuard) {
  run(
      [] {
        Mutex mu;
        long counter = 0;
        WaitGroup wg;
        for (int g = 0; g < 8; ++g) {
          wg.add(1);
          go([&] {
            for (int i = 0; i < 2000 / kScale; ++i) {
              std::lock_guard<Mutex> l(mu);
              long v = counter;
              if (i % 50 == 0) yield();  // hold the lock across a switch
              counter = v + 1;
            }
            wg.done();
          });
        }
        wg.wait();
        EXPECT_EQ(counter, 8 * (2000 / kScale));
        EXPECT_TRUE(mu.try_lock());
        EXPECT_FALSE(mu.try_lock());
        mu.unlock();
      },
      Config{2});
}

TEST(Once, RunsExactlyOnce) {
  run([] {
    Once once;
    std::atomic<int> calls{0};
    WaitGroup wg;
    for (int i = 0; i < 50; ++i) {
      wg.add(1);
      go([&] {
        once.call([&] {
          sleep_for(std::chrono::milliseconds(2));
          ++calls;
        });
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(calls.load(), 1);
  });
}

}  // namespace
}  // namespace gort::test
