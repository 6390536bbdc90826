package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// dropMapped tells the kernel that the pages of the file read through
// bbolt's memory map so far are not needed any more (madvise
// MADV_DONTNEED): they stop counting in Rollcall's resident memory and
// stay in the page cache, from which the next read maps them again, as
// SQLite's reads come from it. A write of thousands of people touches most
// of the index and login pages: without this every one of them stays
// resident. The map must not move meanwhile, so it is called inside a
// transaction (bbolt remaps only with no read transaction open, or in the
// writer's commit): boltDB.dropMapped opens one.
func dropMapped(b *bolt.DB, tx *bolt.Tx) {
	info := b.Info()
	if info == nil || info.Data == 0 {
		return
	}
	// tx.Size is the end of the pages in use, never past the map.
	syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}
