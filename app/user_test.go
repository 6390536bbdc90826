package app_test

import (
	"context"
	"crypto/rand"
	"io"
	"strings"
	"sync"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestUserValidate(t *testing.T) {
	org := &app.Organization{Kind: app.KindSchool}
	valid := func() app.User {
		return app.User{FirstName: "Łukasz", LastName: "Żółć", Username: "lukasz.zolc", AccountType: app.TypeStudent, Status: app.StatusActive}
	}
	tests := []struct {
		name  string
		edit  func(u *app.User)
		field string // "" = valid
	}{
		{"OK", func(u *app.User) {}, ""},
		{"EmailOnly", func(u *app.User) { u.Username = ""; u.Email = "l@maple.example" }, ""},
		{"NoLogin", func(u *app.User) { u.Username = "" }, "username"},
		{"EmptyFirst", func(u *app.User) { u.FirstName = "" }, "first_name"},
		{"LongLast", func(u *app.User) { u.LastName = strings.Repeat("ż", 101) }, "last_name"},
		{"Name100", func(u *app.User) { u.LastName = strings.Repeat("ż", 100) }, ""},
		{"ControlChar", func(u *app.User) { u.FirstName = "Ann\u0007" }, "first_name"},
		{"BidiOverride", func(u *app.User) { u.LastName = "Bob\u202e" }, "last_name"},
		{"BadEmail", func(u *app.User) { u.Email = "not-an-email" }, "email"},
		{"EmailWithName", func(u *app.User) { u.Email = "Ann <ann@maple.example>" }, "email"},
		{"EmailNoDot", func(u *app.User) { u.Email = "ann@localhost" }, "email"},
		{"LongEmail", func(u *app.User) { u.Email = strings.Repeat("a", 250) + "@x.io" }, "email"},
		{"UsernameAt", func(u *app.User) { u.Username = "a@b" }, "username"},
		{"UsernameSpace", func(u *app.User) { u.Username = "a b" }, "username"},
		{"UsernameShort", func(u *app.User) { u.Username = "a" }, "username"},
		{"UsernameCyrillic", func(u *app.User) { u.Username = "ольга" }, ""},
		{"WrongType", func(u *app.User) { u.AccountType = app.TypeLearner }, "account_type"},
		{"BadDate", func(u *app.User) { u.DeleteOn = "2027-13-01" }, "delete_on"},
		{"BadLanguage", func(u *app.User) { u.Language = "not a language" }, "language"},
		{"BadPhone", func(u *app.User) { u.Phone = "call me" }, "phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := valid()
			tt.edit(&u)
			err := u.Validate(org)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			e, ok := err.(*app.Error)
			if !ok || e.Code != app.EINVALID || e.Details[tt.field] == "" {
				t.Fatalf("Validate = %#v, want invalid naming %q", err, tt.field)
			}
		})
	}
}

