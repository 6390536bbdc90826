package httpapi_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"rollcall/app"
)

func TestSetup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	getSetup := func(addr string) map[string]bool {
		t.Helper()
		req := newRequest(t, "GET", "/api/setup", nil)
		req.RemoteAddr = addr
		rec := e.serve(req)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/setup = %d, want 200", rec.Code)
		}
		m := map[string]bool{}
		for k, v := range decodeBody(t, rec) {
			m[k] = v.(bool)
		}
		return m
	}
	postSetup := func(addr, username, password string) (int, map[string]any, *http.Response) {
		t.Helper()
		req := newRequest(t, "POST", "/api/setup", map[string]string{"username": username, "password": password})
		req.RemoteAddr = addr
		rec := e.serve(req)
		return rec.Code, decodeBody(t, rec), rec.Result()
	}

	if got, want := getSetup(loopbackAddr), map[string]bool{"needed": true, "allowed": true}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("GET /api/setup from loopback = %v, want %v", got, want)
	}
	if got, want := getSetup(lanAddr), map[string]bool{"needed": true, "allowed": false}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("GET /api/setup from the network = %v, want %v", got, want)
	}

	// From the network: refused, nothing created.
	for _, addr := range []string{lanAddr, "10.0.0.7:5555", "[fd00::7]:5555", "localhost:1234"} {
		code, body, resp := postSetup(addr, adminName, adminPassword)
		checkError(t, code, body, http.StatusForbidden, app.EFORBIDDEN, "")
		if len(resp.Cookies()) != 0 {
			t.Errorf("refused setup from %s set cookies %v", addr, resp.Cookies())
		}
	}
	// Weak or malformed credentials: 400 naming the field.
	for _, tt := range []struct{ username, password, field string }{
		{adminName, "short1", "password"},
		{adminName, "no-digits-in-this-one", "password"},
		{adminName, "123456789012345", "password"},
		{"a", adminPassword, "username"},
		{"head admin", adminPassword, "username"},
		{"", adminPassword, "username"},
	} {
		code, body, _ := postSetup(loopbackAddr, tt.username, tt.password)
		checkError(t, code, body, http.StatusBadRequest, app.EINVALID, tt.field)
	}
	if n, _ := e.App.Store.CountAdmins(context.Background()); n != 0 {
		t.Fatalf("admins after refused setups = %d, want 0", n)
	}

	// From this computer (IPv6 loopback too): created and signed in.
	code, body, resp := postSetup("[::1]:4321", "  "+adminName+" ", adminPassword)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/setup = %d %v, want 201", code, body)
	}
	if got, want := body["username"], adminName; got != want {
		t.Errorf("username = %v, want %q (trimmed)", got, want)
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			cookie = c.Value
		}
	}
	session := call[map[string]any](t, e, "GET", "/api/session", nil, cookie, http.StatusOK)
	if got, want := session["username"], adminName; got != want {
		t.Errorf("session username = %v, want %q", got, want)
	}
	if got, want := session["local"], false; got != want {
		t.Errorf("session local = %v, want %v", got, want)
	}
	if got, want := getSetup(loopbackAddr)["needed"], false; got != want {
		t.Errorf("setup needed after setup = %v, want %v", got, want)
	}

	// A second setup is refused, even from this computer and even with the same name.
	for _, username := range []string{"second.admin", adminName} {
		code, body, _ := postSetup(loopbackAddr, username, "another-password-77")
		checkError(t, code, body, http.StatusConflict, app.ECONFLICT, "")
	}
	if got, want := e.signIn(t, "second.admin", "another-password-77", lanAddr).Code, http.StatusUnauthorized; got != want {
		t.Errorf("sign-in as the refused second admin = %d, want %d", got, want)
	}
	if got, want := e.signIn(t, adminName, "another-password-77", lanAddr).Code, http.StatusUnauthorized; got != want {
		t.Errorf("sign-in with the refused second password = %d, want %d", got, want)
	}
	if n, _ := e.App.Store.CountAdmins(context.Background()); n != 1 {
		t.Errorf("admins = %d, want 1", n)
	}
}

