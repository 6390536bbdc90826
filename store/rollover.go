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
	err := db.update(ctx, func(tx *bolt.Tx) error {
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
		doomed := make(map[string]bool, len(endSessions))
		for _, id := range endSessions {
			doomed[id] = true
		}
		if err := deleteSessionsWhere(tx, func(s *app.Session) bool { return doomed[s.SubjectID] }); err != nil {
			return err
		}
		out = make([]*app.User, 0, len(ids))
		for _, id := range ids {
			old, err := getUser(tx, orgID, id)
			if err != nil {
				return err
			}
			u := *old
			u.Groups = append([]string(nil), old.Groups...)
			u.Labels = append([]string(nil), old.Labels...)
			if err := fn(&u); err != nil {
				return err
			}
			u.ID, u.OrgID = old.ID, old.OrgID
			if err := putUser(tx, old, &u); err != nil {
				return err
			}
			out = append(out, &u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