func TestSlugify(t *testing.T) {
	tests := map[string]string{
		"Maple Primary":               "maple-primary",
		"  École Saint-Exupéry ":      "ecole-saint-exupery",
		"Школа 5":                     "5",
		"東京":                          "org",
		"A" + strings.Repeat("b", 60): "a" + strings.Repeat("b", 39),
	}
	for in, want := range tests {
		if got := app.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorCode(t *testing.T) {
	if got := app.ErrorCode(nil); got != "" {
		t.Errorf("ErrorCode(nil) = %q", got)
	}
	if got := app.ErrorCode(app.Errorf(app.ECONFLICT, "x")); got != app.ECONFLICT {
		t.Errorf("code = %q", got)
	}
	if got := app.ErrorCode(strings.NewReader("").UnreadByte()); got != app.EINTERNAL {
		t.Errorf("plain error code = %q, want internal", got)
	}
	if msg := app.ErrorMessage(strings.NewReader("").UnreadByte()); strings.Contains(msg, "UnreadByte") {
		t.Errorf("internal detail leaked: %q", msg)
	}
}

// hookRand is a random source that runs a hook once, at the next read: the
// read of a password's salt, just before the ~40 ms of hashing. It puts
// another change exactly inside the window between a use case's read and
// its write.
type hookRand struct {
	mu   sync.Mutex
	hook func()
}

func (h *hookRand) Read(p []byte) (int, error) {
	h.mu.Lock()
	f := h.hook
	h.hook = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return rand.Read(p)
}

func (h *hookRand) arm(f func()) { h.mu.Lock(); h.hook = f; h.mu.Unlock() }

var _ io.Reader = (*hookRand)(nil)

// A deactivation made while a password is being hashed stays: neither the
// user's password change, nor an admin's edit, nor the rehash at sign-in
// writes back the copy they read before.
func TestNoLostUpdates(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*app.App, *hookRand, *app.User) {
		a := apptest.New(t).App
		h := &hookRand{}
		a.Rand = h
		mustOrg(t, a, &app.Organization{Name: "Maple", Slug: "maple"})
		u, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada"}, Password: "long enough 42"})
		if err != nil {
			t.Fatal(err)
		}
		return a, h, u
	}
	deactivate := func(t *testing.T, a *app.App, id string) func() {
		return func() {
			if _, err := a.SetUserStatus(ctx, "maple", id, app.StatusDeactivated); err != nil {
				t.Error(err)
			}
		}
	}
	status := func(t *testing.T, a *app.App, id string) *app.User {
		u, err := a.User(ctx, "maple", id)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	t.Run("password change", func(t *testing.T) {
		a, h, u := setup(t)
		_, tok, err := a.SignInUser(ctx, "ada", "long enough 42", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		h.arm(deactivate(t, a, u.ID))
		if _, err := a.ChangeMyPassword(ctx, tok, "long enough 42", "new password 99", "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Errorf("password change of an account deactivated meanwhile: %v", err)
		}
		if got := status(t, a, u.ID); got.Status != app.StatusDeactivated || got.PasswordHash != u.PasswordHash {
			t.Fatalf("after: status %s, hash changed %v", got.Status, got.PasswordHash != u.PasswordHash)
		}
	})
	t.Run("admin edit", func(t *testing.T) {
		a, h, u := setup(t)
		h.arm(deactivate(t, a, u.ID))
		if _, err := a.UpdateUser(ctx, "maple", u.ID, app.UserUpdate{FirstName: ptr("Augusta"), Password: ptr("another one 77")}); err != nil {
			t.Fatal(err)
		}
		if got := status(t, a, u.ID); got.Status != app.StatusDeactivated || got.FirstName != "Augusta" {
			t.Fatalf("after: %s %s", got.Status, got.FirstName)
		}
	})
	t.Run("rehash at sign-in", func(t *testing.T) {
		a, h, u := setup(t)
		a.Hash = app.HashParams{Memory: 128, Time: 1, Threads: 1}
		h.arm(deactivate(t, a, u.ID))
		if _, _, err := a.SignInUser(ctx, "ada", "long enough 42", "192.0.2.1"); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("sign-in of an account deactivated meanwhile: %v", err)
		}
		got := status(t, a, u.ID)
		if got.Status != app.StatusDeactivated {
			t.Fatalf("the rehash reactivated the account: %s", got.Status)
		}
		if !strings.Contains(got.PasswordHash, "m=128,") {
			t.Fatalf("not rehashed: %s", got.PasswordHash)
		}
	})
}

// Deactivating a user deletes their sessions from the store (in the same
// transaction as the status), not only refuses them at the next request.
func TestDeactivateEndsSessions(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	a := e.App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	res, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("Ann Gone", "Ben Stay")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, acc := range res.Accounts {
		_, tok, err := a.SignInUser(ctx, acc.User.Username, acc.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		tokens[acc.User.ID] = tok
	}
	gone := res.Accounts[0].User
	if _, err := a.SetUserStatus(ctx, o.Slug, gone.ID, app.StatusDeactivated); err != nil {
		t.Fatal(err)
	}
	for id, tok := range tokens {
		_, err := e.DB.Session(ctx, app.TokenHash(tok))
		if id == gone.ID && app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("the deactivated user's session is still stored (err %v)", err)
		}
		if id != gone.ID && err != nil {
			t.Errorf("another user's session went: %v", err)
		}
	}
	// Reactivating does not bring a session back, and signs nobody out.
	if u, err := a.SetUserStatus(ctx, o.Slug, gone.ID, app.StatusActive); err != nil || u.Status != app.StatusActive {
		t.Fatalf("reactivate: %v %v", u, err)
	}
}
