package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// DamagedError says that the file at Path is not a database Rollcall can
// use: damaged, empty, or some other file. Its message names the file and
// the way out.
type DamagedError struct {
	Path string
	// Kind is what is wrong: Damaged, Empty or Foreign.
	Kind    DamageKind
	Problem string
}

// DamageKind sorts DamagedErrors by what an admin does about them.
type DamageKind int

const (
	// Damaged: a Rollcall database whose pages are broken or cut off.
	Damaged DamageKind = iota
	// Empty: a file of 0 bytes, e.g. a copy or restore that failed.
	Empty
	// Foreign: not a Rollcall database at all (another program's file).
	Foreign
)

const restoreHint = "Restore a backup: stop Rollcall, copy one of the files `rollcall backup` wrote " +
	"(each was checked when it was written) over this one, and run `rollcall check --db FILE` on it"

func (e *DamagedError) Error() string {
	switch e.Kind {
	case Empty:
		return fmt.Sprintf("the database file %s is empty (0 bytes), so it holds no Rollcall data: a copy or restore may have failed. %s. "+
			"To start a new database instead, delete the empty file first", e.Path, restoreHint)
	case Foreign:
		return fmt.Sprintf("%s is not a Rollcall database (%s); it was left untouched. Choose the right file with --db or $ROLLCALL_DB", e.Path, e.Problem)
	}
	return fmt.Sprintf("the database file %s is damaged: %s. %s", e.Path, e.Problem, restoreHint)
}

// boltMagic starts the meta page of every bbolt file (after the 16-byte page
// header): the way to tell a bbolt file from any other.
const boltMagic = 0xED0CDAED

// inspect looks at the file at path before bbolt does: whether it exists, is
// empty, is a bbolt file, and is as long as its own meta page says (a
// truncated file makes bbolt panic while it loads the free list).
func inspect(path string) (exists bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return true, fmt.Errorf("open database %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return true, fmt.Errorf("open database %s: %w", path, err)
	}
	if fi.Size() == 0 {
		return true, &DamagedError{Path: path, Kind: Empty}
	}
	// The two meta pages: the first at offset 0 holds the page size; if it
	// is damaged bbolt uses the second, one page further.
	type meta struct{ pageSize, pgid, txid uint64 }
	read := func(off int64) (meta, bool) {
		buf := make([]byte, 16+64)
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return meta{}, false
		}
		m := buf[16:]
		if binary.LittleEndian.Uint32(m[0:4]) != boltMagic || binary.LittleEndian.Uint32(m[4:8]) != 2 {
			return meta{}, false
		}
		// magic, version, pageSize, flags (4 bytes each), root bucket (16),
		// freelist, pgid, txid (8 each).
		return meta{pageSize: uint64(binary.LittleEndian.Uint32(m[8:12])),
			pgid: binary.LittleEndian.Uint64(m[40:48]), txid: binary.LittleEndian.Uint64(m[48:56])}, true
	}
	var best meta
	found := false
	if m, ok := read(0); ok {
		best, found = m, true
		if m1, ok := read(int64(m.pageSize)); ok && m1.txid > m.txid && m1.pageSize == m.pageSize {
			best = m1
		}
	} else {
		for _, ps := range []int64{4096, 8192, 16384, 65536} {
			if m, ok := read(ps); ok && m.pageSize == uint64(ps) {
				best, found = m, true
				break
			}
		}
	}
	if !found {
		if fi.Size() < 32 {
			return true, &DamagedError{Path: path, Kind: Foreign, Problem: fmt.Sprintf("it is only %d bytes long", fi.Size())}
		}
		return true, &DamagedError{Path: path, Kind: Foreign, Problem: "it does not start like a Rollcall (bbolt) database file"}
	}
	if want := best.pgid * best.pageSize; best.pageSize != 0 && uint64(fi.Size()) < want {
		return true, &DamagedError{Path: path, Problem: fmt.Sprintf("it was cut off: it is %d bytes long, but its own index needs %d", fi.Size(), want)}
	}
	return true, nil
}

