package store

import (
	"bytes"
	"context"
	"sort"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// CreateImport implements app.ImportStore: the import record, its new
// groups (each with its invite code, as CreateGroup writes them) and all its
// users in one db.Update, so a crash at any moment
// leaves the whole import or none of it.
func (db *DB) CreateImport(ctx context.Context, imp *app.Import, groups []app.NewGroup, users []*app.User, mails ...*app.ResetMail) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(imp.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(imp.OrgID))
		}
		hashes := tx.Bucket(importHashBucket)
		if !imp.Again {
			prefix := join(imp.OrgID, imp.SHA256, "")
			if k, _ := hashes.Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
				return app.Errorf(app.ECONFLICT, "This file was already imported; confirm to import it again.")
			}
		}
		for _, ng := range groups {
			g := ng.Group
			if g.OrgID != imp.OrgID {
				return app.Errorf(app.EINVALID, "A group of another organization cannot be created by this import.")
			}
			err := createGroup(tx, ng, func() error {
				return app.FieldError(app.ECONFLICT, "groups", "A group called %q was created meanwhile; check the preview again.", g.Name)
			})
			if err != nil {
				return err
			}
		}
		// The groups the users join were checked when the file was planned;
		// one deleted since then is refused here, inside the transaction.
		for _, u := range users {
			if u.OrgID != imp.OrgID {
				return app.Errorf(app.EINVALID, "A user of another organization cannot be created by this import.")
			}
		}
		if err := groupsExist(tx, users); err != nil {
			return err
		}
		for _, u := range users {
			if err := putUser(tx, nil, u); err != nil {
				return err
			}
		}
		if len(users) >= bulkUsers { // as CreateUsers
			if err := markCompactDue(tx); err != nil {
				return err
			}
		}
		if err := putResetMails(tx, mails); err != nil {
			return err
		}
		if err := hashes.Put(join(imp.OrgID, imp.SHA256, imp.ID), nil); err != nil {
			return err
		}
		return put(tx.Bucket(importsBucket), join(imp.OrgID, imp.ID), imp)
	})
}

// ImportsByHash implements app.ImportStore.
func (db *DB) ImportsByHash(ctx context.Context, orgID, sha256 string) ([]*app.Import, error) {
	var out []*app.Import
	err := db.bolt.View(func(tx *bolt.Tx) error {
		prefix := join(orgID, sha256, "")
		c := tx.Bucket(importHashBucket).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var imp app.Import
			if err := get(tx.Bucket(importsBucket), join(orgID, string(k[len(prefix):])), &imp, "import gone"); err != nil {
				return err
			}
			out = append(out, &imp)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// Imports implements app.ImportStore.
func (db *DB) Imports(ctx context.Context, orgID string) ([]*app.Import, error) {
	out := []*app.Import{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		prefix := join(orgID, "")
		b := tx.Bucket(importsBucket)
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var imp app.Import
			if err := get(b, k, &imp, ""); err != nil {
				return err
			}
			out = append(out, &imp)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, err
}
