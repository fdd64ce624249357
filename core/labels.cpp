// labels.cpp: goroutine labels (Go's pprof.Do): immutable label sets,
// interned, attached to goroutines and inherited by the ones they start.
#include "labels.hpp"

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gort/profile.hpp"
#include "sched.hpp"

namespace gort::rt {

namespace {

// Interned sets by content ("k\0v\0k\0v\0..."): one LabelSet per distinct
// set, kept for the life of the process. Only goroutines touch the table;
// a runtime Lock is enough.
Lock intern_lock;
std::map<std::string, const LabelSet*>* interned = nullptr;

const LabelSet* intern(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string key;
  for (const auto& [k, v] : kv) {
    key.append(k).push_back('\0');
    key.append(v).push_back('\0');
  }
  race::RuntimeOwn own;  // the table and its sets: the runtime's, under intern_lock
  LockGuard l(intern_lock);
  if (interned == nullptr) interned = new std::map<std::string, const LabelSet*>;
  auto it = interned->find(key);
  if (it != interned->end()) return it->second;
  auto* set = new LabelSet;
  auto** keys = new const char*[kv.size()];
  auto** values = new const char*[kv.size()];
  for (std::size_t i = 0; i < kv.size(); ++i) {
    keys[i] = (new std::string(kv[i].first))->c_str();
    values[i] = (new std::string(kv[i].second))->c_str();
  }
  set->n = kv.size();
  set->keys = keys;
  set->values = values;
  interned->emplace(std::move(key), set);
  return set;
}

}  // namespace

}  // namespace gort::rt

namespace gort::detail {

using namespace gort::rt;

const void* labels_push(const std::pair<std::string_view, std::string_view>* kv, std::size_t n) {
  if (!in_goroutine()) fatal("gort::profile::with_labels called outside a goroutine of gort::run");
  G* gp = getg();
  const LabelSet* prev = gp->labels;
  // The merging and interning (maps, strings, the heap) on the system
  // stack: the caller's may be the smallest class, which malloc's and the
  // tables' frames overflowed (UBSan build, SmallestStack.*).
  const LabelSet* next = nullptr;
  systemstack([&] {
    std::map<std::string, std::string> merged;
    if (prev != nullptr) {
      race::RuntimeOwn own;  // an interned set's strings (see intern)
      for (std::size_t i = 0; i < prev->n; ++i) merged[prev->keys[i]] = prev->values[i];
    }
    for (std::size_t i = 0; i < n; ++i) merged[std::string(kv[i].first)] = std::string(kv[i].second);
    std::vector<std::pair<std::string, std::string>> sorted(merged.begin(), merged.end());
    next = intern(sorted);
  });
  gp->labels = next;
  return prev;
}

void labels_pop(const void* previous) {
  // The goroutine may have moved to another M meanwhile: getg() is still it.
  getg()->labels = static_cast<const LabelSet*>(previous);
}

}  // namespace gort::detail
