// embedded.cpp: gort as on a small embedded target: one thread, no
// exceptions, no RTTI (this file is built -fno-exceptions -fno-rtti), small
// goroutine stacks.
//
// Config{threads = false} runs every goroutine on the calling thread and
// starts no thread at all (no sysmon either); procs must then be 1. A
// control loop selects between sensor samples and operator commands and
// drives an actuator; a watchdog goroutine checks on it with a timer. All
// of it is cooperative: a goroutine runs until it blocks on a channel or a
// timer.
#include <chrono>
#include <cstdio>

#include <gort/gort.hpp>

using namespace std::chrono_literals;

enum Command { kRaise, kLower, kStop };

int main() {
  int samples = 0, commands = 0, level = 0, peak = 0, pets = 0;
  gort::Config cfg;
  cfg.threads = false;       // no threads: everything on this one
  cfg.procs = 1;
  cfg.stack_size = 8 * 1024;  // the goroutines below need little stack

  int rc = gort::run(
      [&] {
        gort::chan<int> sensor(4);       // buffered: the sensor never waits on the loop
        gort::chan<Command> operator_;
        gort::chan<int> actuator(16);
        gort::chan<int> alive;
        gort::WaitGroup wg;
        wg.add(3);

        // The sensor: 40 samples, 1 ms apart.
        gort::go([=, &wg] {
          for (int i = 1; i <= 40; ++i) {
            sensor.send(i % 7);
            gort::sleep_for(1ms);
          }
          sensor.close();
          wg.done();
        });

        // The operator: raise, raise, lower, then stop.
        gort::go([=, &wg] {
          for (Command c : {kRaise, kRaise, kLower, kStop}) {
            gort::sleep_for(5ms);
            operator_.send(c);
          }
          wg.done();
        });

        // The control loop: until stopped and out of samples.
        gort::go([=, &wg, &samples, &commands, &level, &peak] {
          bool stopped = false, drained = false;
          while (!(stopped && drained)) {
            gort::select(
                // A closed channel is always ready: once drained (or
                // stopped), select on nil instead, which never is.
                gort::on_recv(drained ? gort::chan<int>::nil() : sensor,
                              [&](std::optional<int> s) {
                                if (!s) {
                                  drained = true;
                                  return;
                                }
                                ++samples;
                                if (level + *s > peak) peak = level + *s;
                              }),
                gort::on_recv(stopped ? gort::chan<Command>::nil() : operator_, [&](std::optional<Command> c) {
                  ++commands;
                  if (*c == kRaise) level += 10;
                  if (*c == kLower) level -= 10;
                  if (*c == kStop) stopped = true;
                  actuator.try_send(level);  // never blocks the loop
                }));
            alive.try_send(1);  // pet the watchdog if it is listening
          }
          wg.done();
        });

        // The watchdog: waits for pets, with a timeout.
        gort::chan<int> quit;
        gort::go([=, &pets] {
          for (;;) {
            bool done = false;
            gort::select(gort::on_recv(alive, [&](auto) { ++pets; }),
                         gort::on_recv(quit, [&](auto) { done = true; }),
                         gort::on_recv(gort::after(100ms), [](auto) {}));
            if (done) return;
          }
        });

        wg.wait();
        quit.close();
        gort::yield();  // let the watchdog see it
        return 0;
      },
      cfg);

  bool ok = rc == 0 && samples == 40 && commands == 4 && level == 10 && peak >= 10;
  std::printf("single thread: %d samples, %d commands, final level %d, peak %d, %d watchdog pets: %s\n",
              samples, commands, level, peak, pets, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
