package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// compactDueKey in the meta bucket counts the purges since the file was
// last compacted; absent when nothing purged waits in freed pages.
var compactDueKey = []byte("compact_due")

// markCompactDue notes inside tx that a purge freed pages holding personal
// data, so the file is compacted (CompactIfDue) before the bytes can travel
// into a backup, and at the latest when Rollcall stops.
func markCompactDue(tx *bolt.Tx) error {
	meta := tx.Bucket(metaBucket)
	var n uint64
	if v := meta.Get(compactDueKey); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return putUint(meta, compactDueKey, n+1)
}

// DatedUsers implements app.LifecycleStore from the user index.
func (db *DB) DatedUsers(ctx context.Context, orgID, onOrBefore string) ([]app.DatedUser, error) {
	var out []app.DatedUser
	last := []byte(onOrBefore)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return eachIndexEntry(tx, orgID, func(_ []byte, e indexEntry) error {
			if d := e.deleteOn(); len(d) > 0 && bytes.Compare(d, last) <= 0 {
				out = append(out, app.DatedUser{ID: e.userID(), DeleteOn: string(d), Status: string(e.codedField(statusField))})
			}
			return nil
		})
	})
	return out, err
}

// PurgeUsers implements app.LifecycleStore: every named user of the
// organization is erased in one transaction.
func (db *DB) PurgeUsers(ctx context.Context, orgID string, ids []string) ([]*app.User, error) {
	var gone []*app.User
	err := db.update(ctx, func(tx *bolt.Tx) error {
		gone = gone[:0]
		for _, id := range ids {
			u, err := getUser(tx, orgID, id)
			if app.ErrorCode(err) == app.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if err := purgeUser(tx, u); err != nil {
				return err
			}
			gone = append(gone, u)
		}
		return nil
	})
	return gone, err
}

