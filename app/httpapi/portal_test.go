package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

// portalUser creates an organization and an active user with a password.
func portalUser(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada", Email: "ada@maple.example"}, Password: "a fine password 1"}); err != nil {
		t.Fatal(err)
	}
}

func userCookieOf(rec interface{ Result() *http.Response }) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == "rollcall_user" && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

// The public routes get the same cross-origin and Host protection as the
// admin ones: a cross-site POST is refused (403, nothing set), a foreign
// Host header is refused (400).
func TestPublicRoutesGuarded(t *testing.T) {
	e := newEnv(t)
	portalUser(t, e)
	signin := map[string]any{"login": "ada", "password": "a fine password 1"}
	posts := []struct {
		path string
		body any
	}{
		{"/api/public/signin", signin},
		{"/api/public/signout", nil},
		{"/api/public/account/password", map[string]any{"current_password": "a fine password 1", "new_password": "another password 2"}},
		{"/api/public/invitation", map[string]any{"token": "x"}},
		{"/api/public/invitation/accept", map[string]any{"token": "x", "password": "a fine password 1"}},
	}
	for _, p := range posts {
		t.Run("cross-origin "+p.path, func(t *testing.T) {
			req := newRequest(t, "POST", p.path, p.body)
			req.Header.Set("Origin", "http://evil.example")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			rec := e.serve(req)
			if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
				t.Fatalf("= %d %s, cookies %v; want 403 and none", rec.Code, rec.Body, rec.Result().Cookies())
			}
		})
		t.Run("host "+p.path, func(t *testing.T) {
			req := newRequest(t, "POST", p.path, p.body)
			req.Host = "attacker.example"
			if rec := e.serve(req); rec.Code != http.StatusBadRequest || len(rec.Result().Cookies()) != 0 {
				t.Fatalf("Host attacker.example = %d %s; want 400", rec.Code, rec.Body)
			}
		})
	}
	req := newRequest(t, "GET", "/api/public/account", nil)
	req.Host = "attacker.example"
	if rec := e.serve(req); rec.Code != http.StatusBadRequest {
		t.Fatalf("GET account with Host attacker.example = %d", rec.Code)
	}
	// The same sign-in, same-origin, works.
	req = newRequest(t, "POST", "/api/public/signin", signin)
	req.Header.Set("Origin", "http://localhost")
	if rec := e.serve(req); rec.Code != http.StatusOK || userCookieOf(rec) == nil {
		t.Fatalf("same-origin sign-in = %d %s", rec.Code, rec.Body)
	}
}

// Signing in gives a new session ID, also to a browser that brings one (a
// fixed or stolen cookie): the one it brought stops working.
func TestUserSessionRenewedAtSignIn(t *testing.T) {
	e := newEnv(t)
	portalUser(t, e)
	signIn := func(with *http.Cookie) *http.Cookie {
		t.Helper()
		req := newRequest(t, "POST", "/api/public/signin", map[string]any{"login": "ada", "password": "a fine password 1"})
		if with != nil {
			req.AddCookie(with)
		}
		rec := e.serve(req)
		c := userCookieOf(rec)
		if rec.Code != http.StatusOK || c == nil {
			t.Fatalf("sign-in = %d %s", rec.Code, rec.Body)
		}
		return c
	}
	account := func(c *http.Cookie) int {
		req := newRequest(t, "GET", "/api/public/account", nil)
		req.AddCookie(c)
		return e.serve(req).Code
	}
	first := signIn(nil)
	second := signIn(first)
	if second.Value == first.Value {
		t.Fatal("the session ID was not renewed at sign-in")
	}
	if got := account(first); got != http.StatusUnauthorized {
		t.Fatalf("the old session after a new sign-in = %d, want 401", got)
	}
	if got := account(second); got != http.StatusOK {
		t.Fatalf("the new session = %d", got)
	}
	// A value the browser brought that the server never issued is not adopted.
	planted := &http.Cookie{Name: "rollcall_user", Value: "planted-by-someone-else"}
	if c := signIn(planted); c.Value == planted.Value {
		t.Fatal("a planted session ID was kept")
	}
}

