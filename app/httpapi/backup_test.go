package httpapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

func (e *env) listBackups(t *testing.T, cookie string) app.BackupList {
	t.Helper()
	return call[app.BackupList](t, e, "GET", "/api/backups", nil, cookie, http.StatusOK)
}

func (e *env) usernames(t *testing.T, cookie, org string) []string {
	t.Helper()
	page := call[app.UserPage](t, e, "GET", "/api/organizations/"+org+"/users", nil, cookie, http.StatusOK)
	var out []string
	for _, u := range page.Users {
		out = append(out, u.Username)
	}
	slices.Sort(out)
	return out
}

// Back up now writes a checked file named by date and time into the folder
// beside the database; restoring it from the list brings back that state
// (while the database stays open), after a backup of the state it replaced.
// The restored file has its own sessions: a sign-in made after the backup
// is gone.
func TestBackupAndRestoreFromList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	if got := e.listBackups(t, f.cookie); len(got.Backups) != 0 || got.Dir != e.DB.Path+".backups" || got.Keep != app.DefaultBackupKeep {
		t.Fatalf("backups of a new database = %+v, want none in %s.backups keeping %d", got, e.DB.Path, app.DefaultBackupKeep)
	}
	b := call[app.Backup](t, e, "POST", "/api/backups", map[string]any{}, f.cookie, http.StatusCreated)
	if want := "rollcall-2026-03-02-080000-manual.db"; b.Name != want || b.Size <= 0 || !b.Time.Equal(e.Clock.Now()) {
		t.Fatalf("backup = %+v, want %s with its size, at %v", b, want, e.Clock.Now())
	}
	st, err := os.Stat(filepath.Join(e.DB.Path+".backups", b.Name))
	if err != nil || st.Size() != b.Size {
		t.Fatalf("backup file: %v, %v; want %d bytes", st, err, b.Size)
	}

	e.Clock.Add(time.Hour)
	e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo.lind"})
	if got := e.usernames(t, f.cookie, f.org); !slices.Equal(got, []string{"ann.smith", "bo.lind"}) {
		t.Fatalf("users = %v", got)
	}
	later := sessionCookie(t, e.signIn(t, adminName, adminPassword, lanAddr)).Value

	res := call[app.Restored](t, e, "POST", "/api/backups/"+b.Name+"/restore", map[string]any{}, f.cookie, http.StatusOK)
	if res.Before == nil || res.Before.Kind != app.BackupBeforeRestore || res.Before.Name != "rollcall-2026-03-02-090000-before-restore.db" {
		t.Fatalf("restore = %+v, want a before-restore backup", res.Before)
	}
	if got := e.usernames(t, f.cookie, f.org); !slices.Equal(got, []string{"ann.smith"}) {
		t.Errorf("users after restore = %v, want [ann.smith]", got)
	}
	status, body := e.do(t, "GET", "/api/backups", nil, later)
	checkError(t, status, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")

	// The state before the restore is one restore away. Its file holds the
	// later session, but that session ended (with the first restore), and a
	// restore keeps only sessions that are live now.
	res2 := call[app.Restored](t, e, "POST", "/api/backups/"+res.Before.Name+"/restore", map[string]any{}, f.cookie, http.StatusOK)
	if got := e.usernames(t, f.cookie, f.org); !slices.Equal(got, []string{"ann.smith", "bo.lind"}) {
		t.Errorf("users after restoring the before-restore backup = %v", got)
	}
	status, body = e.do(t, "GET", "/api/backups", nil, later)
	checkError(t, status, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	names := []string{}
	for _, x := range e.listBackups(t, f.cookie).Backups {
		names = append(names, x.Name)
	}
	want := []string{res2.Before.Name, res.Before.Name, b.Name}
	if !slices.Equal(names, want) {
		t.Errorf("backups = %v, want %v (newest first)", names, want)
	}

	status, body = e.do(t, "POST", "/api/backups/..%2Frollcall.db/restore", map[string]any{}, f.cookie)
	checkError(t, status, body, http.StatusNotFound, app.ENOTFOUND, "")
}

// An uploaded file that is damaged, cut short, empty or not a database is
// refused with a message that says so and that nothing changed: the users
// stay and no before-restore backup is taken. A sound upload is restored.
func TestRestoreUploadRefusesDamagedFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	for i := range 30 { // enough data for several pages
		e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Pupil", "last_name": strings.Repeat("x", 40), "username": "pupil" + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	good := e.download(t, "GET", "/api/backup", nil, f.cookie, "application/octet-stream")
	before := e.usernames(t, f.cookie, f.org)
	e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "New", "username": "after.backup"})
	now := e.usernames(t, f.cookie, f.org)

	corrupt := slices.Clone(good)
	for i := 2 * 4096; i < len(corrupt); i++ { // every page after the two meta pages
		corrupt[i] ^= 0x5a
	}
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"corrupted", corrupt},
		{"truncated", good[:len(good)/2]},
		{"empty", []byte{}},
		{"not a database", []byte("first_name,last_name\nAnn,Smith\n")},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := withCookie(newRequest(t, "POST", "/api/backups/restore", c.body), f.cookie)
			req.Header.Set("Content-Type", "application/octet-stream")
			rec := e.serve(req)
			body := decodeBody(t, rec)
			checkError(t, rec.Code, body, http.StatusBadRequest, app.EINVALID, "")
			if msg, _ := body["message"].(string); !strings.Contains(msg, "cannot be restored") || !strings.Contains(msg, "Nothing was changed") {
				t.Errorf("message = %q, want it to say the file cannot be restored and nothing changed", msg)
			}
			if got := e.usernames(t, f.cookie, f.org); !slices.Equal(got, now) {
				t.Errorf("users after a refused restore = %v, want %v", got, now)
			}
			if got := e.listBackups(t, f.cookie).Backups; len(got) != 0 {
				t.Errorf("a refused restore left backups %+v", got)
			}
		})
	}
	if err := e.DB.Check(); err != nil {
		t.Fatal(err)
	}

	req := withCookie(newRequest(t, "POST", "/api/backups/restore", good), f.cookie)
	req.Header.Set("Content-Type", "application/octet-stream")
	if rec := e.serve(req); rec.Code != http.StatusOK {
		t.Fatalf("restore of a sound upload = %d %s", rec.Code, rec.Body.String())
	}
	if got := e.usernames(t, f.cookie, f.org); !slices.Equal(got, before) {
		t.Errorf("users after restoring the upload = %v, want %v", got, before)
	}
	entries, _ := os.ReadDir(e.DB.Path + ".backups")
	for _, x := range entries {
		if strings.HasSuffix(x.Name(), ".tmp") {
			t.Errorf("temporary file %s left in the backup folder", x.Name())
		}
	}
}
