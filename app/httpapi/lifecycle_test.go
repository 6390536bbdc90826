package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"rollcall/app"
)

// Erasing a person needs their username typed as confirmation: without it,
// or with another, nothing is erased; with it the person is gone, from the
// file too (compacted at once), and only a signed-in admin may ask.
func TestEraseUserNeedsTypedUsername(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	u := e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Griselda", "last_name": "Pumpernickel",
		"username": "gris.pump", "email": "griselda.pumpernickel@maple.example", "groups": []string{f.group}})
	path := f.path("/api/organizations/{org}/users/") + u.ID + "/erase"

	for _, body := range []any{map[string]any{}, map[string]any{"confirm": ""}, map[string]any{"confirm": "ann.smith"}, map[string]any{"confirm": "gris"}} {
		code, resp := e.do(t, "POST", path, body, f.cookie)
		checkError(t, code, resp, http.StatusBadRequest, app.EINVALID, "confirm")
	}
	code, resp := e.do(t, "POST", path, map[string]any{"confirm": "gris.pump"}, "")
	checkError(t, code, resp, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	call[app.User](t, e, "GET", f.path("/api/organizations/{org}/users/")+u.ID, nil, f.cookie, http.StatusOK)

	if code, resp := e.do(t, "POST", path, map[string]any{"confirm": " Gris.Pump "}, f.cookie); code != http.StatusNoContent {
		t.Fatalf("erase with the username typed = %d %v, want 204", code, resp)
	}
	code, resp = e.do(t, "GET", f.path("/api/organizations/{org}/users/")+u.ID, nil, f.cookie)
	checkError(t, code, resp, http.StatusNotFound, app.ENOTFOUND, "")
	data, err := os.ReadFile(e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Griselda", "Pumpernickel", "gris.pump", "griselda.pumpernickel@maple.example"} {
		if bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(s))) {
			t.Errorf("after Erase now the file still holds %q", s)
		}
	}
	if !bytes.Contains(data, []byte("ann.smith")) {
		t.Error("the other person is gone from the file")
	}
}

// The export has every field of the user record, the groups by name and
// the history; the PDF reads back with the person's name.
func TestExportUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	code, _ := e.do(t, "PATCH", f.path("/api/organizations/{org}/groups/{group}"), map[string]any{"name": "Class 5A Heron"}, f.cookie)
	if code != http.StatusOK {
		t.Fatal(code)
	}
	u := e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Wilhelmina", "last_name": "Thistlewood",
		"username": "willa.tw", "email": "wilhelmina@maple.example", "phone": "+358 40 123 4567", "account_type": "student",
		"groups": []string{f.group}, "language": "fi", "labels": []string{"bus 7"}, "job_title": "Class rep",
		"delete_on": "2026-07-31", "password": "Correct-Horse-42"})

	rec := e.serve(withCookie(newRequest(t, "GET", f.path("/api/organizations/{org}/users/")+u.ID+"/export", nil), f.cookie))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "person-willa.tw.json") {
		t.Fatalf("export = %d %q %s", rec.Code, rec.Header().Get("Content-Disposition"), rec.Body.String())
	}
	var x map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &x); err != nil {
		t.Fatal(err)
	}
	user, _ := x["user"].(map[string]any)
	ut := reflect.TypeFor[app.User]()
	for i := range ut.NumField() {
		tag := strings.Split(ut.Field(i).Tag.Get("json"), ",")[0]
		if tag == "-" {
			continue
		}
		if _, ok := user[tag]; !ok && tag != "invite_code" && tag != "invite_link" && tag != "import_id" && tag != "admin_role" && tag != "admin_groups" && tag != "badge_issued" &&
			tag != "directory" && tag != "external_id" && tag != "directory_name" { // set only for people the directory provisions
			t.Errorf("the export's user lacks the field %q", tag)
		}
	}
	for k, want := range map[string]any{"first_name": "Wilhelmina", "phone": "+358401234567", "job_title": "Class rep", "delete_on": "2026-07-31", "language": "fi"} {
		if user[k] != want {
			t.Errorf("user.%s = %v, want %v", k, user[k], want)
		}
	}
	if _, ok := user["password_hash"]; ok {
		t.Error("the export carries the password hash")
	}
	if x["has_password"] != true || x["purge_on"] != "2026-08-30" {
		t.Errorf("has_password %v, purge_on %v", x["has_password"], x["purge_on"])
	}
	groups, _ := x["groups"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["name"] != "Class 5A Heron" {
		t.Errorf("groups = %v", x["groups"])
	}
	if h, _ := x["history"].([]any); len(h) == 0 {
		t.Error("no history")
	}

	rec = e.serve(withCookie(newRequest(t, "GET", f.path("/api/organizations/{org}/users/")+u.ID+"/export?format=pdf", nil), f.cookie))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF export = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	pdf := filepath.Join(t.TempDir(), "person.pdf")
	if err := os.WriteFile(pdf, rec.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, s := range []string{"Wilhelmina Thistlewood", "willa.tw", "wilhelmina@maple.example", "Class 5A Heron", "2026-07-31", "2026-08-30"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("the PDF lacks %q:\n%s", s, out)
		}
	}
	if n := bytes.Count(rec.Body.Bytes(), []byte("/Type /Page\n")); n != 1 {
		t.Errorf("the PDF has %d pages, want 1", n)
	}
}

// The users list's "deletion due" filter and the summary behind the banner.
func TestDeletionsDue(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // the clock reads 2026-03-02
	f := e.fixture(t)
	e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Soon", "username": "soon.gone", "delete_on": "2026-03-20"})
	e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Later", "username": "later.gone", "delete_on": "2026-06-20"})
	page := call[app.UserPage](t, e, "GET", f.path("/api/organizations/{org}/users?due=30"), nil, f.cookie, http.StatusOK)
	if page.Total != 1 || page.Users[0].Username != "soon.gone" {
		t.Fatalf("due=30: %+v", page)
	}
	grace := 0
	call[map[string]any](t, e, "PATCH", f.path("/api/organizations/{org}"), map[string]any{"purge_grace_days": grace}, f.cookie, http.StatusOK)
	sum := call[app.DeletionSummary](t, e, "GET", f.path("/api/organizations/{org}/deletions"), nil, f.cookie, http.StatusOK)
	if sum.DueSoon != 1 || sum.NextPurge != "2026-03-20" || sum.NextPurgeCount != 1 || sum.GraceDays != 0 {
		t.Fatalf("summary %+v", sum)
	}
}
