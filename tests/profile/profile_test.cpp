// The CPU profiler: a profile of two known functions burning CPU on 2 Ps,
// one under a label, read back with `go tool pprof` (-top lists both,
// -tags shows the label, the sample count matches CPU time x hz within a
// generous bound); foreign threads' callbacks are attributed to their
// goroutine; GORTDEBUG=cpuprofile profiles a whole run; and the seed
// scenario: start/stop cycles while goroutines spawn and exit, the
// scavenger runs continuously and SIGPROF storms in, must not deadlock.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gort/profile.hpp>

#include "testutil.hpp"
#include "../support/signal_tls.hpp"

namespace gort::test {
namespace {

using ::testing::ExitedWithCode;

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return std::string(buf, n > 0 ? std::size_t(n) : 0);
}

// pprof: the output of `go tool pprof <args> <binary> <profile>`, or "" if
// go is not installed (the test skips then: ./kit installs golang-go).
bool have_go() { return std::system("go version >/dev/null 2>&1") == 0; }
std::string pprof(const std::string& args, const std::string& profile, int* status = nullptr) {
  std::string cmd = "HOME=${HOME:-/tmp} GOFLAGS=-mod=mod go tool pprof " + args + " " + self_exe() + " " + profile +
                    " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int st = pclose(p);
    if (status) *status = st;
  }
  return out;
}

std::string temp_path(const char* name) { return "/tmp/gort-" + std::to_string(getpid()) + "-" + name; }

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

std::atomic<std::uint64_t> g_sink{0};

extern "C" __attribute__((noinline)) void gort_test_burn_alpha(std::chrono::milliseconds d) {
  auto end = Clock::now() + d;
  std::uint64_t x = 1;
  while (Clock::now() < end)
    for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  g_sink += x;
}

extern "C" __attribute__((noinline)) void gort_test_burn_beta(std::chrono::milliseconds d) {
  auto end = Clock::now() + d;
  std::uint64_t x = 3;
  while (Clock::now() < end)
    for (int i = 0; i < 1000; ++i) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  g_sink += x;
}

TEST(Profile, TwoFunctionsOnTwoPsWithALabel) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  if (kEmulated) GTEST_SKIP() << "the -top content is checked natively (see ProfileUnderEmulation)";
  if (!have_go()) GTEST_SKIP() << "go is not installed (./kit deps installs golang-go)";
  std::string path = temp_path("two.pprof");
  double cpu0 = cpu_seconds();
  run(
      [&] {
        ASSERT_TRUE(profile::start_cpu(path.c_str(), 100));
        WaitGroup wg;
        wg.add(2);
        go([&] {
          profile::with_labels({{"worker", "alpha"}}, [] { gort_test_burn_alpha(std::chrono::milliseconds(1500)); });
          wg.done();
        });
        go([&] {
          gort_test_burn_beta(std::chrono::milliseconds(1500));
          wg.done();
        });
        wg.wait();
        profile::stop_cpu();
      },
      Config{2});
  double cpu = cpu_seconds() - cpu0;
  std::string top = pprof("-top -nodecount=20", path);
  std::printf("%s\n", top.c_str());
  EXPECT_NE(top.find("gort_test_burn_alpha"), std::string::npos) << top;
  EXPECT_NE(top.find("gort_test_burn_beta"), std::string::npos) << top;
  std::string tags = pprof("-tags", path);
  EXPECT_NE(tags.find("worker"), std::string::npos) << tags;
  EXPECT_NE(tags.find("alpha"), std::string::npos) << tags;
  // Samples: the process's CPU time x hz, within a generous bound (the
  // sampling is statistical, and a loaded machine skews both figures).
  std::string raw = pprof("-raw", path);
  long samples = 0;
  for (std::size_t at = raw.find("Samples:"); at != std::string::npos && at < raw.size();) {
    std::size_t line = raw.find('\n', at);
    std::size_t end = raw.find("Locations", at);
    for (std::size_t p = line; p != std::string::npos && p < end; p = raw.find('\n', p + 1)) {
      long n = std::atol(raw.c_str() + p + 1);
      samples += n;
    }
    break;
  }
  std::printf("CPU %.2f s, %ld samples at 100 Hz\n", cpu, samples);
  EXPECT_GT(samples, cpu * 100 * 0.4);
  EXPECT_LT(samples, cpu * 100 * 1.6 + 20);
  std::remove(path.c_str());
}

TEST(Profile, ProfileUnderEmulationIsWrittenAndParses) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  if (!have_go()) GTEST_SKIP() << "go is not installed";
  std::string path = temp_path("emu.pprof");
  run(
      [&] {
        ASSERT_TRUE(profile::start_cpu(path.c_str(), 250));
        gort_test_burn_alpha(std::chrono::milliseconds(300));
        profile::stop_cpu();
      },
      Config{2});
  int status = -1;
  std::string raw = pprof("-raw", path, &status);
  EXPECT_EQ(status, 0) << raw;
  EXPECT_NE(raw.find("Samples:"), std::string::npos) << raw;
  std::remove(path.c_str());
}

