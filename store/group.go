package store

import (
	"bytes"
	"context"
	"sort"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

func groupNotFound(id string) string { return "There is no group " + id + "." }

// groupNameTaken names the group that holds the name, as it is spelt there.
func groupNameTaken(tx *bolt.Tx, orgID, name string) func() error {
	return func() error {
		var other app.Group
		if id := tx.Bucket(groupNamesBucket).Get(join(orgID, app.Key(name))); id != nil {
			if get(tx.Bucket(groupsBucket), join(orgID, string(id)), &other, "") == nil {
				name = other.Name
			}
		}
		return app.FieldError(app.ECONFLICT, "name", "There is already a group called %q in this organization.", name)
	}
}

// CreateGroup implements app.GroupStore: the group and its invite code in
// one transaction.
func (db *DB) CreateGroup(ctx context.Context, ng app.NewGroup) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		return createGroup(tx, ng, groupNameTaken(tx, ng.Group.OrgID, ng.Group.Name))
	})
}

// createGroup is the one way a group is written (CreateGroup, CreateImport):
// its name claimed in the organization (nameTaken says why not), the group,
// and its invite code. A code that is taken is ECONFLICT with the details
// field "invite_code", so the app draws another.
func createGroup(tx *bolt.Tx, ng app.NewGroup, nameTaken func() error) error {
	g, c := ng.Group, ng.Code
	if tx.Bucket(orgsBucket).Get([]byte(g.OrgID)) == nil {
		return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(g.OrgID))
	}
	if c == nil || c.OrgID != g.OrgID || c.GroupID != g.ID {
		return app.Errorf(app.EINVALID, "A new group needs its own invite code.")
	}
	if err := claim(tx.Bucket(groupNamesBucket), join(g.OrgID, app.Key(g.Name)), g.ID, nameTaken); err != nil {
		return err
	}
	if err := putGroup(tx, g); err != nil {
		return err
	}
	if err := putInviteCode(tx, c, ""); app.ErrorCode(err) == app.ECONFLICT {
		return app.FieldError(app.ECONFLICT, "invite_code", "%s", app.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	return nil
}

func putGroup(tx *bolt.Tx, g *app.Group) error {
	members := g.Members
	g.Members = 0 // derived, never stored
	defer func() { g.Members = members }()
	return put(tx.Bucket(groupsBucket), join(g.OrgID, g.ID), g)
}

// Group implements app.GroupStore.
func (db *DB) Group(ctx context.Context, orgID, id string) (*app.Group, error) {
	var g app.Group
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(groupsBucket), join(orgID, id), &g, groupNotFound(id))
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// GroupByName implements app.GroupStore.
func (db *DB) GroupByName(ctx context.Context, orgID, name string) (*app.Group, error) {
	var g app.Group
	err := db.bolt.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(groupNamesBucket).Get(join(orgID, app.Key(name)))
		if id == nil {
			return app.Errorf(app.ENOTFOUND, "%s", groupNotFound(name))
		}
		return get(tx.Bucket(groupsBucket), join(orgID, string(id)), &g, groupNotFound(name))
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// Groups implements app.GroupStore: the organization's groups by name, each
// with the number of users in it.
func (db *DB) Groups(ctx context.Context, orgID string) ([]*app.Group, error) {
	var out []*app.Group
	err := db.bolt.View(func(tx *bolt.Tx) error {
		prefix := join(orgID, "")
		b := tx.Bucket(groupsBucket)
		byID := map[string]*app.Group{}
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var g app.Group
			if err := get(b, k, &g, ""); err != nil {
				return err
			}
			out = append(out, &g)
			byID[g.ID] = &g
		}
		return eachIndexEntry(tx, orgID, func(_ []byte, e indexEntry) error {
			for _, id := range e.groups() {
				if g := byID[id]; g != nil {
					g.Members++
				}
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return app.SortKey(out[i].Name) < app.SortKey(out[j].Name) })
	return out, err
}

// UpdateGroup implements app.GroupStore.
func (db *DB) UpdateGroup(ctx context.Context, g *app.Group) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		var old app.Group
		if err := get(tx.Bucket(groupsBucket), join(g.OrgID, g.ID), &old, groupNotFound(g.ID)); err != nil {
			return err
		}
		names := tx.Bucket(groupNamesBucket)
		if err := release(names, join(g.OrgID, app.Key(old.Name)), g.ID); err != nil {
			return err
		}
		if err := claim(names, join(g.OrgID, app.Key(g.Name)), g.ID, groupNameTaken(tx, g.OrgID, g.Name)); err != nil {
			return err
		}
		return putGroup(tx, g)
	})
}

// DeleteGroup implements app.GroupStore: the group goes, and every member
// loses it in the same transaction.
func (db *DB) DeleteGroup(ctx context.Context, orgID, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return deleteGroup(tx, orgID, id) })
}

// deleteGroup removes the group, its name, its invite code and every
// member's membership inside tx; the members stay.
func deleteGroup(tx *bolt.Tx, orgID, id string) error {
	var g app.Group
	if err := get(tx.Bucket(groupsBucket), join(orgID, id), &g, groupNotFound(id)); err != nil {
		return err
	}
	var members []string
	err := eachIndexEntry(tx, orgID, func(_ []byte, e indexEntry) error {
		for _, gid := range e.groups() {
			if gid == id {
				members = append(members, e.userID())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, uid := range members {
		u, err := getUser(tx, orgID, uid)
		if err != nil {
			return err
		}
		kept := u.Groups[:0]
		for _, gid := range u.Groups {
			if gid != id {
				kept = append(kept, gid)
			}
		}
		u.Groups = kept
		if err := putUser(tx, u, u); err != nil {
			return err
		}
	}
	if err := release(tx.Bucket(groupNamesBucket), join(orgID, app.Key(g.Name)), id); err != nil {
		return err
	}
	if err := deleteInviteCodeOf(tx, orgID, id); err != nil {
		return err
	}
	return tx.Bucket(groupsBucket).Delete(join(orgID, id))
}
