package store

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// userRecord is a user as stored: the domain type hides its password hash
// from JSON so that no answer can carry it, the file keeps it.
type userRecord struct {
	*app.User
	PasswordHash string `json:"password_hash,omitempty"`
	BadgeHash    string `json:"badge_hash,omitempty"`
	BadgePINHash string `json:"badge_pin_hash,omitempty"`
	// TOTP is the two-step record of a person with an admin role (sealed
	// secret, recovery code hashes); absent for everyone else.
	TOTP *app.AdminTOTP `json:"totp,omitempty"`
}

// userRecordOf is what is stored for u.
func userRecordOf(u *app.User) userRecord {
	rec := userRecord{User: u, PasswordHash: u.PasswordHash, BadgeHash: u.BadgeHash, BadgePINHash: u.BadgePINHash}
	if !u.TOTP.IsZero() {
		t := u.TOTP
		rec.TOTP = &t
	}
	return rec
}

const userNotFound = "There is no such user in this organization."

// The user index keeps, per organization and in display order, the few
// fields that filters and search read, so a search over 50,000 users scans
// one compact range instead of decoding every record.
//
//	key:   orgID \0 app.NameSortKey(the organization's language, last, first) \0 userID
//	value: status \x1f account type \x1f groupID,groupID \x1f search text \x1f label \x1e label
//
// The search text holds the names, username, email and labels, keyed
// (app.Key); the labels field keeps each label as written, for the list of
// an organization's labels and the filter by label. \x1f deletion date
type indexEntry struct{ key, value []byte }

const (
	fieldSep = '\x1f'
	labelSep = '\x1e' // labels cannot hold control characters (app.cleanLabels)
)

// The entries are in the collation of the organization's language (in
// Swedish Åsa comes after Zoe): a change of the language re-keys them
// (reindexUsers).
func indexKey(tx *bolt.Tx, u *app.User) []byte {
	k := append([]byte(u.OrgID+"\x00"), app.NameSortKey(orgLanguage(tx, u.OrgID), u.LastName, u.FirstName)...)
	return append(k, "\x00"+u.ID...)
}

// orgLanguage is the language of the organization id ("" when there is none).
func orgLanguage(tx *bolt.Tx, id string) string {
	var o struct {
		Language string `json:"language"`
	}
	if v := tx.Bucket(orgsBucket).Get([]byte(id)); v != nil {
		_ = json.Unmarshal(v, &o)
	}
	return o.Language
}

// reindexUsers re-keys the organization's user index entries after a
// change of its language, inside tx.
func reindexUsers(tx *bolt.Tx, orgID string) error {
	type entry struct{ k, v []byte }
	var old []entry
	err := eachIndexEntry(tx, orgID, func(k []byte, e indexEntry) error {
		old = append(old, entry{append([]byte(nil), k...), append([]byte(nil), e.value...)})
		return nil
	})
	if err != nil {
		return err
	}
	index := tx.Bucket(userIndexBucket)
	for _, e := range old {
		u, err := getUser(tx, orgID, indexEntry{key: e.k}.userID())
		if err != nil {
			return err
		}
		if err := index.Delete(e.k); err != nil {
			return err
		}
		if err := index.Put(indexKey(tx, u), e.v); err != nil {
			return err
		}
	}
	return nil
}

func indexValue(u *app.User) []byte {
	words := append([]string{u.FirstName, u.LastName, u.Username, u.Email}, u.Labels...)
	search := app.Key(strings.Join(words, " "))
	return []byte(u.Status + string(fieldSep) + u.AccountType + string(fieldSep) + strings.Join(u.Groups, ",") +
		string(fieldSep) + search + string(fieldSep) + strings.Join(u.Labels, string(labelSep)) + string(fieldSep) + u.DeleteOn)
}

func (e indexEntry) field(i int) []byte {
	v := e.value
	for ; i > 0; i-- {
		j := bytes.IndexByte(v, fieldSep)
		if j < 0 {
			return nil
		}
		v = v[j+1:]
	}
	if j := bytes.IndexByte(v, fieldSep); j >= 0 {
		return v[:j]
	}
	return v
}

func (e indexEntry) userID() string {
	return string(e.key[bytes.LastIndexByte(e.key, 0)+1:])
}

func (e indexEntry) groups() []string {
	g := e.field(2)
	if len(g) == 0 {
		return nil
	}
	return strings.Split(string(g), ",")
}

// labels returns the user's labels as written.
func (e indexEntry) labels() []string {
	l := e.field(4)
	if len(l) == 0 {
		return nil
	}
	return strings.Split(string(l), string(labelSep))
}

