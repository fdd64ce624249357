// cpuprof.hpp: the CPU profiler inside the runtime (cpuprof.cpp, pprof.cpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "os.hpp"

namespace gort::rt {

struct G;
struct M;
struct Sched;
struct LabelSet;

// cpuprof_minit / cpuprof_unminit: the M's thread joins or leaves the
// profile (its CPU clock is read, its timer made or deleted). On the M's
// thread (minit/unminit), not in a handler.
void cpuprof_minit(M* mp);
void cpuprof_unminit(M* mp);
// cpuprof_sample: SIGPROF on mp's thread interrupted gp. In the handler:
// no allocation, no lock.
void cpuprof_sample(const os::SigInfo& si, M* mp, G* gp);
// cpuprof_active: a profile is being taken (handlers record samples).
bool cpuprof_active();
// cpuprof_finish: the run is over: write a profile still running. On m0,
// after the other Ms have left.
void cpuprof_finish(Sched& s);
// cpuprof_env: GORTDEBUG=cpuprofile=<path> for the main goroutine.
void cpuprof_env_start();

// ProfSample: one aggregated stack (leaf first) with its count.
struct ProfSample {
  std::vector<std::uintptr_t> pcs;
  const LabelSet* labels = nullptr;
  std::int64_t count = 0;
};
// write_pprof: profile.proto, gzipped, to f (pprof.cpp). true on success.
bool write_pprof(std::FILE* f, const std::vector<ProfSample>& samples, int hz, std::int64_t start_ns,
                 std::int64_t duration_ns, std::int64_t lost);

}  // namespace gort::rt