// boltDB is the bbolt file with a guard on every transaction: bbolt panics
// when it reads a damaged page, and that panic becomes a DamagedError that
// names the file, so that a command says what is wrong instead of printing a
// stack trace, and a server answers instead of dropping the connection.
//
// Every transaction holds a read lock on the file; swap (compaction,
// restore) holds the write lock, so it waits for the transactions under way
// and the next ones run on the new file.
type boltDB struct {
	*bolt.DB
	path string
	mu   *sync.RWMutex
}

// View runs fn in a read transaction (bolt.DB.View) behind the guard.
func (b *boltDB) View(fn func(*bolt.Tx) error) (err error) {
	defer b.guard(&err) // after the read lock is released: the check needs the file to itself
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.DB.View(fn)
}

// Update runs fn in a write transaction (bolt.DB.Update) behind the guard.
func (b *boltDB) Update(fn func(*bolt.Tx) error) (err error) {
	defer b.guard(&err) // after the read lock is released: the check needs the file to itself
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.DB.Update(fn)
}

// Batch runs fn in a write transaction shared with other Batch calls made
// at the same time (bolt.DB.Batch: one commit, one fsync, for all), behind
// the guard. fn may run more than once: only for writes that are whole
// inside the transaction (see DB.batch).
func (b *boltDB) Batch(fn func(*bolt.Tx) error) (err error) {
	defer b.guard(&err)
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.DB.Batch(fn)
}

// guard turns a panic into a DamagedError when the file is damaged (bbolt
// rolled the transaction back before the panic reached here). A panic over
// a sound file is a bug in Rollcall, not damage, and goes on unchanged.
func (b *boltDB) guard(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if problem := b.checkAlone(); problem != nil {
		*err = &DamagedError{Path: b.path, Problem: fmt.Sprintf("%v (reading it failed with: %v)", problem, r)}
		return
	}
	panic(fmt.Sprintf("%v\n%s", r, debug.Stack()))
}

// checkAlone is check with no transaction running beside it: bbolt's check
// reads the live free list, which a committing write changes (a data race).
func (b *boltDB) checkAlone() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.check()
}

// check runs bbolt's full consistency check and returns the first problem,
// nil for a sound file. tx.Check recovers from its own panics.
func (b *boltDB) check() error {
	tx, err := b.DB.Begin(false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var first error
	for err := range tx.Check() { // drain, so the checker goroutine ends
		if first == nil {
			first = err
		}
	}
	return first
}

// openBolt opens the bbolt file behind a guard against bbolt's panics.
func openBolt(path string, opts *bolt.Options) (b *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, &DamagedError{Path: path, Problem: fmt.Sprint(r)}
		}
	}()
	b, err = bolt.Open(path, 0o600, opts)
	if err == nil {
		b.AllocSize = allocSize
	}
	return b, err
}

// allocSize is how much bbolt grows the file by at a time beyond 1 MiB
// (its default is 16 MiB, and up to 16 MiB a whole power of two): the file
// stays within 1 MiB of what it holds, at the cost of a resize and sync per
// MiB of growth.
const allocSize = 1 << 20

// DropMapped gives the file's pages read through the memory map back to
// the page cache (dropMapped): before a long task that reads little of the
// file, such as hashing a batch of passwords.
func (db *DB) DropMapped() { db.bolt.dropMapped() }

// dropMapped gives the file's pages read through the memory map back to the
// page cache (mapped_linux.go), inside a read transaction, so that the map
// stays where it is meanwhile; through View, so a compaction or restore
// swapping the file waits for it.
func (b *boltDB) dropMapped() {
	b.View(func(tx *bolt.Tx) error {
		dropMapped(tx.DB(), tx)
		return nil
	})
}
