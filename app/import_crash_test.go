package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/store"
)

const (
	crashEnv  = "ROLLCALL_IMPORT_CRASH_DB"
	crashRows = 5000
	crashOrg  = "crash"
)

// TestImportCrash runs a child process (this test binary again) that
// commits imports of 5,000 rows one after another, and SIGKILLs it at a
// random moment, 20 times (every other kill aimed inside the write: just
// after the phase mark set right before db.Update). After each kill the file opens, bbolt's Check is
// clean, and every import is wholly present (its record and all 5,000 users)
// or wholly absent.
func TestImportCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db)
	mustOrg(t, a, &app.Organization{Name: "Crash", Slug: crashOrg})
	db.Close()

	ctx := context.Background()
	seen := map[string]bool{} // imports found after some kill: they must stay
	var committed, inWrite int
	for run := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestImportCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, "ROLLCALL_CRASH_RUN="+strconv.Itoa(run))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if run%2 == 0 {
			time.Sleep(time.Duration(50+rand.IntN(1500)) * time.Millisecond)
		} else {
			// Aim inside the write: wait for the mark set right before
			// db.Update, then kill within the next few milliseconds.
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				if phase, _ := os.ReadFile(path + ".phase"); string(phase) == phaseWriting {
					break
				}
				time.Sleep(200 * time.Microsecond)
			}
			time.Sleep(time.Duration(rand.IntN(30_000)) * time.Microsecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		db, err := store.Open(path)
		if err != nil {
			t.Fatalf("run %d: open after SIGKILL: %v", run, err)
		}
		if err := db.Check(); err != nil {
			db.Close()
			t.Fatalf("run %d: Check after SIGKILL: %v", run, err)
		}
		a := app.New(db)
		imps, err := a.Imports(ctx, crashOrg)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, imp := range imps {
			total += imp.Created
			if imp.Created != crashRows || imp.Rows != crashRows {
				t.Errorf("run %d: import %s records %d of %d rows", run, imp.ID, imp.Created, imp.Rows)
			}
			if !seen[imp.ID] { // a new import: all its users are there
				page, err := a.Users(ctx, crashOrg, app.UserFilter{Query: imp.FileName, PerPage: 1})
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != crashRows {
					t.Errorf("run %d: import %s has %d users, want %d", run, imp.FileName, page.Total, crashRows)
				}
				seen[imp.ID] = true
			}
		}
		page, err := a.Users(ctx, crashOrg, app.UserFilter{PerPage: 1})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != total {
			t.Errorf("run %d: %d users, but the imports recorded %d: a partial import", run, page.Total, total)
		}
		if len(seen) != len(imps) {
			t.Errorf("run %d: an import vanished (%d seen, %d now)", run, len(seen), len(imps))
		}
		phase, _ := os.ReadFile(path + ".phase")
		if string(phase) == phaseWriting {
			inWrite++
		}
		t.Logf("run %d: killed while %s; %d imports (%d users) present", run, phase, len(imps), total)
		os.Remove(path + ".phase")
		committed = len(imps)
		db.Close()
	}
	t.Logf("%d of 20 kills landed inside the write (after the mark set right before db.Update, before the one after it); %d imports completed", inWrite, committed)
	if inWrite < 3 {
		t.Errorf("only %d kills landed inside the write; the test does not show all-or-nothing", inWrite)
	}
}

// phaseWriting marks the moment right before CreateImport's db.Update.
const phaseWriting = "writing"

// phaseStore records the phase around the write of an import.
type phaseStore struct {
	app.Store
	path string
}

func (s phaseStore) CreateImport(ctx context.Context, imp *app.Import, g []app.NewGroup, u []*app.User, mails ...*app.ResetMail) error {
	os.WriteFile(s.path+".phase", []byte(phaseWriting), 0o600)
	err := s.Store.CreateImport(ctx, imp, g, u, mails...)
	os.WriteFile(s.path+".phase", []byte("written"), 0o600)
	return err
}

// TestImportCrashChild is the child of TestImportCrash: it commits imports
// until it is killed. Cheap hash parameters keep each import fast.
func TestImportCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("only as the child of TestImportCrash")
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db)
	a.Store = phaseStore{Store: a.Store, path: path}
	a.Hash = app.HashParams{Memory: 8, Time: 1, Threads: 1}
	run := os.Getenv("ROLLCALL_CRASH_RUN")
	os.WriteFile(path+".phase", []byte("starting"), 0o600)
	for k := 0; ; k++ {
		// The file's name is a word in every user's last name, so a search finds the import's users.
		name := fmt.Sprintf("r%sk%dz", run, k)
		rows := make([]app.ImportRow, crashRows)
		for i := range rows {
			rows[i] = row(i+2, fmt.Sprintf("first_name=P%d", i), "last_name="+name)
		}
		f := &app.ImportFile{Name: name, SHA256: name, Format: app.FormatCSV, Rows: rows}
		os.WriteFile(path+".phase", []byte("planning and hashing"), 0o600)
		if _, err := a.CommitImport(context.Background(), crashOrg, f, app.ImportOptions{PasswordStyle: app.StyleRandom}, nil); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path+".phase", []byte("between imports"), 0o600)
	}
}
