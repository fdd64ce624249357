// parked.cpp: the program tests/gdb/gdb_test.py debugs. Goroutines 2-8 park
// in known functions (7 sits in a blocking call, 8 parks on a morestack
// segment), then the main goroutine
// (1) calls gdb_stop_here(), where gdb stops and check_goroutines.py looks
// at them. Ids are those of creation order: main is 1.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <gort/gort.hpp>

#include "sched.hpp"  // internal: wait until every goroutine has parked

#define GDB_VISIBLE __attribute__((noinline, noclone))
// An empty asm after each park keeps the call a call (no tail call), so the
// function keeps its frame in the backtrace.
#define KEEP_FRAME() asm volatile("" ::: "memory")

namespace {

std::atomic<gort::rt::G*> gs[9];
std::atomic<bool> in_read{false};

void record(int i) { gs[i].store(gort::rt::getg()); }

}  // namespace

// With PARKED_ABORT set, the program dumps core here instead (the kernel's
// core file, read by gdb as the live process was).
extern "C" GDB_VISIBLE void gdb_stop_here() {
  if (std::getenv("PARKED_ABORT") != nullptr) std::abort();
  KEEP_FRAME();
}

GDB_VISIBLE void parked_in_recv(gort::chan<int> c) {
  // On the stack (volatile): the test prints it from this frame, which
  // needs the frame's CFA right.
  volatile int tag = 1234;
  record(2);
  auto v = c.recv();
  KEEP_FRAME();
  std::printf("recv %d %d\n", v.value_or(-1), tag);
}

GDB_VISIBLE void parked_in_select(gort::chan<int> a, gort::chan<int> b) {
  record(3);
  gort::select(gort::on_recv(a, [](auto) {}), gort::on_recv(b, [](auto) {}));
  KEEP_FRAME();
}

GDB_VISIBLE void parked_in_sleep() {
  record(4);
  gort::sleep_for(std::chrono::hours(1));
  KEEP_FRAME();
}

GDB_VISIBLE void parked_in_waitgroup(gort::WaitGroup& wg) {
  record(5);
  wg.wait();
  KEEP_FRAME();
}

GDB_VISIBLE void parked_in_mutex(gort::Mutex& mu) {
  record(6);
  mu.lock();
  mu.unlock();
  KEEP_FRAME();
}

GDB_VISIBLE void blocked_in_read(int fd) {
  char c;
  in_read.store(true);
  ssize_t n = read(fd, &c, 1);
  KEEP_FRAME();
  (void)n;
}

GDB_VISIBLE void in_blocking_call(int fd) {
  record(7);
  gort::blocking([fd] { blocked_in_read(fd); });
  KEEP_FRAME();
}

GDB_VISIBLE void parked_on_segment(gort::chan<int> c) {
  record(8);
  c.recv();
  KEEP_FRAME();
}

// A stack switch in a parked goroutine's frames: it parks on a morestack
// segment, whose caller's frames are on the goroutine's own stack.
GDB_VISIBLE void parked_below_segment(gort::chan<int> c) {
  gort::rt::morestack([c] { parked_on_segment(c); });
  KEEP_FRAME();
}

int main() {
  int fds[2];
  if (pipe(fds) != 0) return 3;
  return gort::run([&] {
    gort::chan<int> c, a, b;
    gort::WaitGroup wg;
    gort::Mutex mu;
    wg.add(1);
    mu.lock();
    gort::go([c] { parked_in_recv(c); });
    gort::go([a, b] { parked_in_select(a, b); });
    gort::go([] { parked_in_sleep(); });
    gort::go([&wg] { parked_in_waitgroup(wg); });
    gort::go([&mu] { parked_in_mutex(mu); });
    gort::go([fd = fds[0]] { in_blocking_call(fd); });
    gort::go([c] { parked_below_segment(c); });
    // Wait until each one is where the test expects it.
    for (;;) {
      bool ready = in_read.load();
      for (int i : {2, 3, 4, 5, 6, 8}) {
        gort::rt::G* gp = gs[i].load();
        ready = ready && gp != nullptr && gp->status.load() == gort::rt::Gstatus::waiting;
      }
      gort::rt::G* bg = gs[7].load();
      ready = ready && bg != nullptr && bg->status.load() == gort::rt::Gstatus::syscall;
      if (ready) break;
      gort::sleep_for(std::chrono::milliseconds(1));
    }
    gdb_stop_here();
    // Let the blocking call return; the parked goroutines are abandoned
    // when main returns.
    char x = 'x';
    if (write(fds[1], &x, 1) != 1) return 4;
    std::printf("parked: done\n");
    return 0;
  });
}
