package app_test

import (
	"context"
	"testing"

	"rollcall/app"
)

// A cancel that arrives after the job finished (a click at 100%) never
// drops its result: the passwords in it were written. Forget does.
func TestJobCancelKeepsFinishedResult(t *testing.T) {
	a, _ := newApp(t)
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
