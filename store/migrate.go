package store

import (
	"encoding/json"
	"sort"

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

// migrateUserIndex (schema 2 → 3) rebuilds the user index from the user
// records, so that every entry carries the labels: in its search text and
// in the labels field the filter by label reads.
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
		return index.Put(indexKey(u), indexValue(u))
	})
}
