// Promises of gort's own unwinder (core/unwind.hpp): a walk from a parked
// context's Gobuf or from a signal's context lists the real frames in
// order and ends cleanly at goexit, also across morestack segments and
// through a signal trampoline; symbolize names functions in the program
// and in shared objects; no walk reads outside the stack ranges it was
// given, however corrupt the stack; walks and symbolize allocate nothing.
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#ifdef GORT_UNWIND_PLUGIN
#include <dlfcn.h>
#endif

#include "gort/gort.hpp"
#include "harness.hpp"
#include "malloc_count.hpp"
#include "../support/signal_tls.hpp"
#include "unwind.hpp"
#include "unwind_impl.hpp"

namespace gort::test {

using rt::UnwindCursor;
using rt::UnwindStop;

namespace {

struct UnwindEnv : ::testing::Environment {
  void SetUp() override {
    g0();
    rt::unwind_init();
  }
};
[[maybe_unused]] auto* const unwind_env = ::testing::AddGlobalTestEnvironment(new UnwindEnv);

// Walk: the frames of one walk, recorded without allocating (handlers
// record them too).
struct Walk {
  static constexpr int kMax = 64;
  std::uintptr_t pc[kMax];
  std::uintptr_t sp[kMax];
  bool exact[kMax];
  int n = 0;
  UnwindStop stop = UnwindStop::none;
};

void record(UnwindCursor& c, Walk* w) {
  w->n = 0;
  do {
    w->pc[w->n] = c.pc;
    w->sp[w->n] = c.sp();
    w->exact[w->n] = c.exact;
    ++w->n;
  } while (w->n < Walk::kMax && rt::unwind_step(&c));
  w->stop = c.stop;
}

std::string name_at(std::uintptr_t pc, bool exact) {
  const char* name = nullptr;
  std::uintptr_t off = 0;
  if (!rt::symbolize(exact ? pc : pc - 1, &name, &off)) return "?";
  return name;
}

std::vector<std::string> names(const Walk& w) {
  std::vector<std::string> v;
  for (int i = 0; i < w.n; ++i) v.push_back(name_at(w.pc[i], w.exact[i]));
  return v;
}

std::string show(const Walk& w) {
  std::string s;
  char buf[64];
  for (int i = 0; i < w.n; ++i) {
    std::snprintf(buf, sizeof buf, "  pc=%#lx sp=%#lx ", static_cast<unsigned long>(w.pc[i]),
                  static_cast<unsigned long>(w.sp[i]));
    s += buf + name_at(w.pc[i], w.exact[i]) + "\n";
  }
  std::snprintf(buf, sizeof buf, "  stop=%d\n", static_cast<int>(w.stop));
  return s + buf;
}

// in_order: want appears in v as a subsequence; returns the index of each.
bool in_order(const std::vector<std::string>& v, const std::vector<std::string>& want, std::vector<int>* at = nullptr) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < v.size() && k < want.size(); ++i)
    if (v[i] == want[k]) {
      if (at) at->push_back(static_cast<int>(i));
      ++k;
    }
  return k == want.size();
}

// gobuf_walk: a walk from here (the caller of gosave), over the current
// G's stack memory.
__attribute__((noinline)) void gobuf_walk(Walk* w) {
  Gobuf b;
  gort_gosave(&b);
  UnwindCursor c;
  rt::unwind_from_gobuf(&c, b);
  rt::add_stack_ranges(&c, rt::getg());
  record(c, w);
  asm volatile("" ::: "memory");
}

}  // namespace

// The known frames: plain extern "C" functions, so their names are known.
// Each calls the next and does something after the call (no tail call).
namespace {
void (*g_unw_bottom)();
volatile int g_unw_sink;
Walk g_unw_walk;
}  // namespace

