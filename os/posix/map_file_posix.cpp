// map_file_posix.cpp: os_objects.hpp's map_file over POSIX open/fstat/mmap,
// for the OS ports whose libc headers are here (linux, darwin; solaris
// declares its system interface itself, os/solaris/defs_solaris.hpp, and
// keeps its own). Called only by unwind_init, outside any signal handler.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os_objects.hpp"

namespace gort::os {

bool map_file(const char* path, const void** base, std::size_t* size) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  void* p = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return false;
  *base = p;
  *size = static_cast<std::size_t>(st.st_size);
  return true;
}

}  // namespace gort::os
