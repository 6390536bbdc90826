package store

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// The OpenID Connect provider's records (app/oidc.go). Codes and access
// tokens are keyed by their SHA-256 only; the keys are sealed.
var (
	oidcAppsBucket     = []byte("oidc_apps")     // clientID → storedApp
	oidcRequestsBucket = []byte("oidc_requests") // requestID → app.OIDCRequest
	oidcCodesBucket    = []byte("oidc_codes")    // SHA-256 of code → requestID
	oidcTokensBucket   = []byte("oidc_tokens")   // SHA-256 of token ID → app.OIDCToken
	oidcKeysKey        = []byte("oidc_keys")     // in meta: app.OIDCKeys
)

type storedApp struct {
	App        *app.ConnectedApp `json:"app"`
	SecretHash string            `json:"secret_hash,omitempty"`
}

// CreateConnectedApp implements app.OIDCStore.
func (db *DB) CreateConnectedApp(ctx context.Context, c *app.ConnectedApp, secretHash string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(orgsBucket).Get([]byte(c.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "There is no such organization.")
		}
		return put(tx.Bucket(oidcAppsBucket), []byte(c.ID), storedApp{App: c, SecretHash: secretHash})
	})
}

// ConnectedApp implements app.OIDCStore.
func (db *DB) ConnectedApp(ctx context.Context, id string) (*app.ConnectedApp, string, error) {
	var s storedApp
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(oidcAppsBucket), []byte(id), &s, "There is no such connected app.")
	})
	if err != nil {
		return nil, "", err
	}
	return s.App, s.SecretHash, nil
}

// ConnectedApps implements app.OIDCStore: a scan (a school has a handful).
func (db *DB) ConnectedApps(ctx context.Context, orgID string) ([]*app.ConnectedApp, error) {
	var out []*app.ConnectedApp
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(oidcAppsBucket).ForEach(func(_, v []byte) error {
			var s storedApp
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if s.App.OrgID == orgID {
				out = append(out, s.App)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// DeleteConnectedApp implements app.OIDCStore.
func (db *DB) DeleteConnectedApp(ctx context.Context, orgID, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		var s storedApp
		if err := get(tx.Bucket(oidcAppsBucket), []byte(id), &s, "There is no such connected app."); err != nil {
			return err
		}
		if s.App.OrgID != orgID {
			return app.Errorf(app.ENOTFOUND, "There is no such connected app.")
		}
		if err := tx.Bucket(oidcAppsBucket).Delete([]byte(id)); err != nil {
			return err
		}
		doomed := map[string]bool{}
		if err := deleteWhere(tx.Bucket(oidcRequestsBucket), func(v []byte) bool {
			var r app.OIDCRequest
			if json.Unmarshal(v, &r) == nil && r.ClientID == id {
				doomed[r.ID] = true
				return true
			}
			return false
		}); err != nil {
			return err
		}
		if err := deleteWhere(tx.Bucket(oidcCodesBucket), func(v []byte) bool { return doomed[string(v)] }); err != nil {
			return err
		}
		return deleteWhere(tx.Bucket(oidcTokensBucket), func(v []byte) bool {
			var t app.OIDCToken
			return json.Unmarshal(v, &t) == nil && t.ClientID == id
		})
	})
}

// deleteWhere removes the keys of b whose value doom picks.
func deleteWhere(b *bolt.Bucket, doom func(v []byte) bool) error {
	var keys [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		if doom(v) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// PutOIDCRequest implements app.OIDCStore. Requests older than an hour are
// swept out on the way.
func (db *DB) PutOIDCRequest(ctx context.Context, r *app.OIDCRequest) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(oidcRequestsBucket)
		cutoff := r.CreatedAt.Add(-time.Hour)
		if err := deleteWhere(b, func(v []byte) bool {
			var old app.OIDCRequest
			return json.Unmarshal(v, &old) == nil && old.CreatedAt.Before(cutoff)
		}); err != nil {
			return err
		}
		return put(b, []byte(r.ID), r)
	})
}

// OIDCRequest implements app.OIDCStore.
func (db *DB) OIDCRequest(ctx context.Context, id string) (*app.OIDCRequest, error) {
	var r app.OIDCRequest
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(oidcRequestsBucket), []byte(id), &r, "There is no such sign-in request.")
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteOIDCRequest implements app.OIDCStore, with the request's code.
func (db *DB) DeleteOIDCRequest(ctx context.Context, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if err := deleteWhere(tx.Bucket(oidcCodesBucket), func(v []byte) bool { return string(v) == id }); err != nil {
			return err
		}
		return tx.Bucket(oidcRequestsBucket).Delete([]byte(id))
	})
}

