package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// rollcall scim token add|list|revoke: the secret is printed once, the list
// shows the token without it, and revoke takes it away.
func TestSCIMTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := m.Run(context.Background(), append(args, "--db", db))
		return code, out.String(), errb.String()
	}
	if code, _, errs := run("org", "create", "--name", "Maple Primary", "--slug", "maple"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := run("scim", "token", "add", "--org", "maple", "--name", "Entra ID")
	if code != 0 || !strings.Contains(out, "Secret token: scim_") {
		t.Fatalf("token add = %d %q %q", code, out, errs)
	}
	secret := strings.Fields(out[strings.Index(out, "Secret token: "):])[2]
	id := strings.TrimSuffix(strings.Fields(out[strings.Index(out, "(ID "):])[1], ").")
	code, out, _ = run("scim", "token", "list", "--org", "maple")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "Entra ID") || !strings.Contains(out, "never used") || strings.Contains(out, secret) {
		t.Fatalf("token list = %d %q", code, out)
	}
	if code, _, errs := run("scim", "token", "add", "--org", "maple", "--name", "entra id"); code != 1 || !strings.Contains(errs, "exists already") {
		t.Errorf("a second token of the same name = %d %q", code, errs)
	}
	if code, _, errs := run("scim", "token", "revoke", "--org", "maple", "--id", id); code != 0 {
		t.Fatal(errs)
	}
	if _, out, _ = run("scim", "token", "list", "--org", "maple"); strings.Contains(out, id) {
		t.Errorf("the revoked token is still listed: %q", out)
	}
	if code, _, _ := run("scim", "token"); code != 2 {
		t.Errorf("scim token without an action = %d, want 2", code)
	}
}
