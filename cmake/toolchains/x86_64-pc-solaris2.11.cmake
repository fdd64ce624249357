# Cross toolchain: illumos/Solaris on amd64, compile only. Debian's clang
# targets x86_64-pc-solaris2.11 (ELF, the System V AMD64 ABI); no illumos
# headers, libc or linker exist here, so the library is compiled to objects
# and archived, never linked or run:
#   - os/solaris includes no system header: it declares the illumos ABI it
#     uses itself (os/solaris/defs_solaris.hpp);
#   - core/ needs the C++ standard library's headers: the only ones here are
#     Debian's libstdc++ (configured for Linux, over glibc's C headers). So
#     these objects prove that core, arch/amd64 and os/solaris compile for
#     the target and that the port's declarations agree with each other
#     (static_asserts of every size and offset the port relies on), not
#     that illumos' own headers would accept the same sources.
set(CMAKE_SYSTEM_NAME SunOS)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_SYSTEM_VERSION 5.11)
set(GORT_COMPILE_ONLY ON)
find_program(GORT_SOLARIS_CLANG NAMES clang-14 clang REQUIRED)
find_program(GORT_SOLARIS_CLANGXX NAMES clang++-14 clang++ REQUIRED)
set(CMAKE_C_COMPILER ${GORT_SOLARIS_CLANG})
set(CMAKE_CXX_COMPILER ${GORT_SOLARIS_CLANGXX})
set(CMAKE_ASM_COMPILER ${GORT_SOLARIS_CLANG})
set(CMAKE_C_COMPILER_TARGET x86_64-pc-solaris2.11)
set(CMAKE_CXX_COMPILER_TARGET x86_64-pc-solaris2.11)
set(CMAKE_ASM_COMPILER_TARGET x86_64-pc-solaris2.11)
# Debian's libstdc++ headers (GCC 12) and, under them, glibc's multiarch
# directory: clang looks for the C++ library of an illumos GCC, which does
# not exist here. _GNU_SOURCE: libstdc++ expects it of glibc (g++ defines
# it on Linux).
set(CMAKE_CXX_FLAGS_INIT "-D_GNU_SOURCE -nostdinc++ -isystem /usr/include/c++/12 -isystem /usr/include/x86_64-linux-gnu/c++/12 -isystem /usr/include/x86_64-linux-gnu")
# Compile-time checks build a static library: nothing here can link.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
