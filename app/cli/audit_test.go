package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// `rollcall audit` lists what commands changed, by the command line, with
// filters by organization, action and date, and as formula-safe CSV.
func TestAuditCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	for _, args := range [][]string{
		{"org", "create", "--db", db, "--slug", "maple", "--name", "Maple Primary"},
		{"org", "create", "--db", db, "--slug", "birch", "--name", "Birch Secondary"},
		{"group", "create", "--db", db, "--org", "maple", "--name", "=5A"},
	} {
		if code, _, stderr := run(t, "", args...); code != 0 {
			t.Fatalf("rollcall %q: %d %s", args, code, stderr)
		}
	}
	code, out, stderr := run(t, "", "audit", "--db", db)
	if code != 0 || strings.Count(out, "organization.create") != 2 || !strings.Contains(out, "group.create") || !strings.Contains(out, "cli command line") {
		t.Fatalf("audit: %d %q %q", code, out, stderr)
	}
	if _, out, _ = run(t, "", "audit", "--db", db, "--org", "birch"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "Birch") {
		t.Errorf("audit --org birch:\n%s", out)
	}
	if _, out, _ = run(t, "", "audit", "--db", db, "--action", "group.create", "--csv"); !strings.HasPrefix(out, "\ufefftime,") || !strings.Contains(out, ",'=5A,") || strings.Count(out, "\r\n") != 2 {
		t.Errorf("audit --csv:\n%q", out)
	}
	if _, out, _ = run(t, "", "audit", "--db", db, "--since", "2999-01-01"); !strings.Contains(out, "No audit entries match") {
		t.Errorf("audit --since the future:\n%s", out)
	}
	if code, _, stderr = run(t, "", "audit", "--db", db, "--since", "soon"); code != 2 || !strings.Contains(stderr, "YYYY-MM-DD") {
		t.Errorf("audit --since soon: %d %q", code, stderr)
	}
}
