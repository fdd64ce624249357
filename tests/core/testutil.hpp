// testutil.hpp: shared bits of the core and stress suites.
#pragma once

#include <gtest/gtest.h>

#include <gort/gort.hpp>

#include "race.hpp"

namespace gort::test {
constexpr int kScale = GORT_TEST_SCALE;  // >1 under emulation or ASan/TSan: loops shrink, assertions stay
constexpr bool kEmulated = GORT_TEST_EMULATED;  // run under QEMU

// await_stragglers: from main, until every other goroutine has finished
// exiting (at most about 5 s). A goroutine's WaitGroup::done runs before its
// exit gives its stack back to its P's cache and its channel handles go,
// and run abandons what is still out.
inline void await_stragglers() {
  for (int i = 0; i < 5000 && mem_stats().goroutines > 1; ++i) sleep_for(std::chrono::milliseconds(1));
}

// The sanitizer this build runs under (core/race.hpp), for the few tests
// whose subject it changes: they skip with GORT_SKIP_UNDER, saying why.
constexpr bool kAsan = rt::race::kAsan;
constexpr bool kTsan = rt::race::kTsan;
constexpr bool kUbsan =
#if defined(GORT_TEST_UBSAN)
    true;
#else
    false;
#endif

// TSan (GCC 12's runtime) holds at most 8128 threads and fibers at once
// and ends the process past that ("ThreadSanitizer: Thread limit (8128
// threads) exceeded. Dying."). Every live goroutine is a TSan fiber
// (core/race.hpp): a test that keeps more than this alive at once keeps
// fewer under TSan, or skips when the number is its subject.
constexpr long kTsanLiveLimit = 8128;
constexpr const char* kTsanLiveWhy =
    "TSan: every live goroutine is a TSan fiber, and TSan holds at most 8128 threads and fibers at once (it ends "
    "the process past that); this test is about keeping more than that alive";
}  // namespace gort::test

// GORT_SKIP_UNDER(cond, why): skip the test when cond holds, with the reason.
#define GORT_SKIP_UNDER(cond, why) \
  if (cond) GTEST_SKIP() << why
