package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestAdminSessions(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	a, db, clk := e.App, e.DB, e.Clock
	clk.Set(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))

	if needed, _ := a.SetupNeeded(ctx); !needed {
		t.Fatal("setup not needed on an empty file")
	}
	adm, err := a.CreateAdmin(ctx, "root", "long enough 123", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateAdmin(ctx, "second", "long enough 123", true); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("second first-admin = %v", err)
	}
	if _, err := a.CreateAdmin(ctx, "ROOT", "long enough 123", false); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("duplicate admin name = %v", err)
	}

	_, token, err := a.SignInAdmin(ctx, "Root", "long enough 123", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// Only the hash of the token is stored.
	if _, err := db.Session(ctx, token); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("raw token is a key: %v", err)
	}
	if got, err := a.AdminBySession(ctx, token); err != nil || got.ID != adm.ID {
		t.Fatalf("AdminBySession = %v, %v", got, err)
	}

	t.Run("Expiry", func(t *testing.T) {
		clk.Add(app.AdminSessionTTL - time.Second)
		if _, err := a.AdminBySession(ctx, token); err != nil {
			t.Fatalf("1 s before expiry: %v", err)
		}
		clk.Add(2 * time.Second)
		if _, err := a.AdminBySession(ctx, token); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("1 s after expiry: %v", err)
		}
		// A new sign-in sweeps the expired session out of the file.
		if _, _, err := a.SignInAdmin(ctx, "root", "long enough 123", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, app.TokenHash(token)); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("expired session kept: %v", err)
		}
	})

	t.Run("SignOut", func(t *testing.T) {
		_, tok, err := a.SignInAdmin(ctx, "root", "long enough 123", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SignOut(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AdminBySession(ctx, tok); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("after sign-out: %v", err)
		}
	})
}

// A hash made with older, weaker parameters is rewritten at the next sign-in.
func TestRehashOnSignIn(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	a, db := e.App, e.DB
	adm, err := a.CreateAdmin(ctx, "root", "long enough 123", false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(adm.PasswordHash, "m=64,t=1,p=1") {
		t.Fatalf("hash = %q", adm.PasswordHash)
	}
	a.Hash = app.HashParams{Memory: 128, Time: 2, Threads: 1}
	if _, _, err := a.SignInAdmin(ctx, "root", "long enough 123", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Admin(ctx, adm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Fatalf("hash after sign-in = %q, want the raised parameters", got.PasswordHash)
	}
	if ok, _ := app.VerifyPassword(got.PasswordHash, "long enough 123", a.Hash); !ok {
		t.Fatal("rewritten hash does not verify")
	}
}

// ChangeUsersEndSessions deletes the users' sessions in the transaction
// that changes them: all or nothing.
func TestChangeUsersEndSessions(t *testing.T) {
	ctx := context.Background()
	db := apptest.OpenDB(t)
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	o := &app.Organization{ID: "o1", Name: "Maple", Slug: "maple", CreatedAt: now}
	if err := db.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"u1", "u2"} {
		if err := db.CreateUsers(ctx, []*app.User{{ID: id, OrgID: "o1", FirstName: "A", LastName: id, Username: id, Status: app.StatusActive, CreatedAt: now}}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSession(ctx, &app.Session{Hash: "h-" + id, Kind: app.SessionUser, SubjectID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// fn fails: nothing changes, the session stays.
	if _, err := db.ChangeUsersEndSessions(ctx, "o1", []string{"u1"}, func(u *app.User) error { return app.Errorf(app.EINVALID, "no") }); err == nil {
		t.Fatal("want fn's error")
	}
	if _, err := db.Session(ctx, "h-u1"); err != nil {
		t.Fatalf("session after a failed change: %v", err)
	}
	if _, err := db.ChangeUsersEndSessions(ctx, "o1", []string{"u1"}, func(u *app.User) error { u.PasswordHash = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Session(ctx, "h-u1"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("u1's session after the change: %v, want ENOTFOUND", err)
	}
	if _, err := db.Session(ctx, "h-u2"); err != nil {
		t.Fatalf("u2's session: %v", err)
	}
}
