package store

import (
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

const resetNotFound = "There is no such password link."

// resetKey is where the user's pending link of the kind is kept: a user
// has at most one reset link (under the user's ID) and one activation link
// (under ID + "/activation"), so a reset anybody can ask for never
// replaces the activation link an admin mailed.
func resetKey(userID string, activation bool) string {
	if activation {
		return userID + "/activation"
	}
	return userID
}

// smsResetKey is where the user's pending activation link sent by SMS is
// kept, beside the mailed one.
func smsResetKey(userID string) string { return userID + "/sms" }

// keyOf is where r is kept.
func keyOf(r *app.PasswordReset) string {
	if r.Phone != "" {
		return smsResetKey(r.UserID)
	}
	return resetKey(r.UserID, r.Activation)
}

func getReset(tx *bolt.Tx, key string) (*app.PasswordReset, error) {
	r := &app.PasswordReset{}
	if err := get(tx.Bucket(resetBucket), []byte(key), r, resetNotFound); err != nil {
		return nil, err
	}
	return r, nil
}

// putResetMails stores new links (each replacing its user's earlier one of
// the same kind, whose link stops working and whose mail is not sent) and
// their messages. A user that is gone is ENOTFOUND.
func putResetMails(tx *bolt.Tx, mails []*app.ResetMail) error {
	for _, rm := range mails {
		r := rm.Reset
		if tx.Bucket(usersBucket).Get(uidKey(r.UserID)) == nil {
			return app.Errorf(app.ENOTFOUND, userNotFound)
		}
		key := keyOf(r)
		if err := dropResetKey(tx, key); err != nil {
			return err
		}
		if err := tx.Bucket(resetTokens).Put([]byte(r.TokenHash), []byte(key)); err != nil {
			return err
		}
		if err := put(tx.Bucket(resetBucket), []byte(key), r); err != nil {
			return err
		}
		if err := putMessage(tx, rm.Message); err != nil {
			return err
		}
	}
	return nil
}

// dropReset removes the user's pending links (reset and activation) and
// their tokens; a mail not yet sent is cancelled (its sealed token erased).
func dropReset(tx *bolt.Tx, userID string) error {
	if err := dropResetKey(tx, resetKey(userID, false)); err != nil {
		return err
	}
	if err := dropResetKey(tx, smsResetKey(userID)); err != nil {
		return err
	}
	return dropResetKey(tx, resetKey(userID, true))
}

// dropResetKey removes the link kept under key, its token and its unsent
// mail.
func dropResetKey(tx *bolt.Tx, key string) error {
	r, err := getReset(tx, key)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if err := release(tx.Bucket(resetTokens), []byte(r.TokenHash), key); err != nil {
		return err
	}
	if err := tx.Bucket(resetBucket).Delete([]byte(key)); err != nil {
		return err
	}
	return cancelMessage(tx, r.MessageID)
}

// resetByToken finds the link with the token hash and its user.
func resetByToken(tx *bolt.Tx, hash string) (*app.PasswordReset, *app.User, error) {
	id := tx.Bucket(resetTokens).Get([]byte(hash))
	if id == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, resetNotFound)
	}
	r, err := getReset(tx, string(id))
	if err != nil {
		return nil, nil, err
	}
	if r.TokenHash != hash {
		return nil, nil, app.Errorf(app.ENOTFOUND, resetNotFound)
	}
	u, err := getUser(tx, "", r.UserID)
	if err != nil {
		return nil, nil, err
	}
	return r, u, nil
}

// PasswordReset implements app.PasswordResetStore.
func (db *DB) PasswordReset(ctx context.Context, userID string, activation bool) (*app.PasswordReset, error) {
	var r *app.PasswordReset
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		r, err = getReset(tx, resetKey(userID, activation))
		return err
	})
	return r, err
}

// SMSActivation implements app.PasswordResetStore.
func (db *DB) SMSActivation(ctx context.Context, userID string) (*app.PasswordReset, error) {
	var r *app.PasswordReset
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		r, err = getReset(tx, smsResetKey(userID))
		return err
	})
	return r, err
}

// QueueResetMails implements app.PasswordResetStore.
func (db *DB) QueueResetMails(ctx context.Context, mails []*app.ResetMail) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return putResetMails(tx, mails) })
}

// PasswordResetByToken implements app.PasswordResetStore.
func (db *DB) PasswordResetByToken(ctx context.Context, hash string) (*app.PasswordReset, *app.User, error) {
	var r *app.PasswordReset
	var u *app.User
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		r, u, err = resetByToken(tx, hash)
		return err
	})
	return r, u, err
}

// UsePasswordReset implements app.PasswordResetStore: check, write the
// user, use up the link and end the user's sessions in one transaction.
func (db *DB) UsePasswordReset(ctx context.Context, hash string, fn func(r *app.PasswordReset, u *app.User) error) (*app.User, error) {
	var out *app.User
	err := db.update(ctx, func(tx *bolt.Tx) error {
		r, old, err := resetByToken(tx, hash)
		if err != nil {
			return err
		}
		u := *old
		if err := fn(r, &u); err != nil {
			return err
		}
		if err := putUser(tx, old, &u); err != nil {
			return err
		}
		if err := dropReset(tx, u.ID); err != nil {
			return err
		}
		out = &u
		return deleteSessionsOf(tx, u.ID)
	})
	return out, err
}

// errCountedFailure rolls back the audited transaction of a failed
// ChangeSMSActivation, whose change (a counted wrong code) is then written
// without an audit entry.
var errCountedFailure = errors.New("counted failure")

// ChangeSMSActivation implements app.PasswordResetStore. A change fn makes
// while refusing (a wrong code counted) is written without the audit
// entries ctx carries: those record what succeeded.
func (db *DB) ChangeSMSActivation(ctx context.Context, userID string, fn func(r *app.PasswordReset, u *app.User) error) error {
	var fnErr error
	change := func(tx *bolt.Tx) error {
		key := smsResetKey(userID)
		r, err := getReset(tx, key)
		if err != nil {
			return err
		}
		u, err := getUser(tx, "", userID)
		if err != nil {
			return err
		}
		oldHash := r.TokenHash
		fnErr = fn(r, u)
		if r.TokenHash != oldHash {
			if err := release(tx.Bucket(resetTokens), []byte(oldHash), key); err != nil {
				return err
			}
			if err := tx.Bucket(resetTokens).Put([]byte(r.TokenHash), []byte(key)); err != nil {
				return err
			}
		}
		return put(tx.Bucket(resetBucket), []byte(key), r)
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		if fnErr != nil {
			return errCountedFailure
		}
		return nil
	})
	if errors.Is(err, errCountedFailure) {
		err = db.bolt.Update(change)
	}
	if err != nil {
		return err
	}
	return fnErr
}