// hasLabel reports whether the user has the label key (app.Key).
// deleteOn is the user's deletion date (YYYY-MM-DD), empty when none.
func (e indexEntry) deleteOn() []byte { return e.field(5) }

func (e indexEntry) hasLabel(key string) bool {
	for _, l := range e.labels() {
		if app.Key(l) == key {
			return true
		}
	}
	return false
}

func (e indexEntry) hasGroup(id string) bool {
	for g := e.field(2); len(g) > 0; {
		i := bytes.IndexByte(g, ',')
		if i < 0 {
			return string(g) == id
		}
		if string(g[:i]) == id {
			return true
		}
		g = g[i+1:]
	}
	return false
}

// eachIndexEntry calls fn for every user of the organization, in display order.
func eachIndexEntry(tx *bolt.Tx, orgID string, fn func(k []byte, e indexEntry) error) error {
	prefix := []byte(orgID + "\x00")
	c := tx.Bucket(userIndexBucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, indexEntry{k, v}); err != nil {
			return err
		}
	}
	return nil
}

// Usernames and emails are indexed by app.LoginKey (NFKC + case folding),
// so that look-alikes such as ｐｕｐｉｌ.ｏｎｅ and pupil.one, or Straße and
// STRASSE, are one login. Every lookup below keys what it is given again
// (LoginKey is idempotent), so no caller can look up by another form.
func usernameKey(u *app.User) []byte { return []byte("u:" + app.LoginKey(u.Username)) }
func emailKey(u *app.User) []byte    { return []byte("e:" + app.LoginKey(u.Email)) }

// putUser writes u with its index entries, replacing old's (nil for a new user).
func putUser(tx *bolt.Tx, old, u *app.User) error {
	logins, index := tx.Bucket(loginsBucket), tx.Bucket(userIndexBucket)
	if old != nil {
		if err := index.Delete(indexKey(tx, old)); err != nil {
			return err
		}
		if old.Username != "" {
			if err := release(logins, usernameKey(old), old.ID); err != nil {
				return err
			}
		}
		if old.Email != "" {
			if err := release(logins, emailKey(old), old.ID); err != nil {
				return err
			}
		}
	}
	if u.Username != "" {
		err := claim(logins, usernameKey(u), u.ID, func() error {
			return app.FieldError(app.ECONFLICT, "username", "The username %q is already taken; choose another.", u.Username)
		})
		if err != nil {
			return err
		}
	}
	if u.Email != "" {
		if err := takeLapsedEmail(tx, u); err != nil {
			return err
		}
		err := claim(logins, emailKey(u), u.ID, func() error {
			return app.FieldError(app.ECONFLICT, "email", "The email address %q already belongs to an account.", u.Email)
		})
		if err != nil {
			return err
		}
	}
	if err := index.Put(indexKey(tx, u), indexValue(u)); err != nil {
		return err
	}
	if old != nil && app.LoginKey(old.Email) != app.LoginKey(u.Email) {
		// A pending confirmation is of the old address: its link stops
		// working and its mail, if not sent yet, is not sent.
		if err := dropVerification(tx, u.ID); err != nil {
			return err
		}
	}
	if old != nil && (app.LoginKey(old.Email) != app.LoginKey(u.Email) || old.OrgID != u.OrgID) {
		// A password link was sent to the old address, or by the old
		// organization: it stops working and its mail is not sent.
		if err := dropReset(tx, u.ID); err != nil {
			return err
		}
	}
	if err := putBadge(tx, old, u); err != nil {
		return err
	}
	if err := putDirectoryIndex(tx, old, u); err != nil {
		return err
	}
	u.TwoStep = u.TOTP.On()
	return put(tx.Bucket(usersBucket), []byte(u.ID), userRecordOf(u))
}

func getUser(tx *bolt.Tx, orgID, id string) (*app.User, error) {
	u := &app.User{}
	rec := userRecord{User: u}
	if err := get(tx.Bucket(usersBucket), []byte(id), &rec, userNotFound); err != nil {
		return nil, err
	}
	if orgID != "" && u.OrgID != orgID {
		return nil, app.Errorf(app.ENOTFOUND, userNotFound)
	}
	u.PasswordHash, u.BadgeHash, u.BadgePINHash = rec.PasswordHash, rec.BadgeHash, rec.BadgePINHash
	if rec.TOTP != nil {
		u.TOTP = *rec.TOTP
	}
	u.TwoStep = u.TOTP.On()
	return u, nil
}

