// Promise: gogo reads everything it needs from buf (callee-saved registers,
// FP control state, pc, ctxt) before it moves sp, and moves sp last. After sp
// moves, a signal handled on the current stack builds its frame below the new
// sp, and a Gobuf may live there: mexit resumes a copy of g0's base context
// kept in its own frame, below the sp that context resumes.
//
// The test keeps the Gobuf kGap bytes below the target's red zone, makes a
// timer deliver SIGALRM at a high rate with a handler installed without
// SA_ONSTACK (so it runs on whatever stack is current), and has that handler
// fill a large local array with the address of wrong_pc(). A gogo that reads
// pc or ctxt after moving sp sooner or later jumps to wrong_pc or hands the
// pattern to the target as its argument; both are counted. Under QEMU
// user-mode, signals are delivered between translated blocks, never inside
// gogo: there the test passes whatever the order. So it does under TSan,
// which runs a handler set with sigaction at the thread's next call it
// intercepts (here the loop's memcpy), never inside gogo.
#include <signal.h>
#include <sys/time.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "harness.hpp"

namespace gort::test {
namespace {

constexpr std::size_t kRegion = 256 * 1024;   // the target's stack
constexpr std::size_t kGap = 12 * 1024;       // the Gobuf's distance below the red zone
constexpr std::size_t kScribble = 32 * 1024;  // the handler's local array
static_assert(kGap > 4096, "the Gobuf must lie below the kernel's signal frame");
static_assert(kScribble > 2 * kGap, "the handler's array must reach over the Gobuf");

// 32 bits: the handler adds to it, and a 64-bit atomic is a lock in
// libatomic on MIPS32 and ARMv5, which the handler, interrupting the loop
// inside g_signals.load(), would wait on forever.
std::atomic<std::uint32_t> g_signals{0};
Gobuf g_back;                 // the loop, resumed by whatever the gogo reached
std::uint64_t g_entered;      // target entered with the right argument
std::uint64_t g_bad_ctxt;     // target entered with another argument
std::uint64_t g_wrong_pc;     // gogo jumped to the handler's pattern
std::uint64_t g_iterations;
int g_cookie;

// Neither target returns (each gogos back to the loop): built without
// TSan's calls, whose record of their entry would stay on the thread's
// stack of calls for every iteration (core/race.hpp, GORT_RACE_RUNTIME).
extern "C" [[noreturn]] GORT_RACE_RUNTIME void gort_test_wrong_pc(void*) {
  ++g_wrong_pc;
  gort_gogo(&g_back);
}

[[noreturn]] GORT_RACE_RUNTIME void target(void* arg) {
  if (arg == &g_cookie)
    ++g_entered;
  else
    ++g_bad_ctxt;
  gort_gogo(&g_back);
}

// The timer is one-shot, re-armed as the handler ends: a periodic one
// whose period is shorter than the handler (qemu-mipsel's is) would keep
// the thread in handlers and the loop would never advance.
itimerval g_storm{};

void scribble(int) {
  std::uintptr_t junk[kScribble / sizeof(std::uintptr_t)];
  const auto w = reinterpret_cast<std::uintptr_t>(&gort_test_wrong_pc);
  for (auto& x : junk) x = w;
  asm volatile("" : : "r"(junk) : "memory");  // the stores must happen
  g_signals.fetch_add(1, std::memory_order_relaxed);
  setitimer(ITIMER_REAL, &g_storm, nullptr);
}

TEST(GogoSignal, ReadsBufBeforeMovingSp) {
  // Natively the timer fires every 20 to 120 us (timer slack); 5000 signals
  // take under a second, and with sp switched before pc is read about one in
  // 200 of them lands in the window. The loop also stops after
  // kMaxIterations, so a timer that never fires cannot hang it; nothing
  // below depends on how many signals came.
  const std::uint64_t kSignals = 5000 / kScale;
  const std::uint64_t kMaxIterations = 200'000'000 / kScale;
  Stack s;
  rt::systemstack([&] { s = rt::stackalloc(kRegion); });
  g_signals = 0;
  g_entered = g_bad_ctxt = g_wrong_pc = g_iterations = 0;

  struct sigaction sa {}, old_sa {};
  sa.sa_handler = &scribble;
  sa.sa_flags = SA_RESTART;  // no SA_ONSTACK: the frame goes on the current stack
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGALRM, &sa, &old_sa), 0);
  itimerval old_timer{};
  g_storm.it_value.tv_usec = 20 * kScale;
  ASSERT_EQ(setitimer(ITIMER_REAL, &g_storm, &old_timer), 0);

  while (g_signals.load(std::memory_order_relaxed) < kSignals && g_iterations < kMaxIterations) {
    Gobuf start;
    gort_gostartcall(&start, &target, &g_cookie, s.hi);
    // Below the red zone, where a signal frame goes.
    auto* buf = reinterpret_cast<Gobuf*>((rt::redzone_floor(start.sp) - kGap) & ~std::uintptr_t(63));
    std::memcpy(static_cast<void*>(buf), &start, sizeof start);
    if (gort_gosave(&g_back) == 0) gort_gogo(buf);
    ++g_iterations;
  }

  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGALRM, &ign, nullptr);  // no more re-arming; discards a SIGALRM still pending
  itimerval off{};
  setitimer(ITIMER_REAL, &off, nullptr);
  sigaction(SIGALRM, &old_sa, nullptr);
  setitimer(ITIMER_REAL, &old_timer, nullptr);
  rt::systemstack([&] { rt::stackfree(s); });

  std::printf("gogo through a Gobuf %zu bytes below the red zone: %llu gogos, %llu signals\n", kGap,
              static_cast<unsigned long long>(g_iterations),
              static_cast<unsigned long long>(g_signals.load()));
  EXPECT_EQ(g_wrong_pc, 0u) << "gogo read pc from buf after moving sp: a signal frame overwrote it";
  EXPECT_EQ(g_bad_ctxt, 0u) << "gogo read ctxt from buf after moving sp: a signal frame overwrote it";
  EXPECT_EQ(g_entered + g_bad_ctxt + g_wrong_pc, g_iterations) << "a gogo went elsewhere";
  EXPECT_GT(g_iterations, 0u);
}

}  // namespace
}  // namespace gort::test