extern "C" {
__attribute__((noinline)) void unw_walk_here() {
  gobuf_walk(&g_unw_walk);
  asm volatile("" ::: "memory");
}
__attribute__((noinline)) void unw_f3(int x) {
  g_unw_bottom();
  g_unw_sink = g_unw_sink + x;
}
__attribute__((noinline)) void unw_f2(int x) {
  unw_f3(x + 3);
  g_unw_sink = g_unw_sink + x * 2;
}
__attribute__((noinline)) void unw_f1(int x) {
  unw_f2(x + 2);
  g_unw_sink = g_unw_sink + x * 3;
}
__attribute__((noinline)) void unw_entry(void*) {
  unw_f1(1);
  g_unw_sink = g_unw_sink + 4;
}
// A size-0 symbol (no .type, no .size): symbolize's fallback.
asm(".text\n"
    ".balign 16\n"
    ".globl unw_label\n"
    "unw_label:\n"
    "nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n");
extern char unw_label[] __asm__("unw_label");  // the asm name as written (Mach-O would add a _)
// A function of known size for the offsets.
__attribute__((noinline)) int unw_symbol_target(int x) {
  g_unw_sink = g_unw_sink + x;
  return g_unw_sink * 7;
}
}

namespace {

const std::vector<std::string> kChain = {"unw_f3", "unw_f2", "unw_f1", "unw_entry", "gort_goexit"};

TEST(UnwindGobuf, ListsTheKnownFramesAndEndsAtGoexit) {
  g_unw_walk = Walk{};
  g_unw_bottom = &unw_walk_here;
  Context ctx(&unw_entry, nullptr);
  run(ctx);
  const Walk& w = g_unw_walk;
  auto v = names(w);
  ASSERT_LT(w.n, 32) << show(w);
  std::vector<std::string> want = {"unw_walk_here", "unw_f3", "unw_f2", "unw_f1", "unw_entry", "gort_goexit"};
  // Under ASan and TSan the harness starts the context in Context::entry
  // (it tells the sanitizer of the switch, then calls unw_entry): its frame
  // lies between unw_entry and goexit unless that call became a tail call
  // (at -O2, not at the sanitizer presets' -O1).
  if (rt::race::kStackSwitch && v.size() >= 2 && v[v.size() - 2] == "_ZN4gort4test7Context5entryEPv")
    want.insert(want.end() - 1, v[v.size() - 2]);
  // gobuf_walk's frame is the first: the Gobuf is its own.
  ASSERT_GE(w.n, 7) << show(w);
  EXPECT_EQ(std::vector<std::string>(v.begin() + 1, v.end()), want) << show(w);
  EXPECT_EQ(w.stop, UnwindStop::end) << show(w);
  EXPECT_EQ(w.pc[w.n - 1], reinterpret_cast<std::uintptr_t>(gort_goexit_ra)) << show(w);
  for (int i = 1; i < w.n; ++i) EXPECT_GT(w.sp[i], w.sp[i - 1]) << "sp must move up\n" << show(w);
}

// Across two morestack segments.
struct Segs {
  std::uintptr_t seg2_lo, seg2_hi, seg1_lo, seg1_hi, stack_lo, stack_hi;
  std::int64_t live;
} g_segs;

}  // namespace

extern "C" {
__attribute__((noinline)) void unw_m3() {
  rt::G* gp = rt::getg();
  g_segs.seg2_lo = gp->stack_lo;
  g_segs.seg2_hi = gp->stack_hi;
  g_segs.live = rt::segments_live();
  gobuf_walk(&g_unw_walk);
  g_unw_sink = g_unw_sink + 1;
}
__attribute__((noinline)) void unw_m2() {
  rt::G* gp = rt::getg();
  g_segs.seg1_lo = gp->stack_lo;
  g_segs.seg1_hi = gp->stack_hi;
  rt::morestack([] { unw_m3(); });
  g_unw_sink = g_unw_sink + 2;
}
__attribute__((noinline)) void unw_m1(void*) {
  rt::G* gp = rt::getg();
  g_segs.stack_lo = gp->stack_lo;
  g_segs.stack_hi = gp->stack_hi;
  rt::morestack([] { unw_m2(); });
  g_unw_sink = g_unw_sink + 3;
}
}

