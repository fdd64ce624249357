# Cross toolchain: macOS on arm64 (Apple silicon; darwin, Mach-O), with
# zig's clang (zig-macos.cmake). Built and linked, not run: no emulator
# runs macOS.
set(CMAKE_SYSTEM_PROCESSOR arm64)
set(GORT_ZIG_TARGET aarch64-macos)
include("${CMAKE_CURRENT_LIST_DIR}/zig-macos.cmake")
