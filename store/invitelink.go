package store

import (
	"bytes"
	"context"
	"sort"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// Invite links are stored under organization ID / link ID (invite_links);
// invite_link_tokens maps the SHA-256 of the current token to that key.

const linkNotFound = "There is no such invite link."

// linkRecord is a link as stored: the domain type keeps its hashes out of JSON answers.
type linkRecord struct {
	*app.InviteLink
	TokenHash    string `json:"token_hash"`
	PasswordHash string `json:"password_hash,omitempty"`
}

func getLink(tx *bolt.Tx, key []byte) (*app.InviteLink, error) {
	l := &app.InviteLink{}
	rec := linkRecord{InviteLink: l}
	if err := get(tx.Bucket(inviteLinksBucket), key, &rec, linkNotFound); err != nil {
		return nil, err
	}
	l.TokenHash, l.PasswordHash = rec.TokenHash, rec.PasswordHash
	return l, nil
}

// putLink writes l and points its token's index entry at it, dropping old's.
func putLink(tx *bolt.Tx, old, l *app.InviteLink) error {
	key := join(l.OrgID, l.ID)
	tokens := tx.Bucket(inviteLinkTokensBucket)
	if old != nil && old.TokenHash != l.TokenHash {
		if err := tokens.Delete([]byte(old.TokenHash)); err != nil {
			return err
		}
	}
	if err := tokens.Put([]byte(l.TokenHash), key); err != nil {
		return err
	}
	return put(tx.Bucket(inviteLinksBucket), key, linkRecord{l, l.TokenHash, l.PasswordHash})
}

// CreateInviteLink implements app.InviteLinkStore.
func (db *DB) CreateInviteLink(ctx context.Context, l *app.InviteLink) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(l.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(l.OrgID))
		}
		return putLink(tx, nil, l)
	})
}

// InviteLink implements app.InviteLinkStore.
func (db *DB) InviteLink(ctx context.Context, orgID, id string) (*app.InviteLink, error) {
	var l *app.InviteLink
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		l, err = getLink(tx, join(orgID, id))
		return err
	})
	return l, err
}

// InviteLinkByToken implements app.InviteLinkStore.
func (db *DB) InviteLinkByToken(ctx context.Context, tokenHash string) (*app.InviteLink, error) {
	var l *app.InviteLink
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		key := tx.Bucket(inviteLinkTokensBucket).Get([]byte(tokenHash))
		if key == nil {
			return app.Errorf(app.ENOTFOUND, linkNotFound)
		}
		l, err = getLink(tx, key)
		return err
	})
	return l, err
}

// InviteLinks implements app.InviteLinkStore: newest first.
func (db *DB) InviteLinks(ctx context.Context, orgID string) ([]*app.InviteLink, error) {
	out := []*app.InviteLink{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		prefix := join(orgID, "")
		c := tx.Bucket(inviteLinksBucket).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			l, err := getLink(tx, k)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID // time-ordered IDs
	})
	return out, err
}

// ChangeInviteLink implements app.InviteLinkStore: fn changes the link as
// stored at that moment; its use count is kept as stored.
func (db *DB) ChangeInviteLink(ctx context.Context, orgID, id string, fn func(l *app.InviteLink) error) (*app.InviteLink, error) {
	var out *app.InviteLink
	err := db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getLink(tx, join(orgID, id))
		if err != nil {
			return err
		}
		l := *old
		l.Groups = append([]string(nil), old.Groups...)
		if err := fn(&l); err != nil {
			return err
		}
		l.ID, l.OrgID, l.Uses, l.CreatedAt = old.ID, old.OrgID, old.Uses, old.CreatedAt
		if err := putLink(tx, old, &l); err != nil {
			return err
		}
		out = &l
		return nil
	})
	return out, err
}

// DeleteInviteLink implements app.InviteLinkStore.
func (db *DB) DeleteInviteLink(ctx context.Context, orgID, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		old, err := getLink(tx, join(orgID, id))
		if err != nil {
			return err
		}
		if err := tx.Bucket(inviteLinkTokensBucket).Delete([]byte(old.TokenHash)); err != nil {
			return err
		}
		return tx.Bucket(inviteLinksBucket).Delete(join(orgID, id))
	})
}

// UseInviteLink implements app.RedeemStore.
func (db *DB) UseInviteLink(ctx context.Context, orgID, id string, check func(*app.InviteLink) error, u *app.User, vm *app.VerificationMail) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		l, err := getLink(tx, join(orgID, id))
		if err != nil {
			return err
		}
		if err := check(l); err != nil {
			return err
		}
		old := *l
		l.Uses++
		if err := putLink(tx, &old, l); err != nil {
			return err
		}
		if u.OrgID != orgID || tx.Bucket(orgsBucket).Get([]byte(orgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(orgID))
		}
		if err := putUser(tx, nil, u); err != nil {
			return err
		}
		return putVerificationMail(tx, vm)
	})
}
