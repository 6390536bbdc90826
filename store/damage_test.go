package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/store"
)

// groupMark is in every test group's name, so that the pages holding group
// records can be found in the raw file and damaged on purpose.
const groupMark = "ZQXGROUPMARK"

// populated writes a database with an organization and n groups at path,
// closes it cleanly and returns the organization's slug.
func populated(t *testing.T, path string, n int) string {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db)
	ctx := context.Background()
	o, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("%s %04d %s", groupMark, i, strings.Repeat("x", 60))
		if _, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return o.Slug
}

// DamageGroupPages overwrites with 0xFF every page of the file at path that
// holds a group's name (live pages and freed copies alike) and returns how
// many it hit.
func DamageGroupPages(tb testing.TB, path string) int {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	const page = 4096
	hit := 0
	for off := 2 * page; off+page <= len(raw); off += page {
		if bytes.Contains(raw[off:off+page], []byte(groupMark)) {
			copy(raw[off:off+page], bytes.Repeat([]byte{0xFF}, page))
			hit++
		}
	}
	if hit == 0 {
		tb.Fatal("no page holds a group")
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
	return hit
}

// wantRefused checks that err is a clear error naming the file and the way out.
func wantRefused(t *testing.T, err error, path string, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range append([]string{path}, words...) {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
}

// openNoPanic calls store.Open and fails the test (instead of crashing the
// binary) when it panics.
func openNoPanic(t *testing.T, path string) (db *store.DB, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("store.Open panicked: %v", r)
		}
	}()
	return store.Open(path)
}

func TestOpenDamaged(t *testing.T) {
	t.Run("Truncated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		populated(t, path, 300)
		fi, _ := os.Stat(path)
		if err := os.Truncate(path, fi.Size()/2); err != nil {
			t.Fatal(err)
		}
		_, err := openNoPanic(t, path)
		wantRefused(t, err, path, "damaged", "backup")
	})
	t.Run("GarbagePage", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		slug := populated(t, path, 300)
		DamageGroupPages(t, path)
		db, err := openNoPanic(t, path)
		if err != nil { // refused at open: fine, if it says why
			wantRefused(t, err, path, "damaged", "backup")
			return
		}
		defer db.Close()
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("listing groups panicked: %v", r)
				}
			}()
			_, err = app.New(db).Groups(context.Background(), slug)
		}()
		wantRefused(t, err, path, "damaged", "backup")
		wantRefused(t, db.Check(), path, "damaged")
	})
	t.Run("Empty", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := openNoPanic(t, path)
		wantRefused(t, err, path, "empty", "backup")
		if fi, _ := os.Stat(path); fi.Size() != 0 {
			t.Errorf("the empty file became a database of %d bytes", fi.Size())
		}
	})
	t.Run("TextFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.txt")
		text := strings.Repeat("name,class\nAda,3B\n", 1000)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := openNoPanic(t, path)
		wantRefused(t, err, path, "not a Rollcall database")
		if raw, _ := os.ReadFile(path); string(raw) != text {
			t.Error("the text file was changed")
		}
	})
	t.Run("ForeignBolt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		b, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucket([]byte("widgets"))
			if err != nil {
				return err
			}
			return bk.Put([]byte("a"), []byte("b"))
		}); err != nil {
			t.Fatal(err)
		}
		b.Close()
		_, err = openNoPanic(t, path)
		wantRefused(t, err, path, "not a Rollcall database")
		b, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		b.View(func(tx *bolt.Tx) error {
			if tx.Bucket([]byte("meta")) != nil {
				t.Error("Open added Rollcall's buckets to a foreign file")
			}
			return nil
		})
	})
}

// TestOpenNotClosedCleanly: a file whose last user did not close it (the
// open marker is still set) is checked on open; a sound one opens, a damaged
// one is refused even where open itself reads no broken page.
func TestOpenNotClosedCleanly(t *testing.T) {
	leaveOpen := func(t *testing.T, path string) {
		b, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("open"), []byte{1}) }); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("Sound", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		populated(t, path, 10)
		leaveOpen(t, path)
		db, err := openNoPanic(t, path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	})
	t.Run("Damaged", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		populated(t, path, 300)
		leaveOpen(t, path)
		raw, _ := os.ReadFile(path)
		// Damage only the group_names index's pages: nothing open reads.
		const page = 4096
		hit := 0
		for off := 2 * page; off+page <= len(raw); off += page {
			p := raw[off : off+page]
			if bytes.Contains(p, []byte(strings.ToLower(groupMark))) && !bytes.Contains(p, []byte(groupMark)) {
				copy(p, bytes.Repeat([]byte{0xFF}, page))
				hit++
			}
		}
		if hit == 0 {
			t.Skip("no index-only page to damage")
		}
		os.WriteFile(path, raw, 0o600)
		_, err := openNoPanic(t, path)
		wantRefused(t, err, path, "damaged", "not closed cleanly", "backup")
	})
}
