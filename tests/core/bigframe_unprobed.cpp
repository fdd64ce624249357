// bigframe_unprobed.cpp: see bigframe.hpp.
// Built with -fno-stack-clash-protection (tests/CMakeLists.txt), like code
// from a library built without it: nothing touches the frame but its lowest
// byte, so only a guard larger than the jump catches it.
#include "bigframe.hpp"

namespace gort::test {

__attribute__((noinline)) void big_frame_unprobed() {
  volatile unsigned char frame[kBigFrame];
  frame[0] = 1;
  asm volatile("" ::"r"(frame) : "memory");  // the whole frame stays
}

}  // namespace gort::test
