package store

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// SMSSettings implements app.SMSStore.
func (db *DB) SMSSettings(ctx context.Context, orgID string) (*app.SMSSettings, error) {
	var s app.SMSSettings
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(smsBucket), []byte(orgID), &s, "No SMS gateway is set up.")
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// PutSMSSettings implements app.SMSStore.
func (db *DB) PutSMSSettings(ctx context.Context, s *app.SMSSettings) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(s.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(s.OrgID))
		}
		return put(tx.Bucket(smsBucket), []byte(s.OrgID), s)
	})
}

// SMSSentSince implements app.SMSStore: the outbox's SMS of the
// organization marked sent at or after since.
func (db *DB) SMSSentSince(ctx context.Context, orgID string, since time.Time) (int, error) {
	n := 0
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(outboxBucket).ForEach(func(k, _ []byte) error {
			m, err := getMessage(tx, string(k))
			if err != nil {
				return err
			}
			if m.OrgID == orgID && m.Channel == app.ChannelSMS && m.Status == app.MessageSent && m.SentAt != nil && !m.SentAt.Before(since) {
				n++
			}
			return nil
		})
	})
	return n, err
}

const phoneSignUpNotFound = "There is no such sign-up waiting for its code."

func getPhoneSignUp(tx *bolt.Tx, id string) (*app.PhoneSignUp, error) {
	p := &app.PhoneSignUp{}
	if err := get(tx.Bucket(phoneSignUpsBucket), []byte(id), p, phoneSignUpNotFound); err != nil {
		return nil, err
	}
	return p, nil
}

// PutPhoneSignUp implements app.SMSStore.
func (db *DB) PutPhoneSignUp(ctx context.Context, p *app.PhoneSignUp, m *app.OutboxMessage) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(p.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(p.OrgID))
		}
		if err := dropEndedPhoneSignUps(tx, p.CreatedAt); err != nil {
			return err
		}
		if err := put(tx.Bucket(phoneSignUpsBucket), []byte(p.ID), p); err != nil {
			return err
		}
		return putMessage(tx, m)
	})
}

// dropEndedPhoneSignUps removes the sign-ups whose code expired before now
// (with the name, number and password hash they held): nobody can finish
// them any more. Each new sign-up sweeps, so none lingers past the next.
func dropEndedPhoneSignUps(tx *bolt.Tx, now time.Time) error {
	b := tx.Bucket(phoneSignUpsBucket)
	var ended []*app.PhoneSignUp
	err := b.ForEach(func(k, v []byte) error {
		p, err := getPhoneSignUp(tx, string(k))
		if err != nil {
			return err
		}
		if !now.Before(p.ExpiresAt) {
			ended = append(ended, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range ended {
		if err := b.Delete([]byte(p.ID)); err != nil {
			return err
		}
		if err := cancelMessage(tx, p.MessageID); err != nil {
			return err
		}
	}
	return nil
}

// PhoneSignUp implements app.SMSStore.
func (db *DB) PhoneSignUp(ctx context.Context, id string) (*app.PhoneSignUp, error) {
	var p *app.PhoneSignUp
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		p, err = getPhoneSignUp(tx, id)
		return err
	})
	return p, err
}

// ResolvePhoneSignUp implements app.SMSStore.
func (db *DB) ResolvePhoneSignUp(ctx context.Context, id string, fn func(p *app.PhoneSignUp) (bool, error)) (*app.PhoneSignUp, error) {
	var p *app.PhoneSignUp
	var fnErr error
	err := db.update(ctx, func(tx *bolt.Tx) (err error) {
		if p, err = getPhoneSignUp(tx, id); err != nil {
			return err
		}
		var keep bool
		keep, fnErr = fn(p)
		if keep {
			return put(tx.Bucket(phoneSignUpsBucket), []byte(p.ID), p)
		}
		if err := tx.Bucket(phoneSignUpsBucket).Delete([]byte(p.ID)); err != nil {
			return err
		}
		return cancelMessage(tx, p.MessageID)
	})
	if err != nil {
		return nil, err
	}
	return p, fnErr
}
