package store

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sort"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

var (
	ssoProvidersBucket  = []byte("sso_providers")  // orgID/providerID → provider (client secret sealed)
	ssoIdentitiesBucket = []byte("sso_identities") // issuer \0 subject → userID
	// ssoAdminIdentitiesBucket links identities to admin accounts (app.Admin).
	ssoAdminIdentitiesBucket = []byte("sso_admin_identities") // issuer \0 subject → adminID
)

// SSOProviders implements app.SSOProviderStore.
func (db *DB) SSOProviders(ctx context.Context, orgID string) ([]*app.SSOProvider, error) {
	var out []*app.SSOProvider
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(ssoProvidersBucket).Cursor()
		prefix := join(orgID, "")
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var p app.SSOProvider
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, &p)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// SSOProvider implements app.SSOProviderStore; orgID "" finds it in any organization.
func (db *DB) SSOProvider(ctx context.Context, orgID, id string) (*app.SSOProvider, error) {
	var found *app.SSOProvider
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(ssoProvidersBucket).ForEach(func(k, v []byte) error {
			var p app.SSOProvider
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if p.ID == id && (orgID == "" || p.OrgID == orgID) {
				found = &p
			}
			return nil
		})
	})
	if err == nil && found == nil {
		err = app.Errorf(app.ENOTFOUND, "There is no such sign-in provider.")
	}
	return found, err
}

// PutSSOProvider implements app.SSOProviderStore.
func (db *DB) PutSSOProvider(ctx context.Context, p *app.SSOProvider) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(p.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(p.OrgID))
		}
		return put(tx.Bucket(ssoProvidersBucket), join(p.OrgID, p.ID), p)
	})
}

// DeleteSSOProvider implements app.SSOProviderStore.
func (db *DB) DeleteSSOProvider(ctx context.Context, orgID, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(ssoProvidersBucket)
		if b.Get(join(orgID, id)) == nil {
			return app.Errorf(app.ENOTFOUND, "There is no such sign-in provider.")
		}
		return b.Delete(join(orgID, id))
	})
}

// ResolveIdentity implements app.SSOProviderStore: the identity's link,
// the email's holder, the decision and its writes (the user, the link, the
// session, the audit entry) in one transaction. bbolt runs one write
// transaction at a time, so of ten first sign-ins of one person arriving
// together the first creates the account and the other nine find it
// linked: one account.
func (db *DB) ResolveIdentity(ctx context.Context, r *app.SSOResolution) (*app.User, error) {
	var out *app.User
	err := db.update(ctx, func(tx *bolt.Tx) error {
		ids := tx.Bucket(ssoIdentitiesBucket)
		var linked, byEmail *app.User
		if id := ids.Get([]byte(r.Identity.Key())); id != nil {
			u, err := getUser(tx, "", string(id))
			if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
				return err
			}
			if u != nil && slices.ContainsFunc(u.Identities, func(i app.Identity) bool { return i.Key() == r.Identity.Key() }) {
				linked = u
			}
		}
		if linked == nil && r.Email != "" {
			if id, ok := loginOwner(tx.Bucket(loginsBucket), []byte("e:"+app.LoginKey(r.Email))); ok {
				u, err := getUser(tx, "", id)
				if err != nil {
					return err
				}
				byEmail = u
			}
		}
		u, write, create, err := r.Decide(linked, byEmail)
		if err != nil {
			return err
		}
		switch {
		case create:
			if tx.Bucket(orgsBucket).Get([]byte(u.OrgID)) == nil {
				return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
			}
			u.Identities = []app.Identity{r.Identity}
			if err := groupsExist(tx, []*app.User{u}); err != nil {
				return err
			}
			if err := putUser(tx, nil, u); err != nil {
				return err
			}
		case write:
			if err := putUser(tx, byEmail, u); err != nil {
				return err
			}
		}
		if create || write {
			if err := ids.Put([]byte(r.Identity.Key()), []byte(u.ID)); err != nil {
				return err
			}
		}
		if r.Session != nil && u.Status == app.StatusActive {
			s := *r.Session
			s.SubjectID = u.ID
			if err := put(tx.Bucket(sessionsBucket), []byte(s.Hash), &s); err != nil {
				return err
			}
		}
		out = u
		return nil
	})
	return out, err
}

