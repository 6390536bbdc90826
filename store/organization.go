package store

import (
	"context"
	"sort"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

func orgNotFound(id string) string { return "There is no organization " + id + "." }

// CreateOrganization implements app.OrganizationStore.
func (db *DB) CreateOrganization(ctx context.Context, o *app.Organization) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		err := claim(tx.Bucket(orgSlugsBucket), []byte(app.Key(o.Slug)), o.ID, func() error {
			return app.FieldError(app.ECONFLICT, "slug", "The short name %q is taken by another organization; choose another.", o.Slug)
		})
		if err != nil {
			return err
		}
		return put(tx.Bucket(orgsBucket), []byte(o.ID), o)
	})
}

// Organization implements app.OrganizationStore.
func (db *DB) Organization(ctx context.Context, id string) (*app.Organization, error) {
	var o app.Organization
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(orgsBucket), []byte(id), &o, orgNotFound(id))
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// OrganizationBySlug implements app.OrganizationStore.
func (db *DB) OrganizationBySlug(ctx context.Context, slug string) (*app.Organization, error) {
	var o app.Organization
	err := db.bolt.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(orgSlugsBucket).Get([]byte(app.Key(slug)))
		if id == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(slug))
		}
		return get(tx.Bucket(orgsBucket), id, &o, orgNotFound(slug))
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// Organizations implements app.OrganizationStore.
func (db *DB) Organizations(ctx context.Context) ([]*app.Organization, error) {
	var out []*app.Organization
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(orgsBucket).ForEach(func(k, v []byte) error {
			var o app.Organization
			if err := get(tx.Bucket(orgsBucket), k, &o, ""); err != nil {
				return err
			}
			out = append(out, &o)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return app.SortKey(out[i].Name) < app.SortKey(out[j].Name) })
	return out, err
}

// UpdateOrganization implements app.OrganizationStore. The slug never changes.
func (db *DB) UpdateOrganization(ctx context.Context, o *app.Organization) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(orgsBucket)
		if b.Get([]byte(o.ID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(o.ID))
		}
		before := orgLanguage(tx, o.ID)
		if err := put(b, []byte(o.ID), o); err != nil {
			return err
		}
		if app.PickLanguage(before) != app.PickLanguage(o.Language) {
			return reindexUsers(tx, o.ID) // the order of names is the language's
		}
		return nil
	})
}
