// fatal.cpp: unbuffered output for fatal errors (see fatal.hpp).
#include "fatal.hpp"

#include <atomic>

#include "os.hpp"

namespace gort::rt {

namespace {
std::atomic<void (*)(const char*, std::size_t)> g_sink{nullptr};

void out(const char* s, std::size_t n) {
  if (auto sink = g_sink.load(std::memory_order_relaxed))
    sink(s, n);
  else
    os::write_err(s, n);
}
}  // namespace

void set_print_sink(void (*sink)(const char*, std::size_t)) { g_sink.store(sink); }

void print_str(const char* s) {
  std::size_t n = 0;
  while (s[n] != '\0') ++n;
  out(s, n);
}

void print_u64(std::uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

void print_i64(std::int64_t v) {
  if (v < 0) {
    out("-", 1);
    print_u64(0 - static_cast<std::uint64_t>(v));
  } else {
    print_u64(static_cast<std::uint64_t>(v));
  }
}

void print_hex(std::uintptr_t v) {
  char buf[2 + 2 * sizeof v];
  char* p = buf + sizeof buf;
  do {
    *--p = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  *--p = 'x';
  *--p = '0';
  out(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

void fatal_begin() {
  static std::atomic<std::uint32_t> dying{0};
  if (dying.exchange(1) == 0) return;
  std::uint32_t forever = 0;
  for (;;) os::futexsleep(&forever, 0, -1);
}

void fatal_exit() { os::exit(2); }

}  // namespace gort::rt