// TestSetupConcurrent: of many simultaneous first-run setups exactly one wins.
func TestSetupConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 8
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := newRequest(t, "POST", "/api/setup", map[string]string{"username": fmt.Sprintf("admin%d", i), "password": adminPassword})
			req.RemoteAddr = loopbackAddr
			codes[i] = e.serve(req).Code
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if got, want := count[http.StatusCreated], 1; got != want {
		t.Errorf("successful setups = %d, want %d (codes %v)", got, want, codes)
	}
	if got, want := count[http.StatusConflict], n-1; got != want {
		t.Errorf("409 setups = %d, want %d (codes %v)", got, want, codes)
	}
	if got, _ := e.App.Store.CountAdmins(context.Background()); got != 1 {
		t.Errorf("admins = %d, want 1", got)
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup(t)

	t.Run("wrong password", func(t *testing.T) {
		rec := e.signIn(t, adminName, adminPassword+"x", lanAddr)
		body := decodeBody(t, rec)
		checkError(t, rec.Code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
		if len(rec.Result().Cookies()) != 0 {
			t.Errorf("a failed sign-in set cookies %v", rec.Result().Cookies())
		}
		// An unknown name gets the very same answer: no account enumeration.
		rec2 := e.signIn(t, "nobody.here", adminPassword, lanAddr)
		if got, want := rec2.Code, rec.Code; got != want {
			t.Errorf("unknown user status = %d, wrong password status = %d; want the same", got, want)
		}
		if got, want := rec2.Body.String(), rec.Body.String(); got != want {
			t.Errorf("unknown user body = %q, wrong password body = %q; want the same", got, want)
		}
		for _, c := range []struct{ u, p string }{{"", ""}, {adminName, ""}, {strings.ToUpper(adminName), "CORRECT-HORSE-BATTERY-9"}} {
			if got, want := e.signIn(t, c.u, c.p, lanAddr).Code, http.StatusUnauthorized; got != want {
				t.Errorf("sign-in %q/%q = %d, want %d", c.u, c.p, got, want)
			}
		}
	})

	t.Run("cookie", func(t *testing.T) {
		rec := e.signIn(t, strings.ToUpper(adminName), adminPassword, lanAddr) // usernames are case-insensitive
		if rec.Code != http.StatusOK {
			t.Fatalf("sign-in = %d %s, want 200", rec.Code, rec.Body.String())
		}
		c := sessionCookie(t, rec)
		if !c.HttpOnly {
			t.Error("session cookie is not HttpOnly")
		}
		if got, want := c.SameSite, http.SameSiteStrictMode; got != want {
			t.Errorf("SameSite = %v, want %v", got, want)
		}
		if c.Secure {
			t.Error("session cookie is Secure over plain HTTP; the browser would drop it")
		}
		if got, want := c.Path, "/"; got != want {
			t.Errorf("Path = %q, want %q", got, want)
		}
		if got, want := c.MaxAge, int(app.AdminSessionTTL/time.Second); got != want {
			t.Errorf("MaxAge = %d, want %d", got, want)
		}
		raw, err := base64.RawURLEncoding.DecodeString(c.Value)
		if err != nil {
			t.Fatalf("cookie value %q is not base64url: %v", c.Value, err)
		}
		if got, min := len(raw)*8, 128; got < min {
			t.Errorf("session ID has %d bits, want at least %d", got, min)
		}
		if strings.Contains(rec.Body.String(), c.Value) {
			t.Error("the session token is in the response body; it belongs only in the HttpOnly cookie")
		}
		if got, want := decodeBody(t, rec)["username"], adminName; got != want {
			t.Errorf("username = %v, want %q", got, want)
		}
	})

	t.Run("secure under TLS", func(t *testing.T) {
		req := newRequest(t, "POST", "/api/session", map[string]string{"username": adminName, "password": adminPassword})
		req.TLS = &tls.ConnectionState{}
		rec := e.serve(req)
		if rec.Code != http.StatusOK {
			t.Fatalf("sign-in over TLS = %d, want 200", rec.Code)
		}
		if c := sessionCookie(t, rec); !c.Secure {
			t.Error("session cookie over HTTPS is not Secure")
		}
	})

	t.Run("new ID at each sign-in", func(t *testing.T) {
		seen := map[string]bool{}
		var first, second string
		for i := range 5 {
			c := sessionCookie(t, e.signIn(t, adminName, adminPassword, lanAddr)).Value
			if seen[c] {
				t.Fatalf("sign-in %d reused the session ID %q", i, c)
			}
			seen[c] = true
			if i == 0 {
				first = c
			} else if i == 1 {
				second = c
			}
		}
		// Two browsers each keep their own session.
		for _, c := range []string{first, second} {
			if got, want := statusOf(t, e, "GET", "/api/session", c), http.StatusOK; got != want {
				t.Errorf("GET /api/session with an earlier session = %d, want %d", got, want)
			}
		}
		// Signing in again from a browser that has a session replaces it.
		req := withCookie(newRequest(t, "POST", "/api/session", map[string]string{"username": adminName, "password": adminPassword}), first)
		rec := e.serve(req)
		if rec.Code != http.StatusOK {
			t.Fatalf("sign-in = %d, want 200", rec.Code)
		}
		renewed := sessionCookie(t, rec).Value
		if renewed == first {
			t.Fatal("sign-in with a session cookie kept the same ID")
		}
		if got, want := statusOf(t, e, "GET", "/api/organizations", first), http.StatusUnauthorized; got != want {
			t.Errorf("the replaced session = %d, want %d", got, want)
		}
		if got, want := statusOf(t, e, "GET", "/api/organizations", renewed), http.StatusOK; got != want {
			t.Errorf("the new session = %d, want %d", got, want)
		}
		if got, want := statusOf(t, e, "GET", "/api/organizations", second), http.StatusOK; got != want {
			t.Errorf("the other browser's session = %d, want %d", got, want)
		}
	})

	t.Run("token not stored", func(t *testing.T) {
		c := sessionCookie(t, e.signIn(t, adminName, adminPassword, lanAddr)).Value
		rec := e.serve(withCookie(newRequest(t, "GET", "/api/backup", nil), c))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/backup = %d, want 200", rec.Code)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte(c)) {
			t.Error("the database file holds a raw session token")
		}
		if !bytes.Contains(rec.Body.Bytes(), []byte(app.TokenHash(c))) {
			t.Error("the database file does not hold the session's hash; is the session stored at all?")
		}
		if bytes.Contains(rec.Body.Bytes(), []byte(adminPassword)) {
			t.Error("the database file holds the admin password in clear")
		}
	})
}

