package cli

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"

	"rollcall/app"
	"rollcall/app/httpapi"
	"rollcall/frontend"
	"rollcall/store"
)

// system is Rollcall running: the App over the open database, the workers
// that act on it in the background (the outbox that sends invitation mail,
// the scheduler that acts on deletion dates: app/scheduler.go),
// and the one HTTP API over them. `serve` and the desktop window build it
// here and nowhere else, and stop it in the same order.
type system struct {
	db   *store.DB
	app  *app.App
	api  *httpapi.Server
	log  *slog.Logger
	stop context.CancelFunc
	done chan struct{}
}

// DefaultMemoryLimit is the soft limit of Go's own memory (its heap and
// runtime; not the hashes' work areas, which live outside it, nor the
// file's pages) that serve and the desktop window set unless GOMEMLIMIT
// says otherwise: past it the garbage collector works harder instead of
// letting the heap grow, so a compaction or a large import on a small
// laptop stays near it. Below about 40 MiB it would only cost time.
const DefaultMemoryLimit = 96 << 20

// start opens the database and starts the background workers. The workers
// run until Close, not until ctx ends, so a server that is shutting down can
// still finish the requests under way. backups overrides the backup folder
// (default <db>.backups) and how many are kept where set.
func (m *Main) start(ctx context.Context, dbFlagValue string, backups app.BackupSettings) (*system, error) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	db, err := m.openDB(dbFlagValue)
	if err != nil {
		return nil, err
	}
	s := &system{db: db, app: m.newApp(db), log: m.logger(), done: make(chan struct{})}
	s.app.Log = s.log
	if backups.Dir != "" {
		s.app.Backups.Dir = backups.Dir
	}
	if backups.Keep != 0 {
		s.app.Backups.Keep = backups.Keep
	}
	workers, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	var wg sync.WaitGroup
	wg.Go(func() { s.app.RunOutbox(workers) })
	// A pass at once (catching up on the days Rollcall was not running),
	// then every few minutes and after local midnight.
	wg.Go(func() { s.app.RunScheduler(workers) })
	go func() { wg.Wait(); close(s.done) }()
	return s, nil
}

// serveAPI builds the HTTP API over the system; cfg says how it is reached
// (mode, hosts, token), the rest is filled in here.
func (s *system) serveAPI(cfg httpapi.Config) *httpapi.Server {
	cfg.App, cfg.Assets, cfg.Backup, cfg.Log = s.app, frontend.Assets(), s.db.WriteBackup, s.log
	s.api = httpapi.New(cfg)
	return s.api
}

// Close stops the system in order: the LAN sign-up listener first (it lets
// sign-ups under way finish, up to httpapi.StopTimeout), then the workers,
// then a compaction if a purge left freed pages with personal data, then
// the database file.
func (s *system) Close() error {
	if s.api != nil {
		if err := s.api.StopPublic(); err != nil {
			s.log.Warn("close sign-up listener", "err", err)
		}
	}
	s.stop()
	<-s.done
	if _, err := s.app.CompactIfDue(context.Background()); err != nil {
		s.log.Error("compact the database after a purge", "err", err)
	}
	return s.db.Close()
}
