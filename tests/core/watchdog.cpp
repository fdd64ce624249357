// watchdog.cpp: a test that hangs must say where. Each test arms alarm();
// if a test runs longer than GORT_TEST_WATCHDOG seconds (default 120), the
// SIGALRM handler prints the scheduler's state and aborts, so ctest reports
// a failure with a picture instead of a timeout. A signal, not a thread: an
// extra thread at fork() time breaks death tests under qemu-user.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "sched.hpp"

namespace {

unsigned g_secs = 120;
char g_name[256];

void on_alarm(int) {
  const char* pre = "watchdog: test ran too long: ";
  (void)!write(2, pre, std::strlen(pre));
  (void)!write(2, g_name, std::strlen(g_name));
  (void)!write(2, "\n", 1);
  gort::rt::debug_dump();
  std::abort();
}

struct Watch : ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& t) override {
    std::snprintf(g_name, sizeof g_name, "%s.%s", t.test_suite_name(), t.name());
    alarm(g_secs);
  }
  void OnTestEnd(const ::testing::TestInfo&) override { alarm(0); }
};

struct Watchdog : ::testing::Environment {
  void SetUp() override {
    if (const char* v = std::getenv("GORT_TEST_WATCHDOG")) g_secs = static_cast<unsigned>(std::atoi(v));
    if (g_secs == 0) return;
    struct sigaction sa {};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, nullptr);
    ::testing::UnitTest::GetInstance()->listeners().Append(new Watch);
  }
};

[[maybe_unused]] auto* const watchdog_env = ::testing::AddGlobalTestEnvironment(new Watchdog);

}  // namespace
