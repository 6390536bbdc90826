package app_test

import (
	"context"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

// Issue 10 #8b: admins can be disabled, deleted and given a new password;
// the last active admin cannot be disabled or deleted, and disabling or
// deleting an admin ends their sessions.
func TestManageAdmins(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	head, err := a.CreateAdmin(ctx, "head", "correct-horse-battery-9", true)
	if err != nil {
		t.Fatal(err)
	}
	deputy, err := a.CreateAdmin(ctx, "deputy", "Unusual-horse-staple-9", false)
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(name, pw string) string {
		t.Helper()
		_, token, err := a.SignInAdmin(ctx, name, pw, "ip-"+name)
		if err != nil {
			t.Fatalf("sign in %s: %v", name, err)
		}
		return token
	}
	sessionGone := func(token string) bool {
		_, err := a.Store.Session(ctx, app.TokenHash(token))
		return app.ErrorCode(err) == app.ENOTFOUND
	}

	list, err := a.Admins(ctx)
	if err != nil || len(list) != 2 || list[0].Username != "head" || list[1].Username != "deputy" {
		t.Fatalf("Admins = %v, %v", list, err)
	}

	// A new password: the old one stops working, the deputy's sessions end.
	deputyToken := signIn("deputy", "Unusual-horse-staple-9")
	if _, err := a.SetAdminPassword(ctx, head.ID, "deputy", "Aaaaaaaaaaaa1"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("SetAdminPassword(common) = %v, want invalid", err)
	}
	if _, err := a.SetAdminPassword(ctx, head.ID, "deputy", "maple-office-key-7"); err != nil {
		t.Fatal(err)
	}
	if !sessionGone(deputyToken) {
		t.Error("the deputy's session outlived their new password")
	}
	if _, _, err := a.SignInAdmin(ctx, "deputy", "Unusual-horse-staple-9", "ip-x"); err == nil {
		t.Error("the old password still signs in")
	}
	deputyToken = signIn("deputy", "maple-office-key-7")

	// Disable: their session ends in the same change, sign-in is refused.
	if _, err := a.SetAdminDisabled(ctx, deputy.ID, true); err != nil {
		t.Fatal(err)
	}
	if !sessionGone(deputyToken) {
		t.Error("disabling left the deputy's session")
	}
	if _, err := a.AdminBySession(ctx, deputyToken); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("AdminBySession(disabled) = %v", err)
	}
	if _, _, err := a.SignInAdmin(ctx, "deputy", "maple-office-key-7", "ip-y"); err == nil {
		t.Error("a disabled admin signed in")
	}

	// The head is now the last active admin: refused, with a plain message.
	headToken := signIn("head", "correct-horse-battery-9")
	for name, err := range map[string]error{
		"disable": func() error { _, err := a.SetAdminDisabled(ctx, "head", true); return err }(),
		"delete":  a.DeleteAdmin(ctx, head.ID),
	} {
		if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), "last active admin") {
			t.Errorf("%s the last active admin = %v, want refused", name, err)
		}
	}
	if sessionGone(headToken) {
		t.Error("a refused change ended the head's session")
	}

	// Enable the deputy again; then the head may be deleted, sessions and all.
	if _, err := a.SetAdminDisabled(ctx, "deputy", false); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteAdmin(ctx, "head"); err != nil {
		t.Fatal(err)
	}
	if !sessionGone(headToken) {
		t.Error("deleting left the head's session")
	}
	if _, err := a.CreateAdmin(ctx, "HEAD", "another-office-key-3", false); err != nil {
		t.Errorf("the deleted admin's name is still taken: %v", err)
	}
	if err := a.DeleteAdmin(ctx, "nobody"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("DeleteAdmin(nobody) = %v", err)
	}
}
