package store

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// SMTPSettings implements app.SMTPStore.
func (db *DB) SMTPSettings(ctx context.Context, orgID string) (*app.SMTPSettings, error) {
	var s app.SMTPSettings
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(smtpBucket), []byte(orgID), &s, "No mail relay is set up.")
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// PutSMTPSettings implements app.SMTPStore.
func (db *DB) PutSMTPSettings(ctx context.Context, s *app.SMTPSettings) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(s.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(s.OrgID))
		}
		return put(tx.Bucket(smtpBucket), []byte(s.OrgID), s)
	})
}