namespace {

int frame_index(const std::vector<std::string>& v, const char* name) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] == name) return static_cast<int>(i);
  return -1;
}

TEST(UnwindGobuf, CrossesTwoMorestackSegmentsBackToTheCaller) {
  g_unw_walk = Walk{};
  g_segs = Segs{};
  Context ctx(&unw_m1, nullptr);
  run(ctx);
  const Walk& w = g_unw_walk;
  auto v = names(w);
  ASSERT_EQ(g_segs.live, 2);
  ASSERT_LT(w.n, 32) << show(w);
  EXPECT_TRUE(in_order(v, {"unw_m3", "unw_m2", "unw_m1", "gort_goexit"})) << show(w);
  EXPECT_EQ(v.back(), "gort_goexit") << show(w);
  EXPECT_EQ(w.stop, UnwindStop::end) << show(w);
  // Each frame on the stack it ran on.
  int i3 = frame_index(v, "unw_m3"), i2 = frame_index(v, "unw_m2"), i1 = frame_index(v, "unw_m1");
  ASSERT_GE(i3, 0);
  ASSERT_GE(i2, 0);
  ASSERT_GE(i1, 0);
  EXPECT_TRUE(w.sp[i3] >= g_segs.seg2_lo && w.sp[i3] < g_segs.seg2_hi) << show(w);
  EXPECT_TRUE(w.sp[i2] >= g_segs.seg1_lo && w.sp[i2] < g_segs.seg1_hi) << show(w);
  EXPECT_TRUE(w.sp[i1] >= g_segs.stack_lo && w.sp[i1] < g_segs.stack_hi) << show(w);
}

// From a signal: a handler installed through the OS port (os::setsig), on
// an alternate stack, raised by pthread_kill inside a known function.
struct SigTest {
  rt::G* gp = nullptr;
  std::uintptr_t alt_lo = 0, alt_hi = 0;
  std::uintptr_t handler_sp = 0;
  Walk from_context;  // unwind_from_signal
  Walk from_handler;  // from the handler's own frame, through the trampoline
} g_sig;
// FromAFramelessLeafFunction: the leaf runs, the handler has run.
volatile int g_unw_leaf_in, g_unw_leaf_done;

}  // namespace

extern "C" {
__attribute__((noinline)) void unw_on_usr1(const os::SigInfo& si, void*) {
  UnwindCursor c;
  rt::unwind_from_signal(&c, si);
  rt::add_stack_ranges(&c, g_sig.gp);
  record(c, &g_sig.from_context);
  g_sig.handler_sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  Gobuf b;
  gort_gosave(&b);
  UnwindCursor t;
  rt::unwind_from_gobuf(&t, b);
  t.add_range(g_sig.alt_lo, g_sig.alt_hi);
  rt::add_stack_ranges(&t, g_sig.gp);
  record(t, &g_sig.from_handler);
  g_unw_sink = g_unw_sink + 1;
  g_unw_leaf_done = 1;
}
__attribute__((noinline)) void unw_kill_here() {
  g_sig.gp = rt::getg();
  pthread_kill(pthread_self(), SIGUSR1);
  g_unw_sink = g_unw_sink + 1;
}
// A leaf without a frame of its own (it calls nothing and saves nothing),
// spinning until the handler has run: the signal lands in it. Not
// instrumented by TSan either: with TSan's calls in it, it would be no
// leaf; and its flag is a plain int the sender polls.
__attribute__((noinline, no_sanitize("thread"))) void unw_leaf() {
  g_unw_leaf_in = 1;
  while (!g_unw_leaf_done) {
  }
}
__attribute__((noinline)) void unw_leaf_caller() {
  g_sig.gp = rt::getg();
  unw_leaf();
  g_unw_sink = g_unw_sink + 1;
}
}

