package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/httpapi"
	"rollcall/store"
)

// Shared fixtures and helpers for every test of the package.

const (
	cookieName    = "rollcall_session"
	adminName     = "head.admin"
	adminPassword = "correct-horse-battery-9"
	// loopbackAddr is where POST /api/setup must come from.
	loopbackAddr = "127.0.0.1:1234"
	// lanAddr is a client on the school network (httptest's default is 192.0.2.1).
	lanAddr = "192.0.2.1:1234"
)

// env is one Rollcall on a fresh bbolt file, served by one handler
// (apptest.Env); the package's request helpers are its methods.
type env struct{ *apptest.Env }

// newEnv is apptest.New for this package's tests.
func newEnv(t *testing.T, opts ...func(*httpapi.Config)) *env { return &env{apptest.New(t, opts...)} }

// newRequest builds a request as a browser on the school network sends it:
// Host localhost, from lanAddr. A string or []byte body is sent as it is,
// anything else but nil as JSON.
func newRequest(t *testing.T, method, target string, body any) *http.Request {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, target, r)
	req.Host = "localhost"
	req.RemoteAddr = lanAddr
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func withCookie(req *http.Request, cookie string) *http.Request {
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
	}
	return req
}

// serve runs one request through the handler.
func (e *env) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	return rec
}

// do sends a request with the session cookie (if any) and returns the
// status and the decoded JSON object (nil for an empty body).
func (e *env) do(t *testing.T, method, path string, body any, cookie string) (int, map[string]any) {
	t.Helper()
	rec := e.serve(withCookie(newRequest(t, method, path, body), cookie))
	return rec.Code, decodeBody(t, rec)
}

func decodeBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Body.Len() == 0 {
		return nil
	}
	if got, want := rec.Header().Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Fatalf("Content-Type = %q, want %q (body %q)", got, want, rec.Body.String())
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return m
}

// call sends a request, requires the status want and decodes the answer into T.
func call[T any](t *testing.T, e *env, method, path string, body any, cookie string, want int) T {
	t.Helper()
	rec := e.serve(withCookie(newRequest(t, method, path, body), cookie))
	if rec.Code != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, rec.Code, rec.Body.String(), want)
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("%s %s: decode %q: %v", method, path, rec.Body.String(), err)
	}
	return v
}

// checkError requires the error shape {code, message, details}: the status,
// the code, a message for the person at the screen and, when field is not
// empty, a details entry for that field.
func checkError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode, field string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status = %d (%v), want %d", status, body, wantStatus)
	}
	for k := range body {
		if k != "code" && k != "message" && k != "details" {
			t.Errorf("error body has the key %q: %v", k, body)
		}
	}
	if got := body["code"]; got != wantCode {
		t.Errorf("code = %v, want %q (body %v)", got, wantCode, body)
	}
	if msg, _ := body["message"].(string); msg == "" {
		t.Errorf("message is empty: %v", body)
	}
	if field == "" {
		return
	}
	details, ok := body["details"].(map[string]any)
	if !ok {
		t.Fatalf("details missing, want one for %q: %v", field, body)
	}
	if msg, _ := details[field].(string); msg == "" {
		t.Errorf("details has no message for %q: %v", field, details)
	}
}

// scenario is one request and the answer it must get, after PocketBase's
// tests.ApiScenario: a table of them reads as the API's contract.
type scenario struct {
	name        string // the subtest; method and url when empty
	method, url string
	body        any    // as newRequest sends it
	as          string // the principal: a session cookie, "" for nobody
	status      int
	// code, when set, is the error code of the answer, which must have the
	// error shape (checkError) with a details entry for field if not empty.
	code, field string
	message     []string // with code: fragments of the error message
}

// run runs each scenario as a parallel subtest.
func (e *env) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, s := range scenarios {
		name := s.name
		if name == "" {
			name = s.method + " " + s.url
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := e.serve(withCookie(newRequest(t, s.method, s.url, s.body), s.as))
			if s.code == "" {
				if rec.Code != s.status {
					t.Fatalf("%s %s = %d %s, want %d", s.method, s.url, rec.Code, rec.Body.String(), s.status)
				}
				return
			}
			body := decodeBody(t, rec)
			checkError(t, rec.Code, body, s.status, s.code, s.field)
			for _, m := range s.message {
				if msg, _ := body["message"].(string); !strings.Contains(msg, m) {
					t.Errorf("message %q does not contain %q", msg, m)
				}
			}
		})
	}
}

