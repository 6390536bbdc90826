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

// RecentJobs lists an admin's jobs in one organization whose passwords are
// still kept, with when they will be dropped: not another admin's, not
// another organization's, not one forgotten, not one past JobTTL.
func TestRecentJobs(t *testing.T) {
	e := apptest.New(t)
	a := e.App
	e.Clock.Set(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	a.Jobs.AfterFunc = func(time.Duration, func()) {} // expiry by the sweep only
	ctx := app.WithActor(context.Background(), app.DesktopActor)
	maple := mustOrg(t, a, &app.Organization{Name: "Maple"})
	oak := mustOrg(t, a, &app.Organization{Name: "Oak"})
	start := func(org *app.Organization, owner string, people ...string) string {
		t.Helper()
		st, err := a.StartAccounts(ctx, org.Slug, owner, app.AccountBatch{People: names(people...)})
		if err != nil {
			t.Fatal(err)
		}
		waitJob(t, a, st.ID)
		return st.ID
	}
	mine := start(maple, "admin-1", "Ada Lovelace")
	start(maple, "admin-2", "Alan Turing")
	start(oak, "admin-1", "Grace Hopper")
	forgotten := start(maple, "admin-1", "Edsger Dijkstra")
	if err := a.Jobs.Forget(forgotten); err != nil {
		t.Fatal(err)
	}
	jobs, err := a.RecentJobs(ctx, maple.Slug, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != mine || jobs[0].Org != maple.ID || jobs[0].State != app.JobDone {
		t.Fatalf("recent jobs %+v, want only %s", jobs, mine)
	}
	if want := e.Clock.Now().Add(app.JobTTL); !jobs[0].ExpiresAt.Equal(want) {
		t.Errorf("expires at %v, want %v", jobs[0].ExpiresAt, want)
	}
	// An admin of another organization does not reach Maple's list.
	oakAdmin := app.WithActor(context.Background(), app.AdminActor(&app.Admin{ID: "admin-1", Scope: &app.Scope{OrgID: oak.ID, OrgAdmin: true}}))
	if _, err := a.RecentJobs(oakAdmin, maple.Slug, "admin-1"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another organization's admin: %v, want ENOTFOUND", err)
	}
	e.Clock.Add(app.JobTTL + time.Second)
	if jobs, _ := a.RecentJobs(ctx, maple.Slug, "admin-1"); len(jobs) != 0 {
		t.Errorf("after JobTTL: %+v, want none", jobs)
	}
}

// A failed job's error is kept as the error: read over HTTP it is put into
// the reader's language.
func TestJobErrorInTheLanguage(t *testing.T) {
	a := apptest.New(t).App
	id := a.Jobs.Start("test", func(ctx context.Context, p app.Progress) (any, error) {
		return nil, app.Errorf(app.EINVALID, "The request is too large.")
	})
	st := waitJob(t, a, id)
	if st.State != app.JobFailed || st.Error != "The request is too large." || st.Code != app.EINVALID {
		t.Fatalf("%+v", st)
	}
	if fi := st.Localized("fi"); fi.Error == st.Error || fi.Error == "" {
		t.Errorf("in Finnish: %q", fi.Error)
	}
	if en := st.Localized("en"); en.Error != st.Error {
		t.Errorf("in English: %q", en.Error)
	}
}
