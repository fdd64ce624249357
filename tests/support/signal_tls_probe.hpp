// signal_tls_probe.hpp: signal_return_keeps_tls(), the probe of
// signal_tls.hpp without GoogleTest, for the tests' skip macro and for
// signal_tls_probe.cpp (a program the examples' scripts run first).
#pragma once

#include <pthread.h>

#include <atomic>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace gort::test {

namespace signal_tls_detail {
inline __thread int t_mark;
inline std::atomic<int> g_ready{0};  // atomic: TSan watches the probe too
inline void on_signal(int) {}
inline void* other(void*) {
  t_mark = 2;  // another thread's TLS, set after main's
  g_ready = 1;
  for (;;) pause();
  return nullptr;
}
}  // namespace signal_tls_detail

// signal_return_keeps_tls: true where a handled signal leaves the thread's
// TLS as it was (always, on a real kernel).
inline bool signal_return_keeps_tls() {
  static const bool keeps = [] {
    pid_t pid = fork();
    if (pid < 0) return true;  // cannot tell: run the tests
    if (pid == 0) {
      using namespace signal_tls_detail;
      t_mark = 1;
      struct sigaction sa {};
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGUSR2, &sa, nullptr);
      pthread_t t;
      if (pthread_create(&t, nullptr, other, nullptr) != 0) _exit(0);
      while (!g_ready) usleep(1000);
      raise(SIGUSR2);
      _exit(t_mark == 1 ? 0 : 1);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
    }
    return !(WIFEXITED(st) && WEXITSTATUS(st) == 1);
  }();
  return keeps;
}

}  // namespace gort::test