// setup creates the first admin through POST /api/setup from this computer
// and returns the session cookie it answers with.
func (e *env) setup(t *testing.T) string {
	t.Helper()
	req := newRequest(t, "POST", "/api/setup", map[string]string{"username": adminName, "password": adminPassword})
	req.RemoteAddr = loopbackAddr
	rec := e.serve(req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/setup = %d %s, want 201", rec.Code, rec.Body.String())
	}
	c := sessionCookie(t, rec)
	if c.Value == "" {
		t.Fatal("POST /api/setup set an empty session cookie")
	}
	return c.Value
}

// signIn posts credentials from the client address addr.
func (e *env) signIn(t *testing.T, username, password, addr string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(t, "POST", "/api/session", map[string]string{"username": username, "password": password})
	req.RemoteAddr = addr
	return e.serve(req)
}

func sessionCookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", cookieName, rec.Header().Values("Set-Cookie"))
	return nil
}

// orgOut is an organization as the API shows it.
type orgOut struct {
	app.Organization
	AccountTypes []string `json:"account_types"`
	PolicyText   string   `json:"password_policy_text"`
}

func (e *env) createOrg(t *testing.T, cookie string, body map[string]any) orgOut {
	t.Helper()
	return call[orgOut](t, e, "POST", "/api/organizations", body, cookie, http.StatusCreated)
}

func (e *env) createGroup(t *testing.T, cookie, org string, body map[string]any) app.Group {
	t.Helper()
	return call[app.Group](t, e, "POST", "/api/organizations/"+org+"/groups", body, cookie, http.StatusCreated)
}

func (e *env) createUser(t *testing.T, cookie, org string, body map[string]any) app.User {
	t.Helper()
	return call[app.User](t, e, "POST", "/api/organizations/"+org+"/users", body, cookie, http.StatusCreated)
}

// fixture is one organization with a group and a user, the IDs that admin
// routes need.
type fixture struct {
	cookie, org, group, user, job string
}

func (e *env) fixture(t *testing.T) fixture {
	t.Helper()
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	g := e.createGroup(t, cookie, org.ID, map[string]any{"name": "5A"})
	u := e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann.smith", "groups": []string{g.ID}})
	return fixture{cookie: cookie, org: org.ID, group: g.ID, user: u.ID, job: e.finishedJob(t)}
}

// finishedJob starts a job that ends at once and waits for it to be done.
func (e *env) finishedJob(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	id := e.App.Jobs.Start("test", func(ctx context.Context, progress app.Progress) (any, error) {
		defer close(done)
		progress(1, 1)
		return nil, nil
	})
	<-done
	for { // the job's state is set just after its function returns
		if st, err := e.App.Jobs.Status(id); err != nil || st.State != app.JobRunning {
			return id
		}
		time.Sleep(time.Millisecond)
	}
}

// adminRoutes is every route that needs a signed-in admin under Serve, in
// an order that lets one fixture go through all of them (deletes last).
var adminRoutes = []struct{ method, path string }{
	{"GET", "/api/organizations"},
	{"POST", "/api/organizations"},
	{"GET", "/api/organizations/{org}"},
	{"PATCH", "/api/organizations/{org}"},
	{"GET", "/api/organizations/{org}/groups"},
	{"POST", "/api/organizations/{org}/groups"},
	{"GET", "/api/organizations/{org}/groups/{group}"},
	{"PATCH", "/api/organizations/{org}/groups/{group}"},
	{"DELETE", "/api/organizations/{org}/groups/{group}"},
	{"GET", "/api/organizations/{org}/users"},
	{"POST", "/api/organizations/{org}/users"},
	{"GET", "/api/organizations/{org}/users/{user}"},
	{"PATCH", "/api/organizations/{org}/users/{user}"},
	{"POST", "/api/organizations/{org}/users/{user}/deactivate"},
	{"POST", "/api/organizations/{org}/users/{user}/activate"},
	{"GET", "/api/organizations/{org}/deletions"},
	{"GET", "/api/organizations/{org}/users/{user}/export"},
	{"DELETE", "/api/organizations/{org}/users/{user}"},
	{"GET", "/api/backup"},
	{"GET", "/api/jobs/{job}"},
	{"POST", "/api/jobs/{job}/cancel"},
	{"DELETE", "/api/jobs/{job}"},
}

