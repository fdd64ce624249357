// testutil.hpp: shared bits of the core and stress suites.
#pragma once

#include <gtest/gtest.h>

#include <gort/gort.hpp>

namespace gort::test {
constexpr int kScale = GORT_TEST_SCALE;  // >1 under emulation: loops shrink, assertions stay
}
