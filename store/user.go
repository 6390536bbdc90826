package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
)

// userRecOf is what the users bucket keeps of u (userRec): everything but
// the fields the index entry holds.
func userRecOf(u *app.User) *userRec {
	r := &userRec{OrgID: cid(u.OrgID), FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Email: u.Email,
		EmailVerified: u.EmailVerified, Phone: u.Phone, Language: u.Language, JobTitle: u.JobTitle, CreatedVia: u.CreatedVia,
		InviteCode: u.InviteCode, InviteLink: cid(u.InviteLink), ImportID: cid(u.ImportID),
		CreatedAt: nanos(u.CreatedAt), UpdatedAt: nanos(u.UpdatedAt), MustChange: u.MustChangePassword,
		AdminRole: u.AdminRole, AdminGroups: cids(u.AdminGroups), PasswordHash: phc(u.PasswordHash),
		BadgeHash: digest(u.BadgeHash), BadgePINHash: phc(u.BadgePINHash), BadgeIssued: nanosPtr(u.BadgeIssued),
		Directory: u.Directory, ExternalID: u.ExternalID, DirectoryName: u.DirectoryName}
	// The index keeps the keyed username and email: the record keeps them
	// only where they are not written in that form (capitals, spaces).
	if app.Key(u.Username) == u.Username {
		r.Username = ""
	}
	if app.Key(u.Email) == u.Email {
		r.Email = ""
	}
	if !u.UpdatedAt.Equal(u.CreatedAt) { // most records are never changed
		r.UpdatedAt = nanos(u.UpdatedAt) - r.CreatedAt
	} else {
		r.UpdatedAt = 0
	}
	for _, i := range u.Identities {
		r.Identities = append(r.Identities, identityRec{cid(i.Provider), i.Issuer, i.Subject, nanos(i.LinkedAt)})
	}
	if u.Groups != nil && len(u.Groups) == 0 {
		r.Empty |= emptyGroups
	}
	if u.Labels != nil && len(u.Labels) == 0 {
		r.Empty |= emptyLabels
	}
	if u.Identities != nil && len(u.Identities) == 0 {
		r.Empty |= emptyIdentities
	}
	if t := u.TOTP; !t.IsZero() {
		r.TOTP = &totpRec{Secret: t.Secret, LastStep: t.LastStep, Recovery: t.Recovery, Pending: t.Pending, PendingAt: nanos(t.PendingAt)}
	}
	return r
}

// user is the user r keeps under id, without the index entry's fields.
func (r *userRec) user(id string) *app.User {
	u := &app.User{ID: id, OrgID: string(r.OrgID), FirstName: r.FirstName, LastName: r.LastName, Username: r.Username, Email: r.Email,
		EmailVerified: r.EmailVerified, Phone: r.Phone, Language: r.Language, JobTitle: r.JobTitle, CreatedVia: r.CreatedVia,
		InviteCode: r.InviteCode, InviteLink: string(r.InviteLink), ImportID: string(r.ImportID),
		CreatedAt: fromNanos(r.CreatedAt), UpdatedAt: fromNanos(r.CreatedAt + r.UpdatedAt), MustChangePassword: r.MustChange,
		AdminRole: r.AdminRole, AdminGroups: strs(r.AdminGroups), PasswordHash: string(r.PasswordHash),
		BadgeHash: string(r.BadgeHash), BadgePINHash: string(r.BadgePINHash), BadgeIssued: fromNanosPtr(r.BadgeIssued),
		Directory: r.Directory, ExternalID: r.ExternalID, DirectoryName: r.DirectoryName}
	for _, i := range r.Identities {
		u.Identities = append(u.Identities, app.Identity{Provider: string(i.Provider), Issuer: i.Issuer, Subject: i.Subject, LinkedAt: fromNanos(i.LinkedAt)})
	}
	if r.Empty&emptyIdentities != 0 {
		u.Identities = []app.Identity{}
	}
	if t := r.TOTP; t != nil {
		u.TOTP = app.AdminTOTP{Secret: t.Secret, LastStep: t.LastStep, Recovery: t.Recovery, Pending: t.Pending, PendingAt: fromNanos(t.PendingAt)}
	}
	u.TwoStep = u.TOTP.On()
	return u
}

const userNotFound = "There is no such user in this organization."

