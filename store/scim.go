package store

import (
	"bytes"
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// Provisioning (app/scim.go): the directory's tokens and the settings.
var (
	scimTokensBucket      = []byte("scim_tokens")       // orgID/tokenID → token record
	scimTokenHashesBucket = []byte("scim_token_hashes") // SHA-256 of the secret → orgID/tokenID
	scimSettingsBucket    = []byte("scim_settings")     // orgID → app.SCIMSettings
	// The directory's names for people: unique per organization, and how
	// its lookups by userName and externalId are answered without a scan.
	scimUserNamesBucket   = []byte("scim_user_names")   // orgID/LoginKey(User.DirectoryName) → userID
	scimExternalIDsBucket = []byte("scim_external_ids") // orgID/User.ExternalID → userID
)

const scimTokenNotFound = "There is no such provisioning token."

// scimTokenRecord is a token as stored: with the hash of its secret.
type scimTokenRecord struct {
	*app.SCIMToken
	Hash string `json:"hash"`
}

func getSCIMToken(tx *bolt.Tx, key []byte) (*scimTokenRecord, error) {
	rec := &scimTokenRecord{SCIMToken: &app.SCIMToken{}}
	if err := get(tx.Bucket(scimTokensBucket), key, rec, scimTokenNotFound); err != nil {
		return nil, err
	}
	return rec, nil
}

// CreateSCIMToken implements app.SCIMStore.
func (db *DB) CreateSCIMToken(ctx context.Context, t *app.SCIMToken, hash string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(t.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(t.OrgID))
		}
		key := join(t.OrgID, t.ID)
		err := claim(tx.Bucket(scimTokenHashesBucket), []byte(hash), string(key), func() error {
			return app.Errorf(app.ECONFLICT, "The token is taken; make another.")
		})
		if err != nil {
			return err
		}
		return put(tx.Bucket(scimTokensBucket), key, scimTokenRecord{SCIMToken: t, Hash: hash})
	})
}

// SCIMTokens implements app.SCIMStore: oldest first (IDs are time-ordered).
func (db *DB) SCIMTokens(ctx context.Context, orgID string) ([]*app.SCIMToken, error) {
	out := []*app.SCIMToken{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		prefix := join(orgID, "")
		c := tx.Bucket(scimTokensBucket).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			rec, err := getSCIMToken(tx, k)
			if err != nil {
				return err
			}
			out = append(out, rec.SCIMToken)
		}
		return nil
	})
	return out, err
}

// SCIMTokenByHash implements app.SCIMStore.
func (db *DB) SCIMTokenByHash(ctx context.Context, hash string) (*app.SCIMToken, error) {
	var t *app.SCIMToken
	err := db.bolt.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(scimTokenHashesBucket).Get([]byte(hash))
		if key == nil {
			return app.Errorf(app.ENOTFOUND, scimTokenNotFound)
		}
		rec, err := getSCIMToken(tx, key)
		if err != nil {
			return err
		}
		t = rec.SCIMToken
		return nil
	})
	return t, err
}

// DeleteSCIMToken implements app.SCIMStore.
func (db *DB) DeleteSCIMToken(ctx context.Context, orgID, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		key := join(orgID, id)
		rec, err := getSCIMToken(tx, key)
		if err != nil {
			return err
		}
		if err := release(tx.Bucket(scimTokenHashesBucket), []byte(rec.Hash), string(key)); err != nil {
			return err
		}
		return tx.Bucket(scimTokensBucket).Delete(key)
	})
}

// TouchSCIMToken implements app.SCIMStore.
func (db *DB) TouchSCIMToken(ctx context.Context, orgID, id string, at time.Time) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		key := join(orgID, id)
		rec, err := getSCIMToken(tx, key)
		if err != nil {
			return err
		}
		rec.LastUsed = &at
		return put(tx.Bucket(scimTokensBucket), key, rec)
	})
}

// SCIMSettings implements app.SCIMStore.
func (db *DB) SCIMSettings(ctx context.Context, orgID string) (*app.SCIMSettings, error) {
	s := &app.SCIMSettings{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		err := get(tx.Bucket(scimSettingsBucket), []byte(orgID), s, "")
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil
		}
		return err
	})
	return s, err
}

// PutSCIMSettings implements app.SCIMStore.
func (db *DB) PutSCIMSettings(ctx context.Context, orgID string, s *app.SCIMSettings) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(orgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(orgID))
		}
		return put(tx.Bucket(scimSettingsBucket), []byte(orgID), s)
	})
}

// putDirectoryIndex keeps the directory's names of u (replacing old's, nil
// for a new user) in their indexes; ECONFLICT when another person of the
// organization has them.
func putDirectoryIndex(tx *bolt.Tx, old, u *app.User) error {
	names, ext := tx.Bucket(scimUserNamesBucket), tx.Bucket(scimExternalIDsBucket)
	if old != nil {
		if err := dropDirectoryIndex(tx, old); err != nil {
			return err
		}
	}
	if u.DirectoryName != "" {
		err := claim(names, join(u.OrgID, app.LoginKey(u.DirectoryName)), u.ID, func() error {
			return app.FieldError(app.ECONFLICT, "username", "The userName %q belongs to another person of this organization.", u.DirectoryName)
		})
		if err != nil {
			return err
		}
	}
	if u.ExternalID != "" {
		return claim(ext, join(u.OrgID, u.ExternalID), u.ID, func() error {
			return app.FieldError(app.ECONFLICT, "external_id", "The externalId %q belongs to another person of this organization.", u.ExternalID)
		})
	}
	return nil
}

// dropDirectoryIndex removes u's entries from the directory's indexes.
func dropDirectoryIndex(tx *bolt.Tx, u *app.User) error {
	if u.DirectoryName != "" {
		if err := release(tx.Bucket(scimUserNamesBucket), join(u.OrgID, app.LoginKey(u.DirectoryName)), u.ID); err != nil {
			return err
		}
	}
	if u.ExternalID != "" {
		return release(tx.Bucket(scimExternalIDsBucket), join(u.OrgID, u.ExternalID), u.ID)
	}
	return nil
}

// UserByDirectoryName implements app.SCIMStore.
func (db *DB) UserByDirectoryName(ctx context.Context, orgID, name string) (*app.User, error) {
	return db.userByIndex(scimUserNamesBucket, join(orgID, app.LoginKey(name)), orgID)
}

// UserByExternalID implements app.SCIMStore.
func (db *DB) UserByExternalID(ctx context.Context, orgID, externalID string) (*app.User, error) {
	return db.userByIndex(scimExternalIDsBucket, join(orgID, externalID), orgID)
}

func (db *DB) userByIndex(bucket, key []byte, orgID string) (*app.User, error) {
	var u *app.User
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		id := tx.Bucket(bucket).Get(key)
		if id == nil {
			return app.Errorf(app.ENOTFOUND, userNotFound)
		}
		u, err = getUser(tx, orgID, string(id))
		return err
	})
	return u, err
}
