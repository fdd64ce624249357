// signal_tls_probe: exits 0 where a handled signal leaves a thread's TLS
// as it was, 3 where it does not (QEMU i386 user-mode; signal_tls.hpp).
// examples/check_profile.cmake runs it under the target's emulator before
// the profiling example, whose SIGPROF handler would otherwise meet the
// emulator's bug rather than gort's.
#include "signal_tls_probe.hpp"

int main() { return gort::test::signal_return_keeps_tls() ? 0 : 3; }
