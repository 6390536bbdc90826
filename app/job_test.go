package app_test

import (
	"context"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

// A cancel that arrives after the job finished (a click at 100%) never
// drops its result: the passwords in it were written. Forget does.
func TestJobCancelKeepsFinishedResult(t *testing.T) {
	a := apptest.New(t).App
	id := a.Jobs.Start("test", func(ctx context.Context, p app.Progress) (any, error) { return "passwords", nil })
	if st := waitJob(t, a, id); st.State != app.JobDone {
		t.Fatalf("state %s", st.State)
	}
	if err := a.Jobs.Cancel(id); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Jobs.Status(id); err != nil || st.State != app.JobDone {
		t.Fatalf("after a late cancel: %+v, %v; want done", st, err)
	}
	if v, err := a.Jobs.Result(id); err != nil || v != "passwords" {
		t.Fatalf("result after a late cancel = %v, %v", v, err)
	}
	if err := a.Jobs.Forget(id); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Jobs.Result(id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("result after Forget: %v, want ENOTFOUND", err)
	}

	// A running job cannot be forgotten (its work may still be written);
	// it is cancelled.
	release := make(chan struct{})
	id = a.Jobs.Start("test", func(ctx context.Context, p app.Progress) (any, error) {
		<-release
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err := a.Jobs.Forget(id); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("Forget of a running job: %v, want ECONFLICT", err)
	}
	close(release)
	if err := a.Jobs.Cancel(id); err != nil {
		t.Fatal(err)
	}
	if st := waitJob(t, a, id); st.State != app.JobCancelled {
		t.Fatalf("state %s, want cancelled", st.State)
	}
}

// A finished job's result is dropped JobTTL after it finished by a timer
// of its own, with no other job call coming in; the timer checks the
// injected clock, and waits again when it is not yet time.
func TestJobExpiresOnItsOwn(t *testing.T) {
	e := apptest.New(t)
	a, advance := e.App, e.Clock.Add
	e.Clock.Set(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	type timer struct {
		d time.Duration
		f func()
	}
	timers := make(chan timer, 10)
	a.Jobs.AfterFunc = func(d time.Duration, f func()) { timers <- timer{d, f} }

	id := a.Jobs.Start("test", func(ctx context.Context, p app.Progress) (any, error) { return "passwords", nil })
	tm := <-timers
	if tm.d != app.JobTTL {
		t.Fatalf("timer set for %v, want %v", tm.d, app.JobTTL)
	}
	// Fired early by the app's clock: the job stays, a new timer waits the rest.
	advance(app.JobTTL - time.Second)
	tm.f()
	if v, err := a.Jobs.Result(id); err != nil || v != "passwords" {
		t.Fatalf("at JobTTL−1s: %v, %v", v, err)
	}
	tm = <-timers
	if tm.d != time.Second {
		t.Fatalf("second timer for %v, want 1s", tm.d)
	}
	advance(2 * time.Second)
	tm.f()
	// Inspect the map directly: Status would sweep and hide a missing timer.
	if n := app.JobCount(a.Jobs); n != 0 {
		t.Fatalf("%d jobs kept after JobTTL+1s", n)
	}
}
