// watchdog.cpp: a test that hangs must say where. A plain thread watches the
// running test; after GORT_TEST_WATCHDOG seconds (default 120) in one test
// it prints the scheduler's state and aborts, so ctest reports a failure
// with a picture instead of a timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "sched.hpp"

namespace {

std::atomic<long> g_test_seq{0};

struct Watch : ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { g_test_seq.fetch_add(1); }
};

struct Watchdog : ::testing::Environment {
  void SetUp() override {
    const char* v = std::getenv("GORT_TEST_WATCHDOG");
    long secs = v ? std::atol(v) : 120;
    ::testing::UnitTest::GetInstance()->listeners().Append(new Watch);
    std::thread([secs] {
      long seen = -1;
      auto since = std::chrono::steady_clock::now();
      for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        long now_seq = g_test_seq.load();
        if (now_seq != seen) {
          seen = now_seq;
          since = std::chrono::steady_clock::now();
        } else if (std::chrono::steady_clock::now() - since > std::chrono::seconds(secs)) {
          const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
          std::fprintf(stderr, "watchdog: %s.%s has run for %ld s\n", t ? t->test_suite_name() : "?",
                       t ? t->name() : "?", secs);
          gort::rt::debug_dump();
          std::abort();
        }
      }
    }).detach();
  }
};

[[maybe_unused]] auto* const watchdog_env = ::testing::AddGlobalTestEnvironment(new Watchdog);

}  // namespace
