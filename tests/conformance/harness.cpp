#include "harness.hpp"

#include <random>

namespace gort::test {

G* g0() { return rt::adopt_thread(); }

namespace {
// Every test runs on the main thread, adopted as g0 before the first test.
struct AdoptMainThread : ::testing::Environment {
  void SetUp() override { g0(); }
};
[[maybe_unused]] auto* const adopt_env =
    ::testing::AddGlobalTestEnvironment(new AdoptMainThread);
}  // namespace

Context::Context(void (*fn)(void*), void* arg, std::size_t stack_size) {
  G* z = g0();
  rt::systemstack([&] { stack_ = rt::stackalloc(stack_size); });
  g_.m = z->m;
  g_.stack_lo = stack_.lo;
  g_.stack_hi = stack_.hi;
  g_.status = rt::Gstatus::runnable;
  if constexpr (rt::race::kStackSwitch) {
    fn_ = fn;
    arg_ = arg;
    rt::race::fiber_new(g_.race, 0);
    gort_gostartcall(&g_.sched, &Context::entry, this, stack_.hi);
  } else {
    gort_gostartcall(&g_.sched, fn, arg, stack_.hi);
  }
}

// The harness's contexts take turns on one thread, each switch a hand-off
// (unlike goroutines, which only the program's own synchronisation
// orders): TSan hears of it as a release before the switch and an acquire
// after it, on this word.
namespace {
int g_handoff;
}  // namespace

void handoff_release() { rt::race::release(&g_handoff); }
void handoff_acquire() { rt::race::acquire(&g_handoff); }

void Context::entry(void* self) {
  auto* c = static_cast<Context*>(self);
  rt::race::switch_end(c->g_.race);
  rt::race::acquire(&g_handoff);
  c->fn_(c->arg_);
  rt::race::release(&g_handoff);  // its end: gort_goexit takes it back to run()'s caller
}

Context::~Context() {
  rt::race::fiber_free(g_.race);
  Stack s = stack_;
  rt::systemstack([s] { rt::stackfree(s); });
}

void run(Context& c) {
  G* z = g0();
  if (rt::getg() != z) rt::fatal("test harness: run() called off g0");
  rt::race::release(&g_handoff);
  if (gort_gosave(&z->sched) == 0) rt::gogo(c.g());
  rt::race::acquire(&g_handoff);
  z->sched = Gobuf{};  // no base context outside run()
}

void switch_to(G* from, G* to) {
  rt::race::release(&g_handoff);
  if (gort_gosave(&from->sched) == 0) rt::gogo(to);
  rt::race::switch_end(from->race);  // resumed by another switch_to's gogo
  rt::race::acquire(&g_handoff);
}

void expect_survived(const std::vector<std::uint64_t>& in, const std::uint64_t* out, const char* what) {
  for (int i = 0; i < kRegSlots; ++i)
    EXPECT_EQ(slot_bits(out[i]), slot_bits(in[i]))
        << what << ": " << (i < GORT_TEST_NINT ? "integer" : "FP") << " callee-saved slot "
        << (i < GORT_TEST_NINT ? i : i - GORT_TEST_NINT) << " (see testhelp_" GORT_ARCH_NAME
        << ".S for the register)";
  EXPECT_EQ(out[kRegSlots], out[kRegSlots + 1]) << what << ": sp differs after the call";
}

std::vector<std::uint64_t> random_slots(std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> v;
  while (static_cast<int>(v.size()) < n) {
    std::uint64_t x = rng();
    if (slot_bits(x) == 0) continue;
    bool dup = false;
    for (auto y : v) dup |= slot_bits(y) == slot_bits(x);
    if (!dup) v.push_back(x);
  }
  return v;
}

}  // namespace gort::test
