// Go peers of bench/sched_bench.cpp: the same scheduler benchmarks with
// goroutines, sync.WaitGroup, unbuffered channels and runtime.Gosched. Each
// sets GOMAXPROCS itself (2 for spawn, pingpong2, skynet and fib27, 1 for
// spawn1, pingpong and yield) and restores it afterwards, so one `go test -bench .`
// runs them all:
//
//	GO111MODULE=on GOFLAGS= GOPROXY=off go test -bench . -benchtime 1s -count 3 sched_bench_test.go
//
// (standard library only; tools/bench_sched.sh builds and runs this and
// puts its ns/op beside gort's and Boost.Fiber's). Each iteration is one
// operation, as in sched_bench.cpp: a spawn (the spawner waits every
// spawnBatch goroutines), a ping-pong round trip (1 and 2 Ps), a Gosched
// (alone, and with two goroutines taking turns), a skynet of 10^6 leaves,
// a fib(27).
package schedbench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

const (
	spawnBatch   = 1000
	fibN         = 27
	fibResult    = 196418
	skynetSize   = 1000000
	skynetResult = 499999500000
)

// cpuPerOp starts counting the process's CPU time (user and system, every
// thread); the function it returns reports it per operation as the metric
// cpu-ns/op, which tools/bench_sched.sh shows beside gort's (the machine
// may be shared: wall time then depends on what else runs).
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// procs sets GOMAXPROCS to n for the benchmark and restores it after.
func procs(b *testing.B, n int) {
	old := runtime.GOMAXPROCS(n)
	b.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

func spawnN(n int) int64 {
	var ran int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			atomic.AddInt64(&ran, 1)
			wg.Done()
		}()
		if (i+1)%spawnBatch == 0 {
			wg.Wait()
		}
	}
	wg.Wait()
	return atomic.LoadInt64(&ran)
}

func BenchmarkSpawn(b *testing.B) { spawnOn(b, 2) }

// BenchmarkSpawn1: the same on 1 P (context for Spawn).
func BenchmarkSpawn1(b *testing.B) { spawnOn(b, 1) }

func spawnOn(b *testing.B, n int) {
	procs(b, n)
	spawnN(4 * spawnBatch) // warm-up
	b.ResetTimer()
	cpu := cpuPerOp(b)
	if spawnN(b.N) != int64(b.N) {
		b.Fatal("not every goroutine ran")
	}
	cpu()
}

func BenchmarkPingPong(b *testing.B) {
	procs(b, 1)
	pingPong(b)
}

// BenchmarkPingPong2: the same on 2 Ps.
func BenchmarkPingPong2(b *testing.B) {
	procs(b, 2)
	pingPong(b)
}

func pingPong(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := 0; i < 1000; i++ {
		ping <- i
		<-pong
	}
	b.ResetTimer()
	cpu := cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		ping <- i
		if <-pong != i {
			b.Fatal("wrong value echoed")
		}
	}
	cpu()
	b.StopTimer()
	close(ping)
}

func BenchmarkYield(b *testing.B) {
	procs(b, 1)
	for i := 0; i < 1000; i++ {
		runtime.Gosched()
	}
	b.ResetTimer()
	cpu := cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		runtime.Gosched()
	}
	cpu()
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	var a, b int
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		a = fib(n - 1)
		wg.Done()
	}()
	go func() {
		b = fib(n - 2)
		wg.Done()
	}()
	wg.Wait()
	return a + b
}

func BenchmarkFib27(b *testing.B) {
	procs(b, 2)
	fib(18) // warm-up
	b.ResetTimer()
	cpu := cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		if fib(fibN) != fibResult {
			b.Fatal("wrong fib(27)")
		}
	}
	cpu()
}

// BenchmarkYield2: two goroutines take turns with Gosched until they have
// called it b.N times between them; ns per Gosched. (Go does not strictly
// alternate: the check is that the peer had at least a third of the turns.)
func BenchmarkYield2(b *testing.B) {
	procs(b, 1)
	var stop, peer int64
	done := make(chan struct{})
	go func() {
		for atomic.LoadInt64(&stop) == 0 {
			atomic.AddInt64(&peer, 1)
			runtime.Gosched()
		}
		close(done)
	}()
	for i := 0; i < 1000; i++ {
		runtime.Gosched()
	}
	b.ResetTimer()
	cpu := cpuPerOp(b)
	p0 := atomic.LoadInt64(&peer)
	var mine int64
	for mine+atomic.LoadInt64(&peer)-p0 < int64(b.N) {
		runtime.Gosched()
		mine++
	}
	cpu()
	b.StopTimer()
	if theirs := atomic.LoadInt64(&peer) - p0; 2*theirs < mine {
		b.Fatalf("the goroutines did not take turns: %d and %d", mine, theirs)
	}
	atomic.StoreInt64(&stop, 1)
	<-done
}

// skynet: the skynet benchmark (github.com/atemerev/skynet): a 10-ary tree
// of goroutines, 10^6 leaves (1,111,111 goroutines); each leaf sends its
// number on its parent's unbuffered channel, each inner node sends the sum
// of its ten children.
func skynet(c chan<- int64, num, size, div int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	for i := int64(0); i < div; i++ {
		go skynet(rc, num+i*(size/div), size/div, div)
	}
	var sum int64
	for i := int64(0); i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

func BenchmarkSkynet(b *testing.B) {
	procs(b, 2)
	c := make(chan int64)
	go skynet(c, 0, 1000, 10) // warm-up
	<-c
	b.ResetTimer()
	cpu := cpuPerOp(b)
	for i := 0; i < b.N; i++ {
		go skynet(c, 0, skynetSize, 10)
		if <-c != skynetResult {
			b.Fatal("wrong skynet sum")
		}
	}
	cpu()
}
