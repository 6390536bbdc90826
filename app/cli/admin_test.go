package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// Issue 10 #8b on the command line: rollcall admin set-password, disable,
// enable and delete; the last active admin is refused in plain words.
func TestAdminChangeCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	steps := []struct {
		args   []string
		stdin  string
		code   int
		output string
	}{
		{[]string{"admin", "create", "--username", "head", "--db", db}, "maple office pw 1\n", 0, "Admin head created"},
		{[]string{"admin", "create", "--username", "deputy", "--db", db}, "oak library pw 2\n", 0, "Admin deputy created"},
		{[]string{"admin", "set-password", "--username", "deputy", "--db", db}, "Aaaaaaaaaaaa1\n", 1, "repeated or sequential"},
		{[]string{"admin", "set-password", "--username", "DEPUTY", "--db", db}, "birch garden pw 3\n", 0, "Admin DEPUTY has a new password"},
		{[]string{"admin", "disable", "--username", "deputy", "--db", db}, "", 0, "is disabled"},
		{[]string{"admin", "disable", "--username", "head", "--db", db}, "", 1, "last active admin"},
		{[]string{"admin", "delete", "--username", "head", "--db", db}, "", 1, "last active admin"},
		{[]string{"admin", "enable", "--username", "deputy", "--db", db}, "", 0, "is enabled"},
		{[]string{"admin", "delete", "--username", "head", "--db", db}, "", 0, "is deleted"},
		{[]string{"admin", "delete", "--username", "nobody", "--db", db}, "", 1, "no such admin"},
		{[]string{"admin", "disable", "--db", db}, "", 2, "--username"},
	}
	for _, s := range steps {
		code, stdout, stderr := run(t, s.stdin, s.args...)
		out := stdout
		if s.code != 0 {
			out = stderr
		}
		if code != s.code || !strings.Contains(out, s.output) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", s.args, code, stdout, stderr, s.code, s.output)
		}
	}
}
