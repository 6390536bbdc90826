package cli

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// call sends one request from 127.0.0.1 with the given headers.
func call(t *testing.T, method, url, body string, header map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

// failUntilLimited signs in wrongly from client (X-Forwarded-For) under ever
// new names until the address limit answers 429.
func failUntilLimited(t *testing.T, base, client string) {
	t.Helper()
	for i := range 40 {
		resp, _ := call(t, "POST", base+"/api/session", `{"username":"nobody`+strings.Repeat("x", i)+`","password":"wrong"}`,
			map[string]string{"X-Forwarded-For": client})
		if resp.StatusCode == http.StatusTooManyRequests {
			return
		}
	}
	t.Fatal("40 failed sign-ins from one address were never limited")
}

// TestServeForwardedForIgnored: without --trusted-proxy, X-Forwarded-For
// changes nothing: every request counts as its peer's (127.0.0.1), and the
// first-admin setup stays open to this computer.
func TestServeForwardedForIgnored(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	addr, _ := serveWith(t, db)
	base := "http://" + addr
	_, setup := call(t, "GET", base+"/api/setup", "", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	if setup["allowed"] != true {
		t.Fatalf("setup from this computer with a forged X-Forwarded-For = %v, want allowed", setup)
	}
	failUntilLimited(t, base, "203.0.113.1")
	resp, _ := call(t, "POST", base+"/api/session", `{"username":"someone","password":"wrong"}`, map[string]string{"X-Forwarded-For": "203.0.113.2"})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another X-Forwarded-For escaped the limit of the peer: %s", resp.Status)
	}
}

// TestServeTrustedProxy: behind --trusted-proxy the client the proxy names
// is the one the limits count, X-Forwarded-Proto https makes the session
// cookie Secure, and the first-admin setup is refused through the proxy.
func TestServeTrustedProxy(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	addr, _ := serveWith(t, db, "--trusted-proxy", "127.0.0.1/32,::1")
	base := "http://" + addr
	via := map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
	_, setup := call(t, "GET", base+"/api/setup", "", via)
	if setup["needed"] != true || setup["allowed"] != false {
		t.Fatalf("setup through the proxy = %v, want needed and not allowed", setup)
	}
	// Even a proxy on this computer naming this computer as the client.
	resp, _ := call(t, "POST", base+"/api/setup", `{"username":"intruder","password":"long enough 123"}`,
		map[string]string{"X-Forwarded-For": "127.0.0.1"})
	if resp.StatusCode < 400 {
		t.Fatalf("setup through the proxy: %s", resp.Status)
	}
	_, setup = call(t, "GET", base+"/api/setup", "", nil)
	if setup["needed"] != true {
		t.Fatal("an admin was created through the proxy")
	}

	// Create the admin from this computer's command line, then sign in
	// through the proxy: the cookie is Secure since the proxy spoke HTTPS.
	if code, _, stderr := run(t, "long enough 123\n", "admin", "create", "--username", "root", "--db", db); code != 0 {
		t.Fatalf("admin create: %s", stderr)
	}
	resp, _ = call(t, "POST", base+"/api/session", `{"username":"root","password":"long enough 123"}`, via)
	if resp.StatusCode != 200 || len(resp.Cookies()) == 0 || !resp.Cookies()[0].Secure {
		t.Fatalf("sign in through the proxy: %s, cookies %v; want a Secure cookie", resp.Status, resp.Cookies())
	}

	// The limits count the client the proxy names, not the proxy.
	failUntilLimited(t, base, "198.51.100.1")
	resp, _ = call(t, "POST", base+"/api/session", `{"username":"someone","password":"wrong"}`, map[string]string{"X-Forwarded-For": "198.51.100.2"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another client behind the proxy: %s, want 401 (its own limit)", resp.Status)
	}
	// A client may put anything in front; the proxy appends the truth.
	resp, _ = call(t, "POST", base+"/api/session", `{"username":"someone2","password":"wrong"}`, map[string]string{"X-Forwarded-For": "198.51.100.2, 198.51.100.1"})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a forged left-most X-Forwarded-For escaped the limit: %s", resp.Status)
	}
}
