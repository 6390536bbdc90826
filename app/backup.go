package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BackupStore is what backups need from storage: a consistent copy of the
// whole file, a check of a copy, and swapping a checked copy in while the
// database stays in use. store.DB implements it.
type BackupStore interface {
	// WriteBackup writes a consistent copy to w (size, when set, hears its length first).
	WriteBackup(w io.Writer, size func(int64)) (int64, error)
	// VerifyBackup checks that the file at path opens, passes the consistency
	// check and is a Rollcall file of a schema this code knows.
	VerifyBackup(path string) error
	// Restore swaps the checked file at path in for the database. People
	// erased before the restore are erased again in the restored file (an
	// older backup still holds them) before it is swapped in; it says how
	// many were.
	Restore(ctx context.Context, path string) (reErased int, err error)
	// FileSize is the database file's size in bytes.
	FileSize() (int64, error)
}

// Compaction is what CompactDatabase did: the file's size before and after.
type Compaction struct {
	Before int64 `json:"before"`
	After  int64 `json:"after"`
}

// CompactDatabase rewrites the database file at once with only its live
// pages, filled: the space of deleted records is given back and their
// bytes leave the file. The new file is checked before it is swapped in
// (as a restore's is), while Rollcall keeps running. Server admins only.
func (a *App) CompactDatabase(ctx context.Context) (*Compaction, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	bs, ok := a.Store.(BackupStore)
	if !ok {
		return nil, Errorf(EINVALID, "This storage cannot be compacted.")
	}
	before, err := bs.FileSize()
	if err != nil {
		return nil, err
	}
	if err := a.Store.CompactNow(ctx); err != nil {
		return nil, err
	}
	after, err := bs.FileSize()
	if err != nil {
		return nil, err
	}
	c := &Compaction{Before: before, After: after}
	detail := fmt.Sprintf("%d bytes before, %d after", before, after)
	if err := a.Store.AppendAudit(a.audit(ctx, "", "database.compact", AuditTarget{Kind: "database", Name: "database"}, detail)); err != nil {
		return nil, err
	}
	return c, nil
}

// Kinds of backup, part of the file name.
const (
	BackupDaily          = "daily"
	BackupManual         = "manual"
	BackupBeforeRestore  = "before-restore"
	BackupBeforeRollover = "before-rollover"
)

// DefaultBackupKeep is how many backups the folder keeps unless set.
const DefaultBackupKeep = 14

// BackupInterval is how often the automatic backup is taken.
const BackupInterval = 24 * time.Hour

// BackupSettings say where backups go and how many are kept. They belong
// to the server (command line flags), not to the database: a restore does
// not change them.
type BackupSettings struct {
	// Dir is the folder of backups; empty means backups are off.
	Dir string `json:"dir"`
	// Keep is how many backups pruning keeps, newest first (DefaultBackupKeep when 0).
	Keep int `json:"keep"`
}

func (s BackupSettings) keep() int {
	if s.Keep <= 0 {
		return DefaultBackupKeep
	}
	return s.Keep
}

// Backup is one file in the backup folder.
type Backup struct {
	Name string    `json:"name"`
	Kind string    `json:"kind"`
	Size int64     `json:"size"`
	Time time.Time `json:"time"`
	seq  int
}

// BackupList is the backup folder as an admin sees it.
type BackupList struct {
	Dir     string    `json:"dir"`
	Keep    int       `json:"keep"`
	Backups []*Backup `json:"backups"` // newest first
}

// backupTimeLayout is the date and time in a backup's name, in UTC, so that
// names sort by time whatever the clocks did.
const backupTimeLayout = "2006-01-02-150405"

// backupNameRe matches the names backups are written under, e.g.
// rollcall-2026-09-01-020000-daily.db (a -2 after the kind when two were
// taken in the same second).
var backupNameRe = regexp.MustCompile(`^rollcall-(\d{4}-\d{2}-\d{2}-\d{6})-([a-z-]+?)(?:-(\d+))?\.db$`)

