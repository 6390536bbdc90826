package app_test

import (
	"testing"
	"time"

	"rollcall/app"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	l := app.NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if !l.Allowed("k") {
			t.Fatalf("refused after %d failures", i)
		}
		l.Fail("k")
	}
	if l.Allowed("k") {
		t.Fatal("allowed after 3 failures")
	}
	if !l.Allowed("other") {
		t.Fatal("another key is limited too")
	}
	now = now.Add(time.Minute - time.Second)
	if l.Allowed("k") {
		t.Fatal("allowed 1 s before the window ends")
	}
	now = now.Add(time.Second)
	if !l.Allowed("k") {
		t.Fatal("still refused when the window ended")
	}
	l.Fail("k")
	l.Reset("k")
	if !l.Allowed("k") {
		t.Fatal("refused after reset")
	}
}
