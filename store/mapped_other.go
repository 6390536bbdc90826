//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// dropMapped does nothing here (see mapped_linux.go).
func dropMapped(*bolt.DB, *bolt.Tx) {}
