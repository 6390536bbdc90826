package store

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// ApproveSignUps implements app.RedeemStore: every pending user named is
// made active in one transaction; users no longer pending are skipped.
func (db *DB) ApproveSignUps(ctx context.Context, orgID string, ids []string, at time.Time) (int, error) {
	return db.eachPending(ctx, orgID, ids, func(tx *bolt.Tx, u *app.User) error {
		old := *u
		u.Status, u.UpdatedAt = app.StatusActive, at
		return putUser(tx, &old, u)
	})
}

// RejectSignUps implements app.RedeemStore: every pending user named is
// deleted, with its index entries, in one transaction.
func (db *DB) RejectSignUps(ctx context.Context, orgID string, ids []string) (int, error) {
	return db.eachPending(ctx, orgID, ids, deleteUser)
}

// eachPending calls fn, in one transaction, for each named user of the
// organization that is still pending approval; users gone or no longer
// pending are skipped. It returns how many fn handled.
func (db *DB) eachPending(ctx context.Context, orgID string, ids []string, fn func(tx *bolt.Tx, u *app.User) error) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		for _, id := range ids {
			u, err := getUser(tx, orgID, id)
			if app.ErrorCode(err) == app.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if u.Status != app.StatusPending {
				continue
			}
			if err := fn(tx, u); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
