// Package apptest is the one test environment of Rollcall: a real bbolt file
// in t.TempDir(), checked for consistency after the test, the App over it
// with cheap password hashing and a clock that stands still until the test
// moves it, and the HTTP API serving that App.
//
// Only tests import it, from external test packages (app_test, store_test,
// httpapi_test): it imports app, store and httpapi, so package app's own
// internal tests cannot.
package apptest

import (
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/app/httpapi"
	"rollcall/store"
)

// CheapHash keeps argon2id fast in tests; app's own tests check the real
// parameters.
var CheapHash = app.HashParams{Memory: 64, Time: 1, Threads: 1}

// Start is where every Env's clock starts: a Monday morning of term.
var Start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// Clock is an injected time: it stands still until a test moves it. It is
// safe for concurrent use (jobs and handlers read it from other goroutines).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time; assign it to App.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// OpenDB opens a new database in tb.TempDir(). On cleanup it closes the file
// (waiting for transactions still running, such as a job's) and then runs
// bbolt's tx.Check over it, reporting every problem found: checking a file
// nothing writes to any more is the only check without false alarms, as
// tx.Check reads the live free list.
func OpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "rollcall.db")
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close %s: %v", path, err)
		}
		Check(tb, path)
	})
	return db
}

// Check opens the closed bbolt file at path read-only and reports every error
// of tx.Check.
func Check(tb testing.TB, path string) {
	tb.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		tb.Errorf("open %s for tx.Check: %v", path, err)
		return
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() { // drain, so the checker goroutine ends
			tb.Errorf("tx.Check: %v", err)
		}
		return nil
	})
	if err != nil {
		tb.Errorf("tx.Check: %v", err)
	}
}

// Env is one Rollcall on a fresh bbolt file, served by one handler.
type Env struct {
	DB  *store.DB
	App *app.App // over DB, with CheapHash and Clock
	// Clock is App.Now; it starts at Start.
	Clock *Clock
	// Config is what Server was built with: Serve mode, backups from DB,
	// logs discarded, then the options given to New.
	Config httpapi.Config
	Server *httpapi.Server
	// Handler is Server.Handler() under Serve, as `rollcall serve` mounts it,
	// and Server.API() under Desktop, as the desktop window mounts it.
	Handler http.Handler
}

// New opens a database (OpenDB), builds the App over it and serves it with
// the HTTP API. Options change the configuration before the server is built.
func New(tb testing.TB, opts ...func(*httpapi.Config)) *Env {
	tb.Helper()
	db := OpenDB(tb)
	a := app.New(db)
	a.Hash = CheapHash
	clk := NewClock(Start)
	a.Now = clk.Now
	a.Backups = app.BackupSettings{Dir: db.Path + ".backups", Keep: app.DefaultBackupKeep}
	cfg := httpapi.Config{App: a, Mode: httpapi.Serve, Backup: db.WriteBackup, Log: DiscardLog()}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httpapi.New(cfg)
	h := srv.Handler()
	if cfg.Mode == httpapi.Desktop {
		h = srv.API()
	}
	return &Env{DB: db, App: a, Clock: clk, Config: cfg, Server: srv, Handler: h}
}

// Desktop is an option of New: the API as the desktop window mounts it.
func Desktop(c *httpapi.Config) { c.Mode = httpapi.Desktop }

// DiscardLog is a logger that writes nothing.
func DiscardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
