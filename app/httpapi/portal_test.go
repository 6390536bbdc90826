package httpapi_test

import (
	"context"
	"net/http"
	"testing"

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