// SaveOIDCCode implements app.OIDCStore.
func (db *DB) SaveOIDCCode(ctx context.Context, id, codeHash string, at time.Time) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(oidcRequestsBucket)
		var r app.OIDCRequest
		if err := get(b, []byte(id), &r, "There is no such sign-in request."); err != nil {
			return err
		}
		r.CodeAt = at
		if err := put(b, []byte(id), &r); err != nil {
			return err
		}
		return tx.Bucket(oidcCodesBucket).Put([]byte(codeHash), []byte(id))
	})
}

// TakeOIDCCode implements app.OIDCStore: the code is deleted in the same
// transaction that finds it, so two exchanges cannot both have it.
func (db *DB) TakeOIDCCode(ctx context.Context, codeHash string) (*app.OIDCRequest, error) {
	var r app.OIDCRequest
	err := db.update(ctx, func(tx *bolt.Tx) error {
		codes := tx.Bucket(oidcCodesBucket)
		id := codes.Get([]byte(codeHash))
		if id == nil {
			return app.Errorf(app.ENOTFOUND, "There is no such code.")
		}
		if err := get(tx.Bucket(oidcRequestsBucket), id, &r, "There is no such sign-in request."); err != nil {
			return err
		}
		return codes.Delete([]byte(codeHash))
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// PutOIDCTokens implements app.OIDCStore; expired tokens are swept out.
func (db *DB) PutOIDCTokens(ctx context.Context, spent string, ts ...*app.OIDCToken) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(oidcTokensBucket)
		if spent != "" {
			var old app.OIDCToken
			if v := b.Get([]byte(spent)); v == nil || json.Unmarshal(v, &old) != nil || !old.Refresh || old.Used {
				return app.Errorf(app.EINVALID, "The refresh token is unknown or used.")
			}
			old.Used = true
			if err := put(b, []byte(spent), &old); err != nil {
				return err
			}
		}
		now := ts[0].CreatedAt
		if err := deleteWhere(b, func(v []byte) bool {
			var old app.OIDCToken
			return json.Unmarshal(v, &old) == nil && old.Expires.Before(now)
		}); err != nil {
			return err
		}
		for _, t := range ts {
			if err := put(b, []byte(t.Hash), t); err != nil {
				return err
			}
		}
		return nil
	})
}

// OIDCToken implements app.OIDCStore.
func (db *DB) OIDCToken(ctx context.Context, hash string) (*app.OIDCToken, error) {
	var t app.OIDCToken
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(oidcTokensBucket), []byte(hash), &t, "There is no such token.")
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteOIDCTokens implements app.OIDCStore.
func (db *DB) DeleteOIDCTokens(ctx context.Context, doom func(*app.OIDCToken) bool) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		return deleteWhere(tx.Bucket(oidcTokensBucket), func(v []byte) bool {
			var t app.OIDCToken
			return json.Unmarshal(v, &t) == nil && doom(&t)
		})
	})
}

// deleteAppTokensOf removes the apps' tokens of the people for whom of is
// true: their sign-ins to other apps end with their Rollcall sessions
// (deactivation, password reset, erasure).
func deleteAppTokensOf(tx *bolt.Tx, of func(userID string) bool) error {
	return deleteWhere(tx.Bucket(oidcTokensBucket), func(v []byte) bool {
		var t app.OIDCToken
		return json.Unmarshal(v, &t) == nil && of(t.UserID)
	})
}

// OIDCKeys implements app.OIDCStore.
func (db *DB) OIDCKeys(ctx context.Context) (*app.OIDCKeys, error) {
	ks := &app.OIDCKeys{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(metaBucket).Get(oidcKeysKey); v != nil {
			return json.Unmarshal(v, ks)
		}
		return nil
	})
	return ks, err
}

// ChangeOIDCKeys implements app.OIDCStore.
func (db *DB) ChangeOIDCKeys(ctx context.Context, fn func(*app.OIDCKeys) error) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		ks := &app.OIDCKeys{}
		if v := meta.Get(oidcKeysKey); v != nil {
			if err := json.Unmarshal(v, ks); err != nil {
				return err
			}
		}
		if err := fn(ks); err != nil {
			return err
		}
		return put(meta, oidcKeysKey, ks)
	})
}
