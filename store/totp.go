package store

import (
	"context"
	"encoding/json"
	"sort"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// securityKey keeps the server-wide sign-in rules (app.SecuritySettings)
// in the meta bucket.
var securityKey = []byte("security_settings")

// SecuritySettings implements app.SecurityStore.
func (db *DB) SecuritySettings(ctx context.Context) (*app.SecuritySettings, error) {
	s := &app.SecuritySettings{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(metaBucket).Get(securityKey); v != nil {
			return json.Unmarshal(v, s)
		}
		return nil
	})
	return s, err
}

// PutSecuritySettings implements app.SecurityStore.
func (db *DB) PutSecuritySettings(ctx context.Context, s *app.SecuritySettings) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		return put(tx.Bucket(metaBucket), securityKey, s)
	})
}

// SessionsOf implements app.SessionStore: a scan, as the bucket holds only
// live sign-ins (see deleteSessionsWhere).
func (db *DB) SessionsOf(ctx context.Context, subjectID, kind string) ([]*app.Session, error) {
	var out []*app.Session
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(sessionsBucket).ForEach(func(_, v []byte) error {
			var s app.Session
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if s.SubjectID == subjectID && s.Kind == kind {
				out = append(out, &s)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// DeleteOtherSessions implements app.SessionStore.
func (db *DB) DeleteOtherSessions(ctx context.Context, subjectID, kind, keepHash string) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		return deleteSessionsWhere(tx, func(s *app.Session) bool {
			doom := s.SubjectID == subjectID && s.Kind == kind && s.Hash != keepHash
			if doom {
				n++
			}
			return doom
		})
	})
	return n, err
}
