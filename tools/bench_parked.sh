#!/usr/bin/env bash
# bench_parked.sh: resident bytes per parked goroutine, gort (smallest stack
# class and default class) beside Go, with 10^6 goroutines parked on one
# channel. Natively only. Before Linux 6.13 (no guard markers) needs
# vm.max_map_count above 2 * 10^6 (each guarded gort stack is then two
# mappings; ./kit raises it as root).
#   tools/bench_parked.sh [N]
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
n=${1:-1000000}
bin=build/native/bench/gort_parked_bench
[[ -x $bin ]] || { echo "bench_parked: build the native preset first (./kit bench)" >&2; exit 1; }
"$bin" "$n" 4096
"$bin" "$n"
if command -v go >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cp bench/go/parked.go "$tmp/"
  (cd "$tmp" && GO111MODULE=off GOCACHE="$tmp/cache" GOPATH="$tmp/gopath" go build -o parked parked.go && ./parked "$n")
else
  echo "go: not installed (apt-get install golang-go)"
fi
