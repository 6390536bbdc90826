// Package store keeps Rollcall's data in one bbolt file and implements
// app.Store. Every exported method runs in its own transaction; bulk writes
// happen in one db.Update so they are wholly present or wholly absent.
package store

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"rollcall/app"
)

// Bucket names. Index buckets map a normalized key to an entity ID.
var (
	metaBucket       = []byte("meta")
	orgsBucket       = []byte("organizations")
	orgSlugsBucket   = []byte("organization_slugs")
	groupsBucket     = []byte("groups")      // orgID/groupID → group
	groupNamesBucket = []byte("group_names") // orgID/key(name) → groupID
	usersBucket      = []byte("users")       // userID → user
	loginsBucket     = []byte("user_logins") // u:LoginKey(username) | e:LoginKey(email) → userID
	userIndexBucket  = []byte("user_index")  // orgID \0 sort key \0 userID → filter fields
	adminsBucket     = []byte("admins")
	adminNamesBucket = []byte("admin_names") // LoginKey(username) → adminID
	sessionsBucket   = []byte("sessions")
	smtpBucket       = []byte("smtp_settings") // orgID → relay settings (password sealed)
	smsBucket        = []byte("sms_settings")  // orgID → SMS gateway settings (secret sealed)
	// phoneSignUpsBucket holds sign-ups waiting for the code sent to their phone.
	phoneSignUpsBucket = []byte("phone_signups")          // ID → app.PhoneSignUp (code hashed)
	invitesBucket      = []byte("invitations")            // orgID/invitationID → invitation
	inviteTokens       = []byte("invitation_tokens")      // sha256(token) → orgID/invitationID, pending only
	inviteUsedTokens   = []byte("invitation_used_tokens") // sha256(token) → orgID/invitationID, accepted
	outboxBucket       = []byte("outbox")                 // messageID → message
	outboxQueue        = []byte("outbox_queue")           // messageID → "" while queued or sending
	importsBucket      = []byte("imports")                // orgID/importID → import
	importHashBucket   = []byte("import_hashes")          // orgID/sha256/importID → ""
	importMapsBucket   = []byte("import_mappings")        // orgID/MappingKey → app.ColumnMapping

	inviteCodesBucket      = []byte("invite_codes")       // normalized code → invite code
	inviteCodeOwnersBucket = []byte("invite_code_owners") // orgID/groupID (empty for the organization) → code
	inviteLinksBucket      = []byte("invite_links")       // orgID/linkID → invite link
	inviteLinkTokensBucket = []byte("invite_link_tokens") // SHA-256 of token → orgID/linkID

	badgesBucket         = []byte("user_badges")     // SHA-256 of a badge code → userID
	signInFailuresBucket = []byte("signin_failures") // "ip:addr" | "account:ID" | ... → failure count

	emailVerifyBucket = []byte("email_verifications")       // userID → pending verification of its address
	emailVerifyTokens = []byte("email_verification_tokens") // SHA-256 of token → userID

	resetBucket = []byte("password_resets")       // userID → pending reset link; userID/activation → activation link
	resetTokens = []byte("password_reset_tokens") // SHA-256 of token → key in resetBucket

	// erasedBucket remembers who was purged (IDs only, never a name), so
	// that a restored older backup does not bring them back.
	erasedBucket = []byte("erased_people") // userID → ""

	allBuckets = [][]byte{metaBucket, orgsBucket, orgSlugsBucket, groupsBucket, groupNamesBucket,
		usersBucket, loginsBucket, userIndexBucket, adminsBucket, adminNamesBucket, sessionsBucket,
		smtpBucket, smsBucket, phoneSignUpsBucket,
		invitesBucket, inviteTokens, inviteUsedTokens,
		outboxBucket, outboxQueue,
		inviteCodesBucket, inviteCodeOwnersBucket, inviteLinksBucket, inviteLinkTokensBucket,
		importsBucket, importHashBucket, importMapsBucket, signInFailuresBucket,
		emailVerifyBucket, emailVerifyTokens, resetBucket, resetTokens, auditBucket, auditIDsBucket, erasedBucket,
		ssoProvidersBucket, ssoIdentitiesBucket, ssoAdminIdentitiesBucket,
		oidcAppsBucket, oidcRequestsBucket, oidcCodesBucket, oidcTokensBucket, badgesBucket,
		scimTokensBucket, scimTokenHashesBucket, scimSettingsBucket, scimUserNamesBucket, scimExternalIDsBucket}

	schemaKey = []byte("schema_version")
)