// The user index keeps, per organization and in display order, the few
// fields that filters and search read, so a search over 50,000 users scans
// one compact range instead of decoding every record. It is the only place
// of those fields: the user record does not repeat them.
//
//	key:   len(org) org  app.NameSortKey(the organization's language, last, first) \0  user len(user)
//	value: status \x1f account type \x1f Key(username) \x1f Key(email) \x1f
//	       search text \x1f label \x1e label \x1f deletion date \x1f groups
//
// org, user and each group are uidKey forms (16 bytes for a UUID); the
// groups field is, per group, its length and its uidKey. The search reads
// the username, the email and the search text, which holds the keyed
// names (also without accents where that differs) and labels; the key's
// collation key is not text. A status or account type Rollcall knows is
// one byte (indexCodes); an email that is the username followed by
// @domain keeps only a mark and @domain (indexEmail). The record keeps a username or email only when
// it is not written in its keyed form. The labels field keeps each label
// as written, for the list of an organization's labels and the filter by
// label.
type indexEntry struct{ key, value []byte }

const (
	fieldSep = '\x1f'
	labelSep = '\x1e' // labels cannot hold control characters (app.cleanLabels)
)

// orgPrefix is where the organization's range of the user index starts.
func orgPrefix(orgID string) []byte {
	k := uidKey(orgID)
	return append([]byte{byte(len(k))}, k...)
}

// indexKey orders the entries in the collation of the organization's
// language (in Swedish Åsa comes after Zoe); a change of the language
// re-keys them (reindexUsers). The collation key is not text: the names
// are searched in the value's search text.
func indexKey(tx *bolt.Tx, u *app.User) []byte { return indexKeyIn(orgLanguage(tx, u.OrgID), u) }

// indexKeyIn is u's index key in the collation of lang.
func indexKeyIn(lang string, u *app.User) []byte {
	id := uidKey(u.ID)
	k := orgPrefix(u.OrgID)
	k = append(k, app.NameSortKey(lang, u.LastName, u.FirstName)...)
	k = append(k, 0)
	k = append(k, id...)
	return append(k, byte(len(id)))
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
	index, users := tx.Bucket(userIndexBucket), tx.Bucket(usersBucket)
	for _, e := range old {
		// The record and the old entry (getUser would look for the new key).
		id := indexEntry{key: e.k, value: e.v}.userID()
		var rec userRec
		if err := decodeRecord(users.Get(uidKey(id)), &rec); err != nil {
			return fmt.Errorf("decode user %s: %w", id, err)
		}
		u := rec.user(id)
		fillFromIndex(u, indexEntry{e.k, e.v}, rec.Empty)
		if err := index.Delete(e.k); err != nil {
			return err
		}
		if err := index.Put(indexKey(tx, u), e.v); err != nil {
			return err
		}
	}
	return nil
}

// sameWords reports whether a and b hold the same words.
func sameWords(a, b string) bool { return slices.Equal(strings.Fields(a), strings.Fields(b)) }

func indexValue(u *app.User) []byte {
	// The names as keyed, and without accents where that differs, so
	// that "agren" finds Ågren.
	words := []string{u.FirstName, u.LastName}
	for _, n := range []string{u.FirstName, u.LastName} {
		if sk := app.SortKey(n); !sameWords(app.Key(n), sk) {
			words = append(words, sk)
		}
	}
	search := app.Key(strings.Join(append(words, u.Labels...), " "))
	v := []byte(indexCode(u.Status) + string(fieldSep) + indexCode(u.AccountType) + string(fieldSep) + app.Key(u.Username) + string(fieldSep) +
		indexEmail(app.Key(u.Username), app.Key(u.Email)) + string(fieldSep) + search + string(fieldSep) +
		strings.Join(u.Labels, string(labelSep)) + string(fieldSep) + u.DeleteOn + string(fieldSep))
	for _, g := range u.Groups {
		k := uidKey(g)
		v = append(append(v, byte(len(k))), k...)
	}
	return v
}

// indexCodes are the statuses and account types Rollcall knows, which an
// index entry keeps as one byte, their place here (a control character,
// which no typed value holds), instead of their text: 11 bytes less in
// the entry of an active student. Any other value is kept as its text, as
// every value was before, and reads the same. The list is part of the
// file's format: only ever append to it.
var indexCodes = [][]byte{nil,
	[]byte(app.StatusActive), []byte(app.StatusInvited), []byte(app.StatusPending), []byte(app.StatusDeactivated),
	[]byte(app.TypeStudent), []byte(app.TypeTeacher), []byte(app.TypeAdmin), []byte(app.TypeLearner), []byte(app.TypeCreator)}

