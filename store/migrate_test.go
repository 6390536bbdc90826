package store_test

import (
	"slices"
	"time"

	"context"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/store"
)

// testdata/schema1.db was written by Rollcall before usernames were keyed
// by NFKC + case folding (schema 1): an admin Head.Admin; users pupil.one,
// its full-width look-alike ｐｕｐｉｌ.ｏｎｅ (created later), ｐｕｐｉｌ.two
// (email Two@Maple.Example) and Straße. Opening it migrates the login
// indexes: every account still signs in, now under the folded keys.
func TestMigrateLoginKeys(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile("testdata/schema1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	a := app.New(db)
	a.Hash = app.HashParams{Memory: 64, Time: 1, Threads: 1}

	for login, want := range map[string]string{
		"pupil.one":         "pupil.one",
		"PUPIL.TWO":         "ｐｕｐｉｌ.two",
		"ｐｕｐｉｌ.two":         "ｐｕｐｉｌ.two",
		"two@maple.example": "ｐｕｐｉｌ.two",
		"strasse":           "Straße",
		"STRASSE":           "Straße",
	} {
		u, err := db.UserByLogin(ctx, app.LoginKey(login))
		if err != nil || u.Username != want {
			t.Errorf("UserByLogin(%q) = %v, %v; want %s", login, u, err, want)
		}
	}
	// The look-alike created beside pupil.one no longer owns the name: the
	// older account keeps it.
	if u, _, err := a.SignInUser(ctx, "ｐｕｐｉｌ.ｏｎｅ", "maple-tree-1", "ip"); err != nil || u.Username != "pupil.one" {
		t.Errorf("sign in as full-width pupil.one = %v, %v; want the original pupil.one", u, err)
	}
	if _, _, err := a.SignInAdmin(ctx, "HEAD.ADMIN", "correct horse 9", "ip"); err != nil {
		t.Errorf("admin sign-in after migration: %v", err)
	}
	// A new look-alike is refused against the migrated index.
	orgs, err := a.Organizations(ctx)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("organizations = %v, %v", orgs, err)
	}
	_, err = a.CreateUser(ctx, orgs[0].Slug, app.UserCreate{User: app.User{FirstName: "A", LastName: "B", Username: "STRASSE"}})
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("CreateUser(STRASSE) = %v, want conflict with Straße", err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	// Opening again is a no-op.
	db.Close()
	if db, err = store.Open(path); err != nil {
		t.Fatal(err)
	}
}

// testdata/schema2-users.db was written by Rollcall at schema 2 (before
// email_verified) in organization Oak: Ada (admin-made, email), no.mail
// (admin-made, no email), ima.ported (import) and man.ual (manual creation),
// Ivy (invited by email, not yet accepted), squatter1 (signed up with the
// invite code as teacher@victim.example) and lin@home.example (signed up
// with an invite link). Opening it marks the addresses an admin entered
// verified and the self-typed ones not; every account still signs in.
func TestMigrateEmailVerified(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile("testdata/schema2-users.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
		apptest.Check(t, path)
	})
	if store.SchemaVersion() < 3 {
		t.Fatalf("schema %d; email_verified came with schema 3", store.SchemaVersion())
	}
	for login, want := range map[string]bool{
		"ada@oak.example":        true,
		"ima@oak.example":        true,
		"man@oak.example":        true,
		"ivy@oak.example":        true,
		"no.mail":                false, // no address at all
		"teacher@victim.example": false,
		"lin@home.example":       false,
	} {
		u, err := db.UserByLogin(ctx, app.LoginKey(login))
		if err != nil {
			t.Fatalf("%s: %v", login, err)
		}
		if u.EmailVerified != want {
			t.Errorf("%s (created via %s): email_verified %v, want %v", login, u.CreatedVia, u.EmailVerified, want)
		}
	}
	a := app.New(db)
	a.Hash = apptest.CheapHash
	for login, pass := range map[string]string{"ada@oak.example": "Admin-made-pass-1", "squatter1": "Squatter-pass-1", "lin@home.example": "Linker-pass-12"} {
		if _, _, err := a.SignInUser(ctx, login, pass, "192.0.2.9"); err != nil {
			t.Errorf("%s cannot sign in after the migration: %v", login, err)
		}
	}
	// Reopened, it is not migrated again.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = store.Open(path); err != nil {
		t.Fatal(err)
	}
	if u, _ := db.UserByLogin(ctx, "squatter1"); u == nil || u.EmailVerified {
		t.Errorf("after reopening: %+v", u)
	}
}

// A file of schema 2 has user index entries without labels; opening it
// rebuilds them, so search and the filter by label find the labelled.
// (The schema 4 fixture, written back as schema 2 did: index entries of
// four fields, no labels in the search text.)
func TestMigrateUserIndexLabels(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile("testdata/schema4.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "schema2.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		idx := tx.Bucket([]byte("user_index"))
		var keys [][]byte
		idx.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil })
		for _, k := range keys {
			if err := idx.Put(k, []byte("active\x1fstudent\x1f\x1fnames only")); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte{0, 0, 0, 0, 0, 0, 0, 2})
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	orgs, err := db.Organizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, o := range orgs {
		for _, f := range []app.UserFilter{{Query: "lunch"}, {Label: "lunch"}} {
			f.Page, f.PerPage = 1, 100
			p, err := db.FindUsers(ctx, o.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range p.Users {
				if !slices.Contains(u.Labels, "Lunch") {
					t.Errorf("FindUsers(%+v) found %s without the label", f, u.Username)
				}
			}
			found += p.Total
		}
		if o.Slug == "maple-primary" {
			if l, err := db.UserLabels(ctx, o.ID); err != nil || len(l) != 2 || l[0] != "bus" || l[1] != "Lunch" {
				t.Errorf("UserLabels = %q, %v", l, err)
			}
		}
	}
	if found != 8 {
		t.Errorf("the label and the search found %d, want 4 each", found)
	}
}
