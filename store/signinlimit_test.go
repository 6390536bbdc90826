package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/store"
)

// Sign-in limits survive a restart: the failure counts live in the file.
// Expired counts are pruned from it.
func TestSignInLimitsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	open := func() (*app.App, *store.DB) {
		t.Helper()
		db, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		a := app.New(db)
		a.Hash = app.HashParams{Memory: 64, Time: 1, Threads: 1}
		a.Now = func() time.Time { return now }
		return a, db
	}
	a, db := open()
	if _, err := a.CreateAdmin(ctx, "root", "long enough 123", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateAdmin(ctx, "deputy", "long enough 456", false); err != nil {
		t.Fatal(err)
	}
	// Guesses at root from ten addresses; guesses at unknown names from one
	// address until it is refused.
	for i := range 10 {
		a.SignInAdmin(ctx, "root", "wrong", fmt.Sprintf("198.51.100.%d", i))
	}
	attacker := "203.0.113.66"
	for i := 0; ; i++ {
		if _, _, err := a.SignInAdmin(ctx, fmt.Sprint("nobody", i), "wrong", attacker); app.ErrorCode(err) == app.ETOOMANY {
			break
		} else if i > 100 {
			t.Fatal("the address was never limited")
		}
	}
	if _, _, err := a.SignInAdmin(ctx, "root", "long enough 123", "192.0.2.1"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("root before the restart: %v; want 429", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	a, db = open() // a restart
	if _, _, err := a.SignInAdmin(ctx, "root", "long enough 123", "192.0.2.1"); app.ErrorCode(err) != app.ETOOMANY {
		t.Errorf("root after the restart: %v; want 429 (the account's failures were forgotten)", err)
	}
	if _, _, err := a.SignInAdmin(ctx, "deputy", "long enough 456", attacker); app.ErrorCode(err) != app.ETOOMANY {
		t.Errorf("the attacker's address after the restart: %v; want 429 (the address's failures were forgotten)", err)
	}
	if _, _, err := a.SignInAdmin(ctx, "deputy", "long enough 456", "192.0.2.1"); err != nil {
		t.Errorf("deputy from elsewhere after the restart: %v", err)
	}

	// Once every count has expired, the next failure prunes the file.
	now = now.Add(app.FailureMemory + app.MaxDelay + app.AddressWindow)
	if _, _, err := a.SignInAdmin(ctx, "deputy", "wrong", "192.0.2.2"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("a later failure: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := failureKeys(t, path); len(got) != 2 || got[0] != "account:"+mustAdminID(t, path, "deputy") || got[1] != "ip:192.0.2.2" {
		t.Errorf("stored counts after they expired = %q; want only the new failure's two", got)
	}
	a, db = open()
	defer db.Close()
	if _, _, err := a.SignInAdmin(ctx, "root", "long enough 123", attacker); err != nil {
		t.Errorf("root from the attacker's address once the counts expired: %v", err)
	}
}

// failureKeys lists the keys of the signin_failures bucket of the closed file at path.
func failureKeys(t *testing.T, path string) []string {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var keys []string
	b.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket([]byte("signin_failures")); bk != nil {
			bk.ForEach(func(k, _ []byte) error { keys = append(keys, string(k)); return nil })
		}
		return nil
	})
	sort.Strings(keys)
	return keys
}

func mustAdminID(t *testing.T, path, name string) string {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	adm, err := db.AdminByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return adm.ID
}
