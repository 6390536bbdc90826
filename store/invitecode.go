package store

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// Invite codes are stored under the normalized code (invite_codes) with an
// index from owner — organization ID / group ID, the group ID empty for the
// organization's code — to code (invite_code_owners).

const codeNotFound = "There is no such invite code."

func codeOwnerKey(orgID, groupID string) []byte { return join(orgID, groupID) }

// InviteCode implements app.InviteCodeStore.
func (db *DB) InviteCode(ctx context.Context, code string) (*app.InviteCode, error) {
	var c app.InviteCode
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(inviteCodesBucket), []byte(code), &c, codeNotFound)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// InviteCodeOf implements app.InviteCodeStore.
func (db *DB) InviteCodeOf(ctx context.Context, orgID, groupID string) (*app.InviteCode, error) {
	var c app.InviteCode
	err := db.bolt.View(func(tx *bolt.Tx) error {
		code := tx.Bucket(inviteCodeOwnersBucket).Get(codeOwnerKey(orgID, groupID))
		if code == nil {
			return app.Errorf(app.ENOTFOUND, codeNotFound)
		}
		return get(tx.Bucket(inviteCodesBucket), code, &c, codeNotFound)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// InviteCodes implements app.InviteCodeStore.
func (db *DB) InviteCodes(ctx context.Context, orgID string) ([]*app.InviteCode, error) {
	out := []*app.InviteCode{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		prefix := join(orgID, "")
		codes := tx.Bucket(inviteCodesBucket)
		c := tx.Bucket(inviteCodeOwnersBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var ic app.InviteCode
			if err := get(codes, v, &ic, codeNotFound); err != nil {
				return err
			}
			out = append(out, &ic)
		}
		return nil
	})
	return out, err
}

// PutInviteCode implements app.InviteCodeStore: a regeneration removes the
// old code in the same transaction, so it stops working at once.
func (db *DB) PutInviteCode(ctx context.Context, c *app.InviteCode, old string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(c.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(c.OrgID))
		}
		if c.GroupID != "" && tx.Bucket(groupsBucket).Get(join(c.OrgID, c.GroupID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", groupNotFound(c.GroupID))
		}
		return putInviteCode(tx, c, old)
	})
}

func putInviteCode(tx *bolt.Tx, c *app.InviteCode, old string) error {
	codes, owners := tx.Bucket(inviteCodesBucket), tx.Bucket(inviteCodeOwnersBucket)
	var cur app.InviteCode
	if err := get(codes, []byte(c.Code), &cur, ""); err == nil && (cur.OrgID != c.OrgID || cur.GroupID != c.GroupID) {
		return app.Errorf(app.ECONFLICT, "The code %s is taken.", c.Display())
	}
	if old != "" && old != c.Code {
		if err := codes.Delete([]byte(old)); err != nil {
			return err
		}
	}
	if err := owners.Put(codeOwnerKey(c.OrgID, c.GroupID), []byte(c.Code)); err != nil {
		return err
	}
	return put(codes, []byte(c.Code), c)
}

// deleteInviteCodeOf removes the code of a group (or organization) that goes.
func deleteInviteCodeOf(tx *bolt.Tx, orgID, groupID string) error {
	owners := tx.Bucket(inviteCodeOwnersBucket)
	key := codeOwnerKey(orgID, groupID)
	if code := owners.Get(key); code != nil {
		if err := tx.Bucket(inviteCodesBucket).Delete(code); err != nil {
			return err
		}
	}
	return owners.Delete(key)
}

// UseInviteCode implements app.RedeemStore: check, count and store the user
// in one transaction.
func (db *DB) UseInviteCode(ctx context.Context, code string, check func(*app.InviteCode) error, u *app.User, isNew bool) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		var c app.InviteCode
		if err := get(tx.Bucket(inviteCodesBucket), []byte(code), &c, codeNotFound); err != nil {
			return err
		}
		if err := check(&c); err != nil {
			return err
		}
		c.Uses++
		if err := put(tx.Bucket(inviteCodesBucket), []byte(code), &c); err != nil {
			return err
		}
		if u.OrgID != c.OrgID || tx.Bucket(orgsBucket).Get([]byte(u.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
		}
		var old *app.User
		if !isNew {
			var err error
			if old, err = getUser(tx, u.OrgID, u.ID); err != nil {
				return err
			}
		}
		return putUser(tx, old, u)
	})
}
