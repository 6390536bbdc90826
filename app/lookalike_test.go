package app_test

import (
	"context"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

// Issue 10 #7: usernames that only look different are one username
// (NFKC + case folding), and a username mixing alphabets is refused.
func TestLookAlikeUsernames(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	org := mustOrg(t, a, &app.Organization{Name: "Maple"})
	if _, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Pupil", LastName: "One", Username: "pupil.one"}, Password: "maple-tree-1"}); err != nil {
		t.Fatal(err)
	}

	t.Run("FullWidthIsTaken", func(t *testing.T) {
		for _, name := range []string{"ｐｕｐｉｌ.ｏｎｅ", "ＰＵＰＩＬ．ＯＮＥ", "PUPIL.ONE"} {
			_, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Look", LastName: "Alike", Username: name}})
			if app.ErrorCode(err) != app.ECONFLICT {
				t.Errorf("CreateUser(%q) = %v, want conflict with pupil.one", name, err)
			}
		}
	})

	t.Run("FullWidthSignsIn", func(t *testing.T) {
		u, _, err := a.SignInUser(ctx, "ｐｕｐｉｌ.ｏｎｅ", "maple-tree-1", "ip1")
		if err != nil || u.Username != "pupil.one" {
			t.Fatalf("SignInUser(full width) = %v, %v", u, err)
		}
	})

	t.Run("StoredNormalized", func(t *testing.T) {
		u, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Wide", LastName: "Name", Username: "ｗｉｄｅ.ｎａｍｅ"}})
		if err != nil || u.Username != "wide.name" {
			t.Fatalf("CreateUser(full width) = %v, %v; want stored as wide.name", u, err)
		}
	})

	t.Run("FoldedNotJustLowered", func(t *testing.T) {
		if _, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Hans", LastName: "Gross", Username: "strasse"}}); err != nil {
			t.Fatal(err)
		}
		_, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Hans", LastName: "Groß", Username: "Straße"}})
		if app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("CreateUser(Straße) beside strasse = %v, want conflict", err)
		}
	})

	mixed := "\u0430d.min" // Cyrillic а, then Latin
	t.Run("MixedScriptUser", func(t *testing.T) {
		_, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "A", LastName: "B", Username: mixed}})
		e, ok := err.(*app.Error)
		if !ok || e.Code != app.EINVALID || !strings.Contains(e.Details["username"], "Cyrillic") {
			t.Fatalf("CreateUser(%q) = %#v, want invalid naming the mixed alphabets", mixed, err)
		}
	})

	t.Run("MixedScriptAdmin", func(t *testing.T) {
		_, err := a.CreateAdmin(ctx, mixed, "Unusual-horse-staple-9", false)
		if app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("CreateAdmin(%q) = %v, want invalid", mixed, err)
		}
	})

	t.Run("MixedScriptImportRow", func(t *testing.T) {
		p, err := a.PreviewAccounts(ctx, org.Slug, app.AccountBatch{People: []app.NameLine{
			{Line: 1, FirstName: "Ann", LastName: "Mixed", Username: "m\u0430ria"},
			{Line: 2, FirstName: "Ann", LastName: "Wide", Username: "ｓｔｒａｓｓｅ"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Rows[0].Problems["username"] == "" || p.Rows[1].Problems["username"] == "" {
			t.Fatalf("problems = %v / %v, want both usernames refused", p.Rows[0].Problems, p.Rows[1].Problems)
		}
	})

	t.Run("SignUp", func(t *testing.T) {
		code, err := a.InviteCodeOf(ctx, org.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		f := app.SignUpForm{FirstName: "Ada", LastName: "Wide", Username: "ＰＵＰＩＬ.ＯＮＥ", Password: "correct horse 42"}
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip2"); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("sign-up as full-width pupil.one = %v, want conflict", err)
		}
		f.Username = mixed
		if _, err := a.SignUpWithCode(ctx, code.Code, f, "ip2"); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("sign-up as %q = %v, want invalid", mixed, err)
		}
	})

	t.Run("OneScriptAllowed", func(t *testing.T) {
		for _, name := range []string{"ольга.иванова", "γιώργος", "山田.たろう", "kim.민준"} {
			if msg := app.CheckUsername(name); msg != "" {
				t.Errorf("CheckUsername(%q) = %q, want accepted", name, msg)
			}
		}
	})
}
