// c_callback: a C library's threads call back into gort. The library
// (sensors.c) runs plain pthreads; each reading reaches this program through
// gort_callback, as a goroutine on the library's thread, which may use
// channels like any goroutine: here it sends the reading to the main
// goroutine, which sums them up. Starting and joining the library's threads
// are blocking C calls, so they run inside gort::blocking (the processor
// goes to other goroutines meanwhile).
#include <cstdio>

#include <gort/gort.hpp>

#include "sensors.h"

constexpr int kSensors = 4;
constexpr int kReadings = 50;

int main() {
  long sum = 0;
  int count = 0, refused = -1;
  int rc = gort::run([&] {
    gort::chan<reading> readings(8);
    // Runs as a goroutine on a sensor thread: a send may park it until the
    // main goroutine has room, exactly as for any goroutine.
    auto deliver = [](const reading* r, void* user) { static_cast<gort::chan<reading>*>(user)->send(*r); };
    if (gort::blocking([&] { return sensors_start(kSensors, kReadings, deliver, &readings); }) != 0) return 1;
    for (int i = 0; i < kSensors * kReadings; ++i) {
      reading r = *readings.recv();
      sum += r.value;
      ++count;
    }
    refused = gort::blocking([] { return sensors_join(); });
    return 0;
  });

  long want = 0;
  for (int s = 0; s < kSensors; ++s)
    for (int i = 0; i < kReadings; ++i) want += long(s) * 1000 + i;
  bool ok = rc == 0 && count == kSensors * kReadings && sum == want && refused == 0;
  std::printf("%d readings from %d C threads, sum %ld (want %ld), %d refused: %s\n", count, kSensors, sum,
              want, refused, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
