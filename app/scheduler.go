package app

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// SchedulerInterval is how often the scheduler makes a pass besides the one
// at start-up and the one just after local midnight.
const SchedulerInterval = 10 * time.Minute

// SchedulerStep is one part of the scheduler's pass. Run does what is due
// at now and must be safe to run again at once (a pass after a crash, or
// two passes in one minute, change nothing more).
type SchedulerStep struct {
	Name string
	Run  func(ctx context.Context, now time.Time) error
}

// SchedulerSteps are the steps of one pass, in order: deletion dates, the
// compaction that takes purged people's bytes out of the file, audit
// retention, and the daily backup (after the compaction, so no purged
// person travels into a backup).
func (a *App) SchedulerSteps() []SchedulerStep {
	return []SchedulerStep{
		{Name: "deletion dates", Run: a.ApplyDeletionDates},
		{Name: "compaction", Run: func(ctx context.Context, _ time.Time) error {
			_, err := a.CompactIfDue(ctx)
			return err
		}},
		{Name: "audit retention", Run: func(ctx context.Context, _ time.Time) error {
			_, err := a.PruneAudit(ctx)
			return err
		}},
		{Name: "daily backup", Run: func(ctx context.Context, _ time.Time) error {
			b, err := a.BackupIfDue(ctx)
			if b != nil {
				a.log().Info("automatic backup written", "file", b.Name, "bytes", b.Size)
			}
			return err
		}},
	}
}

// Tick makes one pass of the scheduler at now: every step in order. A step
// that fails is logged and does not stop the others; the errors are
// returned together. One pass does all that is due, however long Rollcall
// was not running (a laptop closed for a week catches up at start-up).
func (a *App) Tick(ctx context.Context, now time.Time) error {
	a.tickMu.Lock()
	defer a.tickMu.Unlock()
	var errs []error
	for _, s := range a.SchedulerSteps() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.Run(ctx, now); err != nil {
			a.log().Error("scheduler: "+s.Name, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// RunScheduler makes a pass at once, then every SchedulerInterval and just
// after each local midnight, until ctx ends. `serve` and the desktop window
// run it beside the outbox worker (app/cli/system.go).
func (a *App) RunScheduler(ctx context.Context) {
	after := a.Timer
	if after == nil {
		after = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTimer(d)
			return t.C, func() { t.Stop() }
		}
	}
	for {
		now := a.Now()
		a.Tick(WithActor(ctx, SystemActor), now)
		// A pass may have compacted the file or written and checked a
		// backup (both read the whole file, with much on the heap): that
		// memory goes back to the system now, not when the runtime gets
		// round to it, so what comes next (a batch of accounts) does not
		// run beside it.
		debug.FreeOSMemory()
		fired, stop := after(nextTick(now, a.zone()))
		select {
		case <-ctx.Done():
			stop()
			return
		case <-fired:
		}
	}
}

// nextTick is how long to wait after a pass at now: SchedulerInterval, or
// less when local midnight comes first (a second after it, so the new
// date is certain).
func nextTick(now time.Time, zone *time.Location) time.Duration {
	local := now.In(zone)
	y, m, d := local.Date()
	midnight := time.Date(y, m, d+1, 0, 0, 1, 0, zone)
	return min(SchedulerInterval, midnight.Sub(now))
}

// zone is where dates (deletion dates, "today") are read: the computer's
// own time zone unless Zone is set.
func (a *App) zone() *time.Location {
	if a.Zone != nil {
		return a.Zone
	}
	return time.Local
}

// today is the local date at now, as YYYY-MM-DD.
func (a *App) today(now time.Time) string { return now.In(a.zone()).Format(time.DateOnly) }
