package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/keyfile"
	"rollcall/app/oidc"
	"rollcall/app/ssotest"
)

const (
	ssoTestClient   = "rollcall-http"
	ssoTestSecret   = "http-client-secret-31415"
	ssoTestPassword = "provider password 9"
)

// ssoHTTPEnv is the API with a real OpenID provider on 127.0.0.1 and a
// sign-in provider of maple (made through the API) pointing at it.
type ssoHTTPEnv struct {
	*env
	op       *ssotest.Provider
	provider string
	admin    string
}

func newSSOHTTPEnv(t *testing.T) *ssoHTTPEnv {
	t.Helper()
	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	e.App.OIDC = &oidc.Client{Now: time.Now}
	// The redirect URI is made from the request's Host (the organization
	// has no public address): newRequest sends Host localhost.
	op, err := ssotest.Start("127.0.0.1:0", ssoTestClient, ssoTestSecret, "http://localhost"+app.SSOCallbackPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	op.AddUser(ssotest.User{Subject: "sub-ben", Username: "ben", Password: ssoTestPassword, Email: "ben@maple.example",
		EmailVerified: true, GivenName: "Ben", FamilyName: "Ode"})
	admin := e.setup(t)
	e.createOrg(t, admin, map[string]any{"name": "Maple Primary", "slug": "maple"})
	p := call[map[string]any](t, e, "POST", "/api/organizations/maple/sso-providers", map[string]any{
		"kind": "oidc", "name": "Test ID", "issuer": op.Issuer, "client_id": ssoTestClient, "client_secret": ssoTestSecret,
		"allowed_domains": []string{"maple.example"}}, admin, http.StatusCreated)
	return &ssoHTTPEnv{env: e, op: op, provider: p["id"].(string), admin: admin}
}

// start clicks the button: the answer is a redirect to the provider and
// the browser's binding cookie.
func (e *ssoHTTPEnv) start(t *testing.T, purpose string, adminCookie ...string) (authURL string, binding *http.Cookie) {
	t.Helper()
	req := newRequest(t, "GET", "/api/public/sso/start?provider="+url.QueryEscape(e.provider)+"&for="+purpose, nil)
	for _, c := range adminCookie {
		withCookie(req, c)
	}
	rec := e.serve(req)
	if rec.Code != http.StatusFound {
		t.Fatalf("start = %d %s, want 302", rec.Code, rec.Body.String())
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "rollcall_sso" {
			binding = c
		}
	}
	if binding == nil || binding.Value == "" || !binding.HttpOnly || binding.SameSite != http.SameSiteLaxMode {
		t.Fatalf("start set no HttpOnly SameSite=Lax binding cookie: %v", rec.Header().Values("Set-Cookie"))
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, e.op.Issuer) {
		t.Fatalf("start redirects to %q, not to the provider %s", loc, e.op.Issuer)
	}
	u, _ := url.Parse(loc)
	if u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("state") == "" || u.Query().Get("nonce") == "" {
		t.Fatalf("authorization URL lacks PKCE S256, state or nonce: %s", loc)
	}
	return loc, binding
}

// callback is the provider sending the browser back, with the cookie given.
func (e *ssoHTTPEnv) callback(t *testing.T, back *url.URL, binding *http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(t, "GET", back.RequestURI(), nil)
	if binding != nil {
		req.AddCookie(&http.Cookie{Name: binding.Name, Value: binding.Value})
	}
	return e.serve(req)
}

func (e *ssoHTTPEnv) signedIn(t *testing.T, rec *httptest.ResponseRecorder) bool {
	t.Helper()
	c := userCookieOf(rec)
	if c == nil {
		return false
	}
	req := newRequest(t, "GET", "/api/public/account", nil)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	got := e.serve(req)
	if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), "ben@maple.example") {
		t.Fatalf("GET /api/public/account with the SSO session = %d %s", got.Code, got.Body.String())
	}
	return true
}

