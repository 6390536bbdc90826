package cli

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rollcall/app/slips"
	"rollcall/app/slips/slipstest"
)

func readCSVFile(t *testing.T, p string) [][]string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func TestUsersCreate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	must := func(stdin string, wantCode int, want string, args ...string) (string, string) {
		t.Helper()
		code, out, errOut := run(t, stdin, append(args, "--db", db)...)
		if code != wantCode || !strings.Contains(out+errOut, want) {
			t.Fatalf("rollcall %s = %d\nstdout %s\nstderr %s\nwant %d and %q", strings.Join(args, " "), code, out, errOut, wantCode, want)
		}
		return out, errOut
	}
	must("", 0, "created", "org", "create", "--name", "Maple Primary", "--slug", "maple")
	must("", 0, "created", "group", "create", "--org", "maple", "--name", "3B")
	class := file("class.txt", "Łukasz Żółć\nОльга Иванова\nΑθηνά Παπαδοπούλου\nJürgen Müller\nÇağla Şahin\nLovelace, Ada\n李 小龍\n")
	out := func(name string) string { return filepath.Join(dir, name) }

	// Without a public URL: created, with a note; QR-less slips.
	_, errOut := must("", 0, "7 accounts created in Maple Primary", "users", "create", "--org", "maple", "--group", "3B", "--names", class,
		"--slips", out("s1.pdf"), "--sheet", out("sheet1.pdf"), "--csv", out("c1.csv"), "--paper", "letter")
	for _, want := range []string{"no public URL", "Hashing passwords: 7/7 (100%)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
	rows := readCSVFile(t, out("c1.csv"))
	if len(rows) != 7 || rows[0][2] != "lukasz.zolc" || rows[5][0] != "Ada" || rows[5][5] != "3B" {
		t.Fatalf("csv = %v", rows)
	}
	for _, f := range []string{"s1.pdf", "sheet1.pdf", "c1.csv"} {
		if st, err := os.Stat(out(f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, st.Mode(), err)
		}
	}
	text := strings.Join(strings.Fields(slipstest.PDFText(t, mustRead(t, out("s1.pdf")))), " ")
	for _, r := range rows {
		for _, s := range []string{r[0] + " " + r[1], r[2], r[4]} {
			if !strings.Contains(text, s) {
				t.Errorf("%q not in the slips", s)
			}
		}
	}

	// One password for everyone, from standard input; with a public URL the slips carry QR codes.
	must("", 0, "updated", "org", "set", "--org", "maple", "--public-url", "https://rollcall.maple.example")
	must("same-pass-2026\n", 0, "2 accounts created", "users", "create", "--org", "maple", "--names", file("two.txt", "Noah Smith\nMia Jones\n"),
		"--password-mode", "same", "--slips", out("s2.pdf"), "--csv", out("c2.csv"), "--layout", "avery")
	if rows := readCSVFile(t, out("c2.csv")); rows[0][4] != "same-pass-2026" || rows[1][4] != "same-pass-2026" {
		t.Fatalf("same mode csv = %v", rows)
	}
	if codes := slipstest.QRCodes(t, mustRead(t, out("s2.pdf")), slipsOptions("a4", "avery")); len(codes) != 2 || codes[0] != "https://rollcall.maple.example/signin?username=noah.smith" {
		t.Fatalf("QR codes = %v", codes)
	}

	// A line with a problem: nothing is created, no file (nor temporary
	// file) is left behind, and a file already at the path is untouched.
	_, errOut = must("", 1, "Nothing was created", "users", "create", "--org", "maple", "--names", file("bad.txt", "Ada Lovelace\nx\n"), "--slips", out("s3.pdf"), "--csv", out("s3.csv"))
	if !strings.Contains(errOut, "line 2 (username)") {
		t.Errorf("stderr %q does not name line 2", errOut)
	}
	if _, err := os.Stat(out("s3.pdf")); !os.IsNotExist(err) {
		t.Errorf("s3.pdf left behind: %v", err)
	}
	noLeftovers(t, dir, "s3.pdf")
	noLeftovers(t, dir, "s3.csv")
	file("s3.csv", "old content")
	must("", 1, "Nothing was created", "users", "create", "--org", "maple", "--names", out("bad.txt"), "--slips", out("s3.pdf"), "--csv", out("s3.csv"))
	if b := mustRead(t, out("s3.csv")); string(b) != "old content" {
		t.Errorf("s3.csv after a refused batch = %q, want the old content", b)
	}
	if entries, _ := os.ReadDir(dir); slices.ContainsFunc(entries, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), ".s3.") }) {
		t.Errorf("temporary files left in %s", dir)
	}
	must("", 2, "--org, --names and --slips are required", "users", "create", "--org", "maple", "--names", class)
	must("", 2, "paper", "users", "create", "--org", "maple", "--names", class, "--slips", out("x.pdf"), "--paper", "a5")
	must("", 1, "cannot write", "users", "create", "--org", "maple", "--names", file("one.txt", "Zed Zulu\n"), "--slips", filepath.Join(dir, "no", "such", "dir.pdf"))

	// Reset a group's passwords, then one user's.
	must("", 0, "7 passwords reset in Maple Primary", "users", "reset-passwords", "--org", "maple", "--group", "3B", "--slips", out("r1.pdf"), "--csv", out("r1.csv"))
	reset := readCSVFile(t, out("r1.csv"))
	must("", 0, "1 passwords reset", "users", "reset-passwords", "--org", "maple", "--username", "noah.smith", "--slips", out("r2.pdf"))
	must("", 2, "either --group or --username", "users", "reset-passwords", "--org", "maple", "--slips", out("r3.pdf"))
	must("", 1, "no user", "users", "reset-passwords", "--org", "maple", "--username", "nobody.here", "--slips", out("r4.pdf"))

	raw := mustRead(t, db)
	for _, r := range append(rows, reset...) {
		if bytes.Contains(raw, []byte(r[4])) {
			t.Errorf("the password of %s is in the database file", r[2])
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func slipsOptions(paper, layout string) slips.Options {
	return slips.Options{Paper: paper, Layout: layout}
}

// Output files: an existing file is replaced by a 0600 one only when the
// passwords are written; a failing run leaves it as it was; one path given
// for two outputs is refused before anything is created.
func TestUsersOutputFiles(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	out := func(name string) string { return filepath.Join(dir, name) }
	must := func(wantCode int, want string, args ...string) string {
		t.Helper()
		code, stdout, errOut := run(t, "", append(args, "--db", db)...)
		if code != wantCode || !strings.Contains(stdout+errOut, want) {
			t.Fatalf("rollcall %s = %d\nstdout %s\nstderr %s\nwant %d and %q", strings.Join(args, " "), code, stdout, errOut, wantCode, want)
		}
		return stdout
	}
	must(0, "created", "org", "create", "--name", "Oak", "--slug", "oak")
	if err := os.WriteFile(out("names.txt"), []byte("Ann Oak\nBen Oak\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := func(name string) {
		t.Helper()
		if err := os.WriteFile(out(name), []byte("old content"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(out(name), 0o644); err != nil { // despite the umask
			t.Fatal(err)
		}
	}

	// Same path twice: a usage error, nothing created.
	must(2, "same file", "users", "create", "--org", "oak", "--names", out("names.txt"), "--slips", out("same.pdf"), "--csv", out("./same.pdf"))
	must(0, "(0 users)", "users", "list", "--org", "oak")
	noLeftovers(t, dir, "same.pdf")

	// An existing 0644 file is replaced by a 0600 one holding the passwords.
	old("slips.pdf")
	old("c.csv")
	must(0, "2 accounts created", "users", "create", "--org", "oak", "--names", out("names.txt"), "--slips", out("slips.pdf"), "--csv", out("c.csv"))
	for _, f := range []string{"slips.pdf", "c.csv"} {
		st, err := os.Stat(out(f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s after writing passwords: %v %v, want mode 0600", f, st.Mode(), err)
		}
	}
	if b := mustRead(t, out("slips.pdf")); !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Errorf("slips.pdf is not a PDF: %.20q", b)
	}

	// A failing reset leaves an existing file as it was (not truncated, not deleted).
	old("keep.pdf")
	must(1, "no user", "users", "reset-passwords", "--org", "oak", "--username", "nobody.here", "--slips", out("keep.pdf"))
	if b, err := os.ReadFile(out("keep.pdf")); err != nil || string(b) != "old content" {
		t.Errorf("keep.pdf after a failing reset: %q %v, want the old content", b, err)
	}
	noLeftovers(t, dir, "keep.pdf")
	// And a failing reset creates no new file.
	must(1, "no user", "users", "reset-passwords", "--org", "oak", "--username", "nobody.here", "--slips", out("r4.pdf"))
	if _, err := os.Stat(out("r4.pdf")); !os.IsNotExist(err) {
		t.Errorf("r4.pdf left behind: %v", err)
	}
	noLeftovers(t, dir, "r4.pdf")
}

// noLeftovers fails when a temporary file for name is left in dir.
func noLeftovers(t *testing.T, dir, name string) {
	t.Helper()
	if m, _ := filepath.Glob(filepath.Join(dir, "."+name+".*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}
