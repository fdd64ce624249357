// switch_bench.cpp: one-way context-switch time of gort's CPU port, side by
// side with Boost.Context and glibc's swapcontext, in one run.
//
// Every benchmark reports the counter ns_per_switch: CPU time divided by the
// number of ONE-WAY switches (a ping-pong or a round trip is two). The
// console shows it with its unit (e.g. "2.05ns"); in JSON output the value is
// in seconds (e.g. 2.05e-09), as Google Benchmark stores inverted rates.
// items_per_second is the same figure as switches per second.
//
//   gort_gosave_gogo            g0 and a goroutine ping-pong with the bare
//                               primitives: gosave(from); gogo(to).
//   gort_switch_with_setg       the same through rt::gogo(G*), which also
//                               sets the current G (an out-of-line call), as
//                               the scheduler's own switch must.
//   gort_swap_with_setg         setg and gort_swap (the optional
//                               GORT_ARCH_SWAP hook), from one loop
//                               function both sides run, as both sides of
//                               a hand-off sit in the same runtime
//                               function: a solo P's direct switch
//                               (core/solo.cpp), the scheduler's own
//                               switch from goroutine to goroutine where
//                               the port has the hook.
//   gort_mcall_roundtrip        a goroutine calls rt::mcall(fn); fn, on g0's
//                               stack, resumes it at once with rt::gogo.
//   gort_systemstack_roundtrip  a goroutine calls rt::systemstack with an
//                               empty function: onto g0's stack and back.
//   boost_context_fiber         boost::context::fiber resume ping-pong.
//   ucontext_swapcontext        glibc swapcontext ping-pong; each switch also
//                               saves and restores the signal mask with a
//                               system call, which gort does not do.
//
// Nothing here runs a scheduler: the goroutines are driven by hand, the way
// tests/conformance/harness.cpp drives them. The benchmark thread is adopted
// as g0; mcall and systemstack need g0's base context, so their loops run on
// a goroutine started from a gosave on g0->sched (see run_from_g0).
//
// After the table (console format only) the binary prints a summary: ns per
// one-way switch for each variant and the ratio gort/Boost.Context.
#include <benchmark/benchmark.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "runtime.hpp"

#if GORT_BENCH_BOOST_CONTEXT
#include <boost/context/fiber.hpp>
#include <boost/version.hpp>
#endif

namespace {

namespace rt = gort::rt;
using rt::G;
using rt::Stack;

constexpr std::size_t kStackSize = 256 * 1024;  // the benchmark loop may run on it

// report_switches: one iteration of the loop made `per_iter` one-way switches.
void report_switches(benchmark::State& state, int per_iter) {
  state.SetItemsProcessed(state.iterations() * per_iter);
  state.counters["ns_per_switch"] =
      benchmark::Counter(per_iter, benchmark::Counter::kIsIterationInvariantRate |
                                       benchmark::Counter::kInvert);
}

// Goroutine: a G on its own stack from gort's allocator, whose first gogo
// enters fn(arg). Destroying it frees the stack whatever state it is in, so
// the functions below keep nothing on it that needs a destructor.
class Goroutine {
 public:
  Goroutine(void (*fn)(void*), void* arg) {
    G* z = rt::adopt_thread();
    rt::systemstack([&] { stack_ = rt::stackalloc(kStackSize); });  // g0: a plain call
    g_.m = z->m;
    g_.goid = 1;
    g_.stack_lo = stack_.lo;
    g_.stack_hi = stack_.hi;
    g_.status = rt::Gstatus::runnable;
    gort_gostartcall(&g_.sched, fn, arg, stack_.hi);
  }
  ~Goroutine() {
    Stack s = stack_;
    rt::systemstack([s] { rt::stackfree(s); });
  }
  Goroutine(const Goroutine&) = delete;
  Goroutine& operator=(const Goroutine&) = delete;

  G* g() { return &g_; }