// The callback through the HTTP API: the flow is bound to the browser that
// began it (its cookie), a state is used once, and another browser — one
// without the cookie or with its own — gets a refusal and no session.
func TestSSOCallbackHTTP(t *testing.T) {
	e := newSSOHTTPEnv(t)

	// The browser that began it: signed in, the binding cookie cleared.
	authURL, binding := e.start(t, app.SSOForPortal)
	back, err := ssotest.SignIn(authURL, "ben", ssoTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	rec := e.callback(t, back, binding)
	if rec.Code != http.StatusOK || !e.signedIn(t, rec) {
		t.Fatalf("callback = %d %s, cookies %v: not signed in", rec.Code, rec.Body.String(), rec.Header().Values("Set-Cookie"))
	}
	if !strings.Contains(rec.Body.String(), "/account") {
		t.Errorf("callback page does not move on to /account: %s", rec.Body.String())
	}
	signedInRec := rec
	cleared := false
	for _, c := range rec.Result().Cookies() {
		if c.Name == "rollcall_sso" && c.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("callback did not clear the binding cookie: %v", rec.Header().Values("Set-Cookie"))
	}

	// The same answer again (a replayed state), even from the same browser.
	rec = e.callback(t, back, binding)
	if rec.Code != http.StatusForbidden || userCookieOf(rec) != nil || !strings.Contains(rec.Body.String(), "already used") {
		t.Errorf("replayed state = %d %s, want 403 \"already used\" and no session", rec.Code, rec.Body.String())
	}

	// Another browser: the code and state of a sign-in begun elsewhere
	// (login CSRF), without the cookie and with a cookie of its own.
	for _, other := range []*http.Cookie{nil, {Name: "rollcall_sso", Value: strings.Repeat("x", 43)}} {
		authURL, binding := e.start(t, app.SSOForPortal)
		back, err := ssotest.SignIn(authURL, "ben", ssoTestPassword)
		if err != nil {
			t.Fatal(err)
		}
		rec := e.callback(t, back, other)
		if rec.Code != http.StatusForbidden || userCookieOf(rec) != nil {
			t.Errorf("callback from another browser (cookie %v) = %d %s, want 403 and no session", other, rec.Code, rec.Body.String())
		}
		// The refused state is spent: the browser that began it cannot use it after.
		rec = e.callback(t, back, binding)
		if rec.Code != http.StatusForbidden || userCookieOf(rec) != nil {
			t.Errorf("the state refused once is used again = %d, want 403", rec.Code)
		}
	}

	// A made-up state with a cookie: refused.
	rec = e.callback(t, &url.URL{Path: app.SSOCallbackPath, RawQuery: "state=made-up&code=x"}, binding)
	if rec.Code != http.StatusForbidden || userCookieOf(rec) != nil {
		t.Errorf("made-up state = %d, want 403", rec.Code)
	}

	// Signing out of a session begun at the provider offers the
	// provider's end-session address (from its discovery) and its name.
	out := newRequest(t, "POST", "/api/public/signout", map[string]any{})
	out.AddCookie(&http.Cookie{Name: "rollcall_user", Value: userCookieOf(signedInRec).Value})
	got := e.serve(out)
	body := decodeBody(t, got)
	if end, _ := body["end_session_url"].(string); got.Code != http.StatusOK || !strings.HasPrefix(end, e.op.Issuer+"/end_session?") ||
		!strings.Contains(end, "client_id="+ssoTestClient) || body["provider"] != "Test ID" {
		t.Errorf("portal sign-out = %d %v, want 200 with %s/end_session?client_id=… and Test ID", got.Code, body, e.op.Issuer)
	}
	// Back from the provider's sign-out: on to the sign-in page.
	rec = e.callback(t, &url.URL{Path: app.SSOCallbackPath, RawQuery: "state=" + app.SSOSignedOut}, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/signin") || userCookieOf(rec) != nil {
		t.Errorf("back from the provider's sign-out = %d %s", rec.Code, rec.Body.String())
	}
	// A password session's sign-out is as before: 204.
	if rec := e.signIn(t, adminName, adminPassword, lanAddr); rec.Code != http.StatusOK {
		t.Fatalf("admin password sign-in = %d", rec.Code)
	} else if rec := e.serve(withCookie(newRequest(t, "DELETE", "/api/session", nil), sessionCookie(t, rec).Value)); rec.Code != http.StatusNoContent {
		t.Errorf("admin sign-out of a password session = %d %s, want 204", rec.Code, rec.Body.String())
	}

	// Exactly one account, made at the first sign-in.
	us, err := e.App.Users(context.Background(), "maple", app.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(us.Users); n != 1 {
		t.Errorf("%d accounts after one first sign-in and refused replays, want 1", n)
	}
}

// A server admin links their admin account through the HTTP API: the
// start takes the admin from their own session cookie (never from a
// parameter) and refuses without one; afterwards the admin sign-in's
// button signs in that admin account, and signing out offers the
// provider's end-session address.
func TestSSOAdminLinkHTTP(t *testing.T) {
	e := newSSOHTTPEnv(t)
	rec := e.serve(newRequest(t, "GET", "/api/public/sso/start?provider="+url.QueryEscape(e.provider)+"&for=link", nil))
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Sign in") {
		t.Fatalf("link start without an admin session = %d %s, want 403 \"Sign in …\"", rec.Code, rec.Body.String())
	}
	authURL, binding := e.start(t, app.SSOForLink, e.admin)
	back, err := ssotest.SignIn(authURL, "ben", ssoTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	rec = e.callback(t, back, binding)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Account linked") || userCookieOf(rec) != nil {
		t.Fatalf("link callback = %d %s", rec.Code, rec.Body.String())
	}
	links := call[app.AdminSSOLinks](t, e.env, "GET", "/api/me/sso-identities", nil, e.admin, http.StatusOK)
	// A refused admin sign-in sends the browser back to the admin sign-in
	// ("/"), not the people's (/signin): ben's address is linked to no
	// person with a role, and another provider account is not the admin's.
	e.op.AddUser(ssotest.User{Subject: "sub-cy", Username: "cy", Password: ssoTestPassword, Email: "cy@maple.example", EmailVerified: true, GivenName: "Cy"})
	authURL, binding = e.start(t, app.SSOForAdmin)
	if back, err = ssotest.SignIn(authURL, "cy", ssoTestPassword); err != nil {
		t.Fatal(err)
	}
	rec = e.callback(t, back, binding)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), `href="/"`) {
		t.Errorf("refused admin sign-in = %d %s, want 403 with a link back to /", rec.Code, rec.Body.String())
	}
	if len(links.Linked) != 1 || links.Linked[0].Name != "Test ID" {
		t.Fatalf("links %+v", links)
	}

	authURL, binding = e.start(t, app.SSOForAdmin)
	back, err = ssotest.SignIn(authURL, "ben", ssoTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	rec = e.callback(t, back, binding)
	if rec.Code != http.StatusOK {
		t.Fatalf("admin callback = %d %s", rec.Code, rec.Body.String())
	}
	token := sessionCookie(t, rec).Value
	me := call[map[string]any](t, e.env, "GET", "/api/session", nil, token, http.StatusOK)
	if me["username"] != adminName {
		t.Fatalf("signed in as %v, want the admin %s", me["username"], adminName)
	}
	rec = e.serve(withCookie(newRequest(t, "DELETE", "/api/session", nil), token))
	body := decodeBody(t, rec)
	if rec.Code != http.StatusOK || body["end_session_url"] != e.op.Issuer+"/end_session?client_id="+ssoTestClient || body["provider"] != "Test ID" {
		t.Errorf("admin sign-out of an SSO session = %d %v, want 200 with the end-session address", rec.Code, body)
	}
	if code, _ := e.do(t, "GET", "/api/session", nil, token); code != http.StatusUnauthorized {
		t.Errorf("the session after signing out = %d, want 401", code)
	}
}

