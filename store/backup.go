package store

import (
	"errors"
	"fmt"
	"os"
)

// VerifyBackup implements app.BackupStore: the file at path opens, bbolt's
// check is clean and it is a Rollcall file of a schema this code knows (what
// Restore asks of a file before swapping it in). The error says what is
// wrong with the file in a few words, without the way out a damaged
// database file needs (a refused backup changes nothing).
func (db *DB) VerifyBackup(path string) error {
	err := Verify(path)
	if err == nil {
		err = checkSchema(path)
	}
	var d *DamagedError
	if errors.As(err, &d) {
		switch d.Kind {
		case Empty:
			return errors.New("the file is empty (0 bytes)")
		case Foreign:
			return fmt.Errorf("it is not a Rollcall database: %s", d.Problem)
		}
		return fmt.Errorf("the file is damaged: %s", d.Problem)
	}
	return err
}

// FileSize implements app.BackupStore: the size of the database file.
func (db *DB) FileSize() (int64, error) {
	db.bolt.mu.RLock() // not in the middle of a swap
	defer db.bolt.mu.RUnlock()
	fi, err := os.Stat(db.Path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
