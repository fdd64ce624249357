// testutil.hpp: shared bits of the core and stress suites.
#pragma once

#include <gtest/gtest.h>

#include <gort/gort.hpp>

#include "race.hpp"

namespace gort::test {
constexpr int kScale = GORT_TEST_SCALE;  // >1 under emulation or ASan/TSan: loops shrink, assertions stay
constexpr bool kEmulated = GORT_TEST_EMULATED;  // run under QEMU

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
}  // namespace gort::test

// GORT_SKIP_UNDER(cond, why): skip the test when cond holds, with the reason.
#define GORT_SKIP_UNDER(cond, why) \
  if (cond) GTEST_SKIP() << why
