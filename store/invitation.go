package store

import (
	"bytes"
	"context"
	"strings"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// invitationRecord is an invitation as stored: the domain type keeps the
// token hash out of JSON answers, the file keeps it.
type invitationRecord struct {
	*app.Invitation
	TokenHash string `json:"token_hash,omitempty"`
}

const invitationNotFound = "There is no such invitation."

func invitationKey(orgID, id string) []byte { return join(orgID, id) }

func getInvitation(tx *bolt.Tx, orgID, id string) (*app.Invitation, error) {
	inv := &app.Invitation{}
	rec := invitationRecord{Invitation: inv}
	if err := get(tx.Bucket(invitesBucket), invitationKey(orgID, id), &rec, invitationNotFound); err != nil {
		return nil, err
	}
	inv.TokenHash = rec.TokenHash
	return inv, nil
}

// putInvitation writes inv and keeps the token index in step: the hash of a
// pending invitation points at it; any other hash it had is removed.
func putInvitation(tx *bolt.Tx, old, inv *app.Invitation) error {
	tokens := tx.Bucket(inviteTokens)
	key := invitationKey(inv.OrgID, inv.ID)
	if old != nil && old.TokenHash != "" && (old.TokenHash != inv.TokenHash || inv.Status != app.InvitationPending) {
		if err := tokens.Delete([]byte(old.TokenHash)); err != nil {
			return err
		}
	}
	if inv.Status != app.InvitationPending {
		inv.TokenHash = ""
	}
	if inv.TokenHash != "" {
		if err := tokens.Put([]byte(inv.TokenHash), key); err != nil {
			return err
		}
	}
	return put(tx.Bucket(invitesBucket), key, invitationRecord{inv, inv.TokenHash})
}

// CreateInvitations implements app.InvitationStore: dropped claims, users,
// invitations and outbox messages in one transaction.
func (db *DB) CreateInvitations(ctx context.Context, drops []app.EmailDrop, users []*app.User, invs []*app.Invitation, msgs []*app.OutboxMessage) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		for _, d := range drops {
			if err := dropEmail(tx, d); err != nil {
				return err
			}
		}
		orgs := tx.Bucket(orgsBucket)
		for _, u := range users {
			if orgs.Get([]byte(u.OrgID)) == nil {
				return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
			}
			if err := putUser(tx, nil, u); err != nil {
				return err
			}
		}
		for _, inv := range invs {
			if err := putInvitation(tx, nil, inv); err != nil {
				return err
			}
		}
		for _, m := range msgs {
			if err := putMessage(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Invitation implements app.InvitationStore.
func (db *DB) Invitation(ctx context.Context, orgID, id string) (*app.Invitation, error) {
	var inv *app.Invitation
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		inv, err = getInvitation(tx, orgID, id)
		return err
	})
	return inv, err
}

// Invitations implements app.InvitationStore: newest first (IDs are time-ordered).
func (db *DB) Invitations(ctx context.Context, orgID string) ([]*app.Invitation, error) {
	out := []*app.Invitation{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		prefix := []byte(orgID + "/")
		c := tx.Bucket(invitesBucket).Cursor()
		var keys [][]byte
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, k)
		}
		for i := len(keys) - 1; i >= 0; i-- {
			inv, err := getInvitation(tx, orgID, string(keys[i][len(prefix):]))
			if err != nil {
				return err
			}
			out = append(out, inv)
		}
		return nil
	})
	return out, err
}

// ChangeInvitation implements app.InvitationStore.
func (db *DB) ChangeInvitation(ctx context.Context, orgID, id string, fn func(inv *app.Invitation) (*app.OutboxMessage, error)) (*app.Invitation, error) {
	var inv *app.Invitation
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getInvitation(tx, orgID, id)
		if err != nil {
			return err
		}
		cp := *old
		inv = &cp
		msg, err := fn(inv)
		if err != nil {
			return err
		}
		if msg != nil {
			if err := putMessage(tx, msg); err != nil {
				return err
			}
		}
		// A message still waiting with the old link is not sent.
		if old.MessageID != "" && old.MessageID != inv.MessageID || inv.Status != app.InvitationPending {
			if err := cancelMessage(tx, old.MessageID); err != nil {
				return err
			}
		}
		if inv.Status == app.InvitationCancelled && old.Status != app.InvitationCancelled && inv.Mode == app.ModeInvite {
			// The account the invitation made never got past "invited": it
			// is purged with its invitations and mails, as a deletion is.
			gone, err := purgeInvitedUser(tx, inv.OrgID, inv.UserID)
			if err != nil || gone {
				if gone {
					app.AmendAudit(ctx, func(e *app.AuditEntry) {
						e.Target.Name, e.Detail = app.DeletedPerson, "link stopped; the invited account was removed"
					})
				}
				return err
			}
		}
		return putInvitation(tx, old, inv)
	})
	return inv, err
}

