// bigframe_probed.cpp: see bigframe.hpp.
// Built with the flags every user of gort::gort gets, -fstack-clash-protection
// among them (where the compiler has it): the frame is probed page by page
// from the top, and the first probe below the stack faults in the guard. (GCC
// on arm64 probes only frames above 64 KiB, and GCC 12 on riscv64 not at all:
// there the lowest byte itself must land in the guard.)
#include "bigframe.hpp"

namespace gort::test {

__attribute__((noinline)) void big_frame_probed() {
  volatile unsigned char frame[kBigFrame];
  frame[0] = 1;
  asm volatile("" ::"r"(frame) : "memory");  // the whole frame stays
}

}  // namespace gort::test