namespace {

class UnwindSignal : public ::testing::Test {
 protected:
  void SetUp() override {
    static char alt[64 * 1024] __attribute__((aligned(16)));
    os::sigaltstack_get(&saved_);
    os::SigStack st;
    st.lo = reinterpret_cast<std::uintptr_t>(alt);
    st.size = sizeof alt;
    st.enabled = true;
    os::sigaltstack_set(st);
    g_sig = SigTest{};
    g_sig.alt_lo = st.lo;
    g_sig.alt_hi = st.lo + st.size;
    ASSERT_TRUE(os::setsig(SIGUSR1, &unw_on_usr1));
  }
  void TearDown() override {
    os::restoresig(SIGUSR1);
    os::sigaltstack_set(saved_);
  }
  os::SigStack saved_;
};

TEST_F(UnwindSignal, FromTheSignalContextListsTheKnownFrames) {
  g_unw_bottom = &unw_kill_here;
  Context ctx(&unw_entry, nullptr);
  run(ctx);
  ASSERT_TRUE(g_sig.handler_sp >= g_sig.alt_lo && g_sig.handler_sp < g_sig.alt_hi) << "not on the alternate stack";
  const Walk& w = g_sig.from_context;
  auto v = names(w);
  ASSERT_LT(w.n, 32) << show(w);
  EXPECT_TRUE(w.exact[0]) << show(w);
  std::vector<std::string> want = {"unw_kill_here"};
#ifdef GORT_TEST_UNWIND_FP
  // The signal interrupts pthread_kill, libc code that may keep no frame
  // record (glibc's does not): its caller is skipped by a frame-pointer
  // walk (core/unwind_fp.cpp), the rest must be there.
  want.clear();
#endif
  want.insert(want.end(), kChain.begin(), kChain.end());
  EXPECT_TRUE(in_order(v, want)) << show(w);
  EXPECT_EQ(v.back(), "gort_goexit") << show(w);
  EXPECT_EQ(w.stop, UnwindStop::end) << show(w);
}

// A signal in a frameless leaf: its CFI leaves sp unspecified, so the
// caller's sp comes from the CFA alone (less GORT_DWARF_CFA_OFFSET: s390x's
// CFA is the caller's r15 + 160), as in most profiler samples. The signal
// comes from another thread once the leaf runs; the leaf spins until the
// handler has run, so it is interrupted there, whenever that is.
TEST_F(UnwindSignal, FromAFramelessLeafFunction) {
  // The signal comes from another thread, into running code: the case
  // QEMU i386 gets wrong (the thread comes back with another's TLS).
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  g_unw_leaf_in = 0;
  g_unw_leaf_done = 0;
  g_unw_bottom = &unw_leaf_caller;
  pthread_t self = pthread_self();
  std::thread sender([self] {
    while (!g_unw_leaf_in) sched_yield();
    pthread_kill(self, SIGUSR1);
  });
  Context ctx(&unw_entry, nullptr);
  run(ctx);
  sender.join();
  const Walk& w = g_sig.from_context;
  auto v = names(w);
  ASSERT_LT(w.n, 32) << show(w);
  ASSERT_GE(w.n, 1) << show(w);
  EXPECT_EQ(v[0], "unw_leaf") << show(w);
  std::vector<std::string> want = {"unw_leaf", "unw_leaf_caller"};
#ifdef GORT_TEST_UNWIND_FP
  // A frame-pointer walk cannot see the caller of a frameless leaf: the
  // frame-pointer register still holds the caller's record, whose return
  // address is in the caller's caller (GCC 12 keeps leaves frameless even
  // with -mno-omit-leaf-frame-pointer). Every frame above must be there.
  want = {"unw_leaf"};
#endif
  want.insert(want.end(), kChain.begin(), kChain.end());
  EXPECT_TRUE(in_order(v, want)) << show(w);
  EXPECT_EQ(w.stop, UnwindStop::end) << show(w);
}

TEST_F(UnwindSignal, FromTheHandlerThroughTheTrampoline) {
  g_unw_bottom = &unw_kill_here;
  Context ctx(&unw_entry, nullptr);
  run(ctx);
  const Walk& w = g_sig.from_handler;
  auto v = names(w);
  ASSERT_GE(w.n, 2) << show(w);
  EXPECT_EQ(v[0], "unw_on_usr1") << show(w);
  // The handler's caller: gort's OS-port handler, then the kernel's or
  // libc's sigreturn trampoline (an 'S' frame).
  if ((w.stop == UnwindStop::no_module || w.stop == UnwindStop::no_info) && w.n == 3) {
    // The trampoline has no unwind info: QEMU user-mode 7.2 returns from
    // handlers through a page of its own (arm64, riscv64, ppc64le, s390x,
    // mips64el, mipsel: no vdso), and
    // i386 glibc's __restore_rt carries no CFI (libgcc recognizes its
    // instructions instead; gort's unwinder does not).
    GTEST_SKIP() << "no unwind info for this signal trampoline\n" << show(w);
  }
  std::vector<std::string> want = {"unw_on_usr1", "unw_kill_here"};
#ifdef GORT_TEST_UNWIND_FP
  // A frame-pointer walk crosses the trampoline by the interrupted code's
  // frame pointer: the interrupted pc is in the signal frame, which only
  // CFI describes, so the interrupted function (and here pthread_kill's
  // caller) is not listed. Core never walks through a trampoline: it
  // starts from the signal's context.
  want = {"unw_on_usr1"};
#endif
  want.insert(want.end(), kChain.begin(), kChain.end());
  EXPECT_TRUE(in_order(v, want)) << show(w);
  EXPECT_EQ(w.stop, UnwindStop::end) << show(w);
#if !defined(GORT_UNWIND_EHABI) && !defined(GORT_TEST_UNWIND_FP)
  // DWARF: the trampoline's FDE has the 'S' augmentation, so the frame
  // after it is exact (the interrupted pc). (EHABI has no such mark.)
  int k = frame_index(v, "unw_kill_here");
  bool any_exact = false;
  for (int i = 1; i <= k; ++i) any_exact |= w.exact[i];
  EXPECT_TRUE(any_exact) << "no exact frame after the trampoline\n" << show(w);
#endif
}

// symbolize.
TEST(Symbolize, NamesAPlainFunctionAndTheOffset) {
  auto f = reinterpret_cast<std::uintptr_t>(&unw_symbol_target) & ~std::uintptr_t(1);  // Thumb bit
  const char* name = nullptr;
  std::uintptr_t off = 99;
  ASSERT_TRUE(rt::symbolize(f, &name, &off));
  EXPECT_STREQ(name, "unw_symbol_target");
  EXPECT_EQ(off, 0u);
  ASSERT_TRUE(rt::symbolize(f + 6, &name, &off));
  EXPECT_STREQ(name, "unw_symbol_target");
  EXPECT_EQ(off, 6u);
}

TEST(Symbolize, NamesLibcAndTheRuntime) {
  const char* name = nullptr;
  std::uintptr_t off = 0;
  auto ra = reinterpret_cast<std::uintptr_t>(gort_goexit_ra);
  ASSERT_TRUE(rt::symbolize(ra - 1, &name, &off));
  EXPECT_STREQ(name, "gort_goexit");
  // A libc function (in the program when linked statically, in libc.so
  // otherwise): some alias of getpid.
  auto gp = reinterpret_cast<std::uintptr_t>(&getpid) & ~std::uintptr_t(1);
  ASSERT_TRUE(rt::symbolize(gp, &name, &off));
  EXPECT_NE(std::strstr(name, "getpid"), nullptr) << name;
  EXPECT_EQ(off, 0u);
}

TEST(Symbolize, FallsBackToTheNearestLabel) {
  auto l = reinterpret_cast<std::uintptr_t>(unw_label);
  const char* name = nullptr;
  std::uintptr_t off = 0;
  ASSERT_TRUE(rt::symbolize(l + 2, &name, &off));
  EXPECT_STREQ(name, "unw_label");
  EXPECT_EQ(off, 2u);
}

TEST(Symbolize, NothingOutsideTheLoadedObjects) {
  static int data;
  const char* name = nullptr;
  std::uintptr_t off = 0;
  EXPECT_FALSE(rt::symbolize(reinterpret_cast<std::uintptr_t>(&data), &name, &off));  // data, not text
  EXPECT_FALSE(rt::symbolize(16, &name, &off));
  int local;
  EXPECT_FALSE(rt::symbolize(reinterpret_cast<std::uintptr_t>(&local), &name, &off));
}

// Safety: nothing is read outside the ranges.

// Guarded: a page of stack-like memory between two inaccessible pages, so
// a read just outside the range faults.
struct Guarded {
  unsigned char* base;
  std::size_t page;
  Guarded() {
    page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    base = static_cast<unsigned char*>(
        mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    mprotect(base, page, PROT_NONE);
    mprotect(base + 2 * page, page, PROT_NONE);
  }
  ~Guarded() { munmap(base, 3 * page); }
  std::uintptr_t lo() const { return reinterpret_cast<std::uintptr_t>(base + page); }
  std::uintptr_t hi() const { return lo() + page; }
};

TEST(UnwindSafety, GarbageStacksStopInsideTheirRange) {
  // Return addresses of real frames, so that garbage leads into real
  // unwind tables.
  g_unw_walk = Walk{};
  g_unw_bottom = &unw_walk_here;
  {
    Context ctx(&unw_entry, nullptr);
    run(ctx);
  }
  std::vector<std::uintptr_t> pcs(g_unw_walk.pc, g_unw_walk.pc + g_unw_walk.n);
  ASSERT_GE(pcs.size(), 4u);
  Guarded g;
  std::uint64_t x = 0x9e3779b97f4a7c15u;
  auto rnd = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  int steps_total = 0;
  for (int trial = 0; trial < 2000 / kScale; ++trial) {
    auto* words = reinterpret_cast<std::uintptr_t*>(g.lo());
    std::size_t n = g.page / sizeof(std::uintptr_t);
    for (std::size_t i = 0; i < n; ++i) {
      switch (rnd() % 4) {
        case 0: words[i] = static_cast<std::uintptr_t>(rnd()); break;
        case 1: words[i] = g.lo() + rnd() % (g.page + 64) - 32; break;  // around the range
        case 2: words[i] = pcs[rnd() % pcs.size()]; break;
        default: words[i] = 0; break;
      }
    }
    Gobuf b{};
    b.sp = g.lo() + (rnd() % (g.page / 16)) * 16;
    b.pc = pcs[rnd() % pcs.size()];
    auto* regs = reinterpret_cast<std::uintptr_t*>(&b.regs);
    for (std::size_t i = 0; i < sizeof b.regs / sizeof(std::uintptr_t); ++i) regs[i] = words[rnd() % n];
    UnwindCursor c;
    rt::unwind_from_gobuf(&c, b);
    if (trial % 2) c.exact = true;  // as if interrupted there
    c.add_range(g.lo(), g.hi());
    int k = 0;
    while (rt::unwind_step(&c)) ++k;
    ASSERT_NE(c.stop, UnwindStop::none);
    ASSERT_LT(k, rt::kUnwindMaxSteps);
    steps_total += k;
  }
  RecordProperty("steps", steps_total);
}

Walk g_narrow;

}  // namespace

extern "C" __attribute__((noinline)) void unw_narrow_walk() {
  Gobuf b;
  gort_gosave(&b);
  UnwindCursor c;
  rt::unwind_from_gobuf(&c, b);
  // Only the 16 bytes at sp: the frames above are off limits.
  c.add_range(b.sp, b.sp + 16);
  record(c, &g_narrow);
  g_unw_sink = g_unw_sink + 1;
}

namespace {

TEST(UnwindSafety, ARangeThatExcludesTheCallersStops) {
  g_narrow = Walk{};
  g_unw_bottom = &unw_narrow_walk;
  Context ctx(&unw_entry, nullptr);
  run(ctx);
  auto v = names(g_narrow);
  EXPECT_EQ(g_narrow.stop, UnwindStop::bad_read) << show(g_narrow);
  EXPECT_FALSE(in_order(v, {"unw_f1"})) << show(g_narrow);
}

TEST(UnwindSafety, NoRangesNoReads) {
  Gobuf b;
  gort_gosave(&b);
  UnwindCursor c;
  rt::unwind_from_gobuf(&c, b);
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::bad_read);
}

TEST(UnwindSafety, AStoppedCursorStaysStopped) {
  UnwindCursor c;
  c.pc = 16;  // in no object
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::no_module);
  EXPECT_FALSE(rt::unwind_step(&c));
  EXPECT_EQ(c.stop, UnwindStop::no_module);
}

