package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/httpapi"
)

// route is one pattern of the route table, e.g. GET /api/organizations/{org}.
type route struct{ method, path string }

// allRoutes reads every route pattern registered in this package's source
// (m.Handle / m.HandleFunc with a literal pattern), so that a route added
// later is covered by the LAN test without anyone remembering to list it.
func allRoutes(t *testing.T) []route {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	var out []route
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") || len(call.Args) != 2 {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "m" {
				return true // the LAN handler's own mux, not the route table
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: a route pattern that is not a literal string; keep patterns literal", fset.Position(call.Pos()))
				return true
			}
			p, _ := strconv.Unquote(lit.Value)
			method, path, ok := strings.Cut(p, " ")
			if !ok {
				method, path = "GET", p // a pattern without a method matches all
			}
			out = append(out, route{method, path})
			return true
		})
	}
	if len(out) < 40 {
		t.Fatalf("found only %d routes in the source", len(out))
	}
	return out
}

func isPublic(r route) bool { return strings.HasPrefix(r.path, "/api/public/") || r.path == "/healthz" }

var testAssets = fstest.MapFS{
	"index.html":         {Data: []byte("<!doctype html><title>Rollcall</title>")},
	"assets/index-1.js":  {Data: []byte("console.log(1)")},
	"assets/index-1.css": {Data: []byte("body{}")},
	"favicon.svg":        {Data: []byte("<svg/>")},
}

