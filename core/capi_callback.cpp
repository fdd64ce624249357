// capi_callback.cpp: the C API's gort_callback, alone in its object file.
// A program that links it (libgort is a static library: only a program
// that calls gort_callback pulls this object in) can be called back from
// threads gort did not create, so it says so before main, as every C++
// translation unit calling gort::callback does (detail.hpp): checkdead is
// silent in such a program (core/proc.cpp).
#include "gort/gort.h"
#include "gort/gort.hpp"
#include "fatal.hpp"

namespace {
[[maybe_unused]] const bool linked = gort::detail::note_foreign_callbacks();
}

extern "C" int gort_callback(void (*fn)(void*), void* arg) {
  if (fn == nullptr) [[unlikely]]
    gort::rt::fatal("gort_callback: fn is NULL");
  return gort::detail::cgocallback(fn, arg);
}