 private:
  G g_;
  Stack stack_;
};

// run_from_g0(fn, arg): on g0, save g0's base context and run fn(arg) on a new
// goroutine; returns when fn returns (goexit resumes g0's base), as
// tests/conformance/harness.cpp's run() does. Gives mcall and systemstack
// the base context they start their frames from.
void run_from_g0(void (*fn)(void*), void* arg) {
  G* z = rt::adopt_thread();
  Goroutine gr(fn, arg);
  if (gort_gosave(&z->sched) == 0) rt::gogo(gr.g());
  z->sched = Gobuf{};  // no base context outside this call
}

// ---- (a) bare gosave/gogo ------------------------------------------------

struct Pair {
  G* main;
  G* peer;
  std::int64_t entered;  // times the peer ran: must equal the iterations
};

// check_count: every benchmark counts the times its peer ran, to prove that
// each iteration really switched over and back.
bool check_count(benchmark::State& state, std::int64_t n) {
  if (n == static_cast<std::int64_t>(state.iterations())) return true;
  state.SkipWithError("the peer did not run once per iteration");
  return false;
}

// The peer's side: save itself, resume main; forever.
void peer_raw(void* arg) {
  auto* p = static_cast<Pair*>(arg);
  for (;;) {
    ++p->entered;
    if (gort_gosave(&p->peer->sched) == 0) gort_gogo(&p->main->sched);
  }
}

// Calls gort_gosave/gort_gogo directly and never sets the current G (getg()
// stays g0 on both sides). The scheduler's real switch also calls setg, an
// out-of-line call: gort_switch_with_setg below measures that.
void gort_gosave_gogo(benchmark::State& state) {
  G* z = rt::adopt_thread();
  Pair p{z, nullptr, 0};
  Goroutine peer(&peer_raw, &p);
  p.peer = peer.g();
  for (auto _ : state)
    if (gort_gosave(&z->sched) == 0) gort_gogo(&p.peer->sched);
  z->sched = Gobuf{};
  if (check_count(state, p.entered)) report_switches(state, 2);
}
BENCHMARK(gort_gosave_gogo);

// ---- (a') gosave + rt::gogo(G*), which calls setg ------------------------

void peer_setg(void* arg) {
  auto* p = static_cast<Pair*>(arg);
  for (;;) {
    ++p->entered;
    if (gort_gosave(&p->peer->sched) == 0) rt::gogo(p->main);
  }
}

void gort_switch_with_setg(benchmark::State& state) {
  G* z = rt::adopt_thread();
  Pair p{z, nullptr, 0};
  Goroutine peer(&peer_setg, &p);
  p.peer = peer.g();
  for (auto _ : state)
    if (gort_gosave(&z->sched) == 0) rt::gogo(p.peer);
  // The last switch was peer -> g0 through rt::gogo: getg() is g0 again.
  z->sched = Gobuf{};
  if (rt::getg() != z) state.SkipWithError("getg() is not g0 after the loop");
  if (check_count(state, p.entered)) report_switches(state, 2);
}
BENCHMARK(gort_switch_with_setg);

// ---- (a'') setg + gort_swap: a solo P's direct switch ---------------------

#if defined(GORT_ARCH_SWAP)
// The scheduler's switch from goroutine to goroutine on a solo P
// (core/solo.cpp's solo_switch): set the current G, then gort_swap. As in
// the scheduler, both goroutines switch from the same place (every parked
// or yielding goroutine sits in solo_switch): one loop function runs on
// both sides, so each gort_swap returns where the other side's call
// returns, which is what its return prediction relies on.
// Swap is gort_swap, or (below) the benchmark's copy of it without FP
// control; each instantiation is its own pair of out-of-line functions.
using SwapFn = void (*)(Gobuf*, const Gobuf*);

template <SwapFn Swap>
__attribute__((noinline)) void swap_to(G* from, G* to) {
  rt::setg(to);
  Swap(&from->sched, &to->sched);
}

template <SwapFn Swap>
__attribute__((noinline)) void swap_loop(G* me, G* other, std::int64_t n, std::int64_t* count) {
  for (std::int64_t i = 0; i < n; ++i) {
    ++*count;
    swap_to<Swap>(me, other);
  }
}

template <SwapFn Swap>
void peer_swap(void* arg) {
  auto* p = static_cast<Pair*>(arg);
  std::int64_t ignored = 0;
  swap_loop<Swap>(p->peer, p->main, INT64_MAX, &ignored);
}

template <SwapFn Swap>
void swap_with_setg(benchmark::State& state) {
  G* z = rt::adopt_thread();
  Pair p{z, nullptr, 0};
  Goroutine peer(&peer_swap<Swap>, &p);
  p.peer = peer.g();
  std::int64_t mine = 0;
  while (state.KeepRunningBatch(1000)) swap_loop<Swap>(z, p.peer, 1000, &mine);
  z->sched = Gobuf{};
  if (rt::getg() != z) state.SkipWithError("getg() is not g0 after the loop");
  // The peer's count is its loop's: it resumed once per switch of ours.
  if (check_count(state, mine)) report_switches(state, 2);
}

void gort_swap_with_setg(benchmark::State& state) { swap_with_setg<&gort_swap>(state); }
BENCHMARK(gort_swap_with_setg);

#if GORT_BENCH_SWAP_NOFP
// The same loop through gort_bench_swap_nofp: gort_swap without saving and
// loading MXCSR and the x87 control word (swap_nofp_amd64.S; not gort's,
// which keeps both per goroutine). Against gort_swap_with_setg in the same
// run: what that promise costs a switch.
extern "C" void gort_bench_swap_nofp(Gobuf* save, const Gobuf* to);

void gort_swap_nofp_with_setg(benchmark::State& state) { swap_with_setg<&gort_bench_swap_nofp>(state); }
BENCHMARK(gort_swap_nofp_with_setg);
#endif
#endif

// ---- (b) mcall round trip ------------------------------------------------

std::int64_t mcall_entered;

// On g0's stack: resume the caller straight away.
void mcall_back(G* gp) {
  ++mcall_entered;
  rt::gogo(gp);
}

void mcall_loop(void* arg) {
  auto& state = *static_cast<benchmark::State*>(arg);
  for (auto _ : state) rt::mcall(&mcall_back);  // goroutine -> g0 -> goroutine
}

void gort_mcall_roundtrip(benchmark::State& state) {
  mcall_entered = 0;
  run_from_g0(&mcall_loop, &state);
  if (check_count(state, mcall_entered)) report_switches(state, 2);
}
BENCHMARK(gort_mcall_roundtrip);

// ---- (c) systemstack round trip ------------------------------------------

G* systemstack_g;  // the goroutine that ran the loop, for the check below

void systemstack_loop(void* arg) {
  auto& state = *static_cast<benchmark::State*>(arg);
  for (auto _ : state) rt::systemstack([] {});  // onto g0's stack and back
  systemstack_g = rt::getg();
}

void gort_systemstack_roundtrip(benchmark::State& state) {
  systemstack_g = nullptr;
  run_from_g0(&systemstack_loop, &state);
  // The function is empty; what can be checked is that the loop ran on a
  // goroutine (where systemstack switches stacks) and came back to it.
  if (systemstack_g == nullptr || rt::on_system_stack(systemstack_g))
    state.SkipWithError("the loop did not run on a goroutine");
  else
    report_switches(state, 2);
}
BENCHMARK(gort_systemstack_roundtrip);

// ---- (d) Boost.Context ---------------------------------------------------

#if GORT_BENCH_BOOST_CONTEXT
// One resume() is one one-way switch; the fiber's own resume() switches
// back, so each loop iteration is two.
void boost_context_fiber(benchmark::State& state) {
  namespace ctx = boost::context;
  std::int64_t entered = 0;
  ctx::fiber f{[&entered](ctx::fiber&& c) {
    for (;;) {
      ++entered;
      c = std::move(c).resume();
    }
    return std::move(c);
  }};
  for (auto _ : state) f = std::move(f).resume();
  if (check_count(state, entered)) report_switches(state, 2);
  // ~fiber unwinds the suspended fiber (one more switch, not measured).
}
BENCHMARK(boost_context_fiber);
#endif

// ---- (e) glibc swapcontext -----------------------------------------------

ucontext_t uc_main, uc_peer;
std::int64_t uc_entered;

void uc_peer_fn() {
  for (;;) {
    ++uc_entered;
    swapcontext(&uc_peer, &uc_main);
  }
}

void ucontext_swapcontext(benchmark::State& state) {
  void* stack = std::malloc(kStackSize);
  if (stack == nullptr || getcontext(&uc_peer) != 0) {
    state.SkipWithError("ucontext setup failed");
    std::free(stack);
    return;
  }
  uc_peer.uc_stack.ss_sp = stack;
  uc_peer.uc_stack.ss_size = kStackSize;
  uc_peer.uc_link = nullptr;
  makecontext(&uc_peer, &uc_peer_fn, 0);
  uc_entered = 0;
  for (auto _ : state) swapcontext(&uc_main, &uc_peer);
  std::free(stack);  // the peer stays parked in uc_peer_fn; nothing to unwind
  if (check_count(state, uc_entered)) report_switches(state, 2);
}
BENCHMARK(ucontext_swapcontext);

// ---- summary ---------------------------------------------------------------

// SummaryReporter: the console table, then ns per one-way switch per
// benchmark (the median when --benchmark_repetitions gives one) and the ratio
// gort/Boost.Context.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  using benchmark::ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& reports) override {
    ConsoleReporter::ReportRuns(reports);
    for (const Run& r : reports) {
      if (r.error_occurred) continue;
      auto c = r.counters.find("ns_per_switch");
      if (c == r.counters.end()) continue;
      const std::string name = r.run_name.function_name;
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type == Run::RT_Aggregate && !median) continue;
      if (!median && from_median_[name]) continue;
      if (!ns_.count(name)) order_.push_back(name);
      ns_[name] = c->second.value * 1e9;
      from_median_[name] = median;
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    if (ns_.empty()) return;
    auto& out = GetOutputStream();
    out << "\nns per one-way switch (gort port " << GORT_ARCH_NAME << "):\n";
    char line[128];
    for (const auto& name : order_) {
      std::snprintf(line, sizeof line, "  %-28s %8.2f\n", name.c_str(), ns_[name]);
      out << line;
    }
    if (ns_.count("gort_gosave_gogo") && ns_.count("boost_context_fiber")) {
      std::snprintf(line, sizeof line,
                    "gort/Boost.Context = %.2f (gort_gosave_gogo / boost_context_fiber)\n",
                    ns_["gort_gosave_gogo"] / ns_["boost_context_fiber"]);
      out << line;
    }
    if (ns_.count("gort_switch_with_setg") && ns_.count("boost_context_fiber")) {
      const double r = ns_["gort_switch_with_setg"] / ns_["boost_context_fiber"];
      std::snprintf(line, sizeof line,
                    "the scheduler's switch / Boost.Context = %.2f (gort_switch_with_setg / "
                    "boost_context_fiber; goal <= 0.80: %s)\n",
                    r, r <= 0.8 ? "met" : "MISSED");
      out << line;
    }
#if !GORT_BENCH_BOOST_CONTEXT
    out << "gort/Boost.Context: n/a (built without Boost.Context)\n";
#endif
    out.flush();
  }

 private:
  std::vector<std::string> order_;
  std::map<std::string, double> ns_;
  std::map<std::string, bool> from_median_;
};

}  // namespace

int main(int argc, char** argv) {
  // The summary rides on the console reporter; another display format gets
  // Google Benchmark's own reporter and no summary.
  bool console = true;
  for (int i = 1; i < argc; ++i) {
    const char* flag = "--benchmark_format=";
    if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0 &&
        std::strcmp(argv[i] + std::strlen(flag), "console") != 0)
      console = false;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("gort_port", GORT_ARCH_NAME);
#if GORT_BENCH_BOOST_CONTEXT
  benchmark::AddCustomContext("boost_version", BOOST_LIB_VERSION);
#else
  benchmark::AddCustomContext("boost_version", "not built (Boost.Context missing)");
#endif
  if (console) {
    SummaryReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Color
                                                   : benchmark::ConsoleReporter::OO_None);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
