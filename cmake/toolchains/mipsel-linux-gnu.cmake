# Cross toolchain: Debian's mipsel-linux-gnu compilers (o32 ABI, MIPS32r2,
# -mfpxx, PIC by default); tests run under qemu-mipsel (qemu-user, whose
# default 24Kf is MIPS32r2 with a 32-bit FPU: FR=0, doubles in even/odd pairs).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR mipsel)
set(CMAKE_C_COMPILER mipsel-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER mipsel-linux-gnu-g++)
set(CMAKE_ASM_COMPILER mipsel-linux-gnu-gcc)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-mipsel)
set(CMAKE_FIND_ROOT_PATH /usr/mipsel-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Emulated binaries are linked statically: Debian's qemu-i386 hangs on
# dynamically linked threaded binaries, and static ones need no sysroot.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
