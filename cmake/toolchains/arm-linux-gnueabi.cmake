# Cross toolchain: Debian's arm-linux-gnueabi compilers (armel: ARMv5TE,
# soft-float EABI); the arm port built without VFP (arch/arm/gort_arch.h).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv5te)
set(CMAKE_C_COMPILER arm-linux-gnueabi-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabi-g++)
set(CMAKE_ASM_COMPILER arm-linux-gnueabi-gcc)
# An ARM946 is an ARMv5TE core without a VFP unit: an ARMv6/v7 or VFP
# instruction in the port is SIGILL there, and glibc's fenv sees no FPSCR.
# (QEMU's default, and its arm926, come with VFP.)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -cpu arm946)
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Emulated binaries are linked statically: Debian's qemu-i386 hangs on
# dynamically linked threaded binaries, and static ones need no sysroot.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
