package store

import (
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// SignInFailures implements app.SignInFailureStore: it deletes the records
// that expired by now, in the same transaction, and returns the rest.
func (db *DB) SignInFailures(ctx context.Context, now time.Time) ([]app.SignInFailures, error) {
	var out []app.SignInFailures
	err := db.update(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		b := tx.Bucket(signInFailuresBucket)
		var expired [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var r app.SignInFailures
			if err := json.Unmarshal(v, &r); err != nil || !now.Before(r.Expires) {
				expired = append(expired, append([]byte(nil), k...)) // an unreadable count is dropped, not fatal
				return nil
			}
			out = append(out, r)
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// PutSignInFailures implements app.SignInFailureStore.
func (db *DB) PutSignInFailures(ctx context.Context, r app.SignInFailures) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(signInFailuresBucket)
		if r.Count <= 0 {
			return b.Delete([]byte(r.Key))
		}
		return put(b, []byte(r.Key), r)
	})
}
