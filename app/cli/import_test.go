package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"rollcall/app"
)

func TestCLIImport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	file := filepath.Join(dir, "class.csv")
	os.WriteFile(file, []byte("First Name;Surname;E-mail;Class;Shoe size\r\nAda;Lovelace;ada@x.example;3B;38\r\n;Nofirst;;3B;39\r\nGrace;Hopper;;7Z;40\r\n"), 0o600)
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("first_name,last_name\nAlan,Turing\n"), 0o600)
	for _, args := range [][]string{{"org", "create", "--name", "Maple", "--slug", "maple"}, {"group", "create", "--org", "maple", "--name", "3B"}} {
		if code, _, errs := run(t, "", append(args, "--db", db)...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}

	// A dry run: a table, nothing written, status 3 (rows would be skipped).
	code, out, _ := run(t, "", "import", "--org", "maple", "--dry-run", file, "--db", db)
	if code != 3 || !strings.Contains(out, "3 rows — 1 to create, 0 with warnings, 2 with errors") || !strings.Contains(out, "Columns left out (not known to Rollcall, not stored): Shoe size") ||
		!strings.Contains(out, "The first name is required.") || !strings.Contains(out, "use --create-groups") {
		t.Fatalf("dry run = %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "import", "--org", "maple", "--dry-run", "--json", "--create-groups", file, "--db", db)
	var p app.ImportPreview
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != 3 || p.Create != 1 || p.Warnings != 1 || p.Errors != 1 {
		t.Fatalf("dry run JSON = %d %v %s", code, err, out)
	}
	if _, out, _ := run(t, "", "users", "list", "--org", "maple", "--db", db); !strings.Contains(out, "(0 users)") {
		t.Fatalf("the dry run wrote users: %s", out)
	}

	// The import: two created, one skipped, status 3, results file.
	result := filepath.Join(dir, "results.csv")
	code, out, errs := run(t, "", "import", "--org", "maple", "--create-groups", file, "--result", result, "--db", db)
	if code != 3 || !strings.Contains(out, "2 accounts created, 1 row skipped") || !strings.Contains(out, "Groups created: 7Z") {
		t.Fatalf("import = %d\n%s\n%s", code, out, errs)
	}
	data, _ := os.ReadFile(result)
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.Comma = ';' // the upload's delimiter
	rows, err := cr.ReadAll()
	if err != nil || len(rows) != 4 || rows[1][1] != "created" || rows[1][3] != "ada.lovelace" || rows[1][5] == "" || rows[2][1] != "skipped" || rows[2][2] == "" {
		t.Fatalf("results = %q %v", rows, err)
	}
	if st, _ := os.Stat(result); st.Mode().Perm() != 0o600 {
		t.Errorf("results file mode %v", st.Mode())
	}
	// The same file again: refused (1) unless --again.
	if code, _, errs := run(t, "", "import", "--org", "maple", file, "--db", db); code != 1 || !strings.Contains(errs, "already imported") || !strings.Contains(errs, "--again") {
		t.Fatalf("again = %d %s", code, errs)
	}
	// Everything created: status 0; passwords printed when there is no results file.
	code, out, _ = run(t, "", "import", "--org", "maple", good, "--db", db)
	if code != 0 || !strings.Contains(out, "alan.turing") || !strings.Contains(out, "shown once") {
		t.Fatalf("good import = %d\n%s", code, out)
	}
	// Same password for all, from standard input.
	os.WriteFile(good, []byte("first_name,last_name\nAlan,Kay\n"), 0o600)
	if code, out, errs := run(t, "class-pass-2026\n", "import", "--org", "maple", "--password-mode", "same", good, "--db", db); code != 0 || !strings.Contains(out, "class-pass-2026") {
		t.Fatalf("same password = %d %s %s", code, out, errs)
	}
	// Usage mistakes and unreadable files.
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"import", file}, 2, "--org is required"},
		{[]string{"import", "--org", "maple"}, 2, "takes at least 1 argument"},
		{[]string{"import", "--org", "maple", file, "--result", "x.pdf"}, 2, ".csv or .xlsx"},
		{[]string{"import", "--org", "maple", filepath.Join(dir, "missing.csv")}, 1, "no such file"},
		{[]string{"import", "template", "--format", "pdf", filepath.Join(dir, "t.pdf")}, 2, "csv or xlsx"},
	} {
		code, _, errs := run(t, "", append(tt.args, "--db", db)...)
		if code != tt.code || !strings.Contains(errs, tt.msg) {
			t.Errorf("%v = %d %q, want %d %q", tt.args, code, errs, tt.code, tt.msg)
		}
	}
	for _, format := range []string{"csv", "xlsx"} {
		out := filepath.Join(dir, "template."+format)
		if code, _, errs := run(t, "", "import", "template", "--format", format, out); code != 0 {
			t.Fatalf("template %s: %s", format, errs)
		}
		if code, out, _ := run(t, "", "import", "--org", "maple", "--dry-run", "--create-groups", out, "--db", db); code != 0 || !strings.Contains(out, "1 row — 0 to create, 1 with warnings, 0 with errors") {
			t.Errorf("template %s read back = %d %s", format, code, out)
		}
	}
}

