package store_test

import (
	"context"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/store"
)

// A file whose organizations and groups have no invite code yet (made
// before codes came with their owner) gets them when it is opened; reading
// codes never writes.
func TestInviteCodesMadeOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db)
	o := MustOrg(t, a, "Maple")
	if _, err := a.CreateGroup(ctx, o.ID, &app.Group{Name: "3B"}); err != nil {
		t.Fatal(err)
	}
	if codes, _ := a.InviteCodes(ctx, o.ID); len(codes) != 2 {
		t.Fatalf("%d codes after creating an organization and a group; want 2", len(codes))
	}
	db.Close()
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"invite_codes", "invite_code_owners"} {
			tx.DeleteBucket([]byte(name))
			tx.CreateBucket([]byte(name))
		}
		return nil
	})
	raw.Close()
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	a = app.New(db)
	codes, err := a.InviteCodes(ctx, o.ID)
	if err != nil || len(codes) != 2 {
		t.Fatalf("after reopening: %d codes, %v; want 2", len(codes), err)
	}
	for _, c := range codes {
		if len(c.Code) != app.CodeLength {
			t.Fatalf("code %+v", c)
		}
	}
}