// CreateUsers implements app.UserStore: all users in one transaction, which
// also checks that every group they join still exists (ECONFLICT if one
// was deleted while their passwords were hashed).
func (db *DB) CreateUsers(ctx context.Context, users []*app.User, mails ...*app.ResetMail) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		orgs := tx.Bucket(orgsBucket)
		for _, u := range users {
			if orgs.Get([]byte(u.OrgID)) == nil {
				return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
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
		return putResetMails(tx, mails)
	})
}

// User implements app.UserStore.
func (db *DB) User(ctx context.Context, orgID, id string) (*app.User, error) {
	var u *app.User
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		u, err = getUser(tx, orgID, id)
		return err
	})
	return u, err
}

// UserByLogin implements app.UserStore.
func (db *DB) UserByLogin(ctx context.Context, login string) (*app.User, error) {
	var u *app.User
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		logins := tx.Bucket(loginsBucket)
		login := app.LoginKey(login)
		id := logins.Get([]byte("u:" + login))
		if id == nil {
			id = logins.Get([]byte("e:" + login))
		}
		if id == nil {
			return app.Errorf(app.ENOTFOUND, userNotFound)
		}
		u, err = getUser(tx, "", string(id))
		return err
	})
	return u, err
}

// UsernameTaken implements app.UserStore.
func (db *DB) UsernameTaken(ctx context.Context, key string) (bool, error) {
	return db.loginTaken("u:" + app.LoginKey(key))
}

// UsernamesTaken implements app.UserStore: one read transaction for all keys.
func (db *DB) UsernamesTaken(ctx context.Context, keys []string) (map[string]bool, error) {
	taken := map[string]bool{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(loginsBucket)
		for _, k := range keys {
			if b.Get([]byte("u:"+app.LoginKey(k))) != nil {
				taken[k] = true
			}
		}
		return nil
	})
	return taken, err
}

// EmailTaken implements app.UserStore: an address is taken unless no one
// has it or its holder gives it up to an admin's entry
// (app.EmailClaimYields).
func (db *DB) EmailTaken(ctx context.Context, key string) (bool, error) {
	taken, err := db.EmailsTaken(ctx, []string{key})
	return taken[key], err
}

// EmailsTaken implements app.UserStore: one read transaction for all keys.
func (db *DB) EmailsTaken(ctx context.Context, keys []string) (map[string]bool, error) {
	taken := map[string]bool{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, k := range keys {
			holder, err := emailHolder(tx, []byte("e:"+app.LoginKey(k)), "")
			if err != nil {
				return err
			}
			if holder != nil && !app.EmailClaimYields(holder, nil, &app.User{EmailVerified: true}) {
				taken[k] = true
			}
		}
		return nil
	})
	return taken, err
}

// emailHolder returns the account other than id that has the email login
// key, or nil.
func emailHolder(tx *bolt.Tx, key []byte, id string) (*app.User, error) {
	holder := tx.Bucket(loginsBucket).Get(key)
	if holder == nil || string(holder) == id {
		return nil, nil
	}
	return getUser(tx, "", string(holder))
}

// takeLapsedEmail takes u's address away from another account whose claim
// on it yields to u's (app.EmailClaimYields), with its pending
// verification; otherwise it leaves the address to the claim check.
func takeLapsedEmail(tx *bolt.Tx, u *app.User) error {
	holder, err := emailHolder(tx, emailKey(u), u.ID)
	if holder == nil || err != nil {
		return err
	}
	pending, err := getVerification(tx, holder.ID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		pending = nil
	} else if err != nil {
		return err
	}
	if !app.EmailClaimYields(holder, pending, u) {
		return nil
	}
	return dropEmail(tx, app.EmailDrop{UserID: holder.ID, Email: holder.Email})
}

func (db *DB) loginTaken(key string) (bool, error) {
	var taken bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		taken = tx.Bucket(loginsBucket).Get([]byte(key)) != nil
		return nil
	})
	return taken, err
}

// ChangeUsers implements app.UserStore: every user is read, changed by fn
// and written in one transaction, so nothing written meanwhile is lost.
func (db *DB) ChangeUsers(ctx context.Context, orgID string, ids []string, fn func(u *app.User) error) ([]*app.User, error) {
	return db.changeUsers(ctx, orgID, ids, fn, false)
}

// ChangeUsersEndSessions implements app.UserStore: ChangeUsers that also
// deletes every session of those users in the same transaction.
func (db *DB) ChangeUsersEndSessions(ctx context.Context, orgID string, ids []string, fn func(u *app.User) error) ([]*app.User, error) {
	return db.changeUsers(ctx, orgID, ids, fn, true)
}

