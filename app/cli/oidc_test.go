package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// rollcall app add|list|remove|rotate-key: the secret is printed once, the
// list shows the app without it, and remove takes it away.
func TestAppCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	key := filepath.Join(dir, "secret.key")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
			if k == "ROLLCALL_KEY_FILE" {
				return key
			}
			return ""
		}}
		code := m.Run(context.Background(), append(args, "--db", db))
		return code, out.String(), errb.String()
	}
	if code, _, errs := run("org", "create", "--name", "Maple Primary", "--slug", "maple"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := run("app", "add", "--org", "maple", "--name", "Moodle", "--redirect", "https://moodle.maple.example/cb", "--account-type", "teacher")
	if code != 0 || !strings.Contains(out, "Client secret: ") {
		t.Fatalf("app add = %d %q %q", code, out, errs)
	}
	secret := strings.Fields(out[strings.Index(out, "Client secret: "):])[2]
	id := strings.Fields(out[strings.Index(out, "Client ID:"):])[2]
	code, out, _ = run("app", "list", "--org", "maple")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "Moodle") || strings.Contains(out, secret) {
		t.Fatalf("app list = %d %q", code, out)
	}
	if code, _, errs := run("app", "add", "--org", "maple", "--name", "Nextcloud", "--redirect", "https://cloud.maple.example/cb", "--refresh-tokens"); code != 0 {
		t.Fatalf("app add --refresh-tokens = %d %q", code, errs)
	}
	if _, out, _ = run("app", "list", "--org", "maple"); !strings.Contains(out, "Nextcloud\tconfidential, refresh tokens") || strings.Contains(out, "Moodle\tconfidential, refresh") {
		t.Errorf("app list does not say which app has refresh tokens: %q", out)
	}
	if code, _, errs := run("app", "add", "--org", "maple", "--name", "Bad", "--redirect", "moodle"); code != 1 || !strings.Contains(errs, "not an address") {
		t.Errorf("a bad redirect = %d %q", code, errs)
	}
	if code, out, errs := run("app", "rotate-key"); code != 0 || !strings.Contains(out, "New signing key") {
		t.Errorf("rotate-key = %d %q %q", code, out, errs)
	}
	if code, _, errs := run("app", "remove", "--org", "maple", "--id", id); code != 0 {
		t.Fatal(errs)
	}
	if _, out, _ = run("app", "list", "--org", "maple"); strings.Contains(out, id) {
		t.Errorf("the removed app is still listed: %q", out)
	}
}