// AcceptInvitationIdentity implements app.SSOProviderStore: the
// invitation accepted as AcceptInvitation does, the identity linked to
// its account and the session created, in one transaction. An identity
// already linked to another account is refused, and so is a second
// identity of the same issuer on the account.
func (db *DB) AcceptInvitationIdentity(ctx context.Context, hash string, ident app.Identity, sess *app.Session, fn func(inv *app.Invitation, u *app.User) error) (*app.Invitation, *app.User, error) {
	var inv *app.Invitation
	var u *app.User
	err := db.update(ctx, func(tx *bolt.Tx) error {
		ids := tx.Bucket(ssoIdentitiesBucket)
		linkedTo := string(ids.Get([]byte(ident.Key())))
		var err error
		inv, u, err = acceptInvitation(tx, hash, func(inv *app.Invitation, u *app.User) error {
			if linkedTo != "" && linkedTo != u.ID {
				if other, err := getUser(tx, "", linkedTo); err == nil && slices.ContainsFunc(other.Identities, func(i app.Identity) bool { return i.Key() == ident.Key() }) {
					return app.Errorf(app.EFORBIDDEN, "This sign-in account is already linked to another Rollcall account, so it cannot accept this invitation. Use the form with a password.")
				}
			}
			if err := fn(inv, u); err != nil {
				return err
			}
			for _, i := range u.Identities {
				switch {
				case i.Key() == ident.Key():
					return nil
				case i.Issuer == ident.Issuer:
					return app.Errorf(app.EFORBIDDEN, "This account is already linked to another account at the same sign-in provider.")
				}
			}
			u.Identities = append(slices.Clone(u.Identities), ident)
			return nil
		})
		if err != nil {
			return err
		}
		if err := ids.Put([]byte(ident.Key()), []byte(u.ID)); err != nil {
			return err
		}
		if sess != nil && u.Status == app.StatusActive {
			s := *sess
			s.SubjectID = u.ID
			return put(tx.Bucket(sessionsBucket), []byte(s.Hash), &s)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return inv, u, nil
}

// releaseIdentities removes the links of a user being erased.
func releaseIdentities(tx *bolt.Tx, u *app.User) error {
	ids := tx.Bucket(ssoIdentitiesBucket)
	for _, i := range u.Identities {
		if string(ids.Get([]byte(i.Key()))) == u.ID {
			if err := ids.Delete([]byte(i.Key())); err != nil {
				return err
			}
		}
	}
	return nil
}

// LinkAdminIdentity implements app.SSOProviderStore: the identity is
// linked to the admin, replacing an identity of the same issuer the admin
// had; one linked to another admin is refused.
func (db *DB) LinkAdminIdentity(ctx context.Context, adminID string, ident app.Identity) (*app.Admin, error) {
	var out *app.Admin
	err := db.update(ctx, func(tx *bolt.Tx) error {
		ids := tx.Bucket(ssoAdminIdentitiesBucket)
		adm, err := getAdmin(tx, []byte(adminID))
		if err != nil {
			return err
		}
		if other := string(ids.Get([]byte(ident.Key()))); other != "" && other != adminID {
			if o, err := getAdmin(tx, []byte(other)); err == nil && slices.ContainsFunc(o.Identities, func(i app.Identity) bool { return i.Key() == ident.Key() }) {
				return app.Errorf(app.ECONFLICT, "This sign-in account is already linked to the admin %s.", o.DisplayName())
			}
		}
		kept := []app.Identity{}
		for _, i := range adm.Identities {
			if i.Issuer == ident.Issuer || i.Key() == ident.Key() {
				if string(ids.Get([]byte(i.Key()))) == adminID {
					if err := ids.Delete([]byte(i.Key())); err != nil {
						return err
					}
				}
				continue
			}
			kept = append(kept, i)
		}
		adm.Identities = append(kept, ident)
		if err := ids.Put([]byte(ident.Key()), []byte(adminID)); err != nil {
			return err
		}
		out = adm
		return put(tx.Bucket(adminsBucket), []byte(adminID), recordOf(adm))
	})
	return out, err
}

// UnlinkAdminIdentity implements app.SSOProviderStore: the admin's
// identities linked through the provider are removed.
func (db *DB) UnlinkAdminIdentity(ctx context.Context, adminID, provider string) (*app.Admin, error) {
	var out *app.Admin
	err := db.update(ctx, func(tx *bolt.Tx) error {
		adm, err := getAdmin(tx, []byte(adminID))
		if err != nil {
			return err
		}
		kept := []app.Identity{}
		for _, i := range adm.Identities {
			if i.Provider != provider {
				kept = append(kept, i)
				continue
			}
			if err := releaseAdminIdentity(tx, adminID, i); err != nil {
				return err
			}
		}
		if len(kept) == len(adm.Identities) {
			return app.Errorf(app.ENOTFOUND, "Your admin account is not linked to that sign-in provider.")
		}
		adm.Identities = kept
		out = adm
		return put(tx.Bucket(adminsBucket), []byte(adminID), recordOf(adm))
	})
	return out, err
}

// AdminByIdentity implements app.SSOProviderStore.
func (db *DB) AdminByIdentity(ctx context.Context, key string) (*app.Admin, error) {
	var out *app.Admin
	err := db.bolt.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(ssoAdminIdentitiesBucket).Get([]byte(key))
		if id == nil {
			return app.Errorf(app.ENOTFOUND, "No admin account is linked to this sign-in account.")
		}
		adm, err := getAdmin(tx, id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(adm.Identities, func(i app.Identity) bool { return i.Key() == key }) {
			return app.Errorf(app.ENOTFOUND, "No admin account is linked to this sign-in account.")
		}
		out = adm
		return nil
	})
	return out, err
}

// releaseAdminIdentity removes an admin's identity from the index.
func releaseAdminIdentity(tx *bolt.Tx, adminID string, i app.Identity) error {
	ids := tx.Bucket(ssoAdminIdentitiesBucket)
	if string(ids.Get([]byte(i.Key()))) == adminID {
		return ids.Delete([]byte(i.Key()))
	}
	return nil
}
