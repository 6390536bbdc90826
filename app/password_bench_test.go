package app_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"rollcall/app"
)

// BenchmarkHashBatchMemory hashes a batch of 300 passwords (as 300 new
// accounts or a class's sign-ins would) with the real parameters and
// samples the heap meanwhile: its peak is printed as a ratio to the work
// areas the bound allows, GOMAXPROCS × 19 MiB. Target ≤ 1.5 (the areas are
// reused, so the batch's size does not count).
func BenchmarkHashBatchMemory(b *testing.B) {
	a := app.New(nil)
	pws := make([]string, 300)
	for i := range pws {
		pws[i] = fmt.Sprintf("tiger-moon-%04d", i)
	}
	areas := float64(runtime.GOMAXPROCS(0)) * float64(app.DefaultHashParams.Memory) * 1024
	for range b.N {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		done := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		start := time.Now()
		if _, err := a.HashPasswords(context.Background(), pws, nil); err != nil {
			b.Fatal(err)
		}
		close(done)
		grew := float64(peak.Load()) - float64(base.HeapInuse)
		b.ReportMetric(grew/(1<<20), "peak-heap-MiB")
		b.ReportMetric(grew/areas, "ratio")
		b.Logf("300 argon2id hashes on %d cores in %v: heap peak %.1f MiB above the start, %.2f × the %d work areas of 19 MiB (target ≤ 1.5)",
			runtime.GOMAXPROCS(0), time.Since(start).Round(time.Millisecond), grew/(1<<20), grew/areas, runtime.GOMAXPROCS(0))
		if grew/areas > 1.5 {
			b.Errorf("heap peak %.2f × the work areas; target 1.5", grew/areas)
		}
	}
}
