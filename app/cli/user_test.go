package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/store"
)

// users export writes the JSON and the one-page PDF; users erase refuses
// without --yes and, with it, leaves nothing of the person in the file.
func TestUsersExportAndErase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if code, _, errOut := run(t, "", "org", "create", "--name", "Maple Primary", "--slug", "maple", "--db", db); code != 0 {
		t.Fatal(errOut)
	}
	d, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(d).CreateUser(context.Background(), "maple", app.UserCreate{User: app.User{
		FirstName: "Cornelius", LastName: "Ravensworth", Username: "corn.rw", Email: "cornelius.ravensworth@maple.example"}})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "corn.json")
	if code, _, errOut := run(t, "", "users", "export", "--org", "maple", "--user", "corn.rw", "--out", out, "--db", db); code != 0 {
		t.Fatalf("export json: %s", errOut)
	}
	var x app.PersonExport
	if data, _ := os.ReadFile(out); json.Unmarshal(data, &x) != nil || x.User == nil || x.User.LastName != "Ravensworth" {
		t.Fatalf("the JSON export: %+v", x)
	}
	pdf := filepath.Join(dir, "corn.pdf")
	if code, _, errOut := run(t, "", "users", "export", "--org", "maple", "--user", "cornelius.ravensworth@maple.example", "--out", pdf, "--db", db); code != 0 {
		t.Fatalf("export pdf: %s", errOut)
	}
	text, err := exec.Command("pdftotext", pdf, "-").Output()
	if err != nil || !strings.Contains(string(text), "Cornelius Ravensworth") {
		t.Fatalf("pdftotext: %v %q", err, text)
	}
	if code, _, errOut := run(t, "", "users", "export", "--org", "maple", "--user", "corn.rw", "--out", "x.txt", "--db", db); code != 2 || !strings.Contains(errOut, ".json or .pdf") {
		t.Fatalf("export to .txt: %d %q", code, errOut)
	}

	if code, _, errOut := run(t, "", "users", "erase", "--org", "maple", "--user", "corn.rw", "--db", db); code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("erase without --yes: %d %q", code, errOut)
	}
	if data, _ := os.ReadFile(db); !bytes.Contains(data, []byte("Ravensworth")) {
		t.Fatal("erase without --yes erased")
	}
	if code, stdout, errOut := run(t, "", "users", "erase", "--org", "maple", "--user", "corn.rw", "--yes", "--db", db); code != 0 || !strings.Contains(stdout, "Erased Cornelius Ravensworth") {
		t.Fatalf("erase: %d %q %q", code, stdout, errOut)
	}
	data, _ := os.ReadFile(db)
	for _, s := range []string{"Cornelius", "Ravensworth", "corn.rw", "cornelius.ravensworth"} {
		if bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(s))) {
			t.Errorf("after users erase the file still holds %q", s)
		}
	}
	if code, _, errOut := run(t, "", "users", "erase", "--org", "maple", "--user", "corn.rw", "--yes", "--db", db); code != 1 || !strings.Contains(errOut, "no user") {
		t.Fatalf("erase again: %d %q", code, errOut)
	}
}

// users roles makes a person a group admin (they can then sign in at the
// admin sign-in with their own password, scoped to the group), an
// organization admin, or nothing; the change is in the audit log.
func TestUsersRoles(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if code, _, errOut := run(t, "", "org", "create", "--name", "Maple Primary", "--slug", "maple", "--db", db); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := run(t, "", "group", "create", "--org", "maple", "--name", "2A", "--db", db); code != 0 {
		t.Fatal(errOut)
	}
	d, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(d).CreateUser(context.Background(), "maple", app.UserCreate{User: app.User{FirstName: "Tiina", LastName: "Virtanen", Username: "t.virtanen", AccountType: "teacher"}, Password: "Teacher-pass-1234"})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		say  string
		role string
		n    int
	}{
		{[]string{"--group", "2A"}, "administrator of 1 group(s)", "", 1},
		{[]string{"--org-admin"}, "administrator of the whole organization", app.RoleOrgAdmin, 0},
		{nil, "has no admin role", "", 0},
	} {
		args := append([]string{"users", "roles", "--org", "maple", "--user", "t.virtanen", "--db", db}, tc.args...)
		code, out, errOut := run(t, "", args...)
		if code != 0 || !strings.Contains(out, tc.say) {
			t.Fatalf("%v: %d %q %q", tc.args, code, out, errOut)
		}
		d, err := store.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		a := app.New(d)
		u, err := d.UserByLogin(context.Background(), "t.virtanen")
		if err != nil || u.AdminRole != tc.role || len(u.AdminGroups) != tc.n {
			d.Close()
			t.Fatalf("%v: the person afterwards: %+v %v", tc.args, u, err)
		}
		_, _, err = a.SignInAdmin(context.Background(), "t.virtanen", "Teacher-pass-1234", "192.0.2.3")
		d.Close()
		if (err == nil) != (tc.role != "" || tc.n > 0) {
			t.Fatalf("%v: admin sign-in: %v", tc.args, err)
		}
	}
	if code, _, errOut := run(t, "", "users", "roles", "--org", "maple", "--user", "t.virtanen", "--group", "9Z", "--db", db); code == 0 || !strings.Contains(errOut, "9Z") {
		t.Fatalf("an unknown group: %d %q", code, errOut)
	}
}
