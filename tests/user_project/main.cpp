// A user's program: two goroutines playing ping-pong over channels.
#include <cstdio>

#include <gort/gort.hpp>

int main() {
  int last = 0;
  gort::run([&] {
    gort::chan<int> ping, pong;
    gort::go([ping, pong] {
      for (int v : ping) pong.send(v + 1);
    });
    for (int i = 0; i < 1000; i += 2) {
      ping.send(i);
      last = pong.recv().value_or(-1);
    }
    ping.close();
  });
  std::printf("last: %d\n", last);
  return last == 999 ? 0 : 1;
}
