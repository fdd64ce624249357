// chan.hpp: channels, select and timers.
#pragma once

#include <chrono>
#include <cstddef>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "gort/detail.hpp"

namespace gort {

using Clock = std::chrono::steady_clock;

// chan<T>: a copyable handle to a shared channel, as in Go. A
// default-constructed handle is a nil channel: sends and receives on it block
// forever. T's move constructor must not block (it runs under the channel's
// lock).
template <class T>
class chan {
 public:
  explicit chan(std::size_t capacity = 0) : c_(detail::chan_make(detail::ops_of<T>(), capacity)) {}
  static chan nil() { return chan(nullptr); }
  chan(const chan& o) : c_(o.c_) {
    if (c_) detail::chan_retain(c_);
  }
  chan(chan&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  chan& operator=(chan o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~chan() {
    if (c_) detail::chan_release(c_);
  }

  // send: block until v is handed over or buffered. Fatal on a closed chan.
  void send(T v) const { detail::chan_send(c_, &v, true); }
  // recv: block until a value arrives; empty once closed and drained.
  std::optional<T> recv() const { return take(true).second; }
  bool try_send(T v) const { return detail::chan_send(c_, &v, false); }
  std::optional<T> try_recv() const { return take(false).second; }
  // close: no more sends; receivers drain the buffer, then see empty.
  // Closing twice is fatal.
  void close() const { detail::chan_close(c_); }
  std::size_t size() const { return c_ ? detail::chan_len(c_) : 0; }
  std::size_t capacity() const { return c_ ? detail::chan_cap(c_) : 0; }
  detail::hchan* raw() const { return c_; }
  bool operator==(const chan& o) const { return c_ == o.c_; }

  // Range-for over received values until the channel is closed.
  class iterator {
   public:
    explicit iterator(const chan* c) : c_(c) { ++*this; }
    iterator() = default;
    T& operator*() { return *v_; }
    iterator& operator++() {
      v_ = c_->recv();
      if (!v_) c_ = nullptr;
      return *this;
    }
    bool operator!=(const iterator& o) const { return c_ != o.c_; }

   private:
    const chan* c_ = nullptr;
    std::optional<T> v_;
  };
  iterator begin() const { return iterator(this); }
  iterator end() const { return iterator(); }

 private:
  explicit chan(std::nullptr_t) : c_(nullptr) {}
  std::pair<int, std::optional<T>> take(bool block) const {
    alignas(T) unsigned char buf[sizeof(T)];
    int r = detail::chan_recv(c_, buf, block);
    std::optional<T> out;
    if (r == 1) {
      T* p = std::launder(reinterpret_cast<T*>(buf));
      out.emplace(std::move(*p));
      p->~T();
    }
    return {r, std::move(out)};
  }
  detail::hchan* c_;
};

// Select cases. on_recv's function takes std::optional<T> (empty: closed).
template <class T, class F>
struct RecvCase {
  chan<T> ch;
  F f;
};
template <class T, class F>
struct SendCase {
  chan<T> ch;
  T value;
  F f;
};
template <class F>
struct DefaultCase {
  F f;
};

template <class T, class F>
RecvCase<T, std::decay_t<F>> on_recv(const chan<T>& ch, F&& f) {
  return {ch, std::forward<F>(f)};
}
template <class T, class V, class F>
SendCase<T, std::decay_t<F>> on_send(const chan<T>& ch, V&& v, F&& f) {
  return {ch, T(std::forward<V>(v)), std::forward<F>(f)};
}
template <class F>
DefaultCase<std::decay_t<F>> otherwise(F&& f) {
  return {std::forward<F>(f)};
}

namespace detail {
// case_traits<Case>: what select does with one case. A receive case needs
// raw storage for the value it may receive (its slot: slot_size bytes at
// slot_align); the others need none.
template <class C>
struct case_traits;
template <class T, class F>
struct case_traits<RecvCase<T, F>> {
  static constexpr bool is_default = false;
  static constexpr std::size_t slot_size = sizeof(T);
  static constexpr std::size_t slot_align = alignof(T);
  static void make(SelectCase& sc, RecvCase<T, F>& c, unsigned char* slot) {
    sc.c = c.ch.raw();
    sc.elem = slot;
    sc.send = false;
  }
  static void fire(RecvCase<T, F>& c, unsigned char* slot, bool ok) {
    std::optional<T> v;
    if (ok) {
      T* p = std::launder(reinterpret_cast<T*>(slot));
      v.emplace(std::move(*p));
      p->~T();
    }
    c.f(std::move(v));
  }
};
template <class T, class F>
struct case_traits<SendCase<T, F>> {
  static constexpr bool is_default = false;
  static constexpr std::size_t slot_size = 0;
  static constexpr std::size_t slot_align = 1;
  static void make(SelectCase& sc, SendCase<T, F>& c, unsigned char*) {
    sc.c = c.ch.raw();
    sc.elem = &c.value;
    sc.send = true;
  }
  static void fire(SendCase<T, F>& c, unsigned char*, bool) { c.f(); }
};
template <class F>
struct case_traits<DefaultCase<F>> {
  static constexpr bool is_default = true;
  static constexpr std::size_t slot_size = 0;
  static constexpr std::size_t slot_align = 1;
  static void make(SelectCase&, DefaultCase<F>&, unsigned char*) {}
  static void fire(DefaultCase<F>& c, unsigned char*, bool) { c.f(); }
};

// select_table<Case...>: where each case's entry and slot lie, computed
// once for the whole list by constexpr loops. select's code then expands
// the cases in single folds over the pack (no std::tuple, no
// tuple_element/get per case): a select's instantiation grows linearly with
// its cases, not quadratically (a 100-case select took seconds to compile).
template <std::size_t N>
struct SelectTable {
  static constexpr std::size_t M = N > 0 ? N : 1;
  std::size_t ndefault = 0;
  std::size_t def = N;         // the otherwise() case's index; N: none
  std::size_t entry[M] = {};   // case i's entry among the channel cases
  std::size_t offset[M] = {};  // case i's slot in the slot buffer
  std::size_t size = 0;        // the slot buffer's
  std::size_t align = 1;
};
template <class... C>
constexpr SelectTable<sizeof...(C)> make_select_table() {
  constexpr std::size_t N = sizeof...(C), M = N > 0 ? N : 1;
  constexpr bool is_default[M] = {case_traits<C>::is_default...};
  constexpr std::size_t size[M] = {case_traits<C>::slot_size...};
  constexpr std::size_t align[M] = {case_traits<C>::slot_align...};
  SelectTable<N> t;
  std::size_t k = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (is_default[i]) {
      ++t.ndefault;
      t.def = i;
    } else {
      t.entry[i] = k++;
    }
    if (size[i] > 0) {
      std::size_t at = (t.size + align[i] - 1) / align[i] * align[i];
      t.offset[i] = at;
      t.size = at + size[i];
      if (align[i] > t.align) t.align = align[i];
    }
  }
  return t;
}
template <class... C>
inline constexpr SelectTable<sizeof...(C)> select_table = make_select_table<C...>();

template <class... C, std::size_t... I>
std::size_t select_impl(std::index_sequence<I...>, C&... cases) {
  constexpr std::size_t N = sizeof...(C);
  constexpr const SelectTable<N>& t = select_table<C...>;
  static_assert(t.ndefault <= 1, "gort::select: at most one otherwise() case");
  constexpr std::size_t NC = N - t.ndefault;  // channel cases
  // One entry per channel case, left uninitialized: make() sets what
  // selectgo reads, and selectgo builds its sudogs only when it blocks.
  SelectCase sc[NC > 0 ? NC : 1];
  // Every receive case's slot, in one buffer: raw storage that selectgo
  // moves a received value into, and fire() moves it out of and destroys.
  // (Unused by select(), whose folds are empty.)
  [[maybe_unused]] alignas(t.align) unsigned char slots[t.size > 0 ? t.size : 1];
  (case_traits<C>::make(sc[t.entry[I]], cases, slots + t.offset[I]), ...);
  bool ok = false;
  int k = selectgo(sc, int(NC), t.def == N, &ok);
  // Channel case k is argument k, or k + 1 from the otherwise() case on.
  std::size_t chosen = k < 0 ? t.def : std::size_t(k) + (std::size_t(k) >= t.def ? 1 : 0);
  ((I == chosen ? case_traits<C>::fire(cases, slots + t.offset[I], ok) : void()), ...);
  return chosen;
}
}  // namespace detail

// select: wait until one case can proceed, run it, and return its index in
// the argument list. Among ready cases one is picked uniformly at random. An
// otherwise() case makes it non-blocking.
template <class... C>
std::size_t select(C&&... cases) {
  return detail::select_impl(std::index_sequence_for<C...>{}, cases...);
}

// after: a channel that receives the time once, d from now.
inline chan<Clock::time_point> after(std::chrono::nanoseconds d) {
  chan<Clock::time_point> c(1);
  detail::chantimer_new(c.raw(), d.count(), true);
  return c;
}

// Timer: sends the time on c() once its duration has passed, unless stopped.
class Timer {
 public:
  explicit Timer(std::chrono::nanoseconds d) : c_(1), t_(detail::chantimer_new(c_.raw(), d.count(), false)) {}
  ~Timer() { detail::chantimer_free(t_); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  const chan<Clock::time_point>& c() const { return c_; }
  // stop: true if this stopped the timer before it fired.
  bool stop() { return detail::chantimer_stop(t_); }
  // reset: fire d from now; true if the timer had been active.
  bool reset(std::chrono::nanoseconds d) { return detail::chantimer_reset(t_, d.count()); }

 private:
  chan<Clock::time_point> c_;
  detail::chantimer* t_;
};

}  // namespace gort
