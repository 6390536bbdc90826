package store

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// putBadge keeps the badge index in step with a user's badge: old's entry
// (nil for a new user) goes when the badge changed, u's is written.
func putBadge(tx *bolt.Tx, old, u *app.User) error {
	b := tx.Bucket(badgesBucket)
	if old != nil && old.BadgeHash != "" && old.BadgeHash != u.BadgeHash {
		if err := release(b, []byte(old.BadgeHash), old.ID); err != nil {
			return err
		}
	}
	if u.BadgeHash == "" {
		return nil
	}
	return b.Put([]byte(u.BadgeHash), []byte(u.ID))
}

// UserByBadge implements app.BadgeStore.
func (db *DB) UserByBadge(ctx context.Context, hash string) (*app.User, error) {
	var u *app.User
	err := db.bolt.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(badgesBucket).Get([]byte(hash))
		if id == nil {
			return app.Errorf(app.ENOTFOUND, "No such badge.")
		}
		var err error
		u, err = getUser(tx, "", string(id))
		if err == nil && u.BadgeHash != hash {
			return app.Errorf(app.ENOTFOUND, "No such badge.")
		}
		return err
	})
	return u, err
}