TEST(Profile, CallbacksFromForeignThreadsAreAttributedToTheirGoroutine) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  if (kEmulated) GTEST_SKIP() << "checked natively";
  if (!have_go()) GTEST_SKIP() << "go is not installed";
  std::string path = temp_path("cb.pprof");
  run(
      [&] {
        ASSERT_TRUE(profile::start_cpu(path.c_str(), 100));
        std::thread t([] {
          for (int i = 0; i < 10; ++i)
            callback([] {
              profile::with_labels({{"via", "callback"}},
                                   [] { gort_test_burn_beta(std::chrono::milliseconds(80)); });
            });
        });
        blocking([&] { t.join(); });
        profile::stop_cpu();
      },
      Config{2});
  std::string top = pprof("-top -tagfocus=via=callback", path);
  EXPECT_NE(top.find("gort_test_burn_beta"), std::string::npos) << top;
  std::remove(path.c_str());
}

TEST(Profile, StartTwiceAndBadPathSayWhy) {
  run([] {
    std::string path = temp_path("twice.pprof");
    ASSERT_TRUE(profile::start_cpu(path.c_str()));
    EXPECT_FALSE(profile::start_cpu(path.c_str())) << "a second profile started";
    profile::stop_cpu();
    EXPECT_FALSE(profile::start_cpu("/nonexistent-dir/x.pprof"));
    std::remove(path.c_str());
  });
}

// start_cpu, the drainer goroutine and stop_cpu on the smallest stack
// class: their table work, file writing and timer set-up run on the
// system stack (cpuprof.cpp). Before, stop_cpu's write_pprof overflowed a
// 4 KiB main ("fatal: stack overflow in goroutine 1").
TEST(Profile, StartAndStopOnTheSmallestStack) {
  std::string path = temp_path("small.pprof");
  Config cfg;
  cfg.stack_size = 4096;
  run(
      [&path] {
        if (!profile::start_cpu(path.c_str())) return;
        volatile unsigned sink = 0;
        for (unsigned i = 0; i < 50000000u / kScale; ++i) sink = sink + i;
        sleep_for(std::chrono::milliseconds(120));  // the drainer's 50 ms turns
        profile::stop_cpu();
      },
      cfg);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  EXPECT_GT(static_cast<long>(in.tellg()), 0L) << "no profile written";
  std::remove(path.c_str());
}

TEST(ProfileDeathTest, GortdebugCpuprofileProfilesTheWholeRun) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  if (!have_go()) GTEST_SKIP() << "go is not installed";
  std::string path = temp_path("env.pprof");
  std::remove(path.c_str());
  EXPECT_EXIT(
      {
        setenv("GORTDEBUG", ("cpuprofile=" + path).c_str(), 1);
        int r = run([] {
          gort_test_burn_alpha(std::chrono::milliseconds(200));
          return 0;
        });
        std::_Exit(r);
      },
      ExitedWithCode(0), "");
  int status = -1;
  std::string raw = pprof("-raw", path, &status);
  EXPECT_EQ(status, 0) << raw;
  std::remove(path.c_str());
}

// The seed: a profiling signal while the scavenger holds the heap lock,
// against a start/stop of the profiler. 50 cycles on 2 Ps with the
// scavenger running continuously (delay 1 ms), goroutines spawning and
// exiting, and a storm of SIGPROF from another thread. The watchdog fails
// the test instead of letting it hang.
TEST(Profile, StartStopCyclesUnderScavengerAndSigprofStormDoNotDeadlock) {
  GORT_SKIP_IF_SIGNAL_RETURN_LOSES_TLS();
  std::string path = temp_path("seed.pprof");
  Config cfg;
  cfg.procs = 2;
  cfg.scavenge_delay = std::chrono::milliseconds(1);
  std::atomic<bool> stop{false};
  run(
      [&] {
        // A first profile installs gort's SIGPROF handler before the storm.
        ASSERT_TRUE(profile::start_cpu(path.c_str(), 1000));
        profile::stop_cpu();
        std::thread storm([&] {
          while (!stop) {
            kill(getpid(), SIGPROF);
            usleep(50);
          }
        });
        std::atomic<long> spawned{0};
        // main waits for the spawner: its goroutines use main's locals, which
        // are gone once main returns (ASan's fake stacks made that a fault).
        WaitGroup spawner;
        spawner.add(1);
        go([&] {
          while (!stop) {
            WaitGroup wg;
            for (int i = 0; i < 64; ++i) {
              wg.add(1);
              go([&] {
                spawned.fetch_add(1);
                wg.done();
              });
            }
            wg.wait();
          }
          spawner.done();
        });
        for (int cycle = 0; cycle < 50; ++cycle) {
          ASSERT_TRUE(profile::start_cpu(path.c_str(), 1000));
          sleep_for(std::chrono::milliseconds(5));
          profile::stop_cpu();
        }
        stop = true;
        blocking([&] { storm.join(); });
        spawner.wait();
        EXPECT_GT(spawned.load(), 0);
      },
      cfg);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gort::test