// No allocation: walks (from a Gobuf and from a signal) and symbolize
// allocate nothing. malloc_count.cpp counts malloc & co. through the
// linker's --wrap (in a static link that covers libc and libstdc++ too;
// natively, every call from gort's objects) and a replaced operator new.
std::atomic<long> g_sig_allocs{-1};

}  // namespace

extern "C" __attribute__((noinline)) void unw_count_here() {
  long before = malloc_count();
  gobuf_walk(&g_unw_walk);
  for (int i = 0; i < g_unw_walk.n; ++i) {
    const char* name;
    std::uintptr_t off;
    rt::symbolize(g_unw_walk.pc[i] - 1, &name, &off);
  }
  g_sig_allocs.store(malloc_count() - before);
}

namespace {

TEST(UnwindNoAlloc, CounterSeesAnAllocation) {
  long before = malloc_count();
  void* volatile p = std::malloc(24);
  std::free(p);
  int* volatile q = new int(3);
  delete q;
  EXPECT_EQ(malloc_count() - before, 2);
}

TEST(UnwindNoAlloc, WalksAndSymbolizeAllocateNothing) {
  g_sig_allocs = -1;
  g_unw_bottom = &unw_count_here;
  Context ctx(&unw_entry, nullptr);
  run(ctx);
  EXPECT_EQ(g_sig_allocs.load(), 0);
  EXPECT_GE(g_unw_walk.n, 6);
}

// A real report: a goroutine overflows its stack; gort's handler prints
// the symbolized frames down to goentry and goexit.
}  // namespace

