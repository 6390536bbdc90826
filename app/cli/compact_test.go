package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/store"
)

// `rollcall compact` gives back the pages of purged people: the file
// shrinks, their names leave it, the check stays clean, and the audit log
// says who compacted and the sizes.
func TestCompactCommand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	slug := populatedDB(t, path, 300)
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := db.OrganizationBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	page, err := db.FindUsers(ctx, o.ID, app.UserFilter{Page: 1, PerPage: 1000})
	if err != nil || page.Total != 300 {
		t.Fatalf("users: %v, %v", page, err)
	}
	var ids []string
	for _, u := range page.Users[:280] {
		ids = append(ids, u.ID)
	}
	gone := page.Users[0].FirstName
	if _, err := db.PurgeUsers(ctx, o.ID, ids); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.Stat(path)
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte(strings.ToLower(gone))) && !bytes.Contains(raw, []byte(gone)) {
		t.Fatalf("before compaction the file lacks %s: the grep proves nothing", gone)
	}

	code, stdout, stderr := run(t, "", "compact", "--db", path)
	if code != 0 || !strings.Contains(stdout, "Compacted:") {
		t.Fatalf("compact: exit %d %q %q", code, stdout, stderr)
	}
	after, _ := os.Stat(path)
	if after.Size() >= before.Size() {
		t.Errorf("compact: %d bytes before, %d after", before.Size(), after.Size())
	}
	raw, _ = os.ReadFile(path)
	if bytes.Contains(raw, []byte(gone)) || bytes.Contains(raw, []byte(strings.ToLower(gone))) {
		t.Errorf("after compaction the file still holds %s", gone)
	}
	if code, stdout, _ := run(t, "", "check", "--db", path); code != 0 || !strings.Contains(stdout, "no problems found") {
		t.Errorf("check after compact: %d %q", code, stdout)
	}
	code, stdout, _ = run(t, "", "audit", "--action", "database.compact", "--db", path)
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("%d bytes before, %d after", before.Size(), after.Size())) {
		t.Errorf("audit after compact: %d %q", code, stdout)
	}
	if code, stdout, _ := run(t, "", "users", "list", "--org", slug, "--db", path); code != 0 || strings.Count(stdout, "\n") < 20 {
		t.Errorf("users after compact: %d %q", code, stdout)
	}
}

// A command on a file of the previous format converts it, saying how far
// it is and where the backup of the file as it was went.
func TestCommandConvertsOldFile(t *testing.T) {
	data, err := os.ReadFile("../../store/testdata/schema4.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "", "users", "list", "--org", "maple-primary", "--db", path)
	if code != 0 || !strings.Contains(stdout, "pupil.07") {
		t.Fatalf("users list on the old file: %d %q %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "Converting people to the compact format: 30 of 30") || !strings.Contains(stderr, path+".backups/rollcall-") ||
		!strings.Contains(stderr, "-before-upgrade.db") {
		t.Errorf("stderr = %q; want the progress and the backup", stderr)
	}
	if _, stdout, stderr := run(t, "", "org", "list", "--db", path); strings.Contains(stderr, "Converting") || !strings.Contains(stdout, "maple-primary") {
		t.Errorf("opened again: %q %q", stdout, stderr)
	}
}
