# Cross toolchain: macOS on x86-64 (darwin, Mach-O), with zig's clang
# (zig-macos.cmake). Built and linked, not run: no emulator runs macOS.
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(GORT_ZIG_TARGET x86_64-macos)
include("${CMAKE_CURRENT_LIST_DIR}/zig-macos.cmake")