// migrations[i] brings a file from schema version i+1 to i+2. A new file is
// created at the latest version; an older one is migrated on open, in one
// transaction.
var migrations = []func(tx *bolt.Tx) error{
	migrateLoginKeys,     // 1 → 2: usernames and emails keyed by NFKC + case folding
	migrateEmailVerified, // 2 → 3: email_verified on users, false for self sign-ups
	migrateUserIndex,     // 3 → 4: labels and the deletion date in the user index
	migrateUserIndex,     // 4 → 5: the user index in the collation of the organization's language
}

// SchemaVersion is the version of the layout this code writes.
func SchemaVersion() uint64 { return uint64(len(migrations) + 1) }

// ErrAlreadyOpen is returned by Open when another process holds the file.
var ErrAlreadyOpen = errors.New("already open")

// OpenTimeout is how long Open waits for another process to let go of the
// file: short enough that a second Rollcall says so within 2 s.
const OpenTimeout = 1500 * time.Millisecond

// DB is an open Rollcall database.
type DB struct {
	bolt *boltDB
	Path string
}

// openKey in the meta bucket is set while the file is open and removed by a
// clean Close: finding it on open means the last Rollcall to use the file
// stopped without closing it (a crash, a power cut, a killed process), so
// the file is checked before use.
var openKey = []byte("open")

// Open opens or creates the database at path (mode 0600), creates its
// buckets and migrates it. A file held by another Rollcall fails after
// OpenTimeout with an error that says so. A file that exists but is empty,
// damaged or not a Rollcall database is refused with a *DamagedError that
// names it, and is never turned into a new database; one that was not
// closed cleanly passes bbolt's consistency check first.
func Open(path string) (*DB, error) {
	if err := finishSwap(path); err != nil {
		return nil, err
	}
	exists, err := inspect(path)
	if err != nil {
		return nil, err
	}
	b, err := openBolt(path, &bolt.Options{Timeout: OpenTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is %w by another Rollcall (a desktop window or `rollcall serve`); close it first, or choose another file with --db", path, ErrAlreadyOpen)
	} else if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
		return nil, &DamagedError{Path: path, Problem: err.Error()}
	} else if err != nil {
		var damaged *DamagedError
		if errors.As(err, &damaged) {
			return nil, err
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{bolt: &boltDB{DB: b, path: path, mu: new(sync.RWMutex)}, Path: path}
	if err := db.admit(exists); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.bolt.Update(db.init); err != nil {
		b.Close()
		var damaged *DamagedError
		if errors.As(err, &damaged) {
			return nil, err
		}
		return nil, fmt.Errorf("prepare database %s: %w", path, err)
	}
	return db, nil
}

// admit refuses a file that existed before Open but is not Rollcall's (a
// bbolt file without the meta bucket and its schema version), and checks a
// file that was not closed cleanly.
func (db *DB) admit(existed bool) error {
	var unclean, foreign bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil || meta.Get(schemaKey) == nil {
			// A file bbolt created whose first transaction never committed
			// has no bucket at all: it is ours to set up.
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			foreign = existed && !empty
			return nil
		}
		unclean = meta.Get(openKey) != nil
		return nil
	})
	switch {
	case err != nil:
		return err
	case foreign:
		return &DamagedError{Path: db.Path, Kind: Foreign, Problem: "it is a bbolt database, but without Rollcall's schema"}
	case unclean:
		if problem := db.bolt.check(); problem != nil {
			return &DamagedError{Path: db.Path, Problem: fmt.Sprintf("it was not closed cleanly, and its check finds: %v", problem)}
		}
	}
	return nil
}

