package cli

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"rollcall/app/tlsca"
)

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// TestServeTLSLocal: with --tls-local, a client that trusts only the
// generated root signs in over HTTPS, the session cookie carries Secure,
// plain HTTP on --redirect-http answers with a redirect to HTTPS, and the
// root can be downloaded at /ca.crt.
func TestServeTLSLocal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	populatedDB(t, db, 0)
	addr, out := serveWith(t, db, "--tls-local", "--redirect-http", "127.0.0.1:0")
	m := regexp.MustCompile(`or copy (\S+)\.\n`).FindStringSubmatch(out.String())
	r := regexp.MustCompile(`Plain HTTP on (\S+) is redirected`).FindStringSubmatch(out.String())
	if m == nil || r == nil || !strings.Contains(out.String(), "running at https://") {
		t.Fatalf("serve said %q", out.String())
	}
	rootPEM, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("no root certificate in", m[1])
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	base := "https://" + addr

	resp, err := c.Post(base+"/api/session", "application/json", strings.NewReader(`{"username":"root","password":"long enough 123"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("sign in over HTTPS: %s", resp.Status)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "rollcall_session" {
			session = ck
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("session cookie = %+v, want Secure and HttpOnly", session)
	}
	resp, err = c.Get(base + "/api/session")
	if err != nil {
		t.Fatal(err)
	}
	var who struct{ Username string }
	json.NewDecoder(resp.Body).Decode(&who)
	resp.Body.Close()
	if resp.StatusCode != 200 || who.Username != "root" {
		t.Fatalf("session over HTTPS = %s %+v", resp.Status, who)
	}

	// A client with only the system's roots does not trust the server.
	if resp, err := (&http.Client{Transport: &http.Transport{}}).Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a client without the local root trusted the server")
	}

	// Plain HTTP is redirected; the root is served there as it is.
	plain := &http.Client{CheckRedirect: noRedirects}
	resp, err = plain.Get("http://" + r[1] + "/users?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, port, _ := strings.Cut(addr, ":")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "https://127.0.0.1:"+port+"/users?x=1" {
		t.Fatalf("plain HTTP = %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", "http://"+r[1]+"/", nil)
	req.Host = "attacker.example"
	if resp, err = plain.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("redirect for an unknown host: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	for _, u := range []string{"http://" + r[1] + "/ca.crt", base + "/ca.crt"} {
		resp, err = c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, rootPEM) || resp.Header.Get("Content-Type") != "application/x-x509-ca-cert" {
			t.Fatalf("%s = %s %q", u, resp.Status, resp.Header.Get("Content-Type"))
		}
	}

	// backup beside a serve that speaks HTTPS still works (the local
	// command pins the noted certificate).
	outFile := filepath.Join(t.TempDir(), "backup.db")
	if code, stdout, stderr := run(t, "", "backup", "--db", db, outFile); code != 0 {
		t.Fatalf("backup beside HTTPS serve: %d %q %q", code, stdout, stderr)
	}
}

// TestServeTLSFlags: the school's own certificate is loaded, and flag
// mistakes are usage errors.
func TestServeTLSFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--tls-cert", "x.pem"}, "go together"},
		{[]string{"--tls-local", "--tls-cert", "a", "--tls-key", "b"}, "not both"},
		{[]string{"--redirect-http", "127.0.0.1:0"}, "needs HTTPS"},
		{[]string{"--trusted-proxy", "nonsense"}, "neither an address nor a CIDR"},
	} {
		code, _, stderr := run(t, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.says) {
			t.Errorf("serve %q: exit %d %q, want 2 and %q", c.args, code, stderr, c.says)
		}
	}
	code, _, stderr := run(t, "", "serve", "--addr", "127.0.0.1:0", "--db", db, "--tls-cert", "missing.pem", "--tls-key", "missing.key")
	if code != 1 || !strings.Contains(stderr, "missing.pem") {
		t.Errorf("missing certificate: exit %d %q", code, stderr)
	}
}

// TestServeTLSCert: serve speaks HTTPS with a certificate it is given (here
// one made by another authority, as a school's would be).
func TestServeTLSCert(t *testing.T) {
	ca, err := tlsca.Load(filepath.Join(t.TempDir(), "school-ca"), []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	addr, out := serveWith(t, filepath.Join(t.TempDir(), "r.db"),
		"--tls-cert", filepath.Join(ca.Dir, "server.crt"), "--tls-key", filepath.Join(ca.Dir, "server.key"))
	if strings.Contains(out.String(), "local certificate authority") {
		t.Errorf("a local CA was made beside the school's certificate: %q", out.String())
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.RootPEM)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := c.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz over HTTPS = %s", resp.Status)
	}
	if resp, err := c.Get("https://" + addr + "/ca.crt"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("/ca.crt without a local CA: %v %v", resp.Status, err)
	}
}
