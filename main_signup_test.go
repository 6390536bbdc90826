package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `serve --public-addr` opens the sign-up listener beside the main one: it
// serves the sign-up pages and public API, and no admin route.
func TestServePublicAddr(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	addrc, done := make(chan string, 1), make(chan int, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" },
		Listening: func(addr string) { addrc <- addr }}
	go func() {
		done <- m.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--public-addr", "127.0.0.1:0", "--db", db})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	}()
	select {
	case <-addrc:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, out.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	match := regexp.MustCompile(`Sign-up is open on this network at (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if match == nil {
		t.Fatalf("no sign-up address in %q", out.String())
	}
	lan := match[1]
	get := func(path string) (int, string) {
		t.Helper()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(lan + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/join"); code != 200 || !strings.Contains(body, "<div id=\"app\">") {
		t.Fatalf("/join = %d %.80q", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	for _, p := range []string{"/api/organizations", "/api/setup", "/api/session", "/api/backup", "/api/lan"} {
		if code, _ := get(p); code != 404 {
			t.Errorf("%s through the sign-up listener = %d, want 404", p, code)
		}
	}
	if code, _ := get("/"); code != http.StatusFound {
		t.Errorf("/ = %d, want 302 to /join", code)
	}
}

func TestServePublicAddrTaken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	first := startServe(t, filepath.Join(t.TempDir(), "other.db"))
	code, _, stderr := run(t, "", "serve", "--addr", "127.0.0.1:0", "--public-addr", first, "--db", db)
	if code != 1 || !strings.Contains(stderr, "Sign-up could not be opened on "+first) {
		t.Fatalf("exit %d, %q", code, stderr)
	}
}

func TestCodeCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	if code, _, stderr := run(t, "", "org", "create", "--name", "Maple Primary", "--slug", "maple", "--db", db); code != 0 {
		t.Fatal(stderr)
	}
	run(t, "", "group", "create", "--org", "maple", "--name", "3B", "--db", db)
	code, out, stderr := run(t, "", "code", "show", "--org", "maple", "--group", "3B", "--db", db)
	if code != 0 || !strings.Contains(out, "3B: code ") || !strings.Contains(out, "sign-up is switched off") || !strings.Contains(out, "No public address") {
		t.Fatalf("show: %d %q %q", code, out, stderr)
	}
	shown := regexp.MustCompile(`code ([0-9A-Z]{4}-[0-9A-Z]{4})`).FindStringSubmatch(out)[1]
	code, out, _ = run(t, "", "code", "new", "--org", "maple", "--group", "3B", "--db", db)
	if code != 0 || strings.Contains(out, shown) {
		t.Fatalf("new kept the code: %q", out)
	}
	pdf := filepath.Join(t.TempDir(), "poster.pdf")
	if code, _, stderr := run(t, "", "code", "poster", "--org", "maple", "--group", "3B", "--out", pdf, "--db", db); code != 1 || !strings.Contains(stderr, "no public address") {
		t.Fatalf("poster without an address: %d %q", code, stderr)
	}
	run(t, "", "org", "set", "--org", "maple", "--public-url", "https://rollcall.maple.example", "--db", db)
	if code, out, stderr := run(t, "", "code", "poster", "--org", "maple", "--group", "3B", "--paper", "letter", "--out", pdf, "--db", db); code != 0 || !strings.Contains(out, "written to") {
		t.Fatalf("poster: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "", "code", "show", "--db", db); code != 2 || !strings.Contains(stderr, "--org is required") {
		t.Fatalf("usage: %d %q", code, stderr)
	}
}
