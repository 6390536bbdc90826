package store

import (
	"bytes"
	"context"
	"io"
	"time"

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

// ownerExists checks that the code's organization (and group) exist.
func ownerExists(tx *bolt.Tx, orgID, groupID string) error {
	if tx.Bucket(orgsBucket).Get([]byte(orgID)) == nil {
		return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(orgID))
	}
	if groupID != "" && tx.Bucket(groupsBucket).Get(join(orgID, groupID)) == nil {
		return app.Errorf(app.ENOTFOUND, "%s", groupNotFound(groupID))
	}
	return nil
}

// codeOf loads the current code of an owner inside tx.
func codeOf(tx *bolt.Tx, orgID, groupID string) (*app.InviteCode, error) {
	code := tx.Bucket(inviteCodeOwnersBucket).Get(codeOwnerKey(orgID, groupID))
	if code == nil {
		return nil, app.Errorf(app.ENOTFOUND, codeNotFound)
	}
	var c app.InviteCode
	if err := get(tx.Bucket(inviteCodesBucket), code, &c, codeNotFound); err != nil {
		return nil, err
	}
	return &c, nil
}

// ChangeInviteCode implements app.InviteCodeStore: the owner's current code
// is read inside the transaction and fn changes its settings; the code and
// its use count stay as stored, whatever fn does.
func (db *DB) ChangeInviteCode(ctx context.Context, orgID, groupID string, fn func(c *app.InviteCode) error) (*app.InviteCode, error) {
	var out *app.InviteCode
	err := db.update(ctx, func(tx *bolt.Tx) error {
		cur, err := codeOf(tx, orgID, groupID)
		if err != nil {
			return err
		}
		c := *cur
		if err := fn(&c); err != nil {
			return err
		}
		c.Code, c.Uses, c.OrgID, c.GroupID, c.CreatedAt = cur.Code, cur.Uses, cur.OrgID, cur.GroupID, cur.CreatedAt
		if err := putInviteCode(tx, &c, cur.Code); err != nil {
			return err
		}
		out = &c
		return nil
	})
	return out, err
}

// RegenerateInviteCode implements app.InviteCodeStore: the owner's current
// code, read inside the transaction, is replaced by code with its use count
// at 0 and its settings kept; the old code stops working at once. Without a
// current code, one is created. ECONFLICT when code belongs to another owner.
func (db *DB) RegenerateInviteCode(ctx context.Context, orgID, groupID, code string, now time.Time) (*app.InviteCode, error) {
	var out *app.InviteCode
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if err := ownerExists(tx, orgID, groupID); err != nil {
			return err
		}
		old := ""
		c, err := codeOf(tx, orgID, groupID)
		switch {
		case app.ErrorCode(err) == app.ENOTFOUND:
			c = &app.InviteCode{OrgID: orgID, GroupID: groupID, CreatedAt: now}
		case err != nil:
			return err
		default:
			old = c.Code
		}
		c.Code, c.Uses, c.UpdatedAt = code, 0, now
		if err := putInviteCode(tx, c, old); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// EnsureInviteCode implements app.InviteCodeStore: create-if-absent in one
// transaction, so two first calls at once give the same code.
func (db *DB) EnsureInviteCode(ctx context.Context, c *app.InviteCode) (*app.InviteCode, error) {
	var out *app.InviteCode
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if err := ownerExists(tx, c.OrgID, c.GroupID); err != nil {
			return err
		}
		cur, err := codeOf(tx, c.OrgID, c.GroupID)
		if err == nil {
			out = cur
			return nil
		}
		if app.ErrorCode(err) != app.ENOTFOUND {
			return err
		}
		fresh := *c
		if err := putInviteCode(tx, &fresh, ""); err != nil {
			return err
		}
		out = &fresh
		return nil
	})
	return out, err
}

// putInviteCode stores c as its owner's code. old must be the owner's
// current code ("" when it has none): a write based on a copy that a
// regeneration has since replaced is refused, so it cannot bring the old
// code back. A code that belongs to another owner is ECONFLICT.
func putInviteCode(tx *bolt.Tx, c *app.InviteCode, old string) error {
	codes, owners := tx.Bucket(inviteCodesBucket), tx.Bucket(inviteCodeOwnersBucket)
	if cur := owners.Get(codeOwnerKey(c.OrgID, c.GroupID)); string(cur) != old {
		return app.Errorf(app.ECONFLICT, "The code was changed meanwhile; reload and try again.")
	}
	if old != c.Code && codes.Get([]byte(c.Code)) != nil {
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
func (db *DB) UseInviteCode(ctx context.Context, code string, check func(*app.InviteCode) error, u *app.User, change func(*app.User) error, vm *app.VerificationMail) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
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
		if tx.Bucket(orgsBucket).Get([]byte(c.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(c.OrgID))
		}
		if change == nil {
			if u.OrgID != c.OrgID {
				return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
			}
			if err := putUser(tx, nil, u); err != nil {
				return err
			}
			return putVerificationMail(tx, vm)
		}
		// An existing user: change may move it into the code's organization.
		old, err := getUser(tx, "", u.ID)
		if err != nil {
			return err
		}
		fresh := *old
		fresh.Groups = append([]string(nil), old.Groups...)
		fresh.Labels = append([]string(nil), old.Labels...)
		if err := change(&fresh); err != nil {
			return err
		}
		fresh.ID = old.ID
		if fresh.OrgID != c.OrgID {
			return app.Errorf(app.ECONFLICT, "The code belongs to another organization.")
		}
		if err := groupsExist(tx, []*app.User{&fresh}); err != nil {
			return err
		}
		if err := putUser(tx, old, &fresh); err != nil {
			return err
		}
		*u = fresh
		return nil
	})
}

// ensureInviteCodes gives every organization and group that has no invite
// code one, inside tx. The app makes a code with each organization and
// group; this runs on every open, for files from before that and for an
// owner whose code was not written (a crash between the two transactions).
func ensureInviteCodes(tx *bolt.Tx, rand io.Reader, now time.Time) error {
	owners := tx.Bucket(inviteCodeOwnersBucket)
	var missing [][2]string
	err := tx.Bucket(orgsBucket).ForEach(func(k, _ []byte) error {
		if owners.Get(codeOwnerKey(string(k), "")) == nil {
			missing = append(missing, [2]string{string(k), ""})
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(groupsBucket).ForEach(func(k, _ []byte) error {
		orgID, groupID, ok := bytes.Cut(k, []byte{'/'})
		if ok && owners.Get(codeOwnerKey(string(orgID), string(groupID))) == nil {
			missing = append(missing, [2]string{string(orgID), string(groupID)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range missing {
		for try := 0; ; try++ {
			code, err := app.GenerateCode(rand)
			if err != nil {
				return err
			}
			err = putInviteCode(tx, &app.InviteCode{Code: code, OrgID: m[0], GroupID: m[1], CreatedAt: now, UpdatedAt: now}, "")
			if app.ErrorCode(err) != app.ECONFLICT || try == 4 {
				if err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}
