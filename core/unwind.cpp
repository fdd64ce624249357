// unwind.cpp: the portable part of gort's unwinder (unwind.hpp): cursors,
// stack ranges, the rules every walk obeys, the table of loaded objects,
// and symbolize. How one frame is unwound is the strategy's
// (unwind_impl.hpp); what an object holds is the object format's.
//
// The rules of a walk, whatever the table format:
//   - every read of stack memory lies inside one of the cursor's ranges;
//   - sp moves up inside a range; a walk may move to another range (a
//     morestack segment back to the stack it came from, a signal stack to
//     the interrupted stack) but never back into one it has left;
//   - sp may stay put once, leaving an exact frame (a signal in a leaf
//     function on a link-register CPU: nothing was pushed yet);
//   - at most kUnwindMaxSteps steps.
//
// The module table. unwind_init builds it at every gort::run, outside any
// handler: one Module per loaded object (bias, segments, unwind tables,
// sorted symbols), and the executable segments of all of them sorted by
// address, so a pc finds its object in O(log n). It is published through an
// atomic pointer, and an old table is never freed: a handler on another
// thread may still be reading it (the new table keeps it on a list, so that
// a leak checker sees it retained, as it is, not lost). That leaks only when the set of loaded
// objects changed between runs (dlopen/dlclose): an unchanged set keeps the
// table, and a Module whose object is still loaded is carried over with its
// symbol arrays and mapped file. Rejected: reference counts or hazard
// pointers taken by handlers (a handler that dies mid-walk, as crash
// reports do, would pin the table forever anyway, and every walk would pay
// for two atomic read-modify-writes); rebuilding lazily from a handler
// (dl_iterate_phdr takes the loader's lock).
#include "unwind.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "runtime.hpp"
#include "unwind_impl.hpp"

