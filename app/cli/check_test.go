package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/store"
)

const userMark = "zqxusermark"

// populatedDB writes a database with an admin, an organization and n users
// at path and closes it; it returns the organization's slug.
func populatedDB(t *testing.T, path string, n int) string {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db)
	a.Hash = app.HashParams{Memory: 64, Time: 1, Threads: 1}
	ctx := context.Background()
	if _, err := a.CreateAdmin(ctx, "root", "long enough 123", true); err != nil {
		t.Fatal(err)
	}
	o, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		u := app.UserCreate{User: app.User{FirstName: fmt.Sprintf("Ada%s%04d", userMark, i), LastName: "Lovelace", Username: fmt.Sprintf("ada%04d", i)}}
		if _, err := a.CreateUser(ctx, o.Slug, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return o.Slug
}

// damageUserPages fills with 0xFF every page of the file that holds a
// user's name: the users and their index, which opening the file does not read.
func damageUserPages(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	hit := 0
	for off := 2 * page; off+page <= len(raw); off += page {
		// The audit log names users too; its pages stay sound, so that
		// signing in (which writes an entry) still works.
		if p := raw[off : off+page]; bytes.Contains(bytes.ToLower(p), []byte(userMark)) && !bytes.Contains(p, []byte(`"actor":`)) {
			copy(raw[off:off+page], bytes.Repeat([]byte{0xFF}, page))
			hit++
		}
	}
	if hit == 0 {
		t.Fatal("no page holds a user")
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedFileCommands: every command on a cut-off, empty or foreign
// file says which file and what to do, with no stack trace and no new
// database; `rollcall check` reports damage with exit status 1.
func TestDamagedFileCommands(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "cut.db")
	populatedDB(t, truncated, 200)
	fi, _ := os.Stat(truncated)
	os.Truncate(truncated, fi.Size()/2)
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	text := filepath.Join(dir, "class.csv")
	os.WriteFile(text, []byte(strings.Repeat("name,class\nAda,3B\n", 500)), 0o600)

	for _, c := range []struct{ path, says string }{{truncated, "damaged"}, {empty, "empty"}, {text, "not a Rollcall database"}} {
		for _, args := range [][]string{{"org", "list"}, {"users", "list", "--org", "maple-primary"}, {"check"}} {
			args = append(args, "--db", c.path)
			code, _, stderr := run(t, "", args...)
			if code != 1 || !strings.Contains(stderr, c.path) || !strings.Contains(stderr, c.says) || strings.Contains(stderr, "goroutine") {
				t.Errorf("rollcall %q: exit %d, stderr %q; want 1 and %q naming the file", args, code, stderr, c.says)
			}
		}
	}
	if fi, _ := os.Stat(empty); fi.Size() != 0 {
		t.Errorf("the empty file became a database")
	}

	sound := filepath.Join(dir, "sound.db")
	populatedDB(t, sound, 20)
	code, stdout, stderr := run(t, "", "check", "--db", sound)
	if code != 0 || !strings.Contains(stdout, "no problems found") {
		t.Errorf("check of a sound file: exit %d %q %q", code, stdout, stderr)
	}
	damageUserPages(t, sound)
	code, stdout, stderr = run(t, "", "check", "--db", sound)
	if code != 1 || !strings.Contains(stderr, sound) || !strings.Contains(stderr, "damaged") || !strings.Contains(stderr, "backup") {
		t.Errorf("check of a damaged file: exit %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = run(t, "", "check", "--db", filepath.Join(dir, "missing.db"))
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); code != 1 || err == nil {
		t.Errorf("check of a missing file: exit %d %q; created: %v", code, stderr, err == nil)
	}
}

// TestServeDamagedPage: serve starts on a file whose user pages are
// damaged, and listing users answers with an error instead of dropping the
// connection.
func TestServeDamagedPage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	slug := populatedDB(t, db, 300)
	damageUserPages(t, db)
	addr := startServe(t, db)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post("http://"+addr+"/api/session", "application/json", strings.NewReader(`{"username":"root","password":"long enough 123"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign in: %s", resp.Status)
	}
	for range 3 { // again and again: nothing stays locked
		resp, err = c.Get("http://" + addr + "/api/organizations/" + slug + "/users")
		if err != nil {
			t.Fatalf("list users: %v (the connection was dropped instead of answered)", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e app.Error
		if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(body, &e) != nil || e.Code != app.EINTERNAL {
			t.Fatalf("list users = %s %q, want 500 with an error body", resp.Status, body)
		}
	}
	// The server still answers what is not damaged.
	resp, err = c.Get("http://" + addr + "/api/organizations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("organizations = %s", resp.Status)
	}
}
