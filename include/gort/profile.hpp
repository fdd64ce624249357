// profile.hpp: the CPU profiler, written as pprof's profile.proto (gzipped),
// and goroutine labels (Go's runtime/pprof StartCPUProfile and Do).
//
//   gort::profile::start_cpu("cpu.pprof");     // 100 samples per CPU-second
//   gort::profile::with_labels({{"worker", "alpha"}}, [] { work(); });
//   gort::profile::stop_cpu();                 // the file is complete
//
//   $ go tool pprof -top ./prog cpu.pprof      # or -tags, -web, ...
//
// Every thread gort runs is sampled in proportion to the CPU time it uses
// (per-thread CPU timers where the OS has them): its Ms, and threads gort
// did not create while they are inside gort::callback. A sample is the
// stack of the interrupted code (a goroutine's, or the scheduler's on g0)
// and the labels of the goroutine it was running. GORTDEBUG=cpuprofile=<path>
// profiles a whole run without code changes.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace gort {
namespace detail {
bool cpuprof_start(const char* path, int hz);
void cpuprof_stop();
const void* labels_push(const std::pair<std::string_view, std::string_view>* kv, std::size_t n);
void labels_pop(const void* previous);
}  // namespace detail

namespace profile {

// start_cpu: start sampling at hz samples per CPU-second of each thread,
// into path. Inside a goroutine of gort::run. false, with a message on
// stderr, if a profile is already running or path cannot be opened.
inline bool start_cpu(const char* path, int hz = 100) { return detail::cpuprof_start(path, hz); }

// stop_cpu: stop sampling, write the profile, and return when the file is
// complete. Nothing if no profile is running. (The end of the run stops a
// running profile too.)
inline void stop_cpu() { detail::cpuprof_stop(); }

// with_labels: run f() with the labels added to the calling goroutine's
// (a key given again replaces the outer value), as Go's pprof.Do:
// goroutines f starts inherit them, and samples taken while they run carry
// them (go tool pprof -tags). The labels go when f returns. Label sets are
// kept for the life of the process (a sample may refer to one long after
// f returned): use a bounded set of values, as with Go's labels.
template <class F>
void with_labels(std::initializer_list<std::pair<std::string_view, std::string_view>> labels, F&& f) {
  const void* prev = detail::labels_push(labels.begin(), labels.size());
  struct Pop {
    const void* prev;
    ~Pop() { detail::labels_pop(prev); }
  } pop{prev};
  f();
}

}  // namespace profile
}  // namespace gort
