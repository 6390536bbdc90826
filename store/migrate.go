package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	bolt "go.etcd.io/bbolt"

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
	err := tx.Bucket(usersBucket).ForEach(func(k, v []byte) error {
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
	if err := rebuild(loginsBucket, logins); err != nil {
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
	b := tx.Bucket(usersBucket)
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
// in the labels field the filter by label reads; and again (schema 4 → 5)
// so that the entries are in the order of the organization's language.
func migrateUserIndex(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(userIndexBucket); err != nil {
		return err
	}
	index, err := tx.CreateBucket(userIndexBucket)
	if err != nil {
		return err
	}
	return tx.Bucket(usersBucket).ForEach(func(k, v []byte) error {
		u := &app.User{}
		if err := json.Unmarshal(v, u); err != nil {
			return err
		}
		return index.Put(indexKey(tx, u), indexValue(u))
	})
}
