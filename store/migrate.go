package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"rollcall/app"
)

// migrateLoginKeys (schema 1 → 2) rebuilds the username and email indexes
// of users and admins under app.LoginKey (NFKC + case folding) instead of
// the lower-cased NFC keys of schema 1. Where two accounts of schema 1 fold
// to one key (pupil.one and a full-width ｐｕｐｉｌ.ｏｎｅ created beside
// it), the older account keeps the key and the newer one loses that index
// entry: it still exists and can sign in by its other login, and an admin
// gives it a new username (saving it unchanged is refused as taken).
func migrateLoginKeys(tx *bolt.Tx) error {
	type owner struct {
		id      string
		created int64
	}
	rebuild := func(bucket []byte, keys map[string][]owner) error {
		if err := tx.DeleteBucket(bucket); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		for k, owners := range keys {
			sort.Slice(owners, func(i, j int) bool {
				if owners[i].created != owners[j].created {
					return owners[i].created < owners[j].created
				}
				return owners[i].id < owners[j].id
			})
			if err := b.Put([]byte(k), []byte(owners[0].id)); err != nil {
				return err
			}
		}
		return nil
	}

	logins := map[string][]owner{}
	err := tx.Bucket(legacyUsersBucket).ForEach(func(k, v []byte) error {
		u := &app.User{}
		if err := json.Unmarshal(v, u); err != nil {
			return err
		}
		o := owner{string(k), u.CreatedAt.UnixNano()}
		if u.Username != "" {
			k := string(usernameKey(u))
			logins[k] = append(logins[k], o)
		}
		if u.Email != "" {
			k := string(emailKey(u))
			logins[k] = append(logins[k], o)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := rebuild(legacyLoginsBucket, logins); err != nil {
		return err
	}

	names := map[string][]owner{}
	err = tx.Bucket(adminsBucket).ForEach(func(k, v []byte) error {
		adm := &app.Admin{}
		if err := json.Unmarshal(v, adm); err != nil {
			return err
		}
		key := app.LoginKey(adm.Username)
		names[key] = append(names[key], owner{string(k), adm.CreatedAt.UnixNano()})
		return nil
	})
	if err != nil {
		return err
	}
	return rebuild(adminNamesBucket, names)
}

// migrateEmailVerified (schema 2 → 3) gives every user email_verified
// (app.User.EmailVerified): true for an address an admin entered (created
// or edited by an admin, imported, made in a batch, invited), false for an
// address typed by the person at self sign-up (an invite code or link),
// which nothing ever proved they receive mail at. A sign-up whose address
// an admin later changed counts as self-typed too: schema 2 did not record
// who set an address, and an unverified address only costs its owner a
// confirmation (or an admin's invitation), while a wrongly verified one
// can hand an account to whoever typed it.
func migrateEmailVerified(tx *bolt.Tx) error {
	b := tx.Bucket(legacyUsersBucket)
	type change struct{ key, value []byte }
	var changes []change
	err := b.ForEach(func(k, v []byte) error {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("user %s: %w", k, err)
		}
		var email, via string
		if raw, ok := rec["email"]; ok {
			if err := json.Unmarshal(raw, &email); err != nil {
				return fmt.Errorf("user %s: %w", k, err)
			}
		}
		if raw, ok := rec["created_via"]; ok {
			if err := json.Unmarshal(raw, &via); err != nil {
				return fmt.Errorf("user %s: %w", k, err)
			}
		}
		verified := email != "" && via != app.ViaInviteCode && via != app.ViaSignUp
		rec["email_verified"] = json.RawMessage(strconv.FormatBool(verified))
		out, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		changes = append(changes, change{append([]byte(nil), k...), out})
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		if err := b.Put(c.key, c.value); err != nil {
			return err
		}
	}
	return nil
}

// migrateUserIndex (schema 3 → 4) rebuilds the user index from the user
// records, so that every entry carries the labels: in its search text and
// in the labels field the filter by label reads.
//
// Schema 5 replaces that index (migrateCompactUsers), so the entries are
// only made as schema 4 had them when a later migration needs them; none
// does, and the bucket is only emptied.
func migrateUserIndex(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(legacyIndexBucket); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	_, err := tx.CreateBucket(legacyIndexBucket)
	return err
}

// legacyUser is a user record of schema 4 and before: JSON, with the
// fields the domain type hides from JSON.
type legacyUser struct {
	*app.User
	PasswordHash string         `json:"password_hash,omitempty"`
	BadgeHash    string         `json:"badge_hash,omitempty"`
	BadgePINHash string         `json:"badge_pin_hash,omitempty"`
	TOTP         *app.AdminTOTP `json:"totp,omitempty"`
}

// migrateCompactUsers (schema 4 → 5) converts every user in one pass from
// the JSON record of the users bucket to the compact record (record.go)
// under its 16-byte ID in the people bucket, and builds the login index
// (logins) and the user index (people_index) from them; the old buckets
// are removed. Open takes a backup before (backupBeforeMigration).
func migrateCompactUsers(tx *bolt.Tx, report Progress) error {
	// The login index is taken over as it is (which account holds a key
	// that two accounts fold to was settled by migrateLoginKeys), its
	// values now 16-byte IDs.
	if oldLogins := tx.Bucket(legacyLoginsBucket); oldLogins != nil {
		logins := tx.Bucket(loginsBucket)
		if err := oldLogins.ForEach(func(k, v []byte) error { return logins.Put(k, uidKey(string(v))) }); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{legacyLoginsBucket, legacyIndexBucket} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
	}
	old := tx.Bucket(legacyUsersBucket)
	if old == nil {
		return nil
	}
	total := old.Stats().KeyN
	users := tx.Bucket(usersBucket)
	users.FillPercent = appendFill
	done := 0
	err := old.ForEach(func(k, v []byte) error {
		u := &app.User{}
		rec := legacyUser{User: u}
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("user %s: %w", k, err)
		}
		u.ID = string(k)
		u.PasswordHash, u.BadgeHash, u.BadgePINHash = rec.PasswordHash, rec.BadgeHash, rec.BadgePINHash
		if rec.TOTP != nil {
			u.TOTP = *rec.TOTP
		}
		if err := putUserEntries(tx, u); err != nil {
			return fmt.Errorf("user %s: %w", k, err)
		}
		if done++; report != nil && (done%1000 == 0 || done == total) {
			report("Converting people to the compact format", done, total)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(legacyUsersBucket)
}

// putUserEntries writes u's record and index entry as they are, for the
// migration.
func putUserEntries(tx *bolt.Tx, u *app.User) error {
	data, err := encodeRecord(userRecOf(u))
	if err != nil {
		return err
	}
	users := tx.Bucket(usersBucket)
	users.FillPercent = appendFill
	if err := users.Put(uidKey(u.ID), data); err != nil {
		return err
	}
	return tx.Bucket(userIndexBucket).Put(indexKey(tx, u), indexValue(u))
}
