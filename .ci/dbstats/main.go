// Command dbstats prints, per bucket of a bbolt file, its keys, the bytes
// of its keys and values, and the bytes of its pages: where a file's size
// goes (`go run ./.ci/dbstats FILE`).
package main

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

func main() {
	db, err := bolt.Open(os.Args[1], 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		fi, _ := os.Stat(os.Args[1])
		fmt.Printf("%-28s %9s %11s %11s %6s\n", "bucket", "keys", "data", "pages", "fill")
		var used int
		tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			var data int
			b.ForEach(func(k, v []byte) error { data += len(k) + len(v); return nil })
			s := b.Stats()
			pages := s.BranchAlloc + s.LeafAlloc
			used += pages
			if pages > 64<<10 || s.KeyN > 1000 {
				fmt.Printf("%-28s %9d %11d %11d %5.0f%%\n", name, s.KeyN, data, pages, 100*float64(s.LeafInuse+s.BranchInuse)/float64(max(pages, 1)))
			}
			return nil
		})
		st := db.Stats()
		fmt.Printf("file %d bytes, bucket pages %d, free pages %d bytes\n", fi.Size(), used, (st.FreePageN+st.PendingPageN)*4096)
		return nil
	})
}
