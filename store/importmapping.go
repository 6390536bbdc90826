package store

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// ImportMapping implements app.ImportStore: the column mapping remembered
// for a header set of the organization, or nil.
func (db *DB) ImportMapping(ctx context.Context, orgID, key string) (*app.ColumnMapping, error) {
	var m *app.ColumnMapping
	err := db.bolt.View(func(tx *bolt.Tx) error {
		k := join(orgID, key)
		if tx.Bucket(importMapsBucket).Get(k) == nil {
			return nil
		}
		m = &app.ColumnMapping{}
		return get(tx.Bucket(importMapsBucket), k, m, "")
	})
	return m, err
}

// SaveImportMapping implements app.ImportStore.
func (db *DB) SaveImportMapping(ctx context.Context, orgID, key string, m *app.ColumnMapping) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(orgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(orgID))
		}
		return put(tx.Bucket(importMapsBucket), join(orgID, key), m)
	})
}
