package store

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// adminRecord keeps the password hash the domain type hides from JSON.
type adminRecord struct {
	*app.Admin
	PasswordHash string `json:"password_hash"`
}

const adminNotFound = "There is no such admin."

// CreateAdmin implements app.AdminStore.
func (db *DB) CreateAdmin(ctx context.Context, adm *app.Admin, onlyFirst bool) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if onlyFirst && tx.Bucket(adminsBucket).Stats().KeyN > 0 {
			return app.Errorf(app.ECONFLICT, "Rollcall already has an admin; sign in instead.")
		}
		err := claim(tx.Bucket(adminNamesBucket), []byte(app.LoginKey(adm.Username)), adm.ID, func() error {
			return app.FieldError(app.ECONFLICT, "username", "There is already an admin called %q.", adm.Username)
		})
		if err != nil {
			return err
		}
		return put(tx.Bucket(adminsBucket), []byte(adm.ID), adminRecord{adm, adm.PasswordHash})
	})
}

func getAdmin(tx *bolt.Tx, id []byte) (*app.Admin, error) {
	adm := &app.Admin{}
	rec := adminRecord{Admin: adm}
	if err := get(tx.Bucket(adminsBucket), id, &rec, adminNotFound); err != nil {
		return nil, err
	}
	adm.PasswordHash = rec.PasswordHash
	return adm, nil
}

// Admin implements app.AdminStore.
func (db *DB) Admin(ctx context.Context, id string) (*app.Admin, error) {
	var adm *app.Admin
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		adm, err = getAdmin(tx, []byte(id))
		return err
	})
	return adm, err
}

// AdminByUsername implements app.AdminStore.
func (db *DB) AdminByUsername(ctx context.Context, username string) (*app.Admin, error) {
	var adm *app.Admin
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		id := tx.Bucket(adminNamesBucket).Get([]byte(app.LoginKey(username)))
		if id == nil {
			return app.Errorf(app.ENOTFOUND, adminNotFound)
		}
		adm, err = getAdmin(tx, id)
		return err
	})
	return adm, err
}

// CountAdmins implements app.AdminStore.
func (db *DB) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(adminsBucket).Stats().KeyN
		return nil
	})
	return n, err
}

// UpdateAdmin implements app.AdminStore.
func (db *DB) UpdateAdmin(ctx context.Context, adm *app.Admin) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if _, err := getAdmin(tx, []byte(adm.ID)); err != nil {
			return err
		}
		return put(tx.Bucket(adminsBucket), []byte(adm.ID), adminRecord{adm, adm.PasswordHash})
	})
}
