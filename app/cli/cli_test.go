package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/store"
)

// run runs the command line in-process and returns exit status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := m.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	steps := []struct {
		args   []string
		stdin  string
		code   int
		output string // expected in stdout (code 0) or stderr
	}{
		{[]string{"org", "create", "--name", "Maple Primary", "--slug", "maple", "--db", db}, "", 0, "Organization Maple Primary created (slug maple, school)"},
		{[]string{"org", "create", "--name", "Maple Again", "--slug", "maple", "--db", db}, "", 1, "taken"},
		{[]string{"org", "create", "--name", "", "--db", db}, "", 2, "--name is required"},
		{[]string{"org", "create", "--name", "Bad\x07Name", "--db", db}, "", 1, "control character"},
		{[]string{"org", "create", "--name", "Oak Corp", "--kind", "enterprise", "--db", db}, "", 0, "slug oak-corp, enterprise"},
		{[]string{"org", "set", "--org", "maple", "--public-url", "https://rollcall.maple.example", "--login-domain", "pupils.maple.example", "--language", "fi", "--db", db}, "", 0, "updated"},
		{[]string{"org", "set", "--org", "maple", "--public-url", "ftp://x", "--db", db}, "", 1, "http://"},
		{[]string{"org", "list", "--db", db}, "", 0, "maple     Maple Primary  school      fi        https://rollcall.maple.example"},
		{[]string{"group", "create", "--org", "maple", "--name", "3B", "--db", db}, "", 0, "Group 3B created (class, new members are students)"},
		{[]string{"group", "create", "--org", "maple", "--name", "Science", "--kind", "department", "--db", db}, "", 0, "new members are teachers"},
		{[]string{"group", "create", "--org", "nowhere", "--name", "3B", "--db", db}, "", 1, `There is no organization "nowhere"`},
		{[]string{"users", "list", "--org", "maple", "--db", db}, "", 0, "(0 users)"},
		{[]string{"users", "list", "--db", db}, "", 2, "--org is required"},
		{[]string{"admin", "create", "--username", "root", "--db", db}, "long enough 123\n", 0, "Admin root created"},
		{[]string{"admin", "create", "--username", "weak", "--db", db}, "short\n", 1, "too short"},
		{[]string{"admin", "create", "--username", "none", "--db", db}, "", 1, "standard input"},
		{[]string{"version"}, "", 0, "rollcall dev"},
		{[]string{"frobnicate"}, "", 2, `unknown command "frobnicate"`},
		{[]string{"org"}, "", 2, "needs a subcommand"},
		{[]string{"serve", "--bogus"}, "", 2, "flag provided but not defined: -bogus"},
		{[]string{"serve", "--help"}, "", 0, "Usage: rollcall serve"},
		{[]string{"backup", "--db", db}, "", 2, "takes 1 argument"},
		{[]string{}, "", 2, "this build has no desktop window"},
	}
	for _, s := range steps {
		code, out, errOut := run(t, s.stdin, s.args...)
		where := out
		if s.code != 0 || strings.Contains(s.output, "Usage") {
			where = errOut
		}
		if code != s.code || !strings.Contains(where, s.output) {
			t.Errorf("rollcall %q: exit %d, want %d; stdout %q stderr %q; want %q", s.args, code, s.code, out, errOut, s.output)
		}
	}

	// users list --json calls the same service as the API and prints JSON.
	d, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	code, out, _ := run(t, "", "users", "list", "--org", "maple", "--json", "--db", db)
	var users []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &users) != nil || len(users) != 0 {
		t.Fatalf("users list --json: exit %d, %q", code, out)
	}
}

func TestDBPathDefault(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	m := &Main{Getenv: func(string) string { return "" }}
	p, err := m.dbPath("")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "rollcall", "rollcall.db"); p != want {
		t.Fatalf("default path = %q, want %q", p, want)
	}
	fi, err := os.Stat(filepath.Dir(p))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("folder mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	m.Getenv = func(k string) string {
		if k == "ROLLCALL_DB" {
			return filepath.Join(dir, "env.db")
		}
		return ""
	}
	if p, _ := m.dbPath(""); p != filepath.Join(dir, "env.db") {
		t.Fatalf("ROLLCALL_DB ignored: %q", p)
	}
	if p, _ := m.dbPath("/tmp/flag.db"); p != "/tmp/flag.db" {
		t.Fatalf("--db ignored: %q", p)
	}
}

