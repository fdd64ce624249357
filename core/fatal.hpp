// fatal.hpp: the runtime's last word. fatal() prints "fatal: " and its
// arguments to stderr with plain write(2) calls and exits with status 2.
// It allocates nothing and takes no lock, so it is safe on any stack, in a
// signal handler, and with the allocator's locks held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace gort::rt {

// hex(x): print x as 0x... in fatal()/print().
struct Hex {
  std::uintptr_t v;
};
inline Hex hex(std::uintptr_t v) { return Hex{v}; }
inline Hex hex(const void* p) { return Hex{reinterpret_cast<std::uintptr_t>(p)}; }

void print_str(const char* s);
// set_print_sink: send print()'s output to sink instead of stderr (nullptr:
// stderr again). For tests of the printers; fatal() uses it too.
void set_print_sink(void (*sink)(const char*, std::size_t));
void print_u64(std::uint64_t v);
void print_i64(std::int64_t v);
void print_hex(std::uintptr_t v);

inline void print_one(const char* s) { print_str(s); }
inline void print_one(Hex h) { print_hex(h.v); }
template <class T>
inline std::enable_if_t<std::is_integral_v<T>> print_one(T v) {
  if constexpr (std::is_signed_v<T>)
    print_i64(v);
  else
    print_u64(v);
}

// print(a, b, ...): write each argument to stderr, unbuffered.
template <class... A>
void print(const A&... a) {
  (print_one(a), ...);
}

[[noreturn]] void fatal_exit();
// fatal_begin: the first caller proceeds to print; a second thread that
// fails meanwhile parks forever, so messages never interleave.
void fatal_begin();

// fatal("stackalloc", " not on system stack") prints
// "fatal: stackalloc not on system stack\n" and exits with status 2.
template <class... A>
[[noreturn]] void fatal(const A&... a) {
  fatal_begin();
  print("fatal: ", a..., "\n");
  fatal_exit();
}

}  // namespace gort::rt