// openLAN starts the sign-up listener on a free loopback port and returns its base URL.
func openLAN(t *testing.T, e *env) string {
	t.Helper()
	st, err := e.Server.StartPublic("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Server.StopPublic() })
	if !st.Open || len(st.URLs) != 1 {
		t.Fatalf("status %+v", st)
	}
	return st.URLs[0]
}

var noRedirect = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func lanDo(t *testing.T, method, url string, body any) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// Through the LAN listener every admin route answers 401 or 404 — in the
// desktop window too, where the admin routes ask for no sign-in — and every
// public route works.
func TestPublicListener(t *testing.T) {
	routes := allRoutes(t)
	for _, mode := range []string{"serve", "desktop"} {
		t.Run(mode, func(t *testing.T) {
			opts := []func(*httpapi.Config){func(c *httpapi.Config) { c.Assets = testAssets }}
			if mode == "desktop" {
				opts = append(opts, apptest.Desktop)
			}
			e := newEnv(t, opts...)
			cookie := ""
			if mode == "serve" {
				cookie = e.setup(t)
			}
			org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
			g := e.createGroup(t, cookie, org.ID, map[string]any{"name": "3B"})
			call[map[string]any](t, e, "PATCH", "/api/organizations/maple", map[string]any{"signup": map[string]any{"enabled": true}}, cookie, http.StatusOK)
			code := call[map[string]any](t, e, "GET", "/api/organizations/maple/groups/3B/invite-code", nil, cookie, http.StatusOK)["code"].(string)
			link := call[map[string]any](t, e, "POST", "/api/organizations/maple/invite-links", map[string]any{"auto_accept": true}, cookie, http.StatusCreated)
			token := link["token"].(string)
			linkID := link["link"].(map[string]any)["id"].(string)
			base := openLAN(t, e)

			repl := strings.NewReplacer("{org}", org.ID, "{group}", g.ID, "{user}", "u1", "{job}", "j1", "{link}", linkID, "{code}", code)
			admin := 0
			for _, r := range routes {
				if isPublic(r) {
					continue
				}
				admin++
				status, body, _ := lanDo(t, r.method, base+repl.Replace(r.path), map[string]any{})
				if status != http.StatusUnauthorized && status != http.StatusNotFound {
					t.Errorf("%s %s through the LAN listener = %d %s, want 401 or 404", r.method, r.path, status, body)
				}
			}
			t.Logf("%d admin routes tried through the LAN listener", admin)
			// Tricks to reach an admin route through a public prefix.
			// Each answers 404, or redirects to a cleaned path that answers 404.
			for _, p := range []string{"/api/public/../organizations", "/api/public/%2e%2e/organizations", "/api/public//../lan", "/healthz/../api/organizations"} {
				status, body, h := lanDo(t, "GET", base+p, nil)
				for hops := 0; status >= 300 && status < 400 && hops < 3; hops++ {
					loc := h.Get("Location")
					if !strings.HasPrefix(loc, "/") {
						t.Fatalf("GET %s redirects off the listener to %q", p, loc)
					}
					status, body, h = lanDo(t, "GET", base+loc, nil)
				}
				if status != http.StatusNotFound {
					t.Errorf("GET %s through the LAN listener = %d %s, want 404", p, status, body)
				}
			}
			// Nothing changed through it.
			if got := len(call[map[string][]any](t, e, "GET", "/api/organizations", nil, cookie, http.StatusOK)["organizations"]); got != 1 {
				t.Fatalf("%d organizations after the admin routes were tried over the LAN", got)
			}
			if st := e.Server.PublicStatusNow(); !st.Open {
				t.Fatal("a request through the LAN listener closed it")
			}

			// Every public route works.
			public := map[string]bool{}
			for _, r := range routes {
				if isPublic(r) {
					public[r.method+" "+r.path] = true
				}
			}
			check := func(method, path string, body any, want int) []byte {
				t.Helper()
				status, data, _ := lanDo(t, method, base+path, body)
				if status != want {
					t.Fatalf("%s %s = %d %s, want %d", method, path, status, data, want)
				}
				return data
			}
			check("GET", "/healthz", nil, 200)
			delete(public, "GET /healthz")
			check("GET", "/api/public/codes/"+strings.ToLower(code), nil, 200)
			delete(public, "GET /api/public/codes/{code}")
			check("POST", "/api/public/codes/"+code+"/signup", map[string]any{"first_name": "Ada", "username": "ada.lan", "password": "tablet-pass-42"}, 201)
			delete(public, "POST /api/public/codes/{code}/signup")
			check("POST", "/api/public/links/info", map[string]any{"token": token}, 200)
			delete(public, "POST /api/public/links/info")
			check("POST", "/api/public/links/signup", map[string]any{"token": token, "first_name": "Bo", "username": "bo.lan", "password": "tablet-pass-42"}, 201)
			delete(public, "POST /api/public/links/signup")
			// Use invite code needs a signed-in user: the route is there and asks for one.
			check("POST", "/api/public/account/invite-code", map[string]any{"code": code}, 401)
			delete(public, "POST /api/public/account/invite-code")
			// The others (sign-in portal, invitations) answer as their own
			// tests expect; here it is enough that they are reached at all.
			for r := range public {
				method, path, _ := strings.Cut(r, " ")
				status, body, _ := lanDo(t, method, base+repl.Replace(path), map[string]any{})
				if status == http.StatusMethodNotAllowed || bytes.Contains(body, []byte("There is no API route")) {
					t.Errorf("public route %s is not reached through the LAN listener: %d %s", r, status, body)
				}
			}

			// Pages and files of the frontend.
			for _, p := range []string{"/join", "/join/" + code, "/link/" + token, "/signin", "/account"} {
				if !bytes.Contains(check("GET", p, nil, 200), []byte("<title>Rollcall")) {
					t.Errorf("GET %s is not the frontend", p)
				}
			}
			check("GET", "/assets/index-1.js", nil, 200)
			check("GET", "/favicon.svg", nil, 200)
			check("GET", "/display", nil, 404)
			check("GET", "/o/maple/users", nil, 404)
			if status, _, h := lanDo(t, "GET", base+"/", nil); status != http.StatusFound || h.Get("Location") != "/join" {
				t.Errorf("GET / = %d → %q, want 302 → /join", status, h.Get("Location"))
			}
			if _, _, h := lanDo(t, "GET", base+"/link/"+token, nil); h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("token page headers: %v", h)
			}
		})
	}
}