func (db *DB) changeUsers(ctx context.Context, orgID string, ids []string, fn func(u *app.User) error, endSessions bool) ([]*app.User, error) {
	var out []*app.User
	err := db.update(ctx, func(tx *bolt.Tx) (err error) {
		if endSessions {
			if err := endSessionsOf(tx, ids); err != nil {
				return err
			}
		}
		out, err = changeUsersTx(tx, orgID, ids, fn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// endSessionsOf ends every sign-in of the users ids inside tx: their
// sessions and their apps' tokens.
func endSessionsOf(tx *bolt.Tx, ids []string) error {
	doomed := make(map[string]bool, len(ids))
	for _, id := range ids {
		doomed[id] = true
	}
	return endSignIns(tx, doomed)
}

// changeUsersTx reads every user of ids inside tx, lets fn change a copy
// and writes it with its index entries.
func changeUsersTx(tx *bolt.Tx, orgID string, ids []string, fn func(u *app.User) error) ([]*app.User, error) {
	out := make([]*app.User, 0, len(ids))
	for _, id := range ids {
		old, err := getUser(tx, orgID, id)
		if err != nil {
			return nil, err
		}
		u := *old
		u.Groups = append([]string(nil), old.Groups...)
		u.Labels = append([]string(nil), old.Labels...)
		if err := fn(&u); err != nil {
			return nil, err
		}
		u.ID = old.ID
		if u.OrgID != old.OrgID && tx.Bucket(orgsBucket).Get([]byte(u.OrgID)) == nil {
			return nil, app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
		}
		if err := putUser(tx, old, &u); err != nil {
			return nil, err
		}
		out = append(out, &u)
	}
	return out, nil
}

// ChangeUser implements app.UserStore.
func (db *DB) ChangeUser(ctx context.Context, orgID, id string, fn func(u *app.User) error) (*app.User, error) {
	us, err := db.ChangeUsers(ctx, orgID, []string{id}, fn)
	if err != nil {
		return nil, err
	}
	return us[0], nil
}

// DeleteUser implements app.UserStore.
func (db *DB) DeleteUser(ctx context.Context, orgID, id string) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		u, err := getUser(tx, orgID, id)
		if err != nil {
			return err
		}
		return deleteUser(tx, u)
	})
}

// deleteUser erases u and everything stored about them (purgeUser, in
// lifecycle.go), and marks the file as due for compaction.
func deleteUser(tx *bolt.Tx, u *app.User) error { return purgeUser(tx, u) }

// deleteInvitationsOf removes every invitation of the users (from any
// organization: join invitations point at an account elsewhere), their
// token index entries and their outbox messages, so nothing is mailed to a
// deleted person and nothing of theirs stays in the file. One pass over the
// invitations and one over the outbox serve any number of users.
func deleteInvitationsOf(tx *bolt.Tx, users map[string]bool) error {
	invites, tokens := tx.Bucket(invitesBucket), tx.Bucket(inviteTokens)
	gone := map[string]bool{}
	var keys [][]byte
	err := invites.ForEach(func(k, v []byte) error {
		var rec invitationRecord
		rec.Invitation = &app.Invitation{}
		if err := json.Unmarshal(v, &rec); err != nil {
			return err
		}
		if !users[rec.UserID] {
			return nil
		}
		keys = append(keys, append([]byte(nil), k...))
		gone[rec.ID] = true
		if rec.TokenHash != "" {
			return tokens.Delete([]byte(rec.TokenHash))
		}
		return nil
	})
	if err != nil || len(keys) == 0 {
		return err
	}
	for _, k := range keys {
		if err := invites.Delete(k); err != nil {
			return err
		}
	}
	return deleteMessagesWhere(tx, func(m *app.OutboxMessage) bool { return m.InvitationID != "" && gone[m.InvitationID] })
}

// userMatcher returns whether an index entry matches the filter f.
func userMatcher(f app.UserFilter) func(e indexEntry) bool {
	words := strings.Fields(f.Query)
	query := make([][]byte, len(words))
	for i, w := range words {
		query[i] = []byte(w)
	}
	status, typ, deleteBy, hideBy := []byte(f.Status), []byte(f.AccountType), []byte(f.DeleteBy), []byte(f.HideDueBy)
	return func(e indexEntry) bool {
		if len(status) > 0 && !bytes.Equal(e.field(0), status) ||
			len(typ) > 0 && !bytes.Equal(e.field(1), typ) ||
			f.Group != "" && !e.hasGroup(f.Group) ||
			f.Label != "" && !e.hasLabel(f.Label) {
			return false
		}
		if f.InGroups != nil && !slices.ContainsFunc(f.InGroups, e.hasGroup) {
			return false
		}
		if len(deleteBy) > 0 {
			if d := e.deleteOn(); len(d) == 0 || bytes.Compare(d, deleteBy) > 0 {
				return false
			}
		}
		if len(hideBy) > 0 {
			if d := e.deleteOn(); len(d) > 0 && bytes.Compare(d, hideBy) <= 0 {
				return false
			}
		}
		if len(query) > 0 {
			text := e.field(3)
			for _, w := range query {
				if !bytes.Contains(text, w) {
					return false
				}
			}
		}
		return true
	}
}

// FindUsers implements app.UserStore: one pass over the organization's
// index range counts every match and keeps the IDs of the requested page;
// only those records are decoded.
func (db *DB) FindUsers(ctx context.Context, orgID string, f app.UserFilter) (*app.UserPage, error) {
	match := userMatcher(f)
	first := (f.Page - 1) * f.PerPage
	if f.Offset > 0 {
		first = f.Offset
	}
	page := &app.UserPage{Users: []*app.User{}, Page: f.Page, PerPage: f.PerPage}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var ids []string
		err := eachIndexEntry(tx, orgID, func(_ []byte, e indexEntry) error {
			if !match(e) {
				return nil
			}
			if page.Total >= first && len(ids) < f.PerPage {
				ids = append(ids, e.userID())
			}
			page.Total++
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			u, err := getUser(tx, orgID, id)
			if err != nil {
				return err
			}
			page.Users = append(page.Users, u)
		}
		return nil
	})
	return page, err
}

