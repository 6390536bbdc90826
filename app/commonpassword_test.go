package app_test

import (
	"context"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

// Issue 10 #8a: admin passwords are checked against common passwords,
// repetitive and sequential patterns and the username (NIST 800-63B
// §3.1.1.2), not only against the length and character rules.
func TestAdminPasswordBlocklist(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	for _, pw := range []string{
		"Aaaaaaaaaaaa1",      // repetitive
		"aaaaaaaaaaaa",       // repetitive, no digit either
		"abababababab1",      // a repeated unit
		"abcdefghijkl1",      // sequential
		"123456789abc",       // sequential digits
		"Password1234",       // common word + digits
		"P@ssw0rd2024!",      // leet spelling of a common one
		"qwertyuiop12",       // keyboard walk on the list
		"1qaz2wsx3edc",       // on the list as a whole
		"Head.Admin2024",     // the username itself
		"my-head.admin-pw-1", // the username inside
	} {
		_, err := a.CreateAdmin(ctx, "head.admin", pw, false)
		if e, ok := err.(*app.Error); !ok || e.Code != app.EINVALID || e.Details["password"] == "" {
			t.Errorf("CreateAdmin with password %q = %v, want refused", pw, err)
		}
	}
	for _, pw := range []string{"correct-horse-battery-9", "Unusual-horse-staple-9", "deputy-password-42"} {
		if err := app.CheckAdminPassword(pw, "head.admin"); err != nil {
			t.Errorf("CheckAdminPassword(%q) = %v, want accepted", pw, err)
		}
	}
}