// indexCode is how an index entry keeps the status or account type s.
func indexCode(s string) string {
	for i, c := range indexCodes {
		if i > 0 && string(c) == s {
			return string(rune(i))
		}
	}
	return s
}

// usernameMark starts an index entry's email that is the username
// followed by the rest of the address: the entry keeps the mark and the
// rest ("\x01@school.example" for the username's login address) instead
// of repeating the username. No keyed address holds a control character.
const usernameMark = '\x01'

// indexEmail is how an index entry keeps the keyed email of the keyed
// username.
func indexEmail(username, email string) string {
	if rest, ok := strings.CutPrefix(email, username); ok && username != "" && strings.HasPrefix(rest, "@") {
		return string(usernameMark) + rest
	}
	return email
}

// email is the entry's keyed email, appended to buf.
func (e indexEntry) email(buf []byte) []byte {
	m := e.field(emailField)
	if len(m) > 0 && m[0] == usernameMark {
		return append(append(buf, e.field(usernameField)...), m[1:]...)
	}
	return append(buf, m...)
}

// codedField is the status or account type field i (statusField,
// typeField) as text, whether kept as its code or its text.
func (e indexEntry) codedField(i int) []byte {
	f := e.field(i)
	if len(f) == 1 && int(f[0]) < len(indexCodes) && f[0] > 0 {
		return indexCodes[f[0]]
	}
	return f
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
	if i == groupsField {
		return v
	}
	if j := bytes.IndexByte(v, fieldSep); j >= 0 {
		return v[:j]
	}
	return v
}

// The fields of an index value.
const (
	statusField = iota
	typeField
	usernameField // app.Key(username)
	emailField    // app.Key(email)
	searchField   // the rest of the search text
	labelsField
	deleteOnField
	groupsField // the last: raw bytes, not text
)

func (e indexEntry) userID() string {
	n := int(e.key[len(e.key)-1])
	return idOfUKey(e.key[len(e.key)-1-n : len(e.key)-1])
}

// eachGroup calls fn with the idKey of each of the entry's groups until it
// returns false.
func (e indexEntry) eachGroup(fn func(k []byte) bool) {
	g := e.groupsRaw()
	for len(g) > 0 {
		n := int(g[0])
		if len(g) < 1+n || !fn(g[1:1+n]) {
			return
		}
		g = g[1+n:]
	}
}

// groupsRaw is the groups field: after the fifth separator.
func (e indexEntry) groupsRaw() []byte {
	v := e.value
	for range groupsField {
		j := bytes.IndexByte(v, fieldSep)
		if j < 0 {
			return nil
		}
		v = v[j+1:]
	}
	return v
}

func (e indexEntry) groups() []string {
	var out []string
	e.eachGroup(func(k []byte) bool { out = append(out, idOfUKey(k)); return true })
	return out
}

// labels returns the user's labels as written.
func (e indexEntry) labels() []string {
	l := e.field(labelsField)
	if len(l) == 0 {
		return nil
	}
	return strings.Split(string(l), string(labelSep))
}

// hasLabel reports whether the user has the label key (app.Key).
// deleteOn is the user's deletion date (YYYY-MM-DD), empty when none.
func (e indexEntry) deleteOn() []byte { return e.field(deleteOnField) }

func (e indexEntry) hasLabel(key string) bool {
	for _, l := range e.labels() {
		if app.Key(l) == key {
			return true
		}
	}
	return false
}

func (e indexEntry) hasGroup(id string) bool {
	k, found := uidKey(id), false
	e.eachGroup(func(g []byte) bool { found = bytes.Equal(g, k); return !found })
	return found
}

