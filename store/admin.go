package store

import (
	"context"
	"sort"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// adminRecord keeps the password hash the domain type hides from JSON.
type adminRecord struct {
	*app.Admin
	PasswordHash string `json:"password_hash"`
	// TOTP is the two-step secret (sealed) and recovery code hashes.
	TOTP *app.AdminTOTP `json:"totp,omitempty"`
}

// recordOf is what is stored for adm.
func recordOf(adm *app.Admin) adminRecord {
	rec := adminRecord{Admin: adm, PasswordHash: adm.PasswordHash}
	if t := adm.TOTP; !t.IsZero() {
		rec.TOTP = &t
	}
	return rec
}

const adminNotFound = "There is no such admin."

// CreateAdmin implements app.AdminStore.
func (db *DB) CreateAdmin(ctx context.Context, adm *app.Admin, onlyFirst bool) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if onlyFirst && tx.Bucket(adminsBucket).Stats().KeyN > 0 {
			return app.Errorf(app.ECONFLICT, "Rollcall already has an admin; sign in instead.")
		}
		err := claim(tx.Bucket(adminNamesBucket), []byte(app.LoginKey(adm.Username)), adm.ID, func() error {
			return app.FieldError(app.ECONFLICT, "username", "There is already an admin called %q.", adm.Username)
		})
		if err != nil {
			return err
		}
		return put(tx.Bucket(adminsBucket), []byte(adm.ID), recordOf(adm))
	})
}

func getAdmin(tx *bolt.Tx, id []byte) (*app.Admin, error) {
	adm := &app.Admin{}
	rec := adminRecord{Admin: adm}
	if err := get(tx.Bucket(adminsBucket), id, &rec, adminNotFound); err != nil {
		return nil, err
	}
	adm.PasswordHash = rec.PasswordHash
	if rec.TOTP != nil {
		adm.TOTP = *rec.TOTP
	}
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
	return db.update(ctx, func(tx *bolt.Tx) error {
		if _, err := getAdmin(tx, []byte(adm.ID)); err != nil {
			return err
		}
		return put(tx.Bucket(adminsBucket), []byte(adm.ID), recordOf(adm))
	})
}

// Admins implements app.AdminStore: every admin, oldest first.
func (db *DB) Admins(ctx context.Context) ([]*app.Admin, error) {
	var out []*app.Admin
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(adminsBucket).ForEach(func(k, _ []byte) error {
			adm, err := getAdmin(tx, k)
			if err == nil {
				out = append(out, adm)
			}
			return err
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// activeAdmins counts the admins who are not disabled.
func activeAdmins(tx *bolt.Tx) (int, error) {
	n := 0
	err := tx.Bucket(adminsBucket).ForEach(func(k, _ []byte) error {
		adm, err := getAdmin(tx, k)
		if err == nil && !adm.Disabled {
			n++
		}
		return err
	})
	return n, err
}

// ChangeAdmin implements app.AdminStore.
func (db *DB) ChangeAdmin(ctx context.Context, id string, fn func(adm *app.Admin, active int) error, endSessions bool) (*app.Admin, error) {
	var out *app.Admin
	err := db.update(ctx, func(tx *bolt.Tx) error {
		adm, err := getAdmin(tx, []byte(id))
		if err != nil {
			return err
		}
		active, err := activeAdmins(tx)
		if err != nil {
			return err
		}
		if err := fn(adm, active); err != nil {
			return err
		}
		adm.ID = id
		if endSessions {
			if err := deleteSessionsOf(tx, id); err != nil {
				return err
			}
		}
		out = adm
		return put(tx.Bucket(adminsBucket), []byte(id), recordOf(adm))
	})
	return out, err
}

// DeleteAdmin implements app.AdminStore: the admin, their name and their
// sessions go in one transaction.
func (db *DB) DeleteAdmin(ctx context.Context, id string, check func(adm *app.Admin, active int) error) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		adm, err := getAdmin(tx, []byte(id))
		if err != nil {
			return err
		}
		active, err := activeAdmins(tx)
		if err != nil {
			return err
		}
		if err := check(adm, active); err != nil {
			return err
		}
		if err := release(tx.Bucket(adminNamesBucket), []byte(app.LoginKey(adm.Username)), id); err != nil {
			return err
		}
		for _, i := range adm.Identities {
			if err := releaseAdminIdentity(tx, id, i); err != nil {
				return err
			}
		}
		if err := deleteSessionsOf(tx, id); err != nil {
			return err
		}
		return tx.Bucket(adminsBucket).Delete([]byte(id))
	})
}
