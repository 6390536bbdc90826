package app

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Job states.
const (
	JobRunning   = "running"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// JobTTL is how long a finished job's result is kept in memory for download.
// Results can hold generated passwords: they are never written to disk and
// are dropped when the job is deleted or expires.
const JobTTL = 15 * time.Minute

// JobStatus is what a progress bar shows.
type JobStatus struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	State string `json:"state"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
	// Error is set when the job failed; Code is its error code.
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
	// Org is the ID of the organization the job works on ("" for none).
	Org string `json:"org,omitempty"`
	// FinishedAt is when the job stopped; ExpiresAt when its result (and
	// the passwords in it) is dropped, JobTTL later.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`

	err error // what Error says, to be put into a language (Localized)
}

// Localized is s with its Error in lang (PickLanguage chooses from it).
func (s JobStatus) Localized(lang string) JobStatus {
	if s.err != nil {
		s.Error = LocalizedMessage(s.err, lang)
	}
	return s
}

type job struct {
	owner    string // the admin who started it; "" for anyone
	mu       sync.Mutex
	status   JobStatus
	result   any
	cancel   context.CancelFunc
	finished time.Time
}

// Jobs runs long work (hashing a thousand passwords) in the background so a
// UI can show progress and offer Cancel. It lives in memory only.
type Jobs struct {
	app  *App
	mu   sync.Mutex
	jobs map[string]*job
	// AfterFunc runs f after d (time.AfterFunc unless a test sets it): each
	// finished job is dropped JobTTL after it finished, on a timer of its
	// own, so its passwords never outlive JobTTL even when no other job
	// call comes in.
	AfterFunc func(d time.Duration, f func())
}

// Progress reports how much of a job is done.
type Progress func(done, total int)

// Start runs fn in the background and returns the job's ID at once.
func (j *Jobs) Start(kind string, fn func(ctx context.Context, progress Progress) (any, error)) string {
	return j.StartFor("", kind, fn)
}

// StartFor is startIn for no organization.
func (j *Jobs) StartFor(owner, kind string, fn func(ctx context.Context, progress Progress) (any, error)) string {
	return j.startIn(owner, "", kind, fn)
}

// startIn is Start for a job of one admin (owner, an admin ID) on
// organization org (an ID): the *For methods with another owner do not
// find it, and RecentFor lists it under org. Results can hold passwords.
func (j *Jobs) startIn(owner, org, kind string, fn func(ctx context.Context, progress Progress) (any, error)) string {
	id := j.app.newID()
	ctx, cancel := context.WithCancel(context.Background())
	jb := &job{owner: owner, status: JobStatus{ID: id, Kind: kind, State: JobRunning, Org: org}, cancel: cancel}
	j.mu.Lock()
	if j.jobs == nil {
		j.jobs = map[string]*job{}
	}
	j.sweep()
	j.jobs[id] = jb
	j.mu.Unlock()
	go func() {
		defer cancel()
		result, err := fn(ctx, func(done, total int) {
			jb.mu.Lock()
			jb.status.Done, jb.status.Total = done, total
			jb.mu.Unlock()
		})
		jb.mu.Lock()
		defer j.expireAfter(id, JobTTL)
		defer jb.mu.Unlock()
		jb.finished = j.app.Now()
		jb.status.FinishedAt, jb.status.ExpiresAt = jb.finished, jb.finished.Add(JobTTL)
		// A function that returns no error has done its work (it may have
		// written before a late cancel): that is Done, with its result.
		switch {
		case err != nil && ctx.Err() != nil:
			jb.status.State = JobCancelled
		case err != nil:
			jb.status.State, jb.status.Error, jb.status.Code, jb.status.err = JobFailed, ErrorMessage(err), ErrorCode(err), err
		default:
			jb.status.State, jb.result = JobDone, result
		}
	}()
	return id
}

// StartStatus starts a job of owner on organization org (an ID) and
// returns its status at once, for an answer that shows a progress bar;
// total stands in for the job's own until it first reports progress.
func (j *Jobs) StartStatus(owner, org, kind string, total int, fn func(ctx context.Context, progress Progress) (any, error)) JobStatus {
	id := j.startIn(owner, org, kind, fn)
	st, err := j.StatusFor(owner, id)
	if err != nil {
		st = JobStatus{ID: id, Kind: kind, State: JobRunning}
	}
	if st.Total == 0 {
		st.Total = total
	}
	return st
}