extern "C" __attribute__((noinline)) int unw_overflow(int n) {
  if (n < 0) return 0;  // never: keeps the compiler from calling it infinite
  volatile char pad[256];
  pad[0] = static_cast<char>(n);
  int r = unw_overflow(n + 1) + pad[0];
  asm volatile("" ::: "memory");
  return r;
}
extern "C" __attribute__((noinline)) void unw_overflow_start() {
  g_unw_sink = unw_overflow(0);
  g_unw_sink = g_unw_sink + 1;
}

namespace {

// With ASan the overflowing frame's prologue calls into ASan's runtime (for
// its fake stack), which is where the fault lands: those frames come first.
constexpr const char* kAsanFrames = rt::race::kAsan ? "([^\n]*(asan|interceptor)[^\n]*\n\t[^\n]*\n)*" : "";

TEST(UnwindDeathTest, StackOverflowReportIsSymbolizedDownToGoexit) {
  EXPECT_EXIT(gort::run([] { unw_overflow_start(); }, Config{1, false, 16 * 1024}), ::testing::ExitedWithCode(2),
              std::string("fatal: stack overflow in goroutine 1 .*\n\ngoroutine 1 \\[running\\]:\n") + kAsanFrames +
                  "unw_overflow\\+0x.*unw_overflow\\+0x.*unw_overflow_start\\+0x.*goentry.*\ngort_goexit\\+0x[0-9a-f]+\n");
}

}  // namespace
#ifdef GORT_UNWIND_PLUGIN
// Shared objects (native builds): frames and symbols of a dlopened object,
// known after the next unwind_init; a rebuild of the table while another
// thread walks.
namespace {
void (*g_plugin_fn)(void (*)());
}  // namespace

