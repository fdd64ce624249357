// labels.hpp: goroutine label sets (gort::profile::with_labels).
#pragma once

#include <cstddef>

namespace gort::rt {

// LabelSet: an immutable, interned set of key/value strings, sorted by key.
// Never freed: a profile sample may refer to one at any time (see
// gort/profile.hpp). A G points to its own (G::labels), inherited by the
// goroutines it starts.
struct LabelSet {
  std::size_t n = 0;
  const char* const* keys = nullptr;
  const char* const* values = nullptr;
};

}  // namespace gort::rt
