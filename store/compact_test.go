package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

// Bulk writes in many transactions leave free pages behind (bbolt writes
// each changed page anew); once they are a fifth of the file, CompactIfDue
// compacts it without any purge, and the file shrinks; a file that is not
// sparse is left alone.
func TestCompactIfDueWhenSparse(t *testing.T) {
	ctx := context.Background()
	db := apptest.OpenDB(t)
	a := app.New(db)
	o := MustOrg(t, a, "Maple")
	if due, err := db.CompactIfDue(ctx); err != nil || due {
		t.Fatalf("a new file: CompactIfDue = %v, %v; want nothing due", due, err)
	}
	now := time.Now().UTC()
	for batch := range 25 {
		var users []*app.User
		for i := range 400 {
			n := batch*400 + i
			users = append(users, &app.User{ID: fmt.Sprintf("0190f000-0000-7000-8000-%012x", n), OrgID: o.ID,
				FirstName: fmt.Sprintf("First%d", (n*7919)%10007), LastName: fmt.Sprintf("Last%d", (n*104729)%10007),
				Username: fmt.Sprintf("user%d", (n*7919)%100003), Status: app.StatusActive, AccountType: app.TypeStudent,
				CreatedAt: now, UpdatedAt: now})
		}
		// An import writes its people in one transaction (CreateUsers
		// writes parts of store.CreatePart, which reuse each other's
		// freed pages and leave the file too dense for this test).
		imp := &app.Import{ID: fmt.Sprintf("import%d", batch), OrgID: o.ID, SHA256: fmt.Sprintf("%064x", batch), CreatedAt: now}
		if err := db.CreateImport(ctx, imp, nil, users); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.Stat(db.Path)
	due, err := db.CompactIfDue(ctx)
	if err != nil || !due {
		t.Fatalf("after 25 batches (%d bytes): CompactIfDue = %v, %v; want a compaction", before.Size(), due, err)
	}
	after, _ := os.Stat(db.Path)
	if after.Size()*5 > before.Size()*4 {
		t.Errorf("compaction: %d bytes before, %d after; want a fifth less at least", before.Size(), after.Size())
	}
	if due, err := db.CompactIfDue(ctx); err != nil || due {
		t.Errorf("right after: CompactIfDue = %v, %v; want nothing due", due, err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if p, err := db.FindUsers(ctx, o.ID, app.UserFilter{Page: 1, PerPage: 10}); err != nil || p.Total != 10000 {
		t.Fatalf("after compaction: %v, %v", p, err)
	}
}

// A bulk write of 1,000 people or more marks the file for compaction (its
// index pages are left half full); a smaller one does not.
func TestCompactIfDueAfterBulkCreate(t *testing.T) {
	ctx := context.Background()
	db := apptest.OpenDB(t)
	o := MustOrg(t, app.New(db), "Maple")
	now := time.Now().UTC()
	mk := func(from, n int) []*app.User {
		var users []*app.User
		for i := from; i < from+n; i++ {
			users = append(users, &app.User{ID: fmt.Sprintf("0190f000-0000-7000-8000-%012x", i), OrgID: o.ID, FirstName: "F", LastName: fmt.Sprint(i),
				Status: app.StatusActive, AccountType: app.TypeStudent, CreatedAt: now, UpdatedAt: now})
		}
		return users
	}
	if err := db.CreateUsers(ctx, mk(0, 999)); err != nil {
		t.Fatal(err)
	}
	if due, err := db.CompactIfDue(ctx); err != nil || due {
		t.Fatalf("after 999: CompactIfDue = %v, %v; want nothing due", due, err)
	}
	if err := db.CreateUsers(ctx, mk(999, 1000)); err != nil {
		t.Fatal(err)
	}
	if due, err := db.CompactIfDue(ctx); err != nil || !due {
		t.Fatalf("after 1,000 at once: CompactIfDue = %v, %v; want a compaction", due, err)
	}
}