func (db *DB) init(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	if err := ensureInviteCodes(tx, crand.Reader, time.Now()); err != nil {
		return err
	}
	meta := tx.Bucket(metaBucket)
	if err := meta.Put(openKey, []byte{1}); err != nil {
		return err
	}
	v := meta.Get(schemaKey)
	if v == nil { // a new file
		return putUint(meta, schemaKey, SchemaVersion())
	}
	if len(v) != 8 {
		return &DamagedError{Path: db.Path, Kind: Foreign, Problem: "its schema version is not one Rollcall writes"}
	}
	version := binary.BigEndian.Uint64(v)
	if version > SchemaVersion() {
		return fmt.Errorf("the file was written by a newer Rollcall (schema %d; this one knows %d)", version, SchemaVersion())
	}
	for ; version < SchemaVersion(); version++ {
		if err := migrations[version-1](tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", version, version+1, err)
		}
	}
	return putUint(meta, schemaKey, version)
}

func putUint(b *bolt.Bucket, key []byte, n uint64) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, n)
	return b.Put(key, v)
}

// Close marks the file as closed cleanly and closes it.
func (db *DB) Close() error {
	err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Delete(openKey) })
	if cerr := db.bolt.Close(); err == nil {
		err = cerr
	}
	return err
}

// Check runs bbolt's consistency check and returns the first problem found,
// as a *DamagedError that names the file.
func (db *DB) Check() error {
	if problem := db.bolt.checkAlone(); problem != nil {
		return &DamagedError{Path: db.Path, Problem: problem.Error()}
	}
	return nil
}

// CheckAll runs bbolt's full consistency check and returns every problem it
// finds (none for a sound file) and the number of pages in use.
func (db *DB) CheckAll() (problems []error, pages int, err error) {
	db.bolt.mu.Lock() // no write beside the check (see checkAlone)
	defer db.bolt.mu.Unlock()
	err = db.bolt.DB.View(func(tx *bolt.Tx) error {
		pages = int(tx.Size() / int64(db.bolt.Info().PageSize))
		for p := range tx.Check() {
			problems = append(problems, p)
		}
		return nil
	})
	return problems, pages, err
}

// WriteBackup writes a consistent copy of the whole file to w while the
// database stays in use (a read transaction). When size is not nil it is
// told the copy's exact length before the first byte is written, so that an
// HTTP answer can carry a Content-Length and a cut copy is noticed.
func (db *DB) WriteBackup(w io.Writer, size func(int64)) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// get decodes the JSON value at key into v; ENOTFOUND (with msg) when absent.
func get(b *bolt.Bucket, key []byte, v any, msg string) error {
	data := b.Get(key)
	if data == nil {
		return app.Errorf(app.ENOTFOUND, "%s", msg)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode record %q: %w", key, err)
	}
	return nil
}

// put encodes v as JSON at key.
func put(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// claim points the index key at id, failing with conflict when another ID holds it.
func claim(b *bolt.Bucket, key []byte, id string, conflict func() error) error {
	if old := b.Get(key); old != nil && string(old) != id {
		return conflict()
	}
	return b.Put(key, []byte(id))
}

// release removes the index key if it points at id.
func release(b *bolt.Bucket, key []byte, id string) error {
	if old := b.Get(key); old != nil && string(old) == id {
		return b.Delete(key)
	}
	return nil
}

func join(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	out := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			out = append(out, '/')
		}
		out = append(out, p...)
	}
	return out
}

// Verify opens the file at path read-only and runs the consistency check:
// a backup that passes opens as a database.
func Verify(path string) error {
	if _, err := inspect(path); err != nil {
		return err
	}
	b, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: OpenTimeout})
	if err != nil {
		return err
	}
	defer b.Close()
	return (&DB{bolt: &boltDB{DB: b, path: path, mu: new(sync.RWMutex)}, Path: path}).Check()
}