func (f fixture) path(p string) string {
	return strings.NewReplacer("{org}", f.org, "{group}", f.group, "{user}", f.user, "{job}", f.job).Replace(p)
}

// routeBody is a valid body for each admin route that reads one, so that
// only the missing session can explain a refusal.
func routeBody(method, path string) any {
	switch {
	case method == "POST" && strings.HasSuffix(path, "/organizations"):
		return map[string]any{"name": "Birch Secondary"}
	case method == "POST" && strings.HasSuffix(path, "/groups"):
		return map[string]any{"name": "6B"}
	case method == "POST" && strings.HasSuffix(path, "/users"):
		return map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo.lind"}
	case method == "PATCH":
		return map[string]any{}
	}
	return nil
}

func TestAdminRoutesNeedSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	// A cookie that once was valid, and one that never was.
	old := call[map[string]any](t, e, "GET", "/api/session", nil, f.cookie, http.StatusOK)
	if got, want := old["username"], adminName; got != want {
		t.Fatalf("session username = %v, want %q", got, want)
	}
	signedOut := e.signIn(t, adminName, adminPassword, lanAddr)
	stale := sessionCookie(t, signedOut).Value
	if code, _ := e.do(t, "DELETE", "/api/session", nil, stale); code != http.StatusNoContent {
		t.Fatalf("DELETE /api/session = %d, want 204", code)
	}
	cookies := map[string]string{
		"no cookie":       "",
		"made-up cookie":  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"signed-out":      stale,
		"empty-ish value": " ",
	}
	for _, r := range adminRoutes {
		for name, cookie := range cookies {
			t.Run(r.method+" "+r.path+"/"+name, func(t *testing.T) {
				code, body := e.do(t, r.method, f.path(r.path), routeBody(r.method, r.path), cookie)
				checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
			})
		}
	}
	// Nothing changed: the organization, group and user are as they were.
	page := call[app.UserPage](t, e, "GET", f.path("/api/organizations/{org}/users"), nil, f.cookie, http.StatusOK)
	if got, want := page.Total, 1; got != want {
		t.Errorf("users after refused requests = %d, want %d", got, want)
	}
	if got, want := page.Users[0].Status, app.StatusActive; got != want {
		t.Errorf("user status after refused requests = %q, want %q", got, want)
	}
	groups := call[map[string][]app.Group](t, e, "GET", f.path("/api/organizations/{org}/groups"), nil, f.cookie, http.StatusOK)
	if got, want := len(groups["groups"]), 1; got != want {
		t.Errorf("groups after refused requests = %d, want %d", got, want)
	}
	orgs := call[map[string][]orgOut](t, e, "GET", "/api/organizations", nil, f.cookie, http.StatusOK)
	if got, want := len(orgs["organizations"]), 1; got != want {
		t.Errorf("organizations after refused requests = %d, want %d", got, want)
	}
}

// TestAdminRoutesWithSession proves the route table names real routes: with
// the cookie each one answers with success.
func TestAdminRoutesWithSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	want := map[string]int{"POST": http.StatusOK, "GET": http.StatusOK, "PATCH": http.StatusOK, "DELETE": http.StatusNoContent}
	for _, r := range adminRoutes { // in order: the deletes come after the reads
		status := want[r.method]
		if r.method == "POST" && !strings.HasSuffix(r.path, "activate") && !strings.HasSuffix(r.path, "cancel") {
			status = http.StatusCreated
		}
		rec := e.serve(withCookie(newRequest(t, r.method, f.path(r.path), routeBody(r.method, r.path)), f.cookie))
		if rec.Code != status {
			t.Errorf("%s %s = %d %s, want %d", r.method, r.path, rec.Code, rec.Body.String(), status)
		}
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.run(t, []scenario{ // the message names the path
		{method: "GET", url: "/api/nope", as: cookie, status: http.StatusNotFound, code: app.ENOTFOUND, message: []string{"/api/nope"}},
		{name: "GET /api/nope without a session", method: "GET", url: "/api/nope", status: http.StatusNotFound, code: app.ENOTFOUND, message: []string{"/api/nope"}},
		{method: "POST", url: "/api/organizations/x/y/z", as: cookie, status: http.StatusNotFound, code: app.ENOTFOUND, message: []string{"/api/organizations/x/y/z"}},
		{method: "PUT", url: "/api/organizations", as: cookie, status: http.StatusNotFound, code: app.ENOTFOUND, message: []string{"/api/organizations"}},
		{method: "GET", url: "/api/", as: cookie, status: http.StatusNotFound, code: app.ENOTFOUND, message: []string{"/api/"}},
	})
}

func TestHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.AllowedHosts = []string{"rollcall.school.example", "10.0.0.5", "fd00::5"} })
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "public_url": "https://signup.maple.example:8443/"})
	tests := []struct {
		host string
		want int
	}{
		{"localhost", http.StatusOK},
		{"localhost:8080", http.StatusOK},
		{"LocalHost:8080", http.StatusOK},
		{"rollcall.localhost:8080", http.StatusOK},
		{"127.0.0.1:8080", http.StatusOK},
		{"127.0.0.2", http.StatusOK},
		{"[::1]:8080", http.StatusOK},
		{"rollcall.school.example", http.StatusOK}, // --allow-host
		{"Rollcall.School.Example:443", http.StatusOK},
		{"10.0.0.5:8080", http.StatusOK},
		{"[fd00::5]:8080", http.StatusOK},
		{"signup.maple.example", http.StatusOK}, // an organization's public_url
		{"signup.maple.example:8443", http.StatusOK},
		{"attacker.example", http.StatusBadRequest},
		{"attacker.example:8080", http.StatusBadRequest},
		{"maple.example", http.StatusBadRequest},
		{"signup.maple.example.attacker.example", http.StatusBadRequest},
		{"rollcall.school.example.attacker.example", http.StatusBadRequest},
		{"localhost.attacker.example", http.StatusBadRequest},
		{"127.0.0.1.nip.io", http.StatusBadRequest},
		{"10.0.0.6", http.StatusBadRequest},
		{"", http.StatusBadRequest},
	}
	t.Run("hosts", func(t *testing.T) { // parallel inside, done before the public_url changes
		for _, tt := range tests {
			t.Run(tt.host, func(t *testing.T) {
				t.Parallel()
				for _, path := range []string{"/api/setup", "/healthz"} {
					req := newRequest(t, "GET", path, nil)
					req.Host = tt.host
					rec := e.serve(req)
					if got := rec.Code; got != tt.want {
						t.Fatalf("GET %s with Host %q = %d %s, want %d", path, tt.host, got, rec.Body.String(), tt.want)
					}
					if tt.want == http.StatusBadRequest {
						checkError(t, rec.Code, decodeBody(t, rec), http.StatusBadRequest, app.EINVALID, "")
					}
				}
			})
		}
	})

	t.Run("public_url changed", func(t *testing.T) {
		call[orgOut](t, e, "PATCH", "/api/organizations/"+org.ID, map[string]any{"public_url": "https://rollcall.birch.example"}, cookie, http.StatusOK)
		for host, want := range map[string]int{"rollcall.birch.example": http.StatusOK, "signup.maple.example": http.StatusBadRequest} {
			req := newRequest(t, "GET", "/api/setup", nil)
			req.Host = host
			if got := e.serve(req).Code; got != want {
				t.Errorf("Host %q after the public_url changed = %d, want %d", host, got, want)
			}
		}
	})
}

