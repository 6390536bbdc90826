package app_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rollcall/app"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	l := app.NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if !l.Take("k") {
			t.Fatalf("refused attempt %d", i+1)
		}
	}
	if l.Take("k") || l.Allowed("k") {
		t.Fatal("a 4th attempt was allowed")
	}
	if !l.Allowed("other") {
		t.Fatal("another key is limited too")
	}
	now = now.Add(time.Minute - time.Second)
	if l.Allowed("k") {
		t.Fatal("allowed 1 s before the window ends")
	}
	now = now.Add(time.Second)
	if !l.Take("k") {
		t.Fatal("still refused when the window ended")
	}
	l.Take("k")
	l.Take("k")
	l.Refund("k")
	if !l.Take("k") || l.Take("k") {
		t.Fatal("refund did not give back exactly one attempt")
	}
	l.Reset("k")
	if !l.Allowed("k") {
		t.Fatal("refused after reset")
	}
}

// Attempts arriving at once are counted before any is judged.
func TestLimiterConcurrent(t *testing.T) {
	l := app.NewLimiter(10, time.Minute, time.Now)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Take("k") {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := ok.Load(); got != 10 {
		t.Fatalf("%d of 100 concurrent attempts allowed, want 10", got)
	}
}
