// pipeline.cpp: a pipeline of goroutines joined by channels, with select,
// cancellation and a timeout, in the style of Go's "pipelines and
// cancellation" (go.dev/blog/pipelines).
//
//   source --jobs--> 4 workers --results--> sink (main)
//
// Job 13 never finishes: its worker waits on an event that never comes. The
// sink selects between the next result and a timer; when the timer fires
// with every other result in, it gives up on the straggler and cancels the
// pipeline by closing `done`, which every stage also selects on. Correctness
// never depends on timing: a slow machine only makes the sink wait longer
// before it gives up (it gives up only once every other job is in).
#include <chrono>
#include <cstdio>

#include <gort/gort.hpp>

using namespace std::chrono_literals;

constexpr int kJobs = 20;
constexpr int kStuck = 13;
constexpr int kWorkers = 4;

struct Result {
  int job;
  long value;
};

int main() {
  long sum = 0;
  int got = 0, timeouts = 0;
  gort::run([&] {
    gort::chan<int> jobs;
    gort::chan<Result> results;
    gort::chan<int> done;   // closed to cancel: a receive on it then returns at once
    gort::chan<int> never;  // nobody sends on it
    gort::WaitGroup wg;

    // source: send the jobs, unless cancelled first.
    wg.add(1);
    gort::go([=, &wg] {
      for (int j = 1; j <= kJobs; ++j) {
        bool cancelled = false;
        gort::select(gort::on_send(jobs, j, [] {}), gort::on_recv(done, [&](auto) { cancelled = true; }));
        if (cancelled) break;
      }
      jobs.close();
      wg.done();
    });

    // workers: square each job; the stuck one waits for an event that
    // never comes, until cancelled.
    for (int w = 0; w < kWorkers; ++w) {
      wg.add(1);
      gort::go([=, &wg] {
        for (int j : jobs) {
          if (j == kStuck) {
            gort::select(gort::on_recv(never, [](auto) {}), gort::on_recv(done, [](auto) {}));
            continue;
          }
          gort::select(gort::on_send(results, Result{j, long(j) * j}, [] {}),
                       gort::on_recv(done, [](auto) {}));
        }
        wg.done();
      });
    }

    // sink: collect results; a timer that fires while a result is missing
    // either waits on (some job is merely slow) or, with every other job
    // in, gives up on the straggler and cancels.
    for (;;) {
      bool give_up = false;
      gort::select(
          gort::on_recv(results, [&](std::optional<Result> r) {
            sum += r->value;
            ++got;
          }),
          gort::on_recv(gort::after(50ms), [&](auto) {
            ++timeouts;
            give_up = got == kJobs - 1;
          }));
      if (give_up) break;
    }
    done.close();  // cancel: the stuck worker and anything still sending return
    wg.wait();     // every stage has returned
  });

  long want = 0;
  for (int j = 1; j <= kJobs; ++j)
    if (j != kStuck) want += long(j) * j;
  bool ok = got == kJobs - 1 && sum == want && timeouts >= 1;
  std::printf("%d results, sum of squares %ld (want %ld), gave up on job %d after %d timeout(s): %s\n",
              got, sum, want, kStuck, timeouts, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