func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	tests := []struct {
		name         string
		origin, site string
		method, path string
		body         any
		want         int
		createsAnOrg bool
		loopback     bool // from this computer, where setup is otherwise allowed
	}{
		{name: "evil origin", origin: "http://evil.example", method: "POST", path: "/api/organizations", want: http.StatusForbidden},
		{name: "evil origin cross-site", origin: "http://evil.example", site: "cross-site", method: "POST", path: "/api/organizations", want: http.StatusForbidden},
		{name: "cross-site only", site: "cross-site", method: "POST", path: "/api/organizations", want: http.StatusForbidden},
		{name: "same-site", origin: "http://other.localhost", site: "same-site", method: "POST", path: "/api/organizations", want: http.StatusForbidden},
		{name: "origin other port", origin: "http://localhost:9999", method: "POST", path: "/api/organizations", want: http.StatusForbidden},
		{name: "patch", origin: "http://evil.example", site: "cross-site", method: "PATCH", path: "/api/organizations/{org}", body: map[string]any{"name": "Pwned"}, want: http.StatusForbidden},
		{name: "delete user", origin: "http://evil.example", site: "cross-site", method: "DELETE", path: "/api/organizations/{org}/users/{user}", want: http.StatusForbidden},
		{name: "sign-in", origin: "http://evil.example", site: "cross-site", method: "POST", path: "/api/session", body: map[string]any{"username": adminName, "password": adminPassword}, want: http.StatusForbidden},
		{name: "sign-out", origin: "http://evil.example", site: "cross-site", method: "DELETE", path: "/api/session", want: http.StatusForbidden},
		{name: "setup", origin: "http://evil.example", site: "cross-site", method: "POST", path: "/api/setup", body: map[string]any{"username": "x.admin", "password": adminPassword}, want: http.StatusForbidden, loopback: true},
		{name: "safe GET", origin: "http://evil.example", site: "cross-site", method: "GET", path: "/api/organizations", want: http.StatusOK},
		{name: "same origin", origin: "http://localhost", method: "POST", path: "/api/organizations", want: http.StatusCreated, createsAnOrg: true},
		{name: "sec-fetch same-origin", site: "same-origin", method: "POST", path: "/api/organizations", want: http.StatusCreated, createsAnOrg: true},
		{name: "sec-fetch none", site: "none", method: "POST", path: "/api/organizations", want: http.StatusCreated, createsAnOrg: true},
		{name: "no browser headers", method: "POST", path: "/api/organizations", want: http.StatusCreated, createsAnOrg: true},
	}
	created := 0
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == nil && tt.method == "POST" {
				body = map[string]any{"name": fmt.Sprintf("School %d", i)}
			}
			req := withCookie(newRequest(t, tt.method, f.path(tt.path), body), f.cookie)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				req.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if tt.loopback {
				req.RemoteAddr = loopbackAddr
			}
			rec := e.serve(req)
			if rec.Code != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body.String(), tt.want)
			}
			if tt.want == http.StatusForbidden {
				checkError(t, rec.Code, decodeBody(t, rec), http.StatusForbidden, app.EFORBIDDEN, "")
				if len(rec.Result().Cookies()) != 0 {
					t.Errorf("a refused request set cookies: %v", rec.Result().Cookies())
				}
			}
			if tt.createsAnOrg {
				created++
			}
		})
	}
	// The refused requests changed nothing.
	orgs := call[map[string][]orgOut](t, e, "GET", "/api/organizations", nil, f.cookie, http.StatusOK)
	if got, want := len(orgs["organizations"]), 1+created; got != want {
		t.Errorf("organizations = %d, want %d", got, want)
	}
	if got := call[orgOut](t, e, "GET", f.path("/api/organizations/{org}"), nil, f.cookie, http.StatusOK); got.Name != "Maple Primary" {
		t.Errorf("organization name = %q, want it unchanged", got.Name)
	}
	call[app.User](t, e, "GET", f.path("/api/organizations/{org}/users/{user}"), nil, f.cookie, http.StatusOK)
	if n, _ := e.App.Store.CountAdmins(context.Background()); n != 1 {
		t.Errorf("admins = %d, want 1", n)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	assets := fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>Rollcall</title>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
	}
	e := newEnv(t, func(c *httpapi.Config) { c.Assets = assets })
	cookie := e.setup(t)
	tests := []struct {
		name       string
		method     string
		path       string
		host       string
		origin     string
		cookie     string
		wantStatus int
		wantCache  string
	}{
		{"api ok", "GET", "/api/organizations", "localhost", "", cookie, http.StatusOK, "no-store"},
		{"api session", "GET", "/api/session", "localhost", "", cookie, http.StatusOK, "no-store"},
		{"api 401", "GET", "/api/organizations", "localhost", "", "", http.StatusUnauthorized, "no-store"},
		{"api 404", "GET", "/api/nope", "localhost", "", cookie, http.StatusNotFound, "no-store"},
		{"api bad host", "GET", "/api/organizations", "attacker.example", "", cookie, http.StatusBadRequest, "no-store"},
		{"api cross-origin", "POST", "/api/organizations", "localhost", "http://evil.example", cookie, http.StatusForbidden, "no-store"},
		{"backup", "GET", "/api/backup", "localhost", "", cookie, http.StatusOK, "no-store"},
		{"index", "GET", "/", "localhost", "", "", http.StatusOK, ""},
		{"client route", "GET", "/organizations/x/users", "localhost", "", "", http.StatusOK, ""},
		{"asset", "GET", "/assets/app.js", "localhost", "", "", http.StatusOK, "public, max-age=31536000, immutable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body any
			if tt.method == "POST" {
				body = map[string]any{"name": "Evil"}
			}
			req := withCookie(newRequest(t, tt.method, tt.path, body), tt.cookie)
			req.Host = tt.host
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			rec := e.serve(req)
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
				}
			}
			if got, want := h.Get("Cache-Control"), tt.wantCache; got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
	t.Run("spa fallback", func(t *testing.T) {
		t.Parallel()
		rec := e.serve(newRequest(t, "GET", "/organizations/x/users", nil))
		if got, want := rec.Body.String(), "<!doctype html><title>Rollcall</title>"; got != want {
			t.Errorf("client route body = %q, want index.html %q", got, want)
		}
	})
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary"})
	// padded is a JSON object of exactly n bytes: spaces before the closing brace.
	padded := func(n int, fields string) string {
		s := "{" + fields
		return s + strings.Repeat(" ", n-len(s)-1) + "}"
	}
	tests := []struct {
		name, path, fields string
	}{
		{"organization", "/api/organizations", `"name":"Birch Secondary"`},
		{"user", "/api/organizations/" + org.ID + "/users", `"first_name":"Bo","last_name":"Lind","username":"bo.lind"`},
		{"sign-in", "/api/session", `"username":"head.admin","password":"correct-horse-battery-9"`},
		{"setup", "/api/setup", `"username":"other.admin","password":"correct-horse-battery-9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := e.do(t, "POST", tt.path, padded(httpapi.MaxBodyBytes+1, tt.fields), cookie)
			checkError(t, code, body, http.StatusRequestEntityTooLarge, app.EINVALID, "")
		})
	}
	t.Run("one huge string", func(t *testing.T) {
		code, body := e.do(t, "POST", "/api/organizations", `{"name":"`+strings.Repeat("a", 2<<20)+`"}`, cookie)
		checkError(t, code, body, http.StatusRequestEntityTooLarge, app.EINVALID, "")
	})
	t.Run("exactly the limit", func(t *testing.T) {
		code, body := e.do(t, "POST", "/api/organizations", padded(httpapi.MaxBodyBytes, `"name":"Birch Secondary"`), cookie)
		if code != http.StatusCreated {
			t.Fatalf("a body of exactly MaxBodyBytes = %d %v, want 201", code, body)
		}
	})
	orgs := call[map[string][]orgOut](t, e, "GET", "/api/organizations", nil, cookie, http.StatusOK)
	if got, want := len(orgs["organizations"]), 2; got != want {
		t.Errorf("organizations = %d, want %d (only the one at the limit added)", got, want)
	}
}

func TestBadJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary"})
	orgPath := "/api/organizations/" + org.ID
	bad := func(name, method, url, body, field string) scenario {
		s := scenario{name: name, method: method, url: url, body: body, as: cookie, status: http.StatusBadRequest, code: app.EINVALID, field: field}
		if field != "" {
			s.message = []string{field} // the message names the field
		}
		return s
	}
	e.run(t, []scenario{
		bad("malformed", "POST", "/api/organizations", `{"name":`, ""),
		bad("not JSON", "POST", "/api/organizations", `name=Birch`, ""),
		bad("empty", "POST", "/api/organizations", ``, ""),
		bad("two values", "POST", "/api/organizations", `{"name":"Birch"}{"name":"Elm"}`, ""),
		bad("array", "POST", "/api/organizations", `[{"name":"Birch"}]`, ""),
		bad("unknown field", "POST", "/api/organizations", `{"name":"Birch","nickname":"B"}`, "nickname"),
		bad("misspelt field", "POST", orgPath+"/users", `{"first_name":"Bo","lastname":"Lind","username":"bo.lind"}`, "lastname"),
		bad("server field id", "POST", orgPath+"/users", `{"id":"x","first_name":"Bo","last_name":"Lind","username":"bo.lind"}`, "id"),
		bad("server field status", "POST", orgPath+"/users", `{"status":"active","first_name":"Bo","last_name":"Lind","username":"bo.lind"}`, "status"),
		bad("password hash", "POST", orgPath+"/users", `{"password_hash":"$argon2id$","first_name":"Bo","last_name":"Lind","username":"bo.lind"}`, "password_hash"),
		bad("slug is fixed", "PATCH", orgPath, `{"slug":"other"}`, "slug"),
		bad("kind is fixed", "PATCH", orgPath, `{"kind":"enterprise"}`, "kind"),
		bad("nested unknown", "PATCH", orgPath, `{"password_policy":{"min_len":12}}`, "min_len"),
		bad("wrong type", "POST", "/api/organizations", `{"name":42}`, "name"),
		bad("wrong type in update", "PATCH", orgPath, `{"name":["a"]}`, "name"),
		bad("credentials", "POST", "/api/session", `{"user":"head.admin","password":"x"}`, "user"),
	})
	// Nothing was created or changed.
	t.Cleanup(func() {
		orgs := call[map[string][]orgOut](t, e, "GET", "/api/organizations", nil, cookie, http.StatusOK)
		if got, want := len(orgs["organizations"]), 1; got != want {
			t.Errorf("organizations = %d, want %d", got, want)
		}
		page := call[app.UserPage](t, e, "GET", orgPath+"/users", nil, cookie, http.StatusOK)
		if got, want := page.Total, 0; got != want {
			t.Errorf("users = %d, want %d", got, want)
		}
	})
}

func TestBackup(t *testing.T) {
	t.Parallel()
	const token = "backup-token-0123456789abcdef0123456789abcdef"
	e := newEnv(t, func(c *httpapi.Config) { c.LocalToken = token })
	f := e.fixture(t)
	tests := []struct {
		name, cookie, auth string
		want               int
	}{
		{"admin cookie", f.cookie, "", http.StatusOK},
		{"bearer token", "", "Bearer " + token, http.StatusOK},
		{"wrong token", "", "Bearer " + strings.ToUpper(token), http.StatusUnauthorized},
		{"token prefix", "", "Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"token without Bearer", "", token, http.StatusUnauthorized},
		{"basic auth", "", "Basic " + token, http.StatusUnauthorized},
		{"empty bearer", "", "Bearer ", http.StatusUnauthorized},
		{"nothing", "", "", http.StatusUnauthorized},
		{"wrong token, right cookie", f.cookie, "Bearer nope", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := withCookie(newRequest(t, "GET", "/api/backup", nil), tt.cookie)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := e.serve(req)
			if rec.Code != tt.want {
				t.Fatalf("GET /api/backup = %d %.200s, want %d", rec.Code, rec.Body.String(), tt.want)
			}
			if tt.want != http.StatusOK {
				checkError(t, rec.Code, decodeBody(t, rec), tt.want, app.EUNAUTHORIZED, "")
				return
			}
			if got, want := rec.Header().Get("Content-Type"), "application/octet-stream"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			// The same name as before, now written (unquoted) by the one download helper.
			cd := rec.Header().Get("Content-Disposition")
			if disp, params, err := mime.ParseMediaType(cd); err != nil || disp != "attachment" || params["filename"] != "rollcall-backup-2026-03-02-0800.db" {
				t.Errorf("Content-Disposition = %q, want attachment; filename=rollcall-backup-2026-03-02-0800.db", cd)
			}
			checkBackup(t, rec.Body.Bytes(), "ann.smith")
		})
	}

	t.Run("no token configured", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, auth := range []string{"Bearer ", "Bearer"} {
			req := newRequest(t, "GET", "/api/backup", nil)
			req.Header.Set("Authorization", auth)
			if got, want := e.serve(req).Code, http.StatusUnauthorized; got != want {
				t.Errorf("Authorization %q without a configured token = %d, want %d", auth, got, want)
			}
		}
	})
}

// checkBackup writes a downloaded backup to a file, which must open as a
// Rollcall database, pass the consistency check and hold the user.
func checkBackup(t *testing.T, data []byte, username string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Verify(path); err != nil {
		t.Fatalf("store.Verify(backup) = %v", err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.UserByLogin(context.Background(), username)
	if err != nil {
		t.Fatalf("user %q in the backup: %v", username, err)
	}
	if got, want := u.Username, username; got != want {
		t.Errorf("backup user = %q, want %q", got, want)
	}
}

func TestDesktop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Desktop)

	session := call[map[string]any](t, e, "GET", "/api/session", nil, "", http.StatusOK)
	if got, want := session["local"], true; got != want {
		t.Errorf("session local = %v, want %v", got, want)
	}
	if got, want := session["username"], "this computer"; got != want {
		t.Errorf("session username = %v, want %q", got, want)
	}
	setup := call[map[string]bool](t, e, "GET", "/api/setup", nil, "", http.StatusOK)
	if setup["needed"] || setup["allowed"] {
		t.Errorf("GET /api/setup = %v, want nothing needed nor allowed in the desktop window", setup)
	}

	// Every admin route works without a cookie.
	org := e.createOrg(t, "", map[string]any{"name": "Maple Primary"})
	g := e.createGroup(t, "", org.ID, map[string]any{"name": "5A"})
	u := e.createUser(t, "", org.ID, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann.smith", "groups": []string{"5a"}})
	f := fixture{org: org.ID, group: g.ID, user: u.ID, job: e.finishedJob(t)}
	want := map[string]int{"GET": http.StatusOK, "PATCH": http.StatusOK, "DELETE": http.StatusNoContent}
	for _, r := range adminRoutes {
		status, ok := want[r.method]
		if !ok {
			status = http.StatusCreated
			if strings.HasSuffix(r.path, "activate") || strings.HasSuffix(r.path, "cancel") {
				status = http.StatusOK
			}
		}
		rec := e.serve(newRequest(t, r.method, f.path(r.path), routeBody(r.method, r.path)))
		if rec.Code != status {
			t.Errorf("desktop %s %s = %d %s, want %d", r.method, r.path, rec.Code, rec.Body.String(), status)
		}
		if r.path == "/api/backup" && rec.Code == http.StatusOK {
			checkBackup(t, rec.Body.Bytes(), "bo.lind")
		}
	}

	// Nobody signs in, and nobody sets up an admin.
	code, body := e.do(t, "POST", "/api/session", map[string]string{"username": adminName, "password": adminPassword}, "")
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "")
	req := newRequest(t, "POST", "/api/setup", map[string]string{"username": adminName, "password": adminPassword})
	req.RemoteAddr = loopbackAddr
	rec := e.serve(req)
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusForbidden, app.EFORBIDDEN, "")
	if n, _ := e.App.Store.CountAdmins(context.Background()); n != 0 {
		t.Errorf("admins = %d, want 0", n)
	}
	// The headers are there in the window too.
	rec = e.serve(newRequest(t, "GET", "/api/organizations", nil))
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "object-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

// TestOverTCP runs the whole site behind a real listener with a browser-like
// client and cookie jar: setup, admin work, sign-out, the body cap.
func TestOverTCP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ts := httptest.NewServer(e.Handler)
	t.Cleanup(ts.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := ts.Client()
	client.Jar = jar
	send := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		data, _ := io.ReadAll(resp.Body)
		if len(data) > 0 {
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
			}
		}
		return resp.StatusCode, m
	}
	steps := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/organizations", "", http.StatusUnauthorized},
		{"POST", "/api/setup", `{"username":"head.admin","password":"correct-horse-battery-9"}`, http.StatusCreated},
		{"GET", "/api/session", "", http.StatusOK},
		{"POST", "/api/organizations", `{"name":"Maple Primary","slug":"maple"}`, http.StatusCreated},
		{"POST", "/api/organizations/maple/users", `{"first_name":"Ann","last_name":"Smith","username":"ann"}`, http.StatusCreated},
		{"POST", "/api/organizations", `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
		{"DELETE", "/api/session", "", http.StatusNoContent},
		{"GET", "/api/organizations", "", http.StatusUnauthorized},
		{"POST", "/api/session", `{"username":"head.admin","password":"correct-horse-battery-9"}`, http.StatusOK},
		{"GET", "/api/organizations/maple/users", "", http.StatusOK},
	}
	for _, s := range steps {
		if got, body := send(s.method, s.path, s.body); got != s.want {
			t.Fatalf("%s %s = %d %v, want %d", s.method, s.path, got, body, s.want)
		}
	}
}
