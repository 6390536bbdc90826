package store

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// RollOver implements app.RolloverStore: the new groups, every change to
// the users and the end of the leavers' sessions are one transaction, so a
// rollover is wholly done or not at all.
func (db *DB) RollOver(ctx context.Context, orgID string, groups []*app.Group, ids []string, fn func(u *app.User) error, endSessions []string) ([]*app.User, error) {
	var out []*app.User
	err := db.update(ctx, func(tx *bolt.Tx) (err error) {
		if tx.Bucket(orgsBucket).Get([]byte(orgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(orgID))
		}
		for _, g := range groups {
			if err := claim(tx.Bucket(groupNamesBucket), join(g.OrgID, app.Key(g.Name)), g.ID, groupNameTaken(tx, g.OrgID, g.Name)); err != nil {
				return err
			}
			if err := putGroup(tx, g); err != nil {
				return err
			}
		}
		if err := endSessionsOf(tx, endSessions); err != nil {
			return err
		}
		// fn moves users between classes, never to another organization.
		out, err = changeUsersTx(tx, orgID, ids, fn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