// A user who must change the password signs in and may do nothing but
// choose a new one: every other portal API answers 403
// password_change_required. The new password needs no current password
// right after signing in, must meet the policy and differ from the old one;
// choosing it clears the flag and ends the user's other sessions. After
// FreshSignIn the screen asks to sign in again.
func TestMustChangePasswordFirst(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple"}); err != nil {
		t.Fatal(err)
	}
	u, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada", MustChangePassword: true}, Password: "tiger-moon-47"})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(password string, want int) (*http.Cookie, map[string]any) {
		t.Helper()
		rec := e.serve(newRequest(t, "POST", "/api/public/signin", map[string]any{"login": "ada", "password": password}))
		if rec.Code != want {
			t.Fatalf("sign-in with %q = %d %s, want %d", password, rec.Code, rec.Body, want)
		}
		return userCookieOf(rec), decodeBody(t, rec)
	}
	with := func(method, path string, body any, c *http.Cookie) (int, map[string]any) {
		t.Helper()
		req := newRequest(t, method, path, body)
		req.AddCookie(c)
		rec := e.serve(req)
		return rec.Code, decodeBody(t, rec)
	}

	c, acc := signIn("tiger-moon-47", http.StatusOK)
	if acc["must_change_password"] != true || acc["username"] != "" {
		t.Fatalf("sign-in answer = %v; want must_change_password and nothing more of the account", acc)
	}
	other, _ := signIn("tiger-moon-47", http.StatusOK) // a second browser
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/public/account", nil},
		{"POST", "/api/public/account/password", map[string]any{"current_password": "tiger-moon-47", "new_password": "another password 2"}},
		{"POST", "/api/public/account/invite-code", map[string]any{"code": "ABCD-EFGH"}},
	} {
		code, body := with(r.method, r.path, r.body, c)
		checkError(t, code, body, http.StatusForbidden, app.EPASSWORDCHANGE, "")
	}

	code, form := with("GET", "/api/public/account/new-password", nil, c)
	if code != http.StatusOK || form["first_name"] != "Ada" || form["policy"] == "" {
		t.Fatalf("new-password screen = %d %v", code, form)
	}
	suggestion, _ := form["suggestion"].(string)
	if err := app.DefaultPasswordPolicy.Check(suggestion); err != nil || strings.Count(suggestion, "-") < 2 {
		t.Fatalf("suggestion %q: not words meeting the policy (%v)", suggestion, err)
	}
	code, body := with("POST", "/api/public/account/new-password", map[string]any{"password": "tiger-moon-47"}, c)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "password")
	code, body = with("POST", "/api/public/account/new-password", map[string]any{"password": "short"}, c)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "")

	req := newRequest(t, "POST", "/api/public/account/new-password", map[string]any{"password": suggestion})
	req.AddCookie(c)
	rec := e.serve(req)
	renewed := userCookieOf(rec)
	if rec.Code != http.StatusNoContent || renewed == nil || renewed.Value == c.Value {
		t.Fatalf("choose the suggestion = %d %s, cookie %v", rec.Code, rec.Body, renewed)
	}
	if code, acc := with("GET", "/api/public/account", nil, renewed); code != http.StatusOK || acc["username"] != "ada" || acc["must_change_password"] != false {
		t.Fatalf("account after the change = %d %v", code, acc)
	}
	for _, old := range []*http.Cookie{c, other} {
		if code, _ := with("GET", "/api/public/account", nil, old); code != http.StatusUnauthorized {
			t.Fatalf("a session from before the change = %d, want 401", code)
		}
	}
	if got, err := e.App.User(ctx, "maple", u.ID); err != nil || got.MustChangePassword {
		t.Fatalf("stored flag after the change = %v, %v", got.MustChangePassword, err)
	}
	code, body = with("POST", "/api/public/account/new-password", map[string]any{"password": "yet another 3"}, renewed)
	checkError(t, code, body, http.StatusConflict, app.ECONFLICT, "")
	signIn("tiger-moon-47", http.StatusUnauthorized)
	if _, acc := signIn(suggestion, http.StatusOK); acc["must_change_password"] != false {
		t.Fatalf("signed in with the new password: %v", acc)
	}

	// Asked again; a sign-in left open longer than FreshSignIn must be renewed.
	if res, err := e.App.BulkUsers(ctx, "maple", app.BulkRequest{Selection: app.UserSelection{IDs: []string{u.ID}}, Action: app.BulkRequirePassword}); err != nil || res.Changed != 1 {
		t.Fatalf("require a password change = %+v, %v", res, err)
	}
	late, _ := signIn(suggestion, http.StatusOK)
	e.Clock.Add(app.FreshSignIn + time.Second)
	code, body = with("POST", "/api/public/account/new-password", map[string]any{"password": "yet another 3"}, late)
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	if code, _ := with("GET", "/api/public/account/new-password", nil, late); code != http.StatusUnauthorized {
		t.Fatalf("the stale session after the refusal = %d, want 401 (signed out)", code)
	}
}
