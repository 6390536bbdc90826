package app_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"rollcall/app"
)

// BenchmarkHashBatchMemory hashes a batch of 300 passwords (as 300 new
// accounts or a class's sign-ins would) with the real parameters and
// samples the process's resident memory meanwhile (Linux: /proc/self/statm):
// its growth is printed as a ratio to the work areas the bound allows,
// GOMAXPROCS × 19 MiB. Target ≤ 1.5 (the areas are reused, so the batch's
// size does not count; areas allocated per hash and left to the garbage
// collector give about 2–3).
func BenchmarkHashBatchMemory(b *testing.B) {
	a := app.New(nil)
	pws := make([]string, 300)
	for i := range pws {
		pws[i] = fmt.Sprintf("tiger-moon-%04d", i)
	}
	areas := float64(runtime.GOMAXPROCS(0)) * float64(app.DefaultHashParams.Memory) * 1024
	for range b.N {
		runtime.GC()
		debug.FreeOSMemory()
		base := rss(b)
		var peak atomic.Uint64
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
				}
				if r := rss(b); r > peak.Load() {
					peak.Store(r)
				}
			}
		}()
		start := time.Now()
		if _, err := a.HashPasswords(context.Background(), pws, nil); err != nil {
			b.Fatal(err)
		}
		close(done)
		grew := float64(peak.Load()) - float64(base)
		b.ReportMetric(grew/(1<<20), "peak-rss-growth-MiB")
		b.ReportMetric(grew/areas, "ratio")
		b.Logf("300 argon2id hashes on %d cores in %v: resident memory peak %.1f MiB above the start, %.2f × the %d work areas of 19 MiB (target ≤ 1.5)",
			runtime.GOMAXPROCS(0), time.Since(start).Round(time.Millisecond), grew/(1<<20), grew/areas, runtime.GOMAXPROCS(0))
		if grew/areas > 1.5 {
			b.Errorf("resident memory peak %.2f × the work areas; target 1.5", grew/areas)
		}
	}
}

// rss is the process's resident memory in bytes (Linux); the benchmark is
// skipped elsewhere.
func rss(b *testing.B) uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		b.Skip("no /proc/self/statm")
	}
	f := strings.Fields(string(data))
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