// cancelMessage stops a queued message and erases its sealed token; sent
// and failed messages keep their state (a failed one loses its token).
func cancelMessage(tx *bolt.Tx, id string) error {
	if id == "" {
		return nil
	}
	m, err := getMessage(tx, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if m.Status == app.MessageQueued || m.Status == app.MessageSending {
		m.Status = app.MessageCancelled
	}
	if m.Status == app.MessageCancelled {
		// Never sent and never will be: the address has no use left.
		m.To, m.ToName = "", ""
	}
	m.SealedToken = nil
	return putMessage(tx, m)
}

// purgeInvitedUser purges an account that never got past "invited", and
// says whether it did.
func purgeInvitedUser(tx *bolt.Tx, orgID, id string) (bool, error) {
	u, err := getUser(tx, orgID, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if u.Status != app.StatusInvited {
		return false, nil
	}
	return true, purgeUser(tx, u)
}

func invitationByToken(tx *bolt.Tx, hash string) (*app.Invitation, *app.User, error) {
	ref := tx.Bucket(inviteTokens).Get([]byte(hash))
	if ref == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, invitationNotFound)
	}
	orgID, id, _ := strings.Cut(string(ref), "/")
	inv, err := getInvitation(tx, orgID, id)
	if err != nil {
		return nil, nil, err
	}
	if inv.TokenHash != hash || inv.Status != app.InvitationPending {
		return nil, nil, app.Errorf(app.ENOTFOUND, invitationNotFound)
	}
	u, err := getUser(tx, "", inv.UserID)
	if err != nil {
		return nil, nil, err
	}
	return inv, u, nil
}

// InvitationByToken implements app.InvitationStore.
func (db *DB) InvitationByToken(ctx context.Context, hash string) (*app.Invitation, *app.User, error) {
	var inv *app.Invitation
	var u *app.User
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		inv, u, err = invitationByToken(tx, hash)
		return err
	})
	return inv, u, err
}

// AcceptInvitation implements app.InvitationStore: check, change the
// account and use up the token in one transaction.
func (db *DB) AcceptInvitation(ctx context.Context, hash string, fn func(inv *app.Invitation, u *app.User) error) (*app.Invitation, *app.User, error) {
	var inv *app.Invitation
	var u *app.User
	err := db.update(ctx, func(tx *bolt.Tx) error {
		var err error
		inv, u, err = acceptInvitation(tx, hash, fn)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return inv, u, nil
}

// acceptInvitation is AcceptInvitation's work inside the transaction tx.
func acceptInvitation(tx *bolt.Tx, hash string, fn func(inv *app.Invitation, u *app.User) error) (*app.Invitation, *app.User, error) {
	old, oldUser, err := invitationByToken(tx, hash)
	if err != nil {
		return nil, nil, err
	}
	ci, cu := *old, *oldUser
	inv, u := &ci, &cu
	if err := fn(inv, u); err != nil {
		return nil, nil, err
	}
	if tx.Bucket(orgsBucket).Get([]byte(u.OrgID)) == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
	}
	if err := putUser(tx, oldUser, u); err != nil {
		return nil, nil, err
	}
	if u.OrgID != oldUser.OrgID {
		if err := cancelInvitationsFor(tx, oldUser.OrgID, u.ID); err != nil {
			return nil, nil, err
		}
	}
	if inv.Status != app.InvitationPending {
		if err := cancelMessage(tx, inv.MessageID); err != nil {
			return nil, nil, err
		}
	}
	if inv.Status == app.InvitationAccepted { // a used link says so (AcceptedInvitationByToken)
		if err := tx.Bucket(inviteUsedTokens).Put([]byte(hash), invitationKey(inv.OrgID, inv.ID)); err != nil {
			return nil, nil, err
		}
	}
	return inv, u, putInvitation(tx, old, inv)
}

// AcceptedInvitationByToken implements app.InvitationStore.
func (db *DB) AcceptedInvitationByToken(ctx context.Context, hash string) (*app.Invitation, *app.User, error) {
	var inv *app.Invitation
	var u *app.User
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		ref := tx.Bucket(inviteUsedTokens).Get([]byte(hash))
		if ref == nil {
			return app.Errorf(app.ENOTFOUND, invitationNotFound)
		}
		orgID, id, _ := strings.Cut(string(ref), "/")
		if inv, err = getInvitation(tx, orgID, id); err != nil {
			return err
		}
		if inv.Status != app.InvitationAccepted {
			return app.Errorf(app.ENOTFOUND, invitationNotFound)
		}
		u, err = getUser(tx, "", inv.UserID)
		return err
	})
	return inv, u, err
}

// cancelInvitationsFor cancels the organization's pending invitations for
// the account (which has moved away): their links stop working and their
// waiting mails are not sent. The account itself stays.
func cancelInvitationsFor(tx *bolt.Tx, orgID, userID string) error {
	prefix := []byte(orgID + "/")
	c := tx.Bucket(invitesBucket).Cursor()
	var ids []string
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	for _, id := range ids {
		old, err := getInvitation(tx, orgID, id)
		if err != nil {
			return err
		}
		if old.UserID != userID || old.Status != app.InvitationPending {
			continue
		}
		inv := *old
		inv.Status, inv.TokenHash = app.InvitationCancelled, ""
		if inv.Delivery == app.MessageQueued || inv.Delivery == app.MessageSending {
			inv.Delivery = app.MessageCancelled
		}
		if err := cancelMessage(tx, old.MessageID); err != nil {
			return err
		}
		if err := putInvitation(tx, old, &inv); err != nil {
			return err
		}
	}
	return nil
}
