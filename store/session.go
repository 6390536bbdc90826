package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// CreateSession implements app.SessionStore. Sessions that expired before
// this one began are swept out in the same transaction. Sign-ins arriving
// together (a class) share one commit (batch): every part of it is inside
// the transaction, so running it again is harmless.
func (db *DB) CreateSession(ctx context.Context, s *app.Session) error {
	return db.batch(ctx, func(tx *bolt.Tx) error {
		err := deleteSessionsWhere(tx, func(old *app.Session) bool { return !old.ExpiresAt.After(s.CreatedAt) })
		if err != nil {
			return err
		}
		return put(tx.Bucket(sessionsBucket), []byte(s.Hash), s)
	})
}

// Session implements app.SessionStore.
func (db *DB) Session(ctx context.Context, hash string) (*app.Session, error) {
	var s app.Session
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(sessionsBucket), []byte(hash), &s, "You are signed out.")
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteSession implements app.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(sessionsBucket).Delete([]byte(hash))
	})
}

// DeleteSessionsOf implements app.SessionStore.
func (db *DB) DeleteSessionsOf(ctx context.Context, subjectID string) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return deleteSessionsOf(tx, subjectID) })
}

// deleteSessionsOf ends every sign-in of subjectID (endSignIns).
func deleteSessionsOf(tx *bolt.Tx, subjectID string) error {
	return endSignIns(tx, map[string]bool{subjectID: true})
}

// endSignIns ends every sign-in of the people in doomed: their sessions
// and the tokens their apps hold (a deactivated, reset or erased person is
// signed out of the school's other apps too).
func endSignIns(tx *bolt.Tx, doomed map[string]bool) error {
	if err := deleteAppTokensOf(tx, func(id string) bool { return doomed[id] }); err != nil {
		return err
	}
	return deleteSessionsWhere(tx, func(s *app.Session) bool { return doomed[s.SubjectID] })
}

// deleteSessionsWhere scans the sessions bucket: it holds only live sign-ins
// (expired ones are swept at each sign-in), so no second index is kept.
func deleteSessionsWhere(tx *bolt.Tx, doom func(*app.Session) bool) error {
	b := tx.Bucket(sessionsBucket)
	var doomed [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var s app.Session
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		if doom(&s) {
			doomed = append(doomed, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
