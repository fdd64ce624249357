// prime_sieve.cpp: Go's concurrent prime sieve (go.dev/doc/play/sieve.go)
// with gort. A generator goroutine sends 2, 3, 4, ... down a channel; each
// prime found starts a filter goroutine that passes on only the numbers the
// prime does not divide, so the chain of filters grows by one per prime.
// Prints the first 100 primes and checks them against trial division.
#include <cstdio>

#include <gort/gort.hpp>

// generate: send 2, 3, 4, ... on ch, forever.
static void generate(gort::chan<int> ch) {
  for (int i = 2;; ++i) ch.send(i);
}

// filter: copy the values from in to out, dropping those divisible by prime.
static void filter(gort::chan<int> in, gort::chan<int> out, int prime) {
  for (;;) {
    int i = *in.recv();
    if (i % prime != 0) out.send(i);
  }
}

static bool is_prime(int n) {
  for (int d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return n >= 2;
}

int main() {
  constexpr int kPrimes = 100;
  int primes[kPrimes];
  gort::run([&] {
    gort::chan<int> ch;  // unbuffered, as in Go's version
    gort::go([ch] { generate(ch); });
    for (int& p : primes) {
      p = *ch.recv();
      gort::chan<int> next;
      gort::go([ch, next, prime = p] { filter(ch, next, prime); });
      ch = next;
    }
    // Returning from main ends the run; the generator and the filters,
    // parked on their channels, are abandoned, as in Go.
  });

  int bad = 0, want = 1;
  for (int i = 0; i < kPrimes; ++i) {
    while (!is_prime(++want)) {
    }
    std::printf("%d%c", primes[i], i % 20 == 19 ? '\n' : ' ');
    if (primes[i] != want) {
      std::printf("\nprime %d: got %d, want %d\n", i + 1, primes[i], want);
      ++bad;
    }
  }
  std::printf("%s\n", bad ? "FAIL" : "ok: the first 100 primes");
  return bad ? 1 : 0;
}