// A dry run with --password-mode same reads the password (and checks it),
// and every cell the tables print is kept on one line.
func TestCLIImportDryRunSameAndControlCharacters(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("first_name,last_name\nAlan,Turing\n"), 0o600)
	if code, _, errs := run(t, "", "org", "create", "--name", "Maple", "--slug", "maple", "--db", db); code != 0 {
		t.Fatal(errs)
	}
	evil := filepath.Join(dir, "evil.csv")
	os.WriteFile(evil, []byte("first_name,username,email\nAda,\"ada\x1b[2J\",\"a\x1b]0;x\x07@x.example\"\n"), 0o600)
	code, out, errs := run(t, "", "import", "--org", "maple", "--dry-run", evil, "--db", db)
	if code != 3 {
		t.Fatalf("dry run with control characters: %d %q %q", code, out, errs)
	}
	if strings.ContainsAny(out+errs, "\x1b\x07") {
		t.Errorf("a control character reached the terminal: %q", out+errs)
	}
	if code, out, errs := run(t, "class-pass-2026\n", "import", "--org", "maple", "--dry-run", "--password-mode", "same", good, "--db", db); code != 0 || !strings.Contains(out, "1 to create") {
		t.Fatalf("dry run, same password: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, "short\n", "import", "--org", "maple", "--dry-run", "--password-mode", "same", good, "--db", db); code != 1 || !strings.Contains(errs, "short") {
		t.Fatalf("dry run, short password: %d %q", code, errs)
	}
}

// planCounter counts the plans of an import: planning a file asks the
// store once for the earlier imports of the same file (ImportsByHash), and
// nothing else does.
type planCounter struct {
	app.Store
	n *atomic.Int64
}

func (s planCounter) ImportsByHash(ctx context.Context, orgID, sha256 string) ([]*app.Import, error) {
	s.n.Add(1)
	return s.Store.ImportsByHash(ctx, orgID, sha256)
}

// `rollcall import` plans the file once, with --dry-run and without: the
// summary it prints is the plan it commits, not a second one.
func TestCLIImportPlansOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	file := filepath.Join(dir, "class.csv")
	os.WriteFile(file, []byte("first_name,last_name,groups\nAda,Lovelace,3B\nGrace,Hopper,7Z\n"), 0o600)
	for _, args := range [][]string{{"org", "create", "--name", "Maple", "--slug", "maple"}, {"group", "create", "--org", "maple", "--name", "3B"}} {
		if code, _, errs := run(t, "", append(args, "--db", db)...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"--dry-run"}, 3}, // 7Z's row would be skipped
		{[]string{"--dry-run", "--json", "--create-groups"}, 0},
		{[]string{"--all-or-nothing"}, 1}, // refused: 7Z does not exist
		{nil, 3},                          // 7Z's row skipped
		{[]string{"--create-groups"}, 1},  // refused: the same file again
	} {
		var n atomic.Int64
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
			appHook: func(a *app.App) { a.Store = planCounter{Store: a.Store, n: &n} }}
		args := append(append([]string{"import", "--org", "maple"}, tt.args...), file, "--db", db)
		if code := m.Run(context.Background(), args); code != tt.code {
			t.Fatalf("%v = %d, want %d\n%s\n%s", args, code, tt.code, out.String(), errb.String())
		}
		if n.Load() != 1 {
			t.Errorf("%v planned the file %d times, want once", args, n.Load())
		}
	}
}
