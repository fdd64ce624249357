// os_linux.cpp: gort's OS port for Linux (glibc or musl).
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "fatal.hpp"
#include "os.hpp"

namespace gort::os {

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

void* reserve(std::size_t n) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void release(void* p, std::size_t n) {
  if (munmap(p, n) != 0) rt::fatal("munmap failed, errno ", errno);
}

void protect_none(void* p, std::size_t n) {
  if (mprotect(p, n, PROT_NONE) != 0) rt::fatal("mprotect failed, errno ", errno);
}

void current_stack(std::uintptr_t* lo, std::uintptr_t* hi) {
  // Called on the thread itself: glibc reads /proc/self/maps for the main
  // thread, which may allocate; that is allowed here (see os.hpp).
  pthread_attr_t attr;
  void* addr = nullptr;
  std::size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
      pthread_attr_getstack(&attr, &addr, &size) != 0)
    rt::fatal("cannot read this thread's stack bounds");
  pthread_attr_destroy(&attr);
  *lo = reinterpret_cast<std::uintptr_t>(addr);
  *hi = *lo + size;
}

void write_err(const char* s, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void exit(int code) { ::_exit(code); }

}  // namespace gort::os