// parseBackupName reads a backup's time, kind and number within its second (1, 2, ...).
func parseBackupName(name string) (t time.Time, kind string, seq int, ok bool) {
	m := backupNameRe.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, "", 0, false
	}
	t, err := time.Parse(backupTimeLayout, m[1])
	if err != nil {
		return time.Time{}, "", 0, false
	}
	seq = 1
	if m[3] != "" {
		seq, _ = strconv.Atoi(m[3])
	}
	return t, m[2], seq, true
}

func (a *App) backupsOn() error {
	if a.Backups.Dir == "" {
		return Errorf(EINVALID, "Backups are not set up for this Rollcall.")
	}
	return nil
}

// ListBackups lists the backup folder, newest first.
func (a *App) ListBackups(ctx context.Context) (*BackupList, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	if err := a.backupsOn(); err != nil {
		return nil, err
	}
	out := &BackupList{Dir: a.Backups.Dir, Keep: a.Backups.keep(), Backups: []*Backup{}}
	entries, err := os.ReadDir(a.Backups.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	} else if err != nil {
		return nil, fmt.Errorf("read the backup folder: %w", err)
	}
	for _, e := range entries {
		t, kind, seq, ok := parseBackupName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out.Backups = append(out.Backups, &Backup{Name: e.Name(), Kind: kind, Size: info.Size(), Time: t, seq: seq})
	}
	sort.SliceStable(out.Backups, func(i, j int) bool {
		bi, bj := out.Backups[i], out.Backups[j]
		if !bi.Time.Equal(bj.Time) {
			return bi.Time.After(bj.Time)
		}
		return bi.seq > bj.seq
	})
	return out, nil
}

// BackUp writes a backup of the given kind into the backup folder (through
// a temporary file, synced, then renamed), checks it, and prunes the folder
// to the newest Keep.
func (a *App) BackUp(ctx context.Context, kind string) (*Backup, error) {
	if kind == BackupManual { // the others are part of a use case allowed its actor
		if err := RequireServerAdmin(ctx); err != nil {
			return nil, err
		}
	}
	// Purged people's bytes leave the file before it is copied.
	if _, err := a.CompactIfDue(ctx); err != nil {
		return nil, err
	}
	a.backupMu.Lock()
	defer a.backupMu.Unlock()
	b, err := a.backUp(kind)
	if err != nil {
		return nil, err
	}
	if kind == BackupManual || kind == BackupDaily {
		// A backup before a restore or a rollover is part of that entry.
		if err := a.Store.AppendAudit(a.audit(ctx, "", "database.backup", AuditTarget{Kind: "database", Name: b.Name}, fmt.Sprintf("%s backup, %d bytes", kind, b.Size))); err != nil {
			return nil, err
		}
	}
	return b, a.pruneBackups(b.Name)
}

// BackupIfDue takes the automatic daily backup when the newest one is a
// day old or there is none; it returns nil when none was due.
func (a *App) BackupIfDue(ctx context.Context) (*Backup, error) {
	if a.Backups.Dir == "" {
		return nil, nil
	}
	list, err := a.ListBackups(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now()
	for _, b := range list.Backups {
		if b.Kind == BackupDaily && now.Sub(b.Time) < BackupInterval && !b.Time.After(now) {
			return nil, nil
		}
	}
	return a.BackUp(ctx, BackupDaily)
}

// backUp writes one backup; the caller holds backupMu.
func (a *App) backUp(kind string) (*Backup, error) {
	if err := a.backupsOn(); err != nil {
		return nil, err
	}
	bs, ok := a.Store.(BackupStore)
	if !ok {
		return nil, Errorf(EINVALID, "This storage cannot be backed up.")
	}
	if err := os.MkdirAll(a.Backups.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the backup folder: %w", err)
	}
	now := a.now()
	base := "rollcall-" + now.UTC().Format(backupTimeLayout) + "-" + kind
	name := base + ".db"
	for i := 2; ; i++ {
		if _, err := os.Lstat(filepath.Join(a.Backups.Dir, name)); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d.db", base, i)
	}
	path := filepath.Join(a.Backups.Dir, name)
	tmp, err := os.CreateTemp(a.Backups.Dir, ".backup-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create a backup file: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := bs.WriteBackup(tmp, nil)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write the backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("name the backup: %w", err)
	}
	syncDir(a.Backups.Dir)
	if err := bs.VerifyBackup(path); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("the backup just written does not pass its check: %w", err)
	}
	return &Backup{Name: name, Kind: kind, Size: n, Time: now.UTC().Truncate(time.Second)}, nil
}

