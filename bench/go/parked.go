// parked: resident memory per parked goroutine in Go, the peer of
// bench/parked_bench.cpp. Usage: go run parked.go [N]
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

func rss() uint64 {
	b, _ := os.ReadFile("/proc/self/statm")
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	runtime.GOMAXPROCS(2)
	gate := make(chan int)
	var parked sync.WaitGroup
	before := rss()
	for i := 0; i < n; i++ {
		parked.Add(1)
		go func() {
			parked.Done()
			<-gate
		}()
	}
	parked.Wait()
	after := rss()
	fmt.Printf("go: %d goroutines parked: %.0f bytes RSS each\n", n, float64(after-before)/float64(n))
	close(gate)
}