// eachIndexEntry calls fn for every user of the organization, in display order.
func eachIndexEntry(tx *bolt.Tx, orgID string, fn func(k []byte, e indexEntry) error) error {
	prefix := orgPrefix(orgID)
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
			if err := releaseLogin(logins, usernameKey(old), old.ID); err != nil {
				return err
			}
		}
		if old.Email != "" {
			if err := releaseLogin(logins, emailKey(old), old.ID); err != nil {
				return err
			}
		}
	}
	if u.Username != "" {
		err := claimLogin(logins, usernameKey(u), u.ID, func() error {
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
		err := claimLogin(logins, emailKey(u), u.ID, func() error {
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
	data, err := encodeRecord(userRecOf(u))
	if err != nil {
		return err
	}
	users := tx.Bucket(usersBucket)
	users.FillPercent = appendFill // IDs are time-ordered: new users append
	return users.Put(uidKey(u.ID), data)
}

// appendFill is the FillPercent of buckets whose new keys come last
// (time-ordered IDs): their pages are filled before a new one starts,
// instead of being split in half.
const appendFill = 0.95

// The login index maps a login key to the idKey of its account.
func loginOwner(b *bolt.Bucket, key []byte) (string, bool) {
	v := b.Get(key)
	if v == nil {
		return "", false
	}
	return idOfUKey(v), true
}

// claimLogin points the login key at id, failing with conflict when another ID holds it.
func claimLogin(b *bolt.Bucket, key []byte, id string, conflict func() error) error {
	if owner, ok := loginOwner(b, key); ok && owner != id {
		return conflict()
	}
	return b.Put(key, uidKey(id))
}

// releaseLogin removes the login key if it points at id.
func releaseLogin(b *bolt.Bucket, key []byte, id string) error {
	if owner, ok := loginOwner(b, key); ok && owner == id {
		return b.Delete(key)
	}
	return nil
}

func getUser(tx *bolt.Tx, orgID, id string) (*app.User, error) {
	data := tx.Bucket(usersBucket).Get(uidKey(id))
	if data == nil {
		return nil, app.Errorf(app.ENOTFOUND, userNotFound)
	}
	var rec userRec
	if err := decodeRecord(data, &rec); err != nil {
		return nil, fmt.Errorf("decode user %s: %w", id, err)
	}
	if orgID != "" && string(rec.OrgID) != orgID {
		return nil, app.Errorf(app.ENOTFOUND, userNotFound)
	}
	u := rec.user(id)
	k := indexKey(tx, u)
	v := tx.Bucket(userIndexBucket).Get(k)
	if v == nil {
		return nil, fmt.Errorf("user %s has no index entry", id)
	}
	fillFromIndex(u, indexEntry{k, v}, rec.Empty)
	return u, nil
}

// fillFromIndex sets the fields of u that only its index entry holds.
func fillFromIndex(u *app.User, e indexEntry, empty uint8) {
	u.Status, u.AccountType = string(e.codedField(statusField)), string(e.codedField(typeField))
	if u.Username == "" {
		u.Username = string(e.field(usernameField))
	}
	if u.Email == "" {
		u.Email = string(e.email(nil))
	}
	u.DeleteOn = string(e.deleteOn())
	u.Groups, u.Labels = e.groups(), e.labels()
	if u.Groups == nil && empty&emptyGroups != 0 {
		u.Groups = []string{}
	}
	if u.Labels == nil && empty&emptyLabels != 0 {
		u.Labels = []string{}
	}
}

// bulkUsers is how many users written at once make a bulk write, after
// which the file is compacted.
const bulkUsers = 1000

// dropAfter is how many people written at once touch enough of the file
// that its mapped pages are dropped after the write (dropMapped).
const dropAfter = 100

// CreateUsers implements app.UserStore: all users or none. It also checks
// that every group they join still exists (ECONFLICT if one was deleted
// while their passwords were hashed). Up to createPart users are written in
// one transaction; a bigger batch in parts (createInParts).
func (db *DB) CreateUsers(ctx context.Context, users []*app.User, mails ...*app.ResetMail) error {
	if len(users) >= dropAfter {
		// Each person lands on other index and login pages, and the commit
		// reads the header of every page it replaces: most of the file is
		// resident after a batch of 1,000. It goes back to the page cache
		// (dropMapped) instead of staying in Rollcall's memory.
		defer db.bolt.dropMapped()
	}
	if len(users) > createPart {
		return db.createInParts(ctx, users, mails)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		if err := putNewUsers(tx, users); err != nil {
			return err
		}
		return finishNewUsers(tx, len(users), mails)
	})
}

// createPart is how many people of a batch CreateUsers writes in one
// transaction. bbolt keeps every page a transaction dirties on the heap
// until the commit, and the commit reads every page it replaces: 1,000
// people in one transaction touch most of the people_index and logins
// pages of a big file at once (10–15 MB of heap and ~10 MB mapped on a
// 50,000-person file). In parts of 100 the write of 1,000 peaked 6–10 MiB
// lower (250: 2–5 MiB; 500: none) for 10 commits instead of one, a few
// tenths of a second beside the hashing's half minute (README: Where
// Rollcall's peak goes).
const createPart = 100

// partsHook, when set (by tests), is called between two parts of a batch
// with the number of people written so far.
var partsHook func(written int)

// createInParts writes users createPart at a time, each part in its own
// transaction, and keeps CreateUsers' promise of all or none: the first
// transaction records the batch (unfinished_batches: its key → the IDs of
// all its people); the last one writes the mails, the audit entries and
// deletes the record. A part that fails has the parts before it deleted
// again (abandonBatch), and a batch a crash interrupted is deleted when the
// file is next opened (abandonBatches, from init). Between parts the people
// already written are visible to readers, as if created one part at a
// time.
func (db *DB) createInParts(ctx context.Context, users []*app.User, mails []*app.ResetMail) error {
	var batch, recorded []byte // the batch's key once its first part is committed; in that part
	for start := 0; start < len(users); start += createPart {
		part := users[start:min(start+createPart, len(users))]
		last := start+len(part) == len(users)
		if start > 0 && partsHook != nil {
			partsHook(start)
		}
		write := func(tx *bolt.Tx) error {
			if start == 0 {
				// Every person's organization and groups first, as one
				// transaction would, then the record of the batch.
				if err := newUsersFit(tx, users); err != nil {
					return err
				}
				var err error
				if recorded, err = recordBatch(tx, users); err != nil {
					return err
				}
			}
			if err := putNewUsers(tx, part); err != nil {
				return err
			}
			if !last {
				return nil
			}
			if err := finishNewUsers(tx, len(users), mails); err != nil {
				return err
			}
			return tx.Bucket(unfinishedBatchesBucket).Delete(batch)
		}
		var err error
		if last {
			err = db.update(ctx, write) // with the audit entries
		} else {
			err = db.bolt.Update(write)
			if err == nil {
				batch = recorded
				// What the part touched goes back to the page cache now,
				// not after the whole batch (see CreateUsers).
				db.bolt.dropMapped()
			}
		}
		if err != nil {
			if batch != nil {
				// If this fails too the record stays, and the next Open
				// deletes the people.
				_ = db.bolt.Update(func(tx *bolt.Tx) error {
					_, err := abandonBatch(tx, batch)
					return err
				})
			}
			return err
		}
	}
	return nil
}

// putNewUsers checks that the users' organizations and groups exist
// (newUsersFit) and writes them.
func putNewUsers(tx *bolt.Tx, users []*app.User) error {
	if err := newUsersFit(tx, users); err != nil {
		return err
	}
	for _, u := range users {
		if err := putUser(tx, nil, u); err != nil {
			return err
		}
	}
	return nil
}

// newUsersFit returns ENOTFOUND if an organization of the users does not
// exist, ECONFLICT if a group they join does not (groupsExist).
func newUsersFit(tx *bolt.Tx, users []*app.User) error {
	orgs := tx.Bucket(orgsBucket)
	for _, u := range users {
		if orgs.Get([]byte(u.OrgID)) == nil {
			return app.Errorf(app.ENOTFOUND, "%s", orgNotFound(u.OrgID))
		}
	}
	return groupsExist(tx, users)
}

// finishNewUsers writes what follows the n users of a batch: the mails,
// and the note that the file is due for compaction after a bulk write.
func finishNewUsers(tx *bolt.Tx, n int, mails []*app.ResetMail) error {
	if n >= bulkUsers {
		// Thousands of names land all over the user and login indexes,
		// whose split pages stay half empty: the file is compacted
		// (CompactIfDue) as after a purge.
		if err := markCompactDue(tx); err != nil {
			return err
		}
	}
	return putResetMails(tx, mails)
}

// recordBatch writes the record of a batch written in parts: a new key →
// the ID keys of all its people, each after its length (uvarint).
func recordBatch(tx *bolt.Tx, users []*app.User) ([]byte, error) {
	b := tx.Bucket(unfinishedBatchesBucket)
	seq, err := b.NextSequence()
	if err != nil {
		return nil, err
	}
	var v []byte
	for _, u := range users {
		k := uidKey(u.ID)
		v = binary.AppendUvarint(v, uint64(len(k)))
		v = append(v, k...)
	}
	k := binary.BigEndian.AppendUint64(nil, seq)
	return k, b.Put(k, v)
}

// abandonBatch deletes the people of the unfinished batch at key that were
// written, wholly (unputUser), and its record, inside tx; it returns how
// many people it deleted. They were never created as far as anyone was
// told: nothing goes to erased_people or the audit log.
func abandonBatch(tx *bolt.Tx, key []byte) (int, error) {
	b := tx.Bucket(unfinishedBatchesBucket)
	v := b.Get(key)
	var n int
	for len(v) > 0 {
		l, w := binary.Uvarint(v)
		if w <= 0 || uint64(len(v)-w) < l {
			return n, fmt.Errorf("unfinished batch %x: damaged record", key)
		}
		id := idOfUKey(v[w : w+int(l)])
		v = v[w+int(l):]
		u, err := getUser(tx, "", id)
		if app.ErrorCode(err) == app.ENOTFOUND {
			continue // in a part that was not written
		} else if err != nil {
			return n, err
		}
		if err := unputUser(tx, u); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		// Their names and hashes are in freed pages now.
		if err := markCompactDue(tx); err != nil {
			return n, err
		}
	}
	return n, b.Delete(key)
}

// abandonBatches deletes the people of every unfinished batch (abandonBatch)
// inside tx: those of a batch a crash interrupted. It reads nothing but
// the unfinished_batches bucket and the people it names.
func abandonBatches(tx *bolt.Tx) (int, error) {
	var keys [][]byte
	err := tx.Bucket(unfinishedBatchesBucket).ForEach(func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	})
	var n int
	for _, k := range keys {
		if err != nil {
			break
		}
		var m int
		m, err = abandonBatch(tx, k)
		n += m
	}
	return n, err
}

// unputUser undoes putUser(tx, nil, u) for a person just created: the
// record and every index entry that points at them (people_index, logins,
// user_badges, SCIM names and external IDs, SSO identities). Anything
// else about a person (sessions, invitations, mails) only exists once the
// batch is finished.
func unputUser(tx *bolt.Tx, u *app.User) error {
	if err := dropIndexEntries(tx, u); err != nil {
		return err
	}
	return tx.Bucket(usersBucket).Delete(uidKey(u.ID))
}

// dropIndexEntries deletes every index entry that points at u: the search
// index entry (names, group memberships, deletion date), the username and
// email logins, SSO identities, SCIM names and external IDs, and the
// badge's entry.
func dropIndexEntries(tx *bolt.Tx, u *app.User) error {
	if err := tx.Bucket(userIndexBucket).Delete(indexKey(tx, u)); err != nil {
		return err
	}
	logins := tx.Bucket(loginsBucket)
	if err := releaseLogin(logins, usernameKey(u), u.ID); err != nil {
		return err
	}
	if err := releaseLogin(logins, emailKey(u), u.ID); err != nil {
		return err
	}
	if err := releaseIdentities(tx, u); err != nil {
		return err
	}
	if err := dropDirectoryIndex(tx, u); err != nil {
		return err
	}
	return putBadge(tx, u, &app.User{ID: u.ID})
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
		id, ok := loginOwner(logins, []byte("u:"+login))
		if !ok {
			id, ok = loginOwner(logins, []byte("e:"+login))
		}
		if !ok {
			return app.Errorf(app.ENOTFOUND, userNotFound)
		}
		u, err = getUser(tx, "", id)
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
	holder, ok := loginOwner(tx.Bucket(loginsBucket), key)
	if !ok || holder == id {
		return nil, nil
	}
	return getUser(tx, "", holder)
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
	var buf []byte // the email of the entry (indexEntry.email); a matcher is used by one scan at a time
	return func(e indexEntry) bool {
		if len(status) > 0 && !bytes.Equal(e.codedField(statusField), status) ||
			len(typ) > 0 && !bytes.Equal(e.codedField(typeField), typ) ||
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
			buf = e.email(buf[:0])
			text, username, email := e.field(searchField), e.field(usernameField), buf
			for _, w := range query {
				if !bytes.Contains(text, w) && !bytes.Contains(username, w) && !bytes.Contains(email, w) {
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