// UserLabels implements app.UserStore: one pass over the organization's
// index range; labels that differ only in case are one, in the form first met.
func (db *DB) UserLabels(ctx context.Context, orgID string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return eachIndexEntry(tx, orgID, func(_ []byte, e indexEntry) error {
			for _, l := range e.labels() {
				if k := app.Key(l); !seen[k] {
					seen[k] = true
					out = append(out, l)
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(app.SortKey(a), app.SortKey(b)) })
	return out, nil
}

// ChangeSelectedUsers implements app.UserStore: the selection is resolved,
// checked, and every selected user changed, written, deleted and their
// sessions ended, all in one transaction.
func (db *DB) ChangeSelectedUsers(ctx context.Context, orgID string, sel app.UserSelection, check func(selected int) error,
	fn func(u *app.User) (app.UserVerdict, error)) (missing int, err error) {
	err = db.update(ctx, func(tx *bolt.Tx) error {
		missing = 0
		ids := sel.IDs
		if sel.Filter != nil {
			match := userMatcher(*sel.Filter)
			ids = nil
			err := eachIndexEntry(tx, orgID, func(_ []byte, e indexEntry) error {
				if match(e) {
					ids = append(ids, e.userID())
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		var users []*app.User
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, err := getUser(tx, orgID, id)
			if app.ErrorCode(err) == app.ENOTFOUND {
				missing++
				continue
			} else if err != nil {
				return err
			}
			users = append(users, u)
		}
		if check != nil {
			if err := check(len(users)); err != nil {
				return err
			}
		}
		var written []*app.User
		endSessions := map[string]bool{}
		for _, old := range users {
			u := *old
			u.Groups = append([]string(nil), old.Groups...)
			u.Labels = append([]string(nil), old.Labels...)
			verdict, err := fn(&u)
			if err != nil {
				return err
			}
			u.ID, u.OrgID = old.ID, old.OrgID
			switch verdict {
			case app.UserSkip:
				continue
			case app.UserDelete:
				if err := purgeUser(tx, old); err != nil {
					return err
				}
				continue
			case app.UserWriteEndSessions:
				endSessions[old.ID] = true
			}
			if err := putUser(tx, old, &u); err != nil {
				return err
			}
			written = append(written, &u)
		}
		if err := groupsExist(tx, written); err != nil {
			return err
		}
		if len(endSessions) > 0 {
			if err := endSignIns(tx, endSessions); err != nil {
				return err
			}
		}
		return nil
	})
	return missing, err
}

// groupsExist checks inside tx that every group the users join still
// exists in their organization: a group deleted after the users were
// planned (while their passwords were hashed) is ECONFLICT, never a
// dangling group ID.
func groupsExist(tx *bolt.Tx, users []*app.User) error {
	groups := tx.Bucket(groupsBucket)
	present := map[string]bool{}
	for _, u := range users {
		for _, gid := range u.Groups {
			k := string(join(u.OrgID, gid))
			if present[k] {
				continue
			}
			if groups.Get([]byte(k)) == nil {
				return app.FieldError(app.ECONFLICT, "groups", "A group these people join was deleted meanwhile; nothing was created. Check the preview again.")
			}
			present[k] = true
		}
	}
	return nil
}
