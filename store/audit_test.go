package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/app/apptest"
)

// auditRaw is every key and value of the audit buckets, read from a backup.
func auditRaw(t *testing.T, e *apptest.Env) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.WriteBackup(f, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var raw bytes.Buffer
	b.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"audit", "audit_ids"} {
			tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error { raw.Write(k); raw.Write(v); return nil })
		}
		return nil
	})
	return raw.Bytes()
}

func auditLog(t *testing.T, e *apptest.Env) []app.AuditEntry {
	t.Helper()
	es, _, err := e.DB.AuditEntries(context.Background(), app.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// PruneAudit removes the entries older than their organization's retention
// on the injected clock and keeps the newer ones; entries of no
// organization stay as long as the longest retention.
func TestPruneAudit(t *testing.T) {
	ctx := app.WithActor(context.Background(), app.CLIActor)
	e := apptest.New(t)
	maple := MustOrg(t, e.App, "Maple Primary") // day 0
	birch := MustOrg(t, e.App, "Birch Secondary")
	days := 30
	if _, err := e.App.UpdateOrganization(ctx, maple.Slug, app.OrganizationUpdate{AuditRetentionDays: &days}); err != nil {
		t.Fatal(err)
	}
	user := func(org, name string) {
		t.Helper()
		if _, err := e.App.CreateUser(ctx, org, app.UserCreate{User: app.User{FirstName: name, Username: name}}); err != nil {
			t.Fatal(err)
		}
	}
	user(maple.Slug, "old.maple") // day 0
	user(birch.Slug, "old.birch")
	if _, err := e.App.CreateAdmin(ctx, "deputy", "a long admin pass 1", false); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(20 * 24 * time.Hour)
	user(maple.Slug, "new.maple") // day 20

	// Day 30 less a second: nothing is old enough.
	e.Clock.Set(apptest.Start.Add(30*24*time.Hour - time.Second))
	before := len(auditLog(t, e))
	if n, err := e.App.PruneAudit(ctx); err != nil || n != 0 {
		t.Fatalf("PruneAudit at day 30 - 1 s = %d, %v; want 0", n, err)
	}
	// Day 30 + 1 s: Maple's entries of day 0 go; Birch keeps 730 days, and
	// so do the entries of no organization (the admin).
	e.Clock.Set(apptest.Start.Add(30*24*time.Hour + time.Second))
	n, err := e.App.PruneAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	left := auditLog(t, e)
	if n != 3 || len(left) != before-3 { // maple's creation, its update, old.maple
		t.Fatalf("removed %d, %d left of %d: %+v", n, len(left), before, left)
	}
	for _, en := range left {
		if en.OrgID == maple.ID && !strings.HasPrefix(en.Target.Name, "new.maple") {
			t.Errorf("kept a Maple entry older than 30 days: %+v", en)
		}
	}
	var sawBirch, sawAdmin, sawNew bool
	for _, en := range left {
		sawBirch = sawBirch || strings.HasPrefix(en.Target.Name, "old.birch")
		sawAdmin = sawAdmin || en.Action == "admin.create"
		sawNew = sawNew || strings.HasPrefix(en.Target.Name, "new.maple")
	}
	if !sawBirch || !sawAdmin || !sawNew {
		t.Errorf("birch %v, admin %v, new maple %v: want all kept", sawBirch, sawAdmin, sawNew)
	}
	if bytes.Contains(auditRaw(t, e), []byte("old.maple")) {
		t.Error("the pruned entry's index is still in the audit buckets")
	}
	// Two years later Birch's go too.
	e.Clock.Add(731 * 24 * time.Hour)
	if _, err := e.App.PruneAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := auditLog(t, e); len(got) != 0 {
		t.Errorf("after 761 days %d entries are left: %+v", len(got), got)
	}
}

// ForgetPersonInAudit drops the person's name, username and email from
// every entry that names them and keeps the action and time; other people's
// entries stay as they were. Deleting a person does the same, in the
// deleting transaction.
func TestForgetPersonInAudit(t *testing.T) {
	ctx := app.WithActor(context.Background(), app.CLIActor)
	e := apptest.New(t)
	org := MustOrg(t, e.App, "Maple Primary")
	ada, err := e.App.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Ada", LastName: "Lovelace",
		Username: "ada.l", Email: "ada@maple.example"}, Password: "a fine password 1"})
	if err != nil {
		t.Fatal(err)
	}
	bo, err := e.App.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Bo", LastName: "Lind", Username: "bo.lind"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.SignInUserFrom(ctx, app.SignIn{Login: "ada@maple.example", Password: "a fine password 1", Client: "192.0.2.1"}); err != nil {
		t.Fatal(err) // Ada as actor
	}
	if _, err := e.App.SetUserStatus(ctx, org.Slug, ada.ID, app.StatusDeactivated); err != nil {
		t.Fatal(err)
	}
	before := auditLog(t, e)
	for _, s := range []string{"Lovelace", "ada.l"} {
		if !bytes.Contains(auditRaw(t, e), []byte(s)) {
			t.Fatalf("%q is not in the log to begin with", s)
		}
	}

	if err := e.DB.ForgetPersonInAudit(ctx, ada.ID); err != nil {
		t.Fatal(err)
	}
	after := auditLog(t, e)
	if len(after) != len(before) {
		t.Fatalf("%d entries after forgetting, %d before", len(after), len(before))
	}
	raw := auditRaw(t, e)
	for _, s := range []string{"Lovelace", "Ada", "ada.l", "ada@maple.example"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q is still in the audit log", s)
		}
	}
	forgotten := 0
	for i, en := range after {
		b := before[i]
		if en.ID != b.ID || en.Action != b.Action || !en.Time.Equal(b.Time) || en.Actor.Kind != b.Actor.Kind {
			t.Errorf("entry changed beyond the name: %+v → %+v", b, en)
		}
		if en.Involves(ada.ID) {
			forgotten++
			if en.Target.ID == ada.ID && en.Target.Name != app.DeletedPerson || en.Actor.ID == ada.ID && en.Actor.Name != app.DeletedPerson {
				t.Errorf("entry %s names Ada still: %+v", en.Action, en)
			}
		}
		if en.Target.ID == bo.ID && en.Target.Name != "Bo Lind (bo.lind)" {
			t.Errorf("Bo's entry lost his name: %+v", en)
		}
	}
	if forgotten != 3 { // created, signed in, deactivated
		t.Errorf("%d entries involve Ada, want 3", forgotten)
	}

	// Deleting Bo forgets him in the same transaction; the deletion's own
	// entry names no one.
	if err := e.App.DeleteUser(ctx, org.Slug, bo.ID); err != nil {
		t.Fatal(err)
	}
	if raw := auditRaw(t, e); bytes.Contains(raw, []byte("Lind")) || bytes.Contains(raw, []byte("bo.lind")) {
		t.Error("Bo's name is in the audit log after his deletion")
	}
	if last := auditLog(t, e)[0]; last.Action != "user.delete" || last.Target.ID != bo.ID || last.Target.Name != app.DeletedPerson {
		t.Errorf("the deletion's entry: %+v", last)
	}
}
