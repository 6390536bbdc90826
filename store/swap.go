package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds one transaction of Compact's copy.
const compactTxSize = 16 << 20

// swap replaces the open file by a new one while the database stays in use:
// it waits for the transactions under way and holds the next ones back;
// prepare writes the new file at tmp (a path beside the database) and may
// read the current one through cur; the new file is checked, renamed over
// the database and opened, and its buckets and schema brought up to date.
// Until the rename the database is untouched; if the renamed file cannot be
// opened, the old one is put back.
func (db *DB) swap(prepare func(cur *bolt.DB, tmp string) error) error {
	b := db.bolt
	b.mu.Lock()
	defer b.mu.Unlock()
	tmp := db.Path + ".swap"
	os.Remove(tmp)
	defer os.Remove(tmp)
	if err := prepare(b.DB, tmp); err != nil {
		return err
	}
	if err := Verify(tmp); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	old := db.Path + ".before-swap"
	opts := bolt.Options{Timeout: OpenTimeout}
	// The old file is closed cleanly: it is kept as old until the new one is open.
	if err := b.DB.Update(func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Delete(openKey) }); err != nil {
		return err
	}
	if err := b.DB.Close(); err != nil {
		return err
	}
	reopen := func(path string) error {
		nb, err := openBolt(path, &opts)
		if err != nil {
			return err
		}
		if err := nb.Update(db.init); err != nil {
			nb.Close()
			return err
		}
		b.DB = nb
		return nil
	}
	if err := os.Rename(db.Path, old); err != nil {
		return errors.Join(err, reopen(db.Path))
	}
	if err := os.Rename(tmp, db.Path); err != nil {
		return errors.Join(err, os.Rename(old, db.Path), reopen(db.Path))
	}
	if err := reopen(db.Path); err != nil {
		os.Remove(db.Path)
		return errors.Join(fmt.Errorf("open the new file: %w", err), os.Rename(old, db.Path), reopen(db.Path))
	}
	syncDir(db.Path)
	// Copying the file built much on the heap (bbolt's nodes of every
	// page): it goes back to the system now, not when the runtime gets
	// round to it, so Rollcall at rest stays small after a compaction.
	defer debug.FreeOSMemory()
	return os.Remove(old)
}

// finishSwap settles a swap that a crash interrupted, before the file is
// opened: between its two renames the database is only at the old name,
// and it is put back; after them the old file is left over (it may hold
// the bytes of purged people) and is removed, as is a half-written new one.
func finishSwap(path string) error {
	old := path + ".before-swap"
	if _, err := os.Stat(old); err == nil {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(old, path); err != nil {
				return fmt.Errorf("put back %s, left by an interrupted compaction or restore: %w", path, err)
			}
		} else if err := os.Remove(old); err != nil {
			return err
		}
	}
	for _, tmp := range []string{path + ".swap", path + ".swap.in"} { // .in: a restore's staged copy
		if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Compact rewrites the database into a new file holding only live pages and
// swaps it in, so that the bytes of deleted records are gone from the file
// (bbolt keeps freed pages, with their old contents, for reuse).
func (db *DB) Compact() error {
	return db.swap(func(cur *bolt.DB, tmp string) error {
		dst, err := openBolt(tmp, &bolt.Options{Timeout: OpenTimeout})
		if err != nil {
			return err
		}
		err = bolt.Compact(dst, cur, compactTxSize)
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// Restore replaces the database by a copy of the backup at from, while the
// database stays in use. The backup is checked first (it opens, bbolt's
// check is clean, it is a Rollcall file of a schema this code knows);
// nothing changes when it is refused. The copy is brought to the current
// schema, everyone erased in the current file is erased in it again (and
// remembered there), and it is compacted, so no erased person's bytes come
// back with an older backup. Of its sessions only those still live now are
// kept: a sign-out since the backup stays a sign-out. It returns how many
// people were erased again.
func (db *DB) Restore(ctx context.Context, from string) (int, error) {
	if err := Verify(from); err != nil {
		return 0, err
	}
	if err := checkSchema(from); err != nil {
		return 0, err
	}
	var n int
	err := db.swap(func(cur *bolt.DB, tmp string) error {
		var erased, sessions map[string]bool
		if err := cur.View(func(tx *bolt.Tx) (err error) {
			if erased, err = erasedPeople(tx); err != nil {
				return err
			}
			sessions, err = keysOf(tx.Bucket(sessionsBucket))
			return err
		}); err != nil {
			return err
		}
		staged := tmp + ".in"
		defer os.Remove(staged)
		if err := copyFile(from, staged); err != nil {
			return err
		}
		nb, err := openBolt(staged, &bolt.Options{Timeout: OpenTimeout})
		if err != nil {
			return err
		}
		defer nb.Close()
		if err := nb.Update(db.init); err != nil {
			return err
		}
		if err := nb.Update(func(tx *bolt.Tx) (err error) {
			if n, err = eraseAgain(tx, erased); err != nil {
				return err
			}
			return keepOnly(tx.Bucket(sessionsBucket), sessions)
		}); err != nil {
			return err
		}
		dst, err := openBolt(tmp, &bolt.Options{Timeout: OpenTimeout})
		if err != nil {
			return err
		}
		err = bolt.Compact(dst, nb, compactTxSize)
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return n, err
}

// checkSchema refuses a file that is not Rollcall's or was written by a
// newer Rollcall.
func checkSchema(path string) error {
	b, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: OpenTimeout})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil || meta.Get(schemaKey) == nil {
			return &DamagedError{Path: path, Kind: Foreign, Problem: "it is a bbolt database, but without Rollcall's schema"}
		}
		raw := meta.Get(schemaKey)
		if len(raw) != 8 {
			return &DamagedError{Path: path, Kind: Foreign, Problem: "its schema version is not one Rollcall writes"}
		}
		if v := binary.BigEndian.Uint64(raw); v > SchemaVersion() {
			return fmt.Errorf("%s was written by a newer Rollcall (schema %d; this one knows %d)", path, v, SchemaVersion())
		}
		return nil
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes a rename in path's folder durable, where the system allows.
func syncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
