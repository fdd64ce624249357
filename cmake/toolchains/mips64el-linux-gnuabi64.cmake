# Cross toolchain: Debian's mips64el-linux-gnuabi64 compilers (n64 ABI,
# MIPS64r2, PIC by default); tests run under qemu-mips64el (qemu-user).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR mips64el)
set(CMAKE_C_COMPILER mips64el-linux-gnuabi64-gcc)
set(CMAKE_CXX_COMPILER mips64el-linux-gnuabi64-g++)
set(CMAKE_ASM_COMPILER mips64el-linux-gnuabi64-gcc)
# QEMU 7.2 emulates a 5KEf (MIPS64r1) by default, whose FCSR ignores every
# write (fesetround "succeeds" and changes nothing); Debian's baseline is
# MIPS64r2, which MIPS64R2-generic models, FCSR included.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-mips64el -cpu MIPS64R2-generic)
set(CMAKE_FIND_ROOT_PATH /usr/mips64el-linux-gnuabi64)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Emulated binaries are linked statically: Debian's qemu-i386 hangs on
# dynamically linked threaded binaries, and static ones need no sysroot.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