// purgeUser erases u inside tx: everything stored about the person.
func purgeUser(tx *bolt.Tx, u *app.User) error {
	// The index entries: names, memberships, logins, identities, the
	// badge's hash (the user record with the PIN hash goes below).
	if err := dropIndexEntries(tx, u); err != nil {
		return err
	}
	// Sign-in limit records keyed by the person: their account, their
	// password changes, the logins they typed, and their known devices
	// (keyed by the device's hash, found through the device sessions).
	failures := tx.Bucket(signInFailuresBucket)
	keys := app.SignInKeysOf(u)
	err := tx.Bucket(sessionsBucket).ForEach(func(k, v []byte) error {
		var s app.Session
		if json.Unmarshal(v, &s) == nil && s.SubjectID == u.ID && strings.HasPrefix(s.Kind, "device-") {
			keys = append(keys, "device:"+string(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := failures.Delete([]byte(k)); err != nil {
			return err
		}
	}
	// Sessions and known devices (sessions of kind device-...).
	if err := deleteSessionsOf(tx, u.ID); err != nil {
		return err
	}
	// Invitations with their tokens and outbox messages, then any other
	// mail still addressed to them.
	if err := deleteInvitationsOf(tx, map[string]bool{u.ID: true}); err != nil {
		return err
	}
	// A pending confirmation of their address, and its mail.
	if err := dropVerification(tx, u.ID); err != nil {
		return err
	}
	// A pending reset or activation link; its mail goes with the rest.
	if err := dropReset(tx, u.ID); err != nil {
		return err
	}
	if err := deleteMessagesTo(tx, u.ID); err != nil {
		return err
	}
	if u.Email != "" {
		to := app.LoginKey(u.Email)
		err := deleteMessagesWhere(tx, func(m *app.OutboxMessage) bool {
			return m.OrgID == u.OrgID && app.LoginKey(m.To) == to
		})
		if err != nil {
			return err
		}
	}

	if u.Phone != "" {
		// SMS to their number: activation links, and the code of their sign-up.
		err := deleteMessagesWhere(tx, func(m *app.OutboxMessage) bool {
			return m.OrgID == u.OrgID && m.Channel == app.ChannelSMS && m.To == u.Phone
		})
		if err != nil {
			return err
		}
	}

	// The audit log keeps what was done to and by them, without their name.
	if err := forgetInAudit(tx, u.ID); err != nil {
		return err
	}

	if err := tx.Bucket(usersBucket).Delete(uidKey(u.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(erasedBucket).Put([]byte(u.ID), nil); err != nil {
		return err
	}
	return markCompactDue(tx)
}

// erasedActions are the audit actions whose people were purged: they name
// the people erased before the erased bucket remembered them.
var erasedActions = map[string]bool{"user.delete": true, "user.erase": true, "user.purge": true, "user.bulk.delete": true}

// erasedPeople returns the IDs of everyone purged from the file: those the
// erased bucket remembers and those its audit log names as erased, less
// anyone who is a user of the file (an entry may name someone a deletion
// did not reach).
func erasedPeople(tx *bolt.Tx) (map[string]bool, error) {
	ids := map[string]bool{}
	if err := tx.Bucket(erasedBucket).ForEach(func(k, _ []byte) error {
		ids[string(k)] = true
		return nil
	}); err != nil {
		return nil, err
	}
	err := tx.Bucket(auditBucket).ForEach(func(k, v []byte) error {
		e, err := decodeAudit(k, v)
		if err != nil || !erasedActions[e.Action] {
			return err
		}
		for _, id := range append([]string{e.Target.ID}, e.People...) {
			if id != "" {
				ids[id] = true
			}
		}
		return nil
	})
	users := tx.Bucket(usersBucket)
	for id := range ids {
		if users.Get(uidKey(id)) != nil {
			delete(ids, id)
		}
	}
	return ids, err
}

// keysOf is the set of b's keys.
func keysOf(b *bolt.Bucket) (map[string]bool, error) {
	keys := map[string]bool{}
	err := b.ForEach(func(k, _ []byte) error {
		keys[string(k)] = true
		return nil
	})
	return keys, err
}

// keepOnly deletes b's keys that are not in keep.
func keepOnly(b *bolt.Bucket, keep map[string]bool) error {
	var doomed [][]byte
	if err := b.ForEach(func(k, _ []byte) error {
		if !keep[string(k)] {
			doomed = append(doomed, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// eraseAgain purges, in a restored file, the people erased before the
// restore, and remembers them all there; it says how many it purged. The
// file is compacted next, so the mark that a compaction is due is cleared.
func eraseAgain(tx *bolt.Tx, erased map[string]bool) (int, error) {
	n := 0
	for id := range erased {
		u, err := getUser(tx, "", id)
		if err == nil {
			if err := purgeUser(tx, u); err != nil {
				return n, err
			}
			n++
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return n, err
		}
		if err := tx.Bucket(erasedBucket).Put([]byte(id), nil); err != nil {
			return n, err
		}
	}
	return n, tx.Bucket(metaBucket).Delete(compactDueKey)
}

// deleteMessagesWhere removes the outbox messages doom picks, with their
// queue entries.
func deleteMessagesWhere(tx *bolt.Tx, doom func(m *app.OutboxMessage) bool) error {
	outbox, queue := tx.Bucket(outboxBucket), tx.Bucket(outboxQueue)
	var msgs [][]byte
	err := outbox.ForEach(func(k, v []byte) error {
		var m app.OutboxMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if doom(&m) {
			msgs = append(msgs, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range msgs {
		if err := outbox.Delete(k); err != nil {
			return err
		}
		if err := queue.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// PurgeGroup implements app.LifecycleStore.
func (db *DB) PurgeGroup(ctx context.Context, orgID, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if err := deleteGroup(tx, orgID, id); err != nil {
			return err
		}
		return markCompactDue(tx)
	})
}

// RemoveDatedInvitations implements app.LifecycleStore.
func (db *DB) RemoveDatedInvitations(ctx context.Context, orgID, onOrBefore string) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		invites, tokens := tx.Bucket(invitesBucket), tx.Bucket(inviteTokens)
		prefix := join(orgID, "")
		gone := map[string]bool{}
		var keys [][]byte
		c := invites.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rec := invitationRecord{Invitation: &app.Invitation{}}
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if rec.DeleteOn == "" || rec.DeleteOn > onOrBefore {
				continue
			}
			keys = append(keys, append([]byte(nil), k...))
			gone[rec.ID] = true
			if rec.TokenHash != "" {
				if err := tokens.Delete([]byte(rec.TokenHash)); err != nil {
					return err
				}
			}
		}
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			if err := invites.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		if err := deleteMessagesWhere(tx, func(m *app.OutboxMessage) bool { return gone[m.InvitationID] }); err != nil {
			return err
		}
		return markCompactDue(tx)
	})
	return n, err
}

// RemoveDatedImports implements app.LifecycleStore.
func (db *DB) RemoveDatedImports(ctx context.Context, orgID, onOrBefore string) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		imports, hashes := tx.Bucket(importsBucket), tx.Bucket(importHashBucket)
		prefix := join(orgID, "")
		var doomed []app.Import
		c := imports.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var imp app.Import
			if err := json.Unmarshal(v, &imp); err != nil {
				return err
			}
			if imp.DeleteOn != "" && imp.DeleteOn <= onOrBefore {
				doomed = append(doomed, imp)
			}
		}
		for _, imp := range doomed {
			if err := imports.Delete(join(orgID, imp.ID)); err != nil {
				return err
			}
			if err := hashes.Delete(join(orgID, imp.SHA256, imp.ID)); err != nil {
				return err
			}
		}
		n = len(doomed)
		if n == 0 {
			return nil
		}
		return markCompactDue(tx)
	})
	return n, err
}

// InvitationsOf implements app.LifecycleStore.
func (db *DB) InvitationsOf(ctx context.Context, userID string) ([]*app.Invitation, error) {
	out := []*app.Invitation{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(invitesBucket).ForEach(func(k, v []byte) error {
			rec := invitationRecord{Invitation: &app.Invitation{}}
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if rec.UserID == userID {
				out = append(out, rec.Invitation)
			}
			return nil
		})
	})
	return out, err
}

// sparse reports whether at least a fifth of a file of 4 MiB or more is
// free pages: bbolt writes every changed page anew, so a bulk write (an
// import of thousands, a batch of accounts) leaves behind as many free
// pages as it touched, which the file keeps. CompactIfDue then gives
// them back, as after a purge.
func (db *DB) sparse() bool {
	db.bolt.mu.RLock() // not beside a swap
	defer db.bolt.mu.RUnlock()
	fi, err := os.Stat(db.Path)
	if err != nil || fi.Size() < 4<<20 {
		return false
	}
	st := db.bolt.Stats()
	free := int64(st.FreePageN+st.PendingPageN) * int64(db.bolt.Info().PageSize)
	return free*5 >= fi.Size()
}

// CompactIfDue implements app.LifecycleStore: when a purge marked the file
// due, or when it is sparse (a fifth free pages).
func (db *DB) CompactIfDue(ctx context.Context) (bool, error) {
	return db.compact(false)
}

// CompactNow implements app.LifecycleStore: Compact, and what was due is done.
func (db *DB) CompactNow(ctx context.Context) error {
	_, err := db.compact(true)
	return err
}

// compact compacts the file when a purge marked it due, or always when
// force. The count read before the copy is cleared after it only if no
// purge came meanwhile (the copy carries the count into the new file).
func (db *DB) compact(force bool) (bool, error) {
	var due []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		due = bytes.Clone(tx.Bucket(metaBucket).Get(compactDueKey))
		return nil
	})
	if err != nil || due == nil && !force && !db.sparse() {
		return false, err
	}
	if err := db.Compact(); err != nil {
		return false, err
	}
	if due == nil {
		return true, nil
	}
	return true, db.bolt.Update(func(tx *bolt.Tx) error { // bookkeeping: no audit entry
		meta := tx.Bucket(metaBucket)
		if bytes.Equal(meta.Get(compactDueKey), due) {
			return meta.Delete(compactDueKey)
		}
		return nil
	})
}
