package cli

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIExport: `rollcall export` writes a group as Rollcall's CSV (";"
// for a German organization, read back by `rollcall import --dry-run` with
// nothing to fix) and as a OneRoster zip; and while serve holds the file,
// serve writes the same export.
func TestCLIExport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	class := filepath.Join(dir, "class.csv")
	os.WriteFile(class, []byte("first_name,last_name,groups\nAda,Lovelace,3B\nJürgen,Müller,3B\nAlan,Turing,4C\n"), 0o600)
	for _, args := range [][]string{{"org", "create", "--name", "Ahorn", "--slug", "ahorn"}, {"org", "set", "--org", "ahorn", "--language", "de"},
		{"import", "--org", "ahorn", "--create-groups", class}, {"org", "create", "--name", "Birke", "--slug", "birke"}} {
		if code, _, errs := run(t, "", append(args, "--db", db)...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}

	out := filepath.Join(dir, "3b.csv")
	code, stdout, errs := run(t, "", "export", "--org", "ahorn", "--group", "3B", "--format", "csv", out, "--db", db)
	if code != 0 || !strings.Contains(stdout, "Exported 3B (2 people)") {
		t.Fatalf("export = %d %q %q", code, stdout, errs)
	}
	data, _ := os.ReadFile(out)
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "first_name" || rows[2][1] != "Müller" {
		t.Fatalf("export file %q %v", rows, err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v", st.Mode())
	}
	// Rollcall's own import reads every column of it. (Usernames are unique
	// in the whole file, so into another organization of the same file the
	// two rows are refused as taken: the round trip into a fresh file is
	// TestExportRoundTrip's.)
	code, stdout, _ = run(t, "", "import", "--org", "birke", "--dry-run", "--create-groups", out, "--db", db)
	if code != 3 || !strings.Contains(stdout, "2 rows — 0 to create, 0 with warnings, 2 with errors") || strings.Contains(stdout, "Columns left out") || strings.Count(stdout, "already taken") != 2 {
		t.Errorf("dry run = %d\n%s", code, stdout)
	}

	if code, _, errs := run(t, "", "export", "--org", "ahorn", "--format", "pdf", out, "--db", db); code != 1 || !strings.Contains(errs, "Choose one of the formats") {
		t.Errorf("unknown format = %d %q", code, errs)
	}
	if code, _, _ := run(t, "", "export", "--org", "ahorn", out, "--db", db); code != 2 {
		t.Errorf("without --format = %d, want 2", code)
	}

	t.Run("while serve runs", func(t *testing.T) {
		startServe(t, db) // stopped at the end of this subtest
		zipOut := filepath.Join(dir, "all.zip")
		code, stdout, errs := run(t, "", "export", "--org", "ahorn", "--format", "oneroster", zipOut, "--db", db)
		if code != 0 || !strings.Contains(stdout, "written by the running serve") {
			t.Fatalf("export while serving = %d %q %q", code, stdout, errs)
		}
		data, _ := os.ReadFile(zipOut)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil || len(zr.File) != 7 || zr.File[0].Name != "manifest.csv" {
			t.Fatalf("zip from serve: %v", err)
		}
	})
	code, stdout, _ = run(t, "", "audit", "--org", "ahorn", "--action", "user.export", "--db", db)
	if code != 0 || strings.Count(stdout, "user.export") != 2 {
		t.Errorf("audit = %d\n%s", code, stdout)
	}
}