// A sign-in through a provider on a shared tablet ends the browser's
// earlier portal session (its cookie comes with the start, a same-site
// navigation), as a password sign-in does.
func TestSSOEndsPreviousSessionHTTP(t *testing.T) {
	e := newSSOHTTPEnv(t)
	signIn := func(previous string) *httptest.ResponseRecorder {
		req := newRequest(t, "GET", "/api/public/sso/start?provider="+url.QueryEscape(e.provider), nil)
		if previous != "" {
			req.AddCookie(&http.Cookie{Name: "rollcall_user", Value: previous})
		}
		rec := e.serve(req)
		var binding *http.Cookie
		for _, c := range rec.Result().Cookies() {
			if c.Name == "rollcall_sso" {
				binding = c
			}
		}
		back, err := ssotest.SignIn(rec.Header().Get("Location"), "ben", ssoTestPassword)
		if err != nil {
			t.Fatal(err)
		}
		rec = e.callback(t, back, binding)
		if !e.signedIn(t, rec) {
			t.Fatalf("not signed in: %d %s", rec.Code, rec.Body.String())
		}
		return rec
	}
	first := userCookieOf(signIn("")).Value
	signIn(first)
	req := newRequest(t, "GET", "/api/public/account", nil)
	req.AddCookie(&http.Cookie{Name: "rollcall_user", Value: first})
	if rec := e.serve(req); rec.Code != http.StatusUnauthorized {
		t.Fatalf("the earlier session after a new sign-in on the same browser = %d, want 401", rec.Code)
	}
}