namespace gort::rt {

using unw::Module;

namespace {

struct TextRef {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
  const Module* mod = nullptr;
};

struct ModuleTable {
  Module* mods = nullptr;
  int nmods = 0;
  TextRef* text = nullptr;  // sorted by lo, disjoint
  int ntext = 0;
  const ModuleTable* retired = nullptr;  // the table this one replaced, kept
};

std::atomic<const ModuleTable*> g_table{nullptr};

// module_for: the object whose executable segments hold pc. Async-signal-safe.
const Module* module_for(const ModuleTable* t, std::uintptr_t pc) {
  int lo = 0, hi = t->ntext;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (t->text[mid].hi <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < t->ntext && t->text[lo].lo <= pc) return t->text[lo].mod;
  return nullptr;
}

// range_of: the index of the cursor's range holding sp, or -1. sp may be
// a range's hi: the first frame on a fresh stack (morestack's callee) has
// pushed nothing yet. Async-signal-safe.
int range_of(const UnwindCursor& c, std::uintptr_t sp) {
  for (int i = 0; i < c.nranges; ++i)
    if (sp >= c.ranges[i].lo && sp <= c.ranges[i].hi) return i;
  return -1;
}

bool stopped(UnwindCursor* c, UnwindStop why) {
  c->stop = why;
  return false;
}

}  // namespace

namespace unw {

// In handlers: one atomic load and a binary search.
const Module* module_for_pc(std::uintptr_t pc) {
  const ModuleTable* t = g_table.load(std::memory_order_acquire);
  return t != nullptr ? module_for(t, pc) : nullptr;
}

namespace {
// copy: n bytes, in a handler: plain loads and stores, never a call of
// memcpy (n is not known to the compiler here). A sanitizer intercepts
// memcpy: TSan records the copy as an access of whatever goroutine the
// signal interrupted (two profile ticks on one M's signal stack, under two
// goroutines, were reported as a race), and its interceptor may run inside
// TSan's own code, which the signal interrupted. The barrier keeps the
// compiler from turning the loop back into a memcpy call.
inline void copy(void* out, std::uintptr_t addr, std::size_t n) {
  const auto* in = reinterpret_cast<const unsigned char*>(addr);
  auto* o = static_cast<unsigned char*>(out);
  if (n == sizeof(std::uintptr_t)) {
    std::uintptr_t w;
    __builtin_memcpy(&w, in, sizeof w);  // constant size: a load
    __builtin_memcpy(o, &w, sizeof w);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    o[i] = in[i];
    asm volatile("" ::: "memory");
  }
}
}  // namespace

// In handlers: plain comparisons, loads and stores.
bool read_stack(const UnwindCursor& c, std::uintptr_t addr, void* out, std::size_t n) {
  for (int i = 0; i < c.nranges; ++i) {
    const StackRange& r = c.ranges[i];
    if (addr >= r.lo && addr < r.hi && n <= r.hi - addr) {
      copy(out, addr, n);
      return true;
    }
  }
  return false;
}

// In handlers: plain comparisons, loads and stores.
bool read_table(const Module& m, std::uintptr_t addr, void* out, std::size_t n) {
  if (m.segment(addr, n).empty()) return false;
  copy(out, addr, n);
  return true;
}

}  // namespace unw

// In handlers: reads the context through the OS port's accessors.
void unwind_from_signal(UnwindCursor* c, const os::SigInfo& si) {
  os::sigctxt_regs(si.ctx, c->regs, c->known, kUnwindRegs);
  c->pc = si.pc;
  c->exact = true;
}

#define GORT_GOBUF_CHECK(reg, off)                                                              \
  static_assert((reg) >= 0 && (reg) < kUnwindRegs, "GORT_GOBUF_DWARF: register out of range"); \
  static_assert((off) >= GOBUF_REGS && (off) + sizeof(std::uintptr_t) <= sizeof(Gobuf),          \
                "GORT_GOBUF_DWARF: offset outside the Gobuf's register area");
GORT_GOBUF_DWARF(GORT_GOBUF_CHECK)
#undef GORT_GOBUF_CHECK

// In handlers: plain loads from buf.
void unwind_from_gobuf(UnwindCursor* c, const Gobuf& buf) {
  const auto* base = reinterpret_cast<const unsigned char*>(&buf);
  std::uintptr_t v;
#define GORT_GOBUF_LOAD(reg, off)               \
  std::memcpy(&v, base + (off), sizeof v);      \
  c->set(reg, v);
  GORT_GOBUF_DWARF(GORT_GOBUF_LOAD)
#undef GORT_GOBUF_LOAD
  c->pc = buf.pc;
  c->exact = false;
  c->set(GORT_DWARF_SP, buf.sp);
  // Where the return address is pushed (GORT_RA_ON_STACK), the RA column
  // is no register of its own: it is the frame's pc.
  if constexpr (GORT_RA_ON_STACK != 0) c->set(GORT_DWARF_RA, buf.pc);
}

// In handlers: plain (racy) loads of gp's bounds and its segment chain.
void add_stack_ranges(UnwindCursor* c, const G* gp) {
  if (gp == nullptr) return;
  c->add_range(racy(gp->stack_lo), racy(gp->stack_hi));
  // The chain lives on the stacks it describes; a stopped G's chain is
  // stable. Bounded in case it is not.
  const detail::SegmentScope* s = racy(gp->segments);
  for (int n = 0; s != nullptr && n < kUnwindRanges; ++n) {
    c->add_range(racy(s->seg.lo), racy(s->seg.hi));
    c->add_range(racy(s->old_lo), racy(s->old_hi));
    s = racy(s->outer);
  }
  c->add_range(racy(gp->stack.lo), racy(gp->stack.hi));
}

// In handlers: the strategy's step and plain reads; no allocation, no lock.
bool unwind_step(UnwindCursor* c) {
  if (c->stop != UnwindStop::none) return false;
  if (++c->steps > kUnwindMaxSteps) return stopped(c, UnwindStop::too_deep);
  const ModuleTable* t = g_table.load(std::memory_order_acquire);
  std::uintptr_t lookup = c->exact ? c->pc : c->pc - 1;
  const Module* m = t != nullptr ? module_for(t, lookup) : nullptr;
  if (m == nullptr) return stopped(c, UnwindStop::no_module);
  UnwindFrame next = *c;
  UnwindStop why = unw::frame_step(*m, lookup, *c, &next);
  if (why != UnwindStop::none) return stopped(c, why);
  if (next.pc == 0) return stopped(c, UnwindStop::end);
  if (!next.has(GORT_DWARF_SP)) return stopped(c, UnwindStop::bad_sp);
  std::uintptr_t osp = c->sp(), nsp = next.sp();
  int ro = range_of(*c, osp), rn = range_of(*c, nsp);
  if (ro >= 0 && rn >= 0 && ro != rn) {
    // Another stack: only one not left before.
    if ((c->left >> rn) & 1) return stopped(c, UnwindStop::bad_sp);
    c->left |= std::uint32_t(1) << ro;
  } else if (nsp < osp || (nsp == osp && (!c->exact || next.pc == c->pc))) {
    return stopped(c, UnwindStop::bad_sp);
  }
  static_cast<UnwindFrame&>(*c) = next;
  return true;
}

// In handlers: binary searches over the published table.
bool symbolize(std::uintptr_t pc, const char** name, std::uintptr_t* offset) {
  const Module* m = unw::module_for_pc(pc);
  if (m == nullptr) return false;
  // The last function starting at or before pc; a few before it, in case a
  // larger one encloses pc (an alias, a function with a cold part inside).
  std::size_t lo = 0, hi = m->nfuncs;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (m->funcs[mid].addr <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  std::uintptr_t last_start = 0;
  bool any = lo > 0;
  if (any) last_start = m->funcs[lo - 1].addr;
  for (std::size_t i = lo, n = 0; i > 0 && n < 16; --i, ++n) {
    const unw::Symbol& s = m->funcs[i - 1];
    if (pc - s.addr < s.size) {
      *name = s.name;
      *offset = pc - s.addr;
      return true;
    }
  }
  // No sized function holds pc: the nearest label before it, if no
  // function starts between the two.
  lo = 0, hi = m->nlabels;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (m->labels[mid].addr <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return false;
  const unw::Symbol& l = m->labels[lo - 1];
  if (any && last_start > l.addr) return false;
  *name = l.name;
  *offset = pc - l.addr;
  return true;
}

namespace {

struct Found {
  std::vector<os::LoadedObject> objs;
  std::vector<std::vector<char>> names;  // copies: the loader's strings may go with dlclose
};

void collect(const os::LoadedObject& o, void* arg) {
  auto* f = static_cast<Found*>(arg);
  f->names.emplace_back(o.name, o.name + std::strlen(o.name) + 1);
  f->objs.push_back(o);
}

bool same_object(const Module& m, const os::LoadedObject& o) {
  return m.bias == o.bias && m.phdr == o.phdr && std::strcmp(m.name, o.name) == 0;
}

char* copy_string(const char* s) {
  std::size_t n = std::strlen(s) + 1;
  char* p = new char[n];
  std::memcpy(p, s, n);
  return p;
}

}  // namespace

// Outside any handler; allocates. One caller at a time (gort::run start).
void unwind_init() {
  Found f;
  os::loaded_objects(&collect, &f);
  for (std::size_t i = 0; i < f.objs.size(); ++i) f.objs[i].name = f.names[i].data();
  const ModuleTable* old = g_table.load(std::memory_order_acquire);
  if (old != nullptr && static_cast<std::size_t>(old->nmods) == f.objs.size()) {
    bool same = true;
    for (int i = 0; i < old->nmods && same; ++i) same = same_object(old->mods[i], f.objs[i]);
    if (same) return;
  }
  auto* t = new ModuleTable;
  t->retired = old;
  t->mods = new Module[f.objs.size()];
  for (const os::LoadedObject& o : f.objs) {
    Module* m = &t->mods[t->nmods];
    const Module* prev = nullptr;
    for (int j = 0; old != nullptr && j < old->nmods && prev == nullptr; ++j)
      if (same_object(old->mods[j], o)) prev = &old->mods[j];
    if (prev != nullptr) {
      *m = *prev;  // its arrays and mapped file are never freed
    } else {
      *m = Module{};
      if (!unw::module_load(o, m)) continue;
      m->name = copy_string(o.name);
      unw::frame_prepare(*m);
    }
    ++t->nmods;
  }
  std::vector<TextRef> text;
  for (int i = 0; i < t->nmods; ++i)
    for (int k = 0; k < t->mods[i].ntext; ++k)
      text.push_back(TextRef{t->mods[i].text[k].lo, t->mods[i].text[k].hi, &t->mods[i]});
  std::sort(text.begin(), text.end(), [](const TextRef& a, const TextRef& b) { return a.lo < b.lo; });
  t->text = new TextRef[text.size() ? text.size() : 1];
  for (const TextRef& r : text)
    if (t->ntext == 0 || r.lo >= t->text[t->ntext - 1].hi) t->text[t->ntext++] = r;  // overlaps: first wins
  g_table.store(t, std::memory_order_release);
}

}  // namespace gort::rt
