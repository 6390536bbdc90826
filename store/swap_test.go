package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/store"

	bolt "go.etcd.io/bbolt"
)

// After a user is deleted, their name is still in the file's freed pages;
// Compact rewrites the file so that it is gone, while readers go on.
func TestCompactRemovesDeletedBytes(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	o := MustOrg(t, e.App, "Maple Primary")
	var ids []string
	for i := range 300 {
		u, err := e.App.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "Pupil", LastName: fmt.Sprintf("Zyxwvutsrq%03d", i), Username: fmt.Sprintf("zyx.%03d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	for _, id := range ids {
		if err := e.App.DeleteUser(ctx, o.Slug, id); err != nil {
			t.Fatal(err)
		}
	}
	raw := func() []byte {
		var b bytes.Buffer
		if _, err := e.DB.WriteBackup(&b, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if !bytes.Contains(raw(), []byte("Zyxwvutsrq")) {
		t.Skip("bbolt reused every freed page: nothing to show here")
	}

	// Readers and writers run while the file is swapped.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 100)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.App.Organizations(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	if err := e.DB.Compact(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a reader during the swap: %v", err)
	}
	file, err := os.ReadFile(e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte("Zyxwvutsrq")) {
		t.Error("the deleted names are still in the file after Compact")
	}
	if _, err := e.App.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "After", Username: "after.swap"}}); err != nil {
		t.Fatalf("write after the swap: %v", err)
	}
	if leftovers, _ := filepath.Glob(e.DB.Path + ".*"); len(leftovers) > 0 {
		t.Errorf("files left beside the database: %v", leftovers)
	}
}

// Restore swaps in a checked backup while the database stays open, and
// refuses a damaged, foreign or cut file without changing anything.
func TestRestore(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	MustOrg(t, e.App, "Maple Primary")
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.db")
	f, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.WriteBackup(f, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	MustOrg(t, e.App, "Oak Secondary") // after the backup

	data, _ := os.ReadFile(backup)
	bad := map[string][]byte{
		"empty.db":     {},
		"text.db":      []byte("first_name,last_name\nAda,Lovelace\n"),
		"truncated.db": data[:len(data)/2],
	}
	for name, content := range bad {
		p := filepath.Join(dir, name)
		os.WriteFile(p, content, 0o600)
		if _, err := e.DB.Restore(ctx, p); err == nil {
			t.Errorf("Restore(%s) was accepted", name)
		}
		if orgs, err := e.App.Organizations(ctx); err != nil || len(orgs) != 2 {
			t.Fatalf("after refusing %s: %d organizations, %v; want the 2 of before", name, len(orgs), err)
		}
	}
	if _, err := e.DB.Restore(ctx, backup); err != nil {
		t.Fatal(err)
	}
	orgs, err := e.App.Organizations(ctx)
	if err != nil || len(orgs) != 1 || orgs[0].Name != "Maple Primary" {
		t.Fatalf("after restore: %v, %v; want Maple Primary alone", orgs, err)
	}
}

// A crash between the two renames of a swap leaves the database only under
// its old name: the next Open puts it back instead of making a new, empty
// database. A crash after them leaves an old file that the next Open removes.
func TestOpenFinishesAnInterruptedSwap(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	MustOrg(t, app.New(db), "Maple Primary")
	db.Close()

	// Between the renames: only the old name, and a new file half written.
	if err := os.Rename(path, path+".before-swap"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path+".swap", []byte("half a file"), 0o600)
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if orgs, err := app.New(db).Organizations(ctx); err != nil || len(orgs) != 1 {
		t.Fatalf("after the interrupted swap: %d organizations, %v; want Maple back", len(orgs), err)
	}
	db.Close()

	// After the renames: the old file is left beside the database.
	os.WriteFile(path+".before-swap", []byte("old bytes of a purged person"), 0o600)
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if leftovers, _ := filepath.Glob(path + ".*"); len(leftovers) > 0 {
		t.Errorf("left beside the database: %v", leftovers)
	}
}

// A file whose schema version is not eight bytes is refused, not a panic.
func TestRestoreRefusesAShortSchemaVersion(t *testing.T) {
	e := apptest.New(t)
	bad := filepath.Join(t.TempDir(), "bad.db")
	b, err := bolt.Open(bad, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucketIfNotExists([]byte("meta"))
		return m.Put([]byte("schema_version"), []byte{1})
	})
	b.Close()
	if _, err := e.DB.Restore(context.Background(), bad); err == nil {
		t.Fatal("a file with a one-byte schema version was restored")
	}
}
