package store

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

func getMessage(tx *bolt.Tx, id string) (*app.OutboxMessage, error) {
	var m app.OutboxMessage
	if err := get(tx.Bucket(outboxBucket), []byte(id), &m, "There is no such message in the outbox."); err != nil {
		return nil, err
	}
	return &m, nil
}

// putMessage writes m and keeps the queue index (queued and sending
// messages) in step. A message that is done keeps no sealed token.
func putMessage(tx *bolt.Tx, m *app.OutboxMessage) error {
	q := tx.Bucket(outboxQueue)
	switch m.Status {
	case app.MessageQueued, app.MessageSending:
		if err := q.Put([]byte(m.ID), nil); err != nil {
			return err
		}
	default:
		if m.Status != app.MessageFailed {
			m.SealedToken = nil
		}
		if err := q.Delete([]byte(m.ID)); err != nil {
			return err
		}
	}
	return put(tx.Bucket(outboxBucket), []byte(m.ID), m)
}

// ClaimDueMessages implements app.OutboxStore.
func (db *DB) ClaimDueMessages(ctx context.Context, now time.Time, n int) ([]*app.OutboxMessage, error) {
	var out []*app.OutboxMessage
	err := db.update(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(outboxQueue).Cursor()
		var due []*app.OutboxMessage
		for k, _ := c.First(); k != nil && len(due) < n; k, _ = c.Next() {
			m, err := getMessage(tx, string(k))
			if err != nil {
				return err
			}
			if m.Status == app.MessageQueued && !m.NextAttempt.After(now) {
				due = append(due, m)
			}
		}
		for _, m := range due {
			m.Status = app.MessageSending
			if err := putMessage(tx, m); err != nil {
				return err
			}
		}
		out = due
		return nil
	})
	return out, err
}

// UpdateMessage implements app.OutboxStore: the message and, in the same
// transaction, the delivery state shown on its invitation — only while the
// stored message is still "sending", so a cancel, a resend or a deletion
// made during the send is not undone by the worker's copy.
func (db *DB) UpdateMessage(ctx context.Context, m *app.OutboxMessage) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		stored, err := getMessage(tx, m.ID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil // deleted with its user
		} else if err != nil {
			return err
		}
		if stored.Status != app.MessageSending {
			return nil // cancelled or replaced meanwhile: the stored state stands
		}
		if len(stored.SealedToken) == 0 {
			m.SealedToken = nil // an erased token stays erased
		}
		if err := putMessage(tx, m); err != nil {
			return err
		}
		if m.InvitationID == "" {
			return nil
		}
		inv, err := getInvitation(tx, m.OrgID, m.InvitationID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if inv.MessageID != m.ID {
			return nil // an older link's message
		}
		old := *inv
		inv.Delivery, inv.DeliveryError = m.Status, m.LastError
		if m.Status == app.MessageSent {
			inv.SentAt = m.SentAt
		}
		return putInvitation(tx, &old, inv)
	})
}

// OutboxMessages implements app.OutboxStore: newest first.
func (db *DB) OutboxMessages(ctx context.Context, orgID string) ([]*app.OutboxMessage, error) {
	out := []*app.OutboxMessage{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(outboxBucket).Cursor()
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			m, err := getMessage(tx, string(k))
			if err != nil {
				return err
			}
			if m.OrgID == orgID {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// RequeueSending implements app.OutboxStore.
func (db *DB) RequeueSending(ctx context.Context) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		var ms []*app.OutboxMessage
		err := tx.Bucket(outboxQueue).ForEach(func(k, _ []byte) error {
			m, err := getMessage(tx, string(k))
			if err == nil && m.Status == app.MessageSending {
				ms = append(ms, m)
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, m := range ms {
			m.Status = app.MessageQueued
			if err := putMessage(tx, m); err != nil {
				return err
			}
		}
		n = len(ms)
		return nil
	})
	return n, err
}

// NextDue implements app.OutboxStore.
func (db *DB) NextDue(ctx context.Context) (time.Time, error) {
	var next time.Time
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(outboxQueue).ForEach(func(k, _ []byte) error {
			m, err := getMessage(tx, string(k))
			if err != nil {
				return err
			}
			if m.Status == app.MessageQueued && (next.IsZero() || m.NextAttempt.Before(next)) {
				next = m.NextAttempt
			}
			return nil
		})
	})
	return next, err
}

// RetryMessages implements app.OutboxStore.
func (db *DB) RetryMessages(ctx context.Context, orgID, id string, now time.Time) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		var ms []*app.OutboxMessage
		if id != "" {
			m, err := getMessage(tx, id)
			if err != nil || m.OrgID != orgID {
				return app.Errorf(app.ENOTFOUND, "There is no such message in the outbox.")
			}
			ms = append(ms, m)
		} else {
			err := tx.Bucket(outboxBucket).ForEach(func(k, v []byte) error {
				m, err := getMessage(tx, string(k))
				if err == nil && m.OrgID == orgID && (m.Status == app.MessageQueued || m.Status == app.MessageFailed) {
					ms = append(ms, m)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		for _, m := range ms {
			switch {
			case m.Status == app.MessageQueued:
			case m.Status == app.MessageFailed && len(m.SealedToken) > 0:
				m.Status, m.CreatedAt = app.MessageQueued, now // a fresh give-up window
			default:
				continue
			}
			m.NextAttempt = now
			if err := putMessage(tx, m); err != nil {
				return err
			}
			if m.InvitationID != "" {
				if inv, err := getInvitation(tx, m.OrgID, m.InvitationID); err == nil && inv.MessageID == m.ID {
					old := *inv
					inv.Delivery, inv.DeliveryError = app.MessageQueued, ""
					if err := putInvitation(tx, &old, inv); err != nil {
						return err
					}
				}
			}
			n++
		}
		return nil
	})
	return n, err
}

// QueueMessage implements app.OutboxStore.
func (db *DB) QueueMessage(ctx context.Context, m *app.OutboxMessage) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return putMessage(tx, m) })
}
