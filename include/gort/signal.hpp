// signal.hpp: signals delivered to channels (Go's os/signal).
//
//   gort::chan<int> sigs(4);
//   gort::signal::notify(sigs, {SIGINT, SIGTERM});
//   int sig = *sigs.recv();   // blocks until one arrives
//
// Signals may land on any thread, one gort did not create included. The
// runtime's handler only counts them; a goroutine of the runtime delivers
// each to every channel registered for it with a non-blocking send: a full
// channel drops it, as in Go, so give the channel room for the signals that
// may arrive between two receives. While a signal is wanted by a channel,
// neither its previous handler nor its default action sees it; stop (or
// the end of the run) puts back what was there before.
#pragma once

#include <initializer_list>

#include "gort/chan.hpp"

namespace gort {
namespace detail {
bool signal_notify(hchan* c, const int* sigs, std::size_t n);
void signal_stop(hchan* c);
}  // namespace detail

namespace signal {

// notify: from now on, deliver each signal in sigs to c. Inside a
// goroutine. SIGKILL and SIGSTOP cannot be caught, and the synchronous
// faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) are gort's to report:
// asking for any of them is fatal. Returns false if the OS refused to let
// gort handle one of them (QEMU user-mode keeps some real-time signals for
// itself); the others are registered.
inline bool notify(const chan<int>& c, std::initializer_list<int> sigs) {
  return detail::signal_notify(c.raw(), sigs.begin(), sigs.size());
}

// stop: deliver nothing more to c. Signals no channel wants any more get
// their previous disposition back.
inline void stop(const chan<int>& c) { detail::signal_stop(c.raw()); }

}  // namespace signal
}  // namespace gort