// expireAfter drops job id once it is JobTTL old, checking after d by the
// app's clock (and waiting again if the clock says it is not yet).
func (j *Jobs) expireAfter(id string, d time.Duration) {
	after := j.AfterFunc
	if after == nil {
		after = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	after(d, func() {
		j.mu.Lock()
		jb := j.jobs[id]
		j.mu.Unlock()
		if jb == nil {
			return // forgotten already
		}
		jb.mu.Lock()
		left := JobTTL - j.app.Now().Sub(jb.finished)
		jb.mu.Unlock()
		if left > 0 {
			j.expireAfter(id, left)
			return
		}
		j.mu.Lock()
		delete(j.jobs, id)
		j.mu.Unlock()
	})
}

// sweep drops finished jobs older than JobTTL; j.mu is held.
func (j *Jobs) sweep() {
	now := j.app.Now()
	for id, jb := range j.jobs {
		jb.mu.Lock()
		old := !jb.finished.IsZero() && now.Sub(jb.finished) > JobTTL
		jb.mu.Unlock()
		if old {
			delete(j.jobs, id)
		}
	}
}

// anyOwner lets Status, Result and Cancel (in-process callers) reach every job.
const anyOwner = "\x00any"

func (j *Jobs) getFor(owner, id string) (*job, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.sweep()
	jb := j.jobs[id]
	if jb == nil || owner != anyOwner && jb.owner != "" && jb.owner != owner {
		return nil, Errorf(ENOTFOUND, "This job has finished and its results were cleared; start again.")
	}
	return jb, nil
}

// Status returns a job's progress. Errors: ENOTFOUND.
func (j *Jobs) Status(id string) (JobStatus, error) { return j.StatusFor(anyOwner, id) }

// StatusFor is Status for the admin owner: another admin's job is ENOTFOUND.
func (j *Jobs) StatusFor(owner, id string) (JobStatus, error) {
	jb, err := j.getFor(owner, id)
	if err != nil {
		return JobStatus{}, err
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	return jb.status, nil
}

// RecentFor lists the jobs of the admin owner on organization org (an ID)
// whose results are still kept — done and not yet expired or forgotten —
// newest first: what an admin who left a results page can go back to.
func (j *Jobs) RecentFor(owner, org string) []JobStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.sweep()
	var out []JobStatus
	for _, jb := range j.jobs {
		jb.mu.Lock()
		st, own := jb.status, jb.owner == owner
		jb.mu.Unlock()
		if own && st.Org == org && st.State == JobDone {
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b JobStatus) int { return b.FinishedAt.Compare(a.FinishedAt) })
	return out
}

// RecentJobs lists the admin owner's jobs on organization ref that still
// hold results (Jobs.RecentFor): a job is its starter's, and only in an
// organization they may still reach. Errors: ENOTFOUND.
func (a *App) RecentJobs(ctx context.Context, ref, owner string) ([]JobStatus, error) {
	org, _, err := a.scopedOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	jobs := a.Jobs.RecentFor(owner, org.ID)
	if jobs == nil {
		jobs = []JobStatus{}
	}
	return jobs, nil
}

// Result returns a finished job's result. Errors: ENOTFOUND, ECONFLICT
// (still running, failed or cancelled).
func (j *Jobs) Result(id string) (any, error) { return j.ResultFor(anyOwner, id) }

// ResultFor is Result for the admin owner: another admin's job is ENOTFOUND.
func (j *Jobs) ResultFor(owner, id string) (any, error) {
	jb, err := j.getFor(owner, id)
	if err != nil {
		return nil, err
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if jb.status.State != JobDone {
		return nil, Errorf(ECONFLICT, "The job is %s.", jb.status.State)
	}
	return jb.result, nil
}

// Cancel stops a running job. It never drops a result: a job that has
// finished (perhaps just before the cancel came in) keeps its state and
// result, so passwords already written are not lost. Use Forget for that.
func (j *Jobs) Cancel(id string) error { return j.CancelFor(anyOwner, id) }

// CancelFor is Cancel for the admin owner: another admin's job is ENOTFOUND.
func (j *Jobs) CancelFor(owner, id string) error {
	jb, err := j.getFor(owner, id)
	if err != nil {
		return err
	}
	jb.mu.Lock()
	running := jb.status.State == JobRunning
	jb.mu.Unlock()
	if running {
		jb.cancel() // the job decides: Cancelled, or Done if it had written
	}
	return nil
}

// Forget drops a finished job and its result (which may hold generated
// passwords). Errors: ENOTFOUND, ECONFLICT (still running: cancel it first).
func (j *Jobs) Forget(id string) error { return j.ForgetFor(anyOwner, id) }

// ForgetFor is Forget for the admin owner: another admin's job is ENOTFOUND.
func (j *Jobs) ForgetFor(owner, id string) error {
	jb, err := j.getFor(owner, id)
	if err != nil {
		return err
	}
	jb.mu.Lock()
	running := jb.status.State == JobRunning
	jb.mu.Unlock()
	if running {
		return Errorf(ECONFLICT, "The job is still running; cancel it first.")
	}
	j.mu.Lock()
	delete(j.jobs, id)
	j.mu.Unlock()
	return nil
}

// CancelJob asks the admin owner's running job id to stop (Jobs.CancelFor)
// and returns its status; the request is recorded in the audit log.
// Errors: ENOTFOUND.
func (a *App) CancelJob(ctx context.Context, owner, id string) (JobStatus, error) {
	if err := a.Jobs.CancelFor(owner, id); err != nil {
		return JobStatus{}, err
	}
	st, err := a.Jobs.StatusFor(owner, id)
	if err != nil {
		return JobStatus{}, err
	}
	return st, a.flushAudit(a.audit(ctx, "", "job.cancel", AuditTarget{Kind: "job", ID: id, Name: st.Kind}, "now "+st.State))
}

// ForgetJob drops the admin owner's finished job id and its result
// (Jobs.ForgetFor), recorded in the audit log. Errors: ENOTFOUND, ECONFLICT.
func (a *App) ForgetJob(ctx context.Context, owner, id string) error {
	st, err := a.Jobs.StatusFor(owner, id)
	if err != nil {
		return err
	}
	if err := a.Jobs.ForgetFor(owner, id); err != nil {
		return err
	}
	return a.flushAudit(a.audit(ctx, "", "job.forget", AuditTarget{Kind: "job", ID: id, Name: st.Kind}, "result dropped"))
}
