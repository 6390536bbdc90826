package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"rollcall/app"
	"rollcall/store"
)

// The backup the CLI writes (moved from store's TestBackup, when
// store.DB.Backup became writeFileAtomic over DB.WriteBackup here).
func TestBackup(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := app.New(db).CreateOrganization(context.Background(), &app.Organization{Name: "Maple Primary"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	n, err := writeFileAtomic(out, func(w io.Writer) (int64, error) { return db.WriteBackup(w, nil) })
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != n || n == 0 {
		t.Fatalf("wrote %d bytes, file has %d", n, fi.Size())
	}
	if err := store.Verify(out); err != nil {
		t.Fatalf("backup does not verify: %v", err)
	}
	copyDB, err := store.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	orgs, err := app.New(copyDB).Organizations(context.Background())
	if err != nil || len(orgs) != 1 {
		t.Fatalf("backup holds %v, %v", orgs, err)
	}
	// No temporary file is left beside it.
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Fatalf("backup dir holds %d entries, want 1", len(entries))
	}
}

// A write that fails leaves the file as it was and no temporary file.
func TestWriteFileAtomicFails(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	os.WriteFile(p, []byte("old"), 0o644)
	_, err := writeFileAtomic(p, func(w io.Writer) (int64, error) {
		w.Write([]byte("half"))
		return 0, errors.New("disk full")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("the file holds %q, want the old content", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("dir holds %d entries, want 1", len(entries))
	}
}