extern "C" __attribute__((noinline)) void unw_call_plugin() {
  g_plugin_fn(&unw_walk_here);
  g_unw_sink = g_unw_sink + 1;
}

extern "C" __attribute__((noinline)) void unw_park_here() {
  switch_to(rt::getg(), g0());
  g_unw_sink = g_unw_sink + 1;
}

namespace {

TEST(UnwindSharedObject, WalksThroughAndNamesADlopenedObject) {
  void* h = dlopen(GORT_UNWIND_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << dlerror();
  g_plugin_fn = reinterpret_cast<void (*)(void (*)())>(dlsym(h, "unw_plugin_fn"));
  ASSERT_NE(g_plugin_fn, nullptr);
  auto fn = reinterpret_cast<std::uintptr_t>(g_plugin_fn);
  const char* name = nullptr;
  std::uintptr_t off = 0;
  EXPECT_FALSE(rt::symbolize(fn, &name, &off)) << "known before unwind_init";
  rt::unwind_init();
  ASSERT_TRUE(rt::symbolize(fn + 1, &name, &off));
  EXPECT_STREQ(name, "unw_plugin_fn");
  EXPECT_EQ(off, 1u);
  g_unw_walk = Walk{};
  g_unw_bottom = &unw_call_plugin;
  {
    Context ctx(&unw_entry, nullptr);
    run(ctx);
  }
  auto v = names(g_unw_walk);
  std::vector<std::string> want = {"unw_walk_here", "unw_plugin_fn", "unw_call_plugin"};
  want.insert(want.end(), kChain.begin(), kChain.end());
  EXPECT_TRUE(in_order(v, want)) << show(g_unw_walk);
  EXPECT_EQ(g_unw_walk.stop, UnwindStop::end) << show(g_unw_walk);
  dlclose(h);
  rt::unwind_init();
  EXPECT_FALSE(rt::symbolize(fn, &name, &off)) << "still known after dlclose";
}

TEST(UnwindSharedObject, RebuildingTheTableWhileAnotherThreadWalks) {
  g_unw_bottom = &unw_park_here;
  Context ctx(&unw_entry, nullptr);
  run(ctx);  // returns with ctx parked inside unw_park_here
  std::atomic<bool> stop{false};
  std::atomic<long> walks{0}, bad{0};
  std::thread reader([&] {
    while (!stop.load()) {
      UnwindCursor c;
      rt::unwind_from_gobuf(&c, ctx.g()->sched);
      rt::add_stack_ranges(&c, ctx.g());
      int n = 0;
      bool f1 = false;
      do {
        const char* name;
        std::uintptr_t off;
        if (rt::symbolize(c.pc - 1, &name, &off) && std::strcmp(name, "unw_f1") == 0) f1 = true;
        ++n;
      } while (rt::unwind_step(&c) && n < 64);
      if (!f1 || c.stop != UnwindStop::end) bad.fetch_add(1);
      walks.fetch_add(1);
    }
  });
  for (int i = 0; i < 30; ++i) {
    void* h = dlopen(GORT_UNWIND_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(h, nullptr) << dlerror();
    rt::unwind_init();
    dlclose(h);
    rt::unwind_init();
  }
  while (walks.load() < 100) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0) << "of " << walks.load() << " walks";
}

}  // namespace
#endif  // GORT_UNWIND_PLUGIN
}  // namespace gort::test
