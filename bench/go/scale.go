// scale: the Go peer of bench/scale_bench.cpp (spawn mode): N goroutines
// spawned, each parked on one channel; when all are parked the channel is
// closed and all are joined. tools/bench_scale.sh measures the whole
// process (wall time, max RSS) beside gort's. Usage: scale spawn N
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "spawn" {
		fmt.Fprintln(os.Stderr, "usage: scale spawn N")
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Args[2])
	gate := make(chan int)
	var parked, joined sync.WaitGroup
	for i := 0; i < n; i++ {
		parked.Add(1)
		joined.Add(1)
		go func() {
			parked.Done()
			<-gate
			joined.Done()
		}()
	}
	parked.Wait()
	close(gate)
	joined.Wait()
}