func TestPublicListenerHostAndClose(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.Assets = testAssets })
	base := openLAN(t, e)
	req, _ := http.NewRequest("GET", base+"/healthz", nil)
	req.Host = "attacker.example"
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("Host attacker.example = %d, want 400", resp.StatusCode)
	}
	// A cross-origin POST is refused as on the main listener.
	req, _ = http.NewRequest("POST", base+"/api/public/links/info", strings.NewReader(`{"token":"x"}`))
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST = %d, want 403", resp.StatusCode)
	}

	// Turning it off closes it at once, keep-alive connections included.
	if err := e.Server.StopPublic(); err != nil {
		t.Fatal(err)
	}
	if _, err := noRedirect.Get(base + "/healthz"); err == nil {
		t.Fatal("the LAN listener still answers after it was closed")
	}
	if st := e.Server.PublicStatusNow(); st.Open || len(st.URLs) != 0 {
		t.Fatalf("status after close %+v", st)
	}
}

// The admin switch: POST /api/lan opens, GET tells, DELETE closes; a
// signed-out request cannot open it.
func TestLANRoutes(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.Assets = testAssets; c.PublicAddr = "127.0.0.1:0" })
	cookie := e.setup(t)
	code, body := e.do(t, "POST", "/api/lan", nil, "")
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	if st := call[httpapi.PublicStatus](t, e, "GET", "/api/lan", nil, cookie, 200); st.Open {
		t.Fatal("open by default")
	}
	st := call[httpapi.PublicStatus](t, e, "POST", "/api/lan", nil, cookie, 200)
	if !st.Open || len(st.URLs) != 1 || !strings.HasPrefix(st.URLs[0], "http://127.0.0.1:") {
		t.Fatalf("opened %+v", st)
	}
	if status, _, _ := lanDo(t, "GET", st.URLs[0]+"/healthz", nil); status != 200 {
		t.Fatalf("healthz over the LAN = %d", status)
	}
	// QR codes may now use the LAN address as their base.
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	c := call[map[string]any](t, e, "GET", "/api/organizations/maple/invite-code", nil, cookie, 200)
	if c["base"] != st.URLs[0] || c["url"] != st.URLs[0]+"/join/"+c["code"].(string) {
		t.Fatalf("code with LAN base: %v", c)
	}
	st = call[httpapi.PublicStatus](t, e, "DELETE", "/api/lan", nil, cookie, 200)
	if st.Open {
		t.Fatal("still open")
	}
	c = call[map[string]any](t, e, "GET", "/api/organizations/maple/invite-code", nil, cookie, 200)
	if c["url"] != "" || !strings.Contains(c["base_problem"].(string), "public address") {
		t.Fatalf("code without any base: %v", c)
	}
	// In the asker's language.
	req := withCookie(newRequest(t, "GET", "/api/organizations/maple/invite-code", nil), cookie)
	req.Header.Set("Accept-Language", "fi")
	fi := decodeBody(t, e.serve(req))
	if p, _ := fi["base_problem"].(string); p == "" || p == c["base_problem"] {
		t.Fatalf("the problem in Finnish: %q (English %q)", p, c["base_problem"])
	}
}

// In the desktop window the switch is the same admin route, mounted
// in-process: it opens a real listener that serves the public pages.
func TestLANRoutesDesktop(t *testing.T) {
	e := newEnv(t, apptest.Desktop, func(c *httpapi.Config) { c.Assets = testAssets; c.PublicAddr = "127.0.0.1:0" })
	st := call[httpapi.PublicStatus](t, e, "POST", "/api/lan", nil, "", 200)
	if !st.Open || len(st.URLs) != 1 {
		t.Fatalf("opened %+v", st)
	}
	if status, body, _ := lanDo(t, "GET", st.URLs[0]+"/join", nil); status != 200 || !bytes.Contains(body, []byte("<title>Rollcall")) {
		t.Fatalf("/join over the LAN = %d", status)
	}
	if status, _, _ := lanDo(t, "GET", st.URLs[0]+"/api/organizations", nil); status != 404 {
		t.Fatalf("admin route over the LAN = %d, want 404", status)
	}
	call[httpapi.PublicStatus](t, e, "DELETE", "/api/lan", nil, "", 200)
	if _, err := noRedirect.Get(st.URLs[0] + "/healthz"); err == nil {
		t.Fatal("still answering after DELETE /api/lan")
	}
}

