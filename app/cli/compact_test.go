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
