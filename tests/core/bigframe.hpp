// bigframe.hpp: a function with a 40 KiB frame that writes only the lowest
// byte of it, built twice: probed with -fstack-clash-protection (which every
// user of gort::gort gets, as a usage requirement) and unprobed (built with
// -fno-stack-clash-protection, as a prebuilt library may be). Called near the
// top of a 16 KiB stack, its lowest byte lies about 25 KiB below the stack:
// past a one-page guard, inside a 64 KiB one.
#pragma once

#include <cstddef>

namespace gort::test {

inline constexpr std::size_t kBigFrame = 40 * 1024;

void big_frame_probed();    // bigframe_probed.cpp
void big_frame_unprobed();  // bigframe_unprobed.cpp

}  // namespace gort::test
