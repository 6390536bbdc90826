package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// auditBucket holds the audit log: key = entry time (Unix µs, big-endian)
// followed by the bucket's next sequence number, so a scan of the bucket is
// chronological and a new entry goes at its end.
var auditBucket = []byte("audit")

// auditIDsBucket indexes the audit log by the IDs it names (actor, target,
// people touched): ID \0 entry key → "", so that forgetting a person reads
// only their entries.
var auditIDsBucket = []byte("audit_ids")

// entryIDs are the IDs an entry names, each once.
func entryIDs(e *app.AuditEntry) []string {
	var ids []string
	seen := map[string]bool{"": true}
	for _, id := range append([]string{e.Actor.ID, e.Target.ID}, e.People...) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

func idKey(id string, key []byte) []byte {
	return append(append([]byte(id), 0), key...)
}

// update runs fn in a write transaction and, once fn has succeeded, writes
// in the same transaction the audit entries the use case attached to ctx
// (app.PendingAudit): a change and its audit entry are both present or both
// absent. Every write of the store goes through it.
func (db *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	var pending []app.AuditEntry
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		// Read after fn: a use case may fill in what it learns inside the
		// transaction (app.AmendAudit).
		pending = app.PendingAudit(ctx)
		return appendAudit(tx, pending)
	})
	if err == nil && len(pending) > 0 {
		app.AuditWritten(ctx)
	}
	return err
}

// batch is update for small writes that many requests make at once (a class
// signing in: one session each): they share one commit and its fsync
// (bolt.DB.Batch) instead of queueing for one each. fn and the audit
// entries it carries must have no effect outside the transaction, since
// Batch may run fn again in a new one after another call's failure.
func (db *DB) batch(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	var pending []app.AuditEntry
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		pending = app.PendingAudit(ctx)
		return appendAudit(tx, pending)
	})
	if err == nil && len(pending) > 0 {
		app.AuditWritten(ctx)
	}
	return err
}

// appendAudit writes entries to the audit bucket.
func appendAudit(tx *bolt.Tx, entries []app.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	b, idx := tx.Bucket(auditBucket), tx.Bucket(auditIDsBucket)
	b.FillPercent = appendFill // keyed by time: entries append
	for _, e := range entries {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key := make([]byte, 16)
		binary.BigEndian.PutUint64(key, uint64(e.Time.UnixMicro()))
		binary.BigEndian.PutUint64(key[8:], seq)
		e.ID = ""
		if err := put(b, key, e); err != nil {
			return err
		}
		for _, id := range entryIDs(&e) {
			if err := idx.Put(idKey(id, key), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func decodeAudit(k, v []byte) (app.AuditEntry, error) {
	var e app.AuditEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return e, fmt.Errorf("decode audit entry %x: %w", k, err)
	}
	e.ID = hex.EncodeToString(k)
	return e, nil
}

// timeKey is the smallest key of an entry at t or later.
func timeKey(t time.Time) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(t.UnixMicro()))
	return k
}

// AppendAudit implements app.AuditStore.
func (db *DB) AppendAudit(ctx context.Context) error {
	if len(app.PendingAudit(ctx)) == 0 {
		return nil
	}
	return db.update(ctx, func(*bolt.Tx) error { return nil })
}

// AuditEntries implements app.AuditStore: newest first, from the cursor (the
// ID of the last entry of the previous page) or from f.To.
func (db *DB) AuditEntries(ctx context.Context, f app.AuditFilter) ([]app.AuditEntry, string, error) {
	var out []app.AuditEntry
	next := ""
	var start []byte
	if f.Cursor != "" {
		k, err := hex.DecodeString(f.Cursor)
		if err != nil || len(k) != 16 {
			return nil, "", app.Errorf(app.EINVALID, "The page cursor %q is not one Rollcall gave out; start from the first page.", f.Cursor)
		}
		start = k
	} else if !f.To.IsZero() {
		start = timeKey(f.To)
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(auditBucket).Cursor()
		var k, v []byte
		if start == nil {
			k, v = c.Last()
		} else {
			// The last key before start.
			if k, v = c.Seek(start); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			for k != nil && bytes.Compare(k, start) >= 0 {
				k, v = c.Prev()
			}
		}
		var from []byte
		if !f.From.IsZero() {
			from = timeKey(f.From)
		}
		for ; k != nil; k, v = c.Prev() {
			if from != nil && bytes.Compare(k, from) < 0 {
				break
			}
			e, err := decodeAudit(k, v)
			if err != nil {
				return err
			}
			if !f.Match(&e) {
				continue
			}
			if f.Limit > 0 && len(out) == f.Limit {
				next = out[len(out)-1].ID
				break
			}
			out = append(out, e)
		}
		return nil
	})
	return out, next, err
}

// PruneAudit implements app.AuditStore in one transaction.
func (db *DB) PruneAudit(ctx context.Context, before time.Time, keep func(e *app.AuditEntry) bool) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b, idx := tx.Bucket(auditBucket), tx.Bucket(auditIDsBucket)
		end := timeKey(before)
		var doomed []app.AuditEntry
		c := b.Cursor()
		for k, v := c.First(); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			e, err := decodeAudit(k, v)
			if err != nil {
				return err
			}
			if keep == nil || !keep(&e) {
				doomed = append(doomed, e)
			}
		}
		for _, e := range doomed {
			k, _ := hex.DecodeString(e.ID)
			if err := b.Delete(k); err != nil {
				return err
			}
			for _, id := range entryIDs(&e) {
				if err := idx.Delete(idKey(id, k)); err != nil {
					return err
				}
			}
		}
		n = len(doomed)
		return nil
	})
	return n, err
}

// ForgetPersonInAudit implements app.AuditStore in a transaction of its own;
// a purge calls forgetInAudit inside its own transaction instead.
func (db *DB) ForgetPersonInAudit(ctx context.Context, personID string) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return forgetInAudit(tx, personID) })
}

// forgetInAudit drops the name of the person with personID from every audit
// entry that names them (app.AuditEntry.Forget): the action, time and IDs
// stay, the name becomes "deleted person". It runs inside the caller's
// transaction, so a purge forgets in the same transaction that deletes.
// Entries the caller's own ctx adds to that transaction are written after
// fn, so a purge names its target app.DeletedPerson itself.
func forgetInAudit(tx *bolt.Tx, personID string) error {
	if personID == "" {
		return nil
	}
	b := tx.Bucket(auditBucket)
	type change struct{ k, v []byte }
	var changes []change
	prefix := idKey(personID, nil)
	c := tx.Bucket(auditIDsBucket).Cursor()
	for ik, _ := c.Seek(prefix); ik != nil && bytes.HasPrefix(ik, prefix); ik, _ = c.Next() {
		k := ik[len(prefix):]
		v := b.Get(k)
		if v == nil {
			continue
		}
		e, err := decodeAudit(k, v)
		if err != nil {
			return err
		}
		if !e.Forget(personID) {
			continue
		}
		e.ID = ""
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		changes = append(changes, change{append([]byte(nil), k...), data})
	}
	for _, c := range changes {
		if err := b.Put(c.k, c.v); err != nil {
			return err
		}
	}
	return nil
}