func statusOf(t *testing.T, e *env, method, path, cookie string) int {
	t.Helper()
	code, _ := e.do(t, method, path, nil, cookie)
	return code
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	other := sessionCookie(t, e.signIn(t, adminName, adminPassword, lanAddr)).Value

	rec := e.serve(withCookie(newRequest(t, "DELETE", "/api/session", nil), cookie))
	if got, want := rec.Code, http.StatusNoContent; got != want {
		t.Fatalf("DELETE /api/session = %d, want %d", got, want)
	}
	cleared := sessionCookie(t, rec)
	if cleared.Value != "" || cleared.MaxAge >= 0 {
		t.Errorf("sign-out cookie = %q MaxAge %d, want an empty value that expires now", cleared.Value, cleared.MaxAge)
	}
	// The server forgot the session: the old cookie, replayed, is refused everywhere.
	for _, path := range []string{"/api/session", "/api/organizations", "/api/backup"} {
		code, body := e.do(t, "GET", path, nil, cookie)
		checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	}
	code, body := e.do(t, "POST", "/api/organizations", map[string]any{"name": "Birch"}, cookie)
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	// Signing out twice, or without a session, is no error.
	for _, c := range []string{cookie, ""} {
		if got, want := statusOf(t, e, "DELETE", "/api/session", c), http.StatusNoContent; got != want {
			t.Errorf("DELETE /api/session again = %d, want %d", got, want)
		}
	}
	// Another browser's session is untouched.
	if got, want := statusOf(t, e, "GET", "/api/organizations", other), http.StatusOK; got != want {
		t.Errorf("other session after sign-out = %d, want %d", got, want)
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.Clock.Add(app.AdminSessionTTL - time.Second)
	if got, want := statusOf(t, e, "GET", "/api/organizations", cookie), http.StatusOK; got != want {
		t.Fatalf("a second before expiry = %d, want %d", got, want)
	}
	e.Clock.Add(time.Second)
	code, body := e.do(t, "GET", "/api/organizations", nil, cookie)
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	if got, want := statusOf(t, e, "GET", "/api/session", cookie), http.StatusUnauthorized; got != want {
		t.Errorf("GET /api/session at expiry = %d, want %d", got, want)
	}
}

// TestSignInLimit: failures, not attempts, are limited. Per account, the
// first app.FreeFailures cost nothing, then each failure holds the account
// for a doubling delay; per client address, app.AddressFailures in
// app.AddressWindow. While held, even the right password gets 429.
func TestSignInLimit(t *testing.T) {
	t.Parallel()
	tooMany := func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		checkError(t, rec.Code, decodeBody(t, rec), http.StatusTooManyRequests, app.ETOOMANY, "")
	}

	t.Run("per account, growing delay", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.setup(t)
		fail := func(i int) {
			t.Helper()
			rec := e.signIn(t, adminName, fmt.Sprintf("guess-%d", i), fmt.Sprintf("198.51.100.%d:1000", i))
			if got, want := rec.Code, http.StatusUnauthorized; got != want {
				t.Fatalf("failure %d = %d, want %d", i+1, got, want)
			}
		}
		for i := range app.FreeFailures { // from ever-changing addresses
			fail(i)
		}
		rec := e.signIn(t, adminName, adminPassword, "203.0.113.9:1000")
		tooMany(t, rec)
		if len(rec.Result().Cookies()) != 0 {
			t.Error("a refused sign-in set a cookie")
		}
		// Case and spaces do not make a new account key.
		tooMany(t, e.signIn(t, " "+strings.ToUpper(adminName)+" ", adminPassword, "203.0.113.10:1000"))
		// Held for FirstDelay, then one more failure holds it twice as long.
		e.Clock.Add(app.FirstDelay - time.Second)
		tooMany(t, e.signIn(t, adminName, adminPassword, "203.0.113.9:1000"))
		e.Clock.Add(time.Second)
		fail(app.FreeFailures)
		e.Clock.Add(2*app.FirstDelay - time.Second)
		tooMany(t, e.signIn(t, adminName, adminPassword, "203.0.113.9:1000"))
		e.Clock.Add(time.Second)
		if got, want := e.signIn(t, adminName, adminPassword, "203.0.113.9:1000").Code, http.StatusOK; got != want {
			t.Fatalf("sign-in after the delay = %d, want %d", got, want)
		}
		// The success forgave the account's failures.
		fail(20)
	})

	t.Run("delays", func(t *testing.T) {
		want := []time.Duration{0, 0, 0, 0, 0, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
		for n, d := range want {
			if got := app.HoldDelay(n); got != d {
				t.Errorf("HoldDelay(%d) = %v, want %v", n, got, d)
			}
		}
		if got := app.HoldDelay(1000); got != app.MaxDelay {
			t.Errorf("HoldDelay(1000) = %v, want %v", got, app.MaxDelay)
		}
	})

	t.Run("per address", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.setup(t)
		attacker := "198.51.100.7:4000"
		for i := range app.AddressFailures { // unknown accounts count against the address
			rec := e.signIn(t, fmt.Sprintf("nobody%d", i), adminPassword, attacker)
			if got, want := rec.Code, http.StatusUnauthorized; got != want {
				t.Fatalf("failure %d = %d, want %d", i+1, got, want)
			}
		}
		// The address is blocked for any account, even with the right password.
		tooMany(t, e.signIn(t, adminName, adminPassword, attacker))
		tooMany(t, e.signIn(t, adminName, adminPassword, "198.51.100.7:4001")) // another port, same address
		// Elsewhere head.admin signs in, which does not lift the attacker's block.
		if got, want := e.signIn(t, adminName, adminPassword, "203.0.113.20:1000").Code, http.StatusOK; got != want {
			t.Errorf("sign-in from another address = %d, want %d", got, want)
		}
		tooMany(t, e.signIn(t, adminName, adminPassword, attacker))

		e.Clock.Add(app.AddressWindow)
		if got, want := e.signIn(t, adminName, adminPassword, attacker).Code, http.StatusOK; got != want {
			t.Errorf("sign-in from the address after the window = %d, want %d", got, want)
		}
	})
}

// TestSignInLimitConcurrent: the limit must hold when the guesses arrive at
// once, not only one after the other.
func TestSignInLimitConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup(t)
	// A hash that takes a while to verify, as a real one does, so the
	// requests overlap.
	e.App.Hash = app.HashParams{Memory: 1024, Time: 40, Threads: 1}
	if _, err := e.App.CreateAdmin(context.Background(), "slow.admin", "slow-admin-password-1", false); err != nil {
		t.Fatal(err)
	}
	const n = 20
	codes := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := newRequest(t, "POST", "/api/session", map[string]string{"username": "slow.admin", "password": fmt.Sprintf("guess-%d", i)})
			req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1000", i+1)
			<-start
			codes[i] = e.serve(req).Code
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if got, max := count[http.StatusUnauthorized], app.FreeFailures; got > max {
		t.Errorf("%d parallel guesses were tried (401), want at most %d; the rest 429 (codes %v)", got, max, count)
	}
}
