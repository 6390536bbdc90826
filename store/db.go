// Package store keeps Rollcall's data in one bbolt file and implements
// app.Store. Every exported method runs in its own transaction; bulk writes
// happen in one db.Update so they are wholly present or wholly absent.
//
// # What each bucket of people holds, and why
//
// People are most of a file (a district keeps every school's pupils in
// one), so each fact about a person is kept once:
//
//   - people: ID (16 bytes) → the compact record (record.go): names,
//     username, email, phone, language, hashes, roles, identities, times.
//     Keys are time-ordered (UUIDv7), so new people append and the bucket
//     is written with a high FillPercent (appendFill): full pages, not
//     half-empty ones.
//   - people_index: organization, sort key of the names, ID → status,
//     account type, search text, labels, deletion date, groups. It is the
//     only copy of those fields (the record leaves them out) and of group
//     membership: a list, a search or a filter scans one organization's
//     range without decoding a record, and reading a person reads the
//     record and then this entry, whose key the record gives. The search
//     text leaves out names the key's sort keys already spell.
//   - logins: u:LoginKey(username), e:LoginKey(email) → ID: sign-in and
//     uniqueness of usernames and addresses across the file; the keys are
//     the one folded copy, the record keeps the forms as typed.
//   - user_badges: SHA-256 of a badge code → user ID, the sign-in by badge.
//   - unfinished_batches: batch key → the IDs of its people, while
//     CreateUsers writes a big batch in parts (createInParts). Empty
//     otherwise: a batch that failed has its people deleted again, and one
//     a crash interrupted has them deleted when the file is next opened.
//
// The audit log is keyed by time, so it is appended with the same high
// FillPercent.
//
// The other buckets (below) are small beside these and keep JSON records.
// Compact (swap.go) rewrites the file with full pages after purges, on
// request and after bulk deletes, and bbolt's freed pages go with it.
package store

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
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
	groupsBucket     = []byte("groups")       // orgID/groupID → group
	groupNamesBucket = []byte("group_names")  // orgID/key(name) → groupID
	usersBucket      = []byte("people")       // idKey(userID) → userRec (record.go)
	loginsBucket     = []byte("logins")       // u:LoginKey(username) | e:LoginKey(email) → idKey(userID)
	userIndexBucket  = []byte("people_index") // org, sort key, user → status, type, search text, labels, groups (user.go)

	// The buckets of schema 4 and before (JSON records, IDs as text),
	// which migrateCompactUsers converts into the three above.
	legacyUsersBucket  = []byte("users")
	legacyLoginsBucket = []byte("user_logins")
	legacyIndexBucket  = []byte("user_index")
	adminsBucket       = []byte("admins")
	adminNamesBucket   = []byte("admin_names") // LoginKey(username) → adminID
	sessionsBucket     = []byte("sessions")
	smtpBucket         = []byte("smtp_settings") // orgID → relay settings (password sealed)
	smsBucket          = []byte("sms_settings")  // orgID → SMS gateway settings (secret sealed)
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

	// unfinishedBatchesBucket holds the batches CreateUsers is writing in
	// parts (user.go: createInParts).
	unfinishedBatchesBucket = []byte("unfinished_batches") // sequence → (uvarint length, idKey(userID))...

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
		scimTokensBucket, scimTokenHashesBucket, scimSettingsBucket, scimUserNamesBucket, scimExternalIDsBucket,
		unfinishedBatchesBucket}

	schemaKey = []byte("schema_version")
)

// migrations[i] brings a file from schema version i+1 to i+2. A new file is
// created at the latest version; an older one is migrated on open, in one
// transaction.
var migrations = []func(tx *bolt.Tx, report Progress) error{
	quiet(migrateLoginKeys),     // 1 → 2: usernames and emails keyed by NFKC + case folding
	quiet(migrateEmailVerified), // 2 → 3: email_verified on users, false for self sign-ups
	quiet(migrateUserIndex),     // 3 → 4: labels and the deletion date in the user index
	migrateCompactUsers,         // 4 → 5: compact user records, binary IDs, no field kept twice
}

