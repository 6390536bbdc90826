package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

func backupNames(t *testing.T, a *app.App) []string {
	t.Helper()
	list, err := a.ListBackups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range list.Backups {
		out = append(out, b.Name)
	}
	return out
}

// The daily backup is taken when none is a day old, not again within the
// day, and pruning keeps the newest Keep; every file passes the check.
func TestBackupIfDueAndPrune(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	a := e.App
	a.Backups.Keep = 3
	ctx := context.Background()
	b, err := a.BackupIfDue(ctx)
	if err != nil || b == nil || b.Name != "rollcall-2026-03-02-080000-daily.db" {
		t.Fatalf("first BackupIfDue = %+v, %v; want the daily backup", b, err)
	}
	e.Clock.Add(23*time.Hour + 59*time.Minute)
	if b, err := a.BackupIfDue(ctx); err != nil || b != nil {
		t.Fatalf("BackupIfDue within the day = %+v, %v; want none", b, err)
	}
	if _, err := a.BackUp(ctx, app.BackupManual); err != nil { // a manual backup does not stand in for the daily one
		t.Fatal(err)
	}
	e.Clock.Add(time.Minute)
	if b, err := a.BackupIfDue(ctx); err != nil || b == nil {
		t.Fatalf("BackupIfDue a day later = %+v, %v; want a backup", b, err)
	}
	for range 3 {
		e.Clock.Add(25 * time.Hour)
		if _, err := a.BackupIfDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"rollcall-2026-03-06-110000-daily.db", "rollcall-2026-03-05-100000-daily.db", "rollcall-2026-03-04-090000-daily.db"}
	if got := backupNames(t, a); !slices.Equal(got, want) {
		t.Fatalf("backups = %v, want the newest 3 %v", got, want)
	}
	for _, n := range want {
		if err := e.DB.VerifyBackup(filepath.Join(a.Backups.Dir, n)); err != nil {
			t.Error(err)
		}
	}
	// Files in the folder that are not backups are left alone.
	stray := filepath.Join(a.Backups.Dir, "notes.txt")
	os.WriteFile(stray, []byte("x"), 0o600)
	if _, err := a.BackUp(ctx, app.BackupManual); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("pruning removed a file that is not a backup: %v", err)
	}
	if got := backupNames(t, a); len(got) != 3 {
		t.Errorf("backups = %v, want 3", got)
	}
}
