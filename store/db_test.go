package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/store"
)

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
		db := apptest.OpenDB(t)
		fi, err := os.Stat(db.Path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Fatalf("mode = %v, want %v", got, want)
		}
	})
	t.Run("ErrAlreadyOpen", func(t *testing.T) {
		db := apptest.OpenDB(t)
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
