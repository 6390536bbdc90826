package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/mail/mailtest"
)

// Failed sign-ins from elsewhere that first hold an account back are told
// to its owner by mail when the address is verified: once, not at every
// further failure; an unverified address is told nothing.
func TestHeldAccountOwnerIsMailed(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	for _, u := range []app.User{
		{FirstName: "Ada", Username: "ada.held", Email: "ada.held@maple.example"},
		{FirstName: "Bo", Username: "bo.held", Email: "bo.held@maple.example"},
	} {
		made, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: u, Password: "Correct-Horse-42"})
		if err != nil {
			t.Fatal(err)
		}
		if made.Username == "bo.held" { // Bo's address was typed by himself: not verified
			if _, err := env.db.ChangeUser(ctx, made.OrgID, made.ID, func(u *app.User) error { u.EmailVerified = false; return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	fail := func(login string, n int) {
		for i := range n {
			if _, _, err := env.a.SignInUser(ctx, login, "wrong", fmt.Sprintf("198.51.100.%d", i+1)); err == nil {
				t.Fatal("a wrong password signed in")
			}
		}
	}
	fail("ada.held", app.FreeFailures)
	fail("bo.held", app.FreeFailures)
	env.clock.Add(app.MaxDelay) // the hold is over; one more failure holds again, but tells nobody again
	fail("ada.held", 1)
	env.deliver(t)
	var to []string
	for _, m := range env.srv.Messages() {
		to = append(to, m.To...)
		if !strings.Contains(string(m.Data), "failed sign-ins to your account") {
			t.Errorf("message to %v: %.200s", m.To, m.Data)
		}
	}
	if len(to) != 1 || to[0] != "ada.held@maple.example" {
		t.Fatalf("mailed %v; want ada.held@maple.example once", to)
	}
}