// Every route of the table that is neither public nor the admin sign-in
// itself asks for a signed-in admin under serve.
func TestEveryAdminRouteNeedsSession(t *testing.T) {
	e := newEnv(t)
	f := e.fixture(t)
	signIn := map[string]bool{"GET /api/setup": true, "POST /api/setup": true, "GET /api/session": true, "POST /api/session": true, "DELETE /api/session": true}
	repl := strings.NewReplacer("{org}", f.org, "{group}", f.group, "{user}", f.user, "{job}", f.job, "{link}", "l1", "{code}", "ZZZZ0000")
	n := 0
	for _, r := range allRoutes(t) {
		if isPublic(r) || signIn[r.method+" "+r.path] || r.path == "/api/" {
			continue
		}
		n++
		status, body := e.do(t, r.method, repl.Replace(r.path), map[string]any{}, "")
		if status != http.StatusUnauthorized {
			t.Errorf("%s %s without a session = %d %v, want 401", r.method, r.path, status, body)
		}
	}
	t.Logf("%d admin routes refused without a session", n)
}

// The LAN listener accepts a Host that is the IP the connection came in
// on, whatever addresses the laptop had when the listener was opened (it
// may have joined another network since); another IP or a name is refused.
func TestPublicListenerHostIsLocalIP(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.Assets = testAssets })
	h := e.Server.PublicHandler()
	for _, c := range []struct {
		local, host string
		want        int
	}{
		{"192.168.7.7:8081", "192.168.7.7:8081", 200},
		{"[2001:db8::7]:8081", "[2001:db8::7]:8081", 200},
		{"192.168.7.7:8081", "192.168.7.8:8081", 400},
		{"192.168.7.7:8081", "attacker.example:8081", 400},
	} {
		req := httptest.NewRequest("GET", "http://"+c.host+"/healthz", nil)
		local, _ := net.ResolveTCPAddr("tcp", c.local)
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("Host %s on a connection to %s = %d, want %d", c.host, c.local, rec.Code, c.want)
		}
	}
}

// blockingStore holds the first invite-link look-up until released: a
// request under way through the LAN listener.
type blockingStore struct {
	app.Store
	entered, release chan struct{}
	once             sync.Once
}

func (b *blockingStore) InviteLinkByToken(ctx context.Context, hash string) (*app.InviteLink, error) {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
	return b.Store.InviteLinkByToken(ctx, hash)
}

// Closing the LAN listener lets a request under way finish (up to
// StopTimeout) and returns only then, so the database can close after it.
func TestStopPublicWaitsForRequests(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.Assets = testAssets })
	bs := &blockingStore{Store: e.App.Store, entered: make(chan struct{}), release: make(chan struct{})}
	e.App.Store = bs
	base := openLAN(t, e)
	type answer struct {
		status int
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := noRedirect.Post(base+"/api/public/links/info", "application/json", strings.NewReader(`{"token":"whatever"}`))
		if err != nil {
			got <- answer{err: err}
			return
		}
		resp.Body.Close()
		got <- answer{status: resp.StatusCode}
	}()
	<-bs.entered
	stopped := make(chan error, 1)
	go func() { stopped <- e.Server.StopPublic() }()
	// Release the request only once the listener has stopped accepting.
	host := strings.TrimPrefix(base, "http://")
	for {
		c, err := net.Dial("tcp", host)
		if err != nil {
			break
		}
		c.Close()
		runtime.Gosched()
	}
	close(bs.release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	// The request under way was answered, not cut.
	if a := <-got; a.err != nil || a.status != http.StatusNotFound {
		t.Fatalf("the request under way got %d, %v; want its 404 answer", a.status, a.err)
	}
}