// pruneBackups removes all but the newest Keep backups; keep names one
// that stays whatever its age (the one being restored from).
func (a *App) pruneBackups(keep string) error {
	list, err := a.ListBackups(context.Background())
	if err != nil {
		return err
	}
	n := 0
	for _, b := range list.Backups {
		if b.Name == keep {
			continue
		}
		n++
		if n >= a.Backups.keep() {
			if err := os.Remove(filepath.Join(a.Backups.Dir, b.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove an old backup: %w", err)
			}
		}
	}
	return nil
}

// Restored says what a restore did.
type Restored struct {
	// Before is the backup of what was there before the restore.
	Before *Backup `json:"before"`
}

// RestoreBackup replaces the database by the backup name of the backup
// folder (see restore). Errors: ENOTFOUND, EINVALID.
func (a *App) RestoreBackup(ctx context.Context, name string) (*Restored, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	if err := a.backupsOn(); err != nil {
		return nil, err
	}
	if _, _, _, ok := parseBackupName(name); !ok || name != filepath.Base(name) {
		return nil, Errorf(ENOTFOUND, "There is no backup %q.", name)
	}
	path := filepath.Join(a.Backups.Dir, name)
	if _, err := os.Stat(path); err != nil {
		return nil, Errorf(ENOTFOUND, "There is no backup %q any more; reload the list.", name)
	}
	return a.restore(ctx, path, name)
}

// MaxRestoreBytes caps an uploaded backup.
const MaxRestoreBytes = 4 << 30

// RestoreUpload replaces the database by an uploaded backup file: it is
// written beside the backups first, then restored (see restore).
// Errors: EINVALID (not a Rollcall backup, damaged, cut short).
func (a *App) RestoreUpload(ctx context.Context, r io.Reader) (*Restored, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	if err := a.backupsOn(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(a.Backups.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the backup folder: %w", err)
	}
	tmp, err := os.CreateTemp(a.Backups.Dir, ".upload-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("store the upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return a.restore(ctx, tmp.Name(), "")
}

// restore checks the file at path, backs up the current state
// (before-restore), and swaps the file in while the database stays in use.
// The restored file brings its own admin sessions: whoever is signed in now
// may have to sign in again. A file that is refused changes nothing.
func (a *App) restore(ctx context.Context, path, keep string) (*Restored, error) {
	bs, ok := a.Store.(BackupStore)
	if !ok {
		return nil, Errorf(EINVALID, "This storage cannot be restored.")
	}
	if err := bs.VerifyBackup(path); err != nil {
		return nil, Errorf(EINVALID, "This file cannot be restored: it is not a Rollcall backup, or it is damaged or incomplete. Nothing was changed. (%s)", backupProblem(err, path))
	}
	if _, err := a.CompactIfDue(ctx); err != nil {
		return nil, err
	}
	a.backupMu.Lock()
	defer a.backupMu.Unlock()
	before, err := a.backUp(BackupBeforeRestore)
	if err != nil {
		return nil, fmt.Errorf("back up before restoring: %w", err)
	}
	from := keep
	if from == "" {
		from = "an uploaded file"
	}
	n, err := bs.Restore(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	// The entry goes into the restored file, after the backup's own log.
	detail := "restored from " + filepath.Base(from)
	if n > 0 {
		detail += fmt.Sprintf("; %s erased since the backup erased again", people(n))
	}
	if err := a.flushAudit(a.audit(ctx, "", "database.restore", AuditTarget{Kind: "database", Name: "database"}, detail)); err != nil {
		return nil, err
	}
	a.Drafts.clear()
	if err := a.pruneBackups(keep); err != nil {
		a.log().Warn("prune backups", "err", err)
	}
	return &Restored{Before: before}, nil
}

// backupProblem is the check's finding without the temporary file's path.
func backupProblem(err error, path string) string {
	msg := strings.ReplaceAll(err.Error(), path, "the file")
	return strings.TrimSuffix(msg, ".")
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