// startServe runs `serve` in-process on a free port and returns its address.
func startServe(t *testing.T, db string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" },
		Listening: func(addr string) { addrc <- addr }}
	go func() { done <- m.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db}) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	})
	select {
	case addr := <-addrc:
		return addr
	case code := <-done:
		t.Fatalf("serve exited %d before listening", code)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func TestServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	addr := startServe(t, db)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("healthz = %d %q", resp.StatusCode, body)
	}
	// The frontend is served, with a strict CSP.
	resp, err = http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("<title>Rollcall</title>")) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "object-src 'none'") {
		t.Fatalf("index = %d %q %v", resp.StatusCode, body, resp.Header)
	}

	// backup works while serve holds the file: through the running server.
	out := filepath.Join(t.TempDir(), "backup.db")
	code, stdout, stderr := run(t, "", "backup", "--db", db, out)
	if code != 0 || !strings.Contains(stdout, "checked") {
		t.Fatalf("backup while serving: exit %d %q %q", code, stdout, stderr)
	}
	if err := store.Verify(out); err != nil {
		t.Fatal(err)
	}
	// admin create works beside serve too, through the running server.
	code, stdout, stderr = run(t, "maple office pw 1\n", "admin", "create", "--username", "second", "--db", db)
	if code != 0 || !strings.Contains(stdout, "Admin second created") {
		t.Fatalf("admin create while serving: exit %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = run(t, "maple office pw 1\n", "admin", "create", "--username", "SECOND", "--db", db)
	if code != 1 || !strings.Contains(stderr, "already an admin called") {
		t.Fatalf("duplicate admin while serving: exit %d %q", code, stderr)
	}
	// Changing an admin works beside serve too (issue 10 #8b).
	if code, _, stderr = run(t, "birch garden pw 3\n", "admin", "create", "--username", "third", "--db", db); code != 0 {
		t.Fatalf("admin create third: %q", stderr)
	}
	for _, sub := range []string{"disable", "enable", "delete"} {
		code, stdout, stderr = run(t, "", "admin", sub, "--username", "second", "--db", db)
		if code != 0 || !strings.Contains(stdout, "Admin second is") {
			t.Fatalf("admin %s while serving: exit %d %q %q", sub, code, stdout, stderr)
		}
	}
	// A local token that is wrong is refused.
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/backup", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong backup token: %d", resp.StatusCode)
	}
}

var binary string // built once by TestMain for the tests that need processes

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rollcall-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "rollcall")
	if out, err := exec.Command("go", "build", "-o", binary, "rollcall").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Starting serve twice on one file: the second exits non-zero within 2 s
// and says the database is already open.
func TestServeSecondInstance(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	first := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--db", db)
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		first.Process.Signal(os.Interrupt)
		first.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(line, "Rollcall is running at") {
		t.Fatalf("first serve: %q, %v", line, err)
	}

	start := time.Now()
	second := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--db", db)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	err = second.Run()
	elapsed := time.Since(start)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second serve: %v, want exit status 1", err)
	}
	if !strings.Contains(stderr.String(), "already open by another Rollcall") {
		t.Fatalf("second serve said %q", stderr.String())
	}
	if elapsed >= 2*time.Second {
		t.Fatalf("second serve took %v, want < 2 s", elapsed)
	}
	t.Logf("second instance refused after %v", elapsed.Round(time.Millisecond))

	// The first one stops cleanly on SIGINT and removes its note for backup.
	first.Process.Signal(os.Interrupt)
	if err := first.Wait(); err != nil {
		t.Fatalf("first serve on SIGINT: %v", err)
	}
	if _, err := os.Stat(db + ".serve"); !os.IsNotExist(err) {
		t.Fatalf("%s.serve left behind: %v", db, err)
	}
}

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

// `code show` follows the app's rule for a code that does not work: an
// expired or used-up code says so and why (it used to say "works").
func TestCodeShowSaysWhyNot(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "r.db")
	if code, _, stderr := run(t, "", "org", "create", "--name", "Maple Primary", "--slug", "maple", "--db", db); code != 0 {
		t.Fatal(stderr)
	}
	run(t, "", "group", "create", "--org", "maple", "--name", "3B", "--db", db)
	run(t, "", "group", "create", "--org", "maple", "--name", "3C", "--db", db)
	d, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(d)
	a.Hash = apptest.CheapHash
	org, err := a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	g3b, _ := a.Group(ctx, org.ID, "3B")
	g3c, _ := a.Group(ctx, org.ID, "3C")
	past := time.Now().Add(-time.Hour)
	if _, err := d.ChangeInviteCode(ctx, org.ID, g3b.ID, func(c *app.InviteCode) error { c.ExpiresAt = &past; return nil }); err != nil {
		t.Fatal(err)
	}
	one := 1
	c, err := a.UpdateInviteCode(ctx, "maple", "3C", app.InviteCodeUpdate{MaxUses: &one})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SignUpWithCode(ctx, c.Code, app.SignUpForm{FirstName: "Ada", Username: "ada.3c", Password: "correct horse 42", Group: g3c.ID}, "test"); err != nil {
		t.Fatal(err)
	}
	d.Close()

	for group, want := range map[string]string{
		"3B": "The code does not work: it expired on " + past.Local().Format("2006-01-02 15:04"),
		"3C": "The code does not work: it has been used 1 of 1 times allowed",
	} {
		code, out, stderr := run(t, "", "code", "show", "--org", "maple", "--group", group, "--db", db)
		if code != 0 || !strings.Contains(out, want) || strings.Contains(out, "works") {
			t.Errorf("code show --group %s: %d %q %q; want %q", group, code, out, stderr, want)
		}
	}
	if code, out, _ := run(t, "", "code", "show", "--org", "maple", "--db", db); code != 0 || !strings.Contains(out, "The code works") {
		t.Errorf("the organization's own code: %d %q", code, out)
	}
}
