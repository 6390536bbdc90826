package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"rollcall/app"
	"rollcall/store"
)

// Restore stages the backup at <db>.swap.in and erases people only in that
// copy. A crash while it is staged leaves a full copy of the old backup
// (erased people included) beside the database; Open cleans up .swap and
// .before-swap, not .swap.in.
func TestOpenRemovesAStagedRestoreCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	MustOrg(t, app.New(db), "Maple Primary")
	db.Close()
	os.WriteFile(path+".swap.in", []byte("copy of an old backup: Philippa Thistlewood"), 0o600)
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if leftovers, _ := filepath.Glob(path + ".*"); len(leftovers) > 0 {
		t.Errorf("left beside the database after Open: %v", leftovers)
	}
}
