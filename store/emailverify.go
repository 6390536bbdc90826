package store

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

const verificationNotFound = "There is no such email confirmation."

func getVerification(tx *bolt.Tx, userID string) (*app.EmailVerification, error) {
	v := &app.EmailVerification{}
	if err := get(tx.Bucket(emailVerifyBucket), []byte(userID), v, verificationNotFound); err != nil {
		return nil, err
	}
	return v, nil
}

// putVerificationMail stores a new verification (replacing the user's
// earlier one, whose link stops working and whose mail is not sent) and its
// message. nil stores nothing.
func putVerificationMail(tx *bolt.Tx, vm *app.VerificationMail) error {
	if vm == nil {
		return nil
	}
	v := vm.Verification
	if err := dropVerification(tx, v.UserID); err != nil {
		return err
	}
	if err := tx.Bucket(emailVerifyTokens).Put([]byte(v.TokenHash), []byte(v.UserID)); err != nil {
		return err
	}
	if err := put(tx.Bucket(emailVerifyBucket), []byte(v.UserID), v); err != nil {
		return err
	}
	return putMessage(tx, vm.Message)
}

// dropVerification removes the user's pending verification and its token;
// a mail not yet sent is cancelled (its sealed token erased).
func dropVerification(tx *bolt.Tx, userID string) error {
	v, err := getVerification(tx, userID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if err := release(tx.Bucket(emailVerifyTokens), []byte(v.TokenHash), userID); err != nil {
		return err
	}
	if err := tx.Bucket(emailVerifyBucket).Delete([]byte(userID)); err != nil {
		return err
	}
	return cancelMessage(tx, v.MessageID)
}

// deleteMessagesTo removes the verification mails of a deleted account
// (invitation mails go with its invitations), so its address stays nowhere.
func deleteMessagesTo(tx *bolt.Tx, userID string) error {
	var ids [][]byte
	err := tx.Bucket(outboxBucket).ForEach(func(k, v []byte) error {
		var m app.OutboxMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if m.UserID == userID {
			ids = append(ids, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.Bucket(outboxQueue).Delete(id); err != nil {
			return err
		}
		if err := tx.Bucket(outboxBucket).Delete(id); err != nil {
			return err
		}
	}
	return nil
}

// dropEmail takes an unverified address away from the account that claimed
// it (app.EmailDrop), with its pending verification.
func dropEmail(tx *bolt.Tx, d app.EmailDrop) error {
	u, err := getUser(tx, "", d.UserID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil // deleted meanwhile: the address is free
	} else if err != nil {
		return err
	}
	if u.EmailVerified || u.Email == "" || app.LoginKey(u.Email) != app.LoginKey(d.Email) {
		return app.Errorf(app.ECONFLICT, "The account that used %s changed meanwhile; invite the address again.", d.Email)
	}
	old := *u
	u.Email, u.EmailVerified = "", false
	if u.Username == "" {
		u.Username = d.Username
	}
	if err := putUser(tx, &old, u); err != nil {
		return err
	}
	return dropVerification(tx, u.ID)
}

// EmailVerification implements app.EmailVerificationStore.
func (db *DB) EmailVerification(ctx context.Context, userID string) (*app.EmailVerification, error) {
	var v *app.EmailVerification
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		v, err = getVerification(tx, userID)
		return err
	})
	return v, err
}

// VerifyEmail implements app.EmailVerificationStore: check, mark the user
// and use up the token in one transaction.
func (db *DB) VerifyEmail(ctx context.Context, hash string, fn func(v *app.EmailVerification, u *app.User) error) (*app.User, error) {
	var out *app.User
	err := db.update(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(emailVerifyTokens).Get([]byte(hash))
		if id == nil {
			return app.Errorf(app.ENOTFOUND, verificationNotFound)
		}
		v, err := getVerification(tx, string(id))
		if err != nil {
			return err
		}
		if v.TokenHash != hash {
			return app.Errorf(app.ENOTFOUND, verificationNotFound)
		}
		old, err := getUser(tx, "", v.UserID)
		if err != nil {
			return err
		}
		u := *old
		if err := fn(v, &u); err != nil {
			return err
		}
		if err := putUser(tx, old, &u); err != nil {
			return err
		}
		out = &u
		return dropVerification(tx, u.ID)
	})
	return out, err
}
