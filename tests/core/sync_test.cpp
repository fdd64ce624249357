// WaitGroup and Mutex promises that need more than one goroutine to break.
#include <cstring>
#include <new>

#include "sched.hpp"
#include "testutil.hpp"

namespace gort::test {
namespace {

int parked_in(const char* reason) {
  rt::Sched& s = *rt::getg()->m->sched;
  rt::LockGuard l(s.allglock);
  int n = 0;
  for (rt::G* gp = s.allgs; gp; gp = gp->alllink)
    if (gp->status.load() == rt::Gstatus::waiting && std::strcmp(gp->waitreason, reason) == 0) ++n;
  return n;
}

// As in Go, a waiter may destroy the WaitGroup as soon as wait() returns,
// even while the add() that woke it is still waking the others: add() must
// not touch the WaitGroup after the first waiter could run. Here the first
// waiter to wake destroys it and scribbles over its memory. (The old add()
// woke one waiter per lock hold and hung or crashed in
// five of six runs of this test natively.)
TEST(WaitGroup, FirstOfThreeWaitersMayDestroyIt) {
  run(
      [] {
        const int rounds = 10000 / kScale;
        for (int round = 0; round < rounds; ++round) {
          alignas(WaitGroup) unsigned char storage[sizeof(WaitGroup)];
          auto* wg = ::new (storage) WaitGroup;
          wg->add(1);
          std::atomic<int> woken{0};
          WaitGroup all;
          all.add(3);
          for (int i = 0; i < 3; ++i)
            go([&, wg] {
              wg->wait();
              if (woken.fetch_add(1) == 0) {
                wg->~WaitGroup();
                std::memset(storage, 0xa5, sizeof storage);
              }
              all.done();
            });
          // Let the three park, then wake them all. (Parked: on the
          // semaphore's list. A waiter still on its way into wait() would
          // touch the WaitGroup after the first one destroyed it: that is
          // the program's bug, not the runtime's.)
          while (parked_in("WaitGroup.wait") < 3) yield();
          wg->done();
          all.wait();
          ASSERT_EQ(woken.load(), 3) << "round " << round;
        }
      },
      Config{4});  // idle Ps whose Ms steal the first waiter while add() still runs
}

}  // namespace
}  // namespace gort::test