// Progress is told how far a long step (a migration) is: done of total.
type Progress func(step string, done, total int)

func quiet(m func(tx *bolt.Tx) error) func(*bolt.Tx, Progress) error {
	return func(tx *bolt.Tx, _ Progress) error { return m(tx) }
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
	// UpgradeBackup is the backup Open took before it converted the file
	// to a newer schema ("" when it converted nothing).
	UpgradeBackup string
	opts          Options
	// abandoned is how many people of unfinished batches Open deleted.
	abandoned int
}

// Options are Open's choices beyond the path.
type Options struct {
	// Progress is told how a long migration goes (nil: not told).
	Progress Progress
	// BackupDir is where the backup before a migration goes (default: the
	// database's path + .backups, where Rollcall keeps its backups).
	BackupDir string
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
func Open(path string) (*DB, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options. Before a migration that rewrites every
// user (schema 4 → 5), it writes a backup of the file as it was into the
// backup folder (see DB.UpgradeBackup), checked as every backup is.
func OpenWith(path string, opts Options) (*DB, error) {
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
	db := &DB{bolt: &boltDB{DB: b, path: path, mu: new(sync.RWMutex)}, Path: path, opts: opts}
	if err := db.admit(exists); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.backupBeforeUpgrade(); err != nil {
		b.Close()
		return nil, fmt.Errorf("back up %s before converting it to this Rollcall's format: %w", path, err)
	}
	if err := db.bolt.Update(db.init); err != nil {
		b.Close()
		var damaged *DamagedError
		if errors.As(err, &damaged) {
			return nil, err
		}
		return nil, fmt.Errorf("prepare database %s: %w", path, err)
	}
	if db.abandoned > 0 {
		slog.Warn("a batch of people was interrupted while it was written (Rollcall stopped); the people of it already written were deleted, none of the batch was created", "db", path, "people", db.abandoned)
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
		if err := migrations[version-1](tx, db.opts.Progress); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", version, version+1, err)
		}
	}
	// A batch of people a crash interrupted while it was written in parts:
	// the parts written are deleted, as if it had never started.
	n, err := abandonBatches(tx)
	if err != nil {
		return fmt.Errorf("delete the people of an unfinished batch: %w", err)
	}
	db.abandoned = n
	return putUint(meta, schemaKey, version)
}

// compactSchema is the first schema of compact user records: a file
// before it has every user rewritten on open, after a backup.
const compactSchema = 5

// backupBeforeUpgrade writes a copy of a file whose users a migration is
// about to rewrite (schema before compactSchema, with users) to the backup
// folder, as rollcall-<time>-before-upgrade.db, and checks it.
func (db *DB) backupBeforeUpgrade() error {
	var due bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil {
			return nil
		}
		v := meta.Get(schemaKey)
		users := tx.Bucket(legacyUsersBucket)
		due = len(v) == 8 && binary.BigEndian.Uint64(v) < compactSchema && users != nil && hasKeys(users)
		return nil
	})
	if err != nil || !due {
		return err
	}
	dir := db.opts.BackupDir
	if dir == "" {
		dir = db.Path + ".backups"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	name := filepath.Join(dir, "rollcall-"+time.Now().UTC().Format("2006-01-02-150405")+"-before-upgrade.db")
	tmp, err := os.CreateTemp(dir, ".backup-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if db.opts.Progress != nil {
		db.opts.Progress("Backing up before the conversion to "+name, 0, 1)
	}
	_, err = db.WriteBackup(tmp, nil)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = Verify(tmp.Name())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return err
	}
	syncDir(name)
	db.UpgradeBackup = name
	return nil
}

func hasKeys(b *bolt.Bucket) bool {
	k, _ := b.Cursor().First()
	return k != nil
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
	// The check visits every page, with much on the heap: that memory goes
	// back to the system as soon as it is over (after the file is closed),
	// not when the runtime gets round to it, so that a backup or a
	// compaction does not leave Rollcall at rest larger.
	defer debug.FreeOSMemory()
	defer b.Close()
	return (&DB{bolt: &boltDB{DB: b, path: path, mu: new(sync.RWMutex)}, Path: path}).Check()
}
