package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/store"
)

// MustOpenDB opens a database in a temp dir; on cleanup it checks the file
// is consistent (bbolt's tx.Check) and closes it.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "rollcall.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil {
			tb.Errorf("tx.Check: %v", err)
		}
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// MustApp returns an app over a fresh database with cheap hashing.
func MustApp(tb testing.TB) (*app.App, *store.DB) {
	tb.Helper()
	db := MustOpenDB(tb)
	a := app.New(db)
	a.Hash = app.HashParams{Memory: 64, Time: 1, Threads: 1}
	return a, db
}

func MustOrg(tb testing.TB, a *app.App, name string) *app.Organization {
	tb.Helper()
	o, err := a.CreateOrganization(context.Background(), &app.Organization{Name: name})
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

func TestOpen(t *testing.T) {
	t.Run("FileMode", func(t *testing.T) {
		db := MustOpenDB(t)
		fi, err := os.Stat(db.Path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Fatalf("mode = %v, want %v", got, want)
		}
	})
	t.Run("ErrAlreadyOpen", func(t *testing.T) {
		db := MustOpenDB(t)
		start := time.Now()
		_, err := store.Open(db.Path)
		if err == nil {
			t.Fatal("second Open succeeded")
		}
		if elapsed := time.Since(start); elapsed > store.OpenTimeout+time.Second {
			t.Fatalf("second Open took %v", elapsed)
		}
		if got := err.Error(); !strings.Contains(got, "already open by another Rollcall") {
			t.Fatalf("error = %q", got)
		}
	})
	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		db, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		a := app.New(db)
		if _, err := a.CreateOrganization(context.Background(), &app.Organization{Name: "Maple"}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db, err = store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		orgs, err := app.New(db).Organizations(context.Background())
		if err != nil || len(orgs) != 1 || orgs[0].Name != "Maple" {
			t.Fatalf("after reopen: %v, %v", orgs, err)
		}
	})
}
