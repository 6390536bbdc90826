package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

// noSecrets fails when a raw answer could carry a password or its hash.
func noSecrets(t *testing.T, raw []byte, password string) {
	t.Helper()
	for _, s := range []string{"argon2", "password_hash", "PasswordHash", `"password"`} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("answer contains %q: %s", s, raw)
		}
	}
	if password != "" && bytes.Contains(raw, []byte(password)) {
		t.Errorf("answer contains the password: %s", raw)
	}
}

func TestUserCreateGetUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple", "language": "fi"})
	g5 := e.createGroup(t, cookie, org.ID, map[string]any{"name": "5A"})
	choir := e.createGroup(t, cookie, org.ID, map[string]any{"name": "Choir"})
	users := "/api/organizations/maple/users"
	const password = "Sunflower-2026"

	rec := e.serve(withCookie(newRequest(t, "POST", users, map[string]any{
		"first_name": " Ann ", "last_name": "Smith", "username": " ann.smith ", "email": " Ann.Smith@School.Example ",
		"phone": "+358 40 123 4567", "groups": []string{"5a", choir.ID, "", "5A"}, "labels": []string{" music ", "Music", "", "reading"},
		"job_title": "Pupil", "delete_on": "2030-07-31", "password": password,
	}), cookie))
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST user = %d %s, want 201", rec.Code, rec.Body.String())
	}
	noSecrets(t, rec.Body.Bytes(), password)
	u := call[app.User](t, e, "GET", users+"/"+decodeBody(t, rec)["id"].(string), nil, cookie, http.StatusOK)
	for _, c := range []struct{ name, got, want string }{
		{"org_id", u.OrgID, org.ID},
		{"first_name", u.FirstName, "Ann"},
		{"last_name", u.LastName, "Smith"},
		{"username", u.Username, "ann.smith"},
		{"email", u.Email, "Ann.Smith@School.Example"},
		{"phone", u.Phone, "+358401234567"}, // written in E.164
		{"account_type", u.AccountType, app.TypeStudent},
		{"language", u.Language, "fi"},
		{"job_title", u.JobTitle, "Pupil"},
		{"status", u.Status, app.StatusActive},
		{"created_via", u.CreatedVia, app.ViaAdmin},
		{"delete_on", u.DeleteOn, "2030-07-31"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if want := []string{g5.ID, choir.ID}; !slices.Equal(u.Groups, want) {
		t.Errorf("groups = %v, want %v (names and IDs resolved, duplicates dropped)", u.Groups, want)
	}
	if want := []string{"music", "reading"}; !slices.Equal(u.Labels, want) {
		t.Errorf("labels = %v, want %v", u.Labels, want)
	}
	if !u.CreatedAt.Equal(e.Clock.Now()) || !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Errorf("times = %v/%v, want %v", u.CreatedAt, u.UpdatedAt, e.Clock.Now())
	}
	// The password was kept (as a hash), so the check on the answers above means something.
	stored, err := e.App.Store.User(context.Background(), org.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := app.VerifyPassword(stored.PasswordHash, password, apptest.CheapHash); !ok {
		t.Errorf("stored hash %q does not verify the password", stored.PasswordHash)
	}

	// PATCH changes the given fields only.
	e.Clock.Add(time.Minute)
	rec = e.serve(withCookie(newRequest(t, "PATCH", users+"/"+u.ID, map[string]any{
		"last_name": "Smith-Jones", "account_type": "Teacher", "groups": []string{}, "email": "", "password": "Another-pass-77", "language": "sv",
	}), cookie))
	if rec.Code != http.StatusOK {
		t.Fatalf("PATCH user = %d %s, want 200", rec.Code, rec.Body.String())
	}
	noSecrets(t, rec.Body.Bytes(), "Another-pass-77")
	got := call[app.User](t, e, "GET", users+"/"+u.ID, nil, cookie, http.StatusOK)
	if got.LastName != "Smith-Jones" || got.AccountType != app.TypeTeacher || len(got.Groups) != 0 || got.Email != "" || got.Language != "sv" {
		t.Errorf("after PATCH = %+v", got)
	}
	if got.FirstName != "Ann" || got.Username != "ann.smith" || got.Phone != u.Phone || !slices.Equal(got.Labels, u.Labels) || got.Status != app.StatusActive {
		t.Errorf("PATCH changed fields it did not name: %+v", got)
	}
	if !got.UpdatedAt.Equal(e.Clock.Now()) || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("times = %v/%v, want %v/%v", got.CreatedAt, got.UpdatedAt, u.CreatedAt, e.Clock.Now())
	}
	stored, _ = e.App.Store.User(context.Background(), org.ID, u.ID)
	if ok, _ := app.VerifyPassword(stored.PasswordHash, "Another-pass-77", apptest.CheapHash); !ok {
		t.Error("PATCH password did not set the new password")
	}
	// The freed email is free for another person.
	e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Bo", "last_name": "Lind", "email": "ann.smith@school.example"})
	// Without a password nobody can sign in yet, and that is allowed.
	nopw := e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Cy", "last_name": "Berg", "username": "cy"})
	if s, _ := e.App.Store.User(context.Background(), org.ID, nopw.ID); s.HasPassword() {
		t.Error("a user created without a password has one")
	}

	// No answer carries a hash: single, list, search, status changes.
	for _, r := range []struct{ method, path string }{
		{"GET", users + "/" + u.ID},
		{"GET", users},
		{"GET", users + "?q=ann"},
		{"POST", users + "/" + u.ID + "/deactivate"},
		{"POST", users + "/" + u.ID + "/activate"},
		{"PATCH", users + "/" + u.ID},
	} {
		var body any
		if r.method == "PATCH" {
			body = map[string]any{}
		}
		rec := e.serve(withCookie(newRequest(t, r.method, r.path, body), cookie))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s = %d", r.method, r.path, rec.Code)
		}
		noSecrets(t, rec.Body.Bytes(), "Another-pass-77")
	}
}

func TestUserEnterpriseDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Acme", "kind": "enterprise", "language": "de"})
	u := e.createUser(t, cookie, "acme", map[string]any{"first_name": "Jürgen", "last_name": "Müller", "email": "jm@acme.example"})
	if u.AccountType != app.TypeLearner || u.Language != "de" || u.Username != "" {
		t.Errorf("user = %+v, want a learner speaking de with no username", u)
	}
	code, body := e.do(t, "POST", "/api/organizations/acme/users", map[string]any{"first_name": "A", "last_name": "B", "username": "ab", "account_type": "student"}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "account_type")
}

func TestUserInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	other := e.createOrg(t, f.cookie, map[string]any{"name": "Birch Secondary", "slug": "birch"})
	otherGroup := e.createGroup(t, f.cookie, other.ID, map[string]any{"name": "7C"})
	long := strings.Repeat("n", app.MaxNameLength+1)
	// valid is a user with every field right; each case spoils one.
	valid := func(kv ...any) map[string]any {
		m := map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo.lind", "email": "bo@school.example"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	domain := "@school.example"
	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no first name", valid("first_name", nil), "first_name"},
		{"empty first name", valid("first_name", ""), "first_name"},
		{"blank first name", valid("first_name", " \t "), "first_name"},
		{"first name too long", valid("first_name", long), "first_name"},
		{"last name too long", valid("last_name", long), "last_name"},
		{"last name too long in runes", valid("last_name", strings.Repeat("ö", app.MaxNameLength+1)), "last_name"},
		{"bell in first name", valid("first_name", "Ann\u0007"), "first_name"},
		{"bidi override in last name", valid("last_name", "Bob\u202e"), "last_name"},
		{"bidi override in first name", valid("first_name", "\u202eBob"), "first_name"},
		{"escape in last name", valid("last_name", "Lind\u001b[31m"), "last_name"},
		{"zero-width joiner in first name", valid("first_name", "B\u200do"), "first_name"},
		{"neither username nor email", valid("username", "", "email", ""), "username"},
		{"username too short", valid("username", "b"), "username"},
		{"username too long", valid("username", strings.Repeat("b", app.MaxUsernameLength+1)), "username"},
		{"username with space", valid("username", "bo lind"), "username"},
		{"username with @", valid("username", "bo@lind"), "username"},
		{"username starting with a dot", valid("username", ".bo"), "username"},
		{"email too long", valid("email", strings.Repeat("a", app.MaxEmailLength+1-len(domain))+domain), "email"},
		{"email without @", valid("email", "not-an-email"), "email"},
		{"email with a name", valid("email", "Bo <bo@school.example>"), "email"},
		{"email without a dot in the domain", valid("email", "bo@localhost"), "email"},
		{"two emails", valid("email", "bo@school.example, eve@evil.example"), "email"},
		{"email with newline", valid("email", "bo@school.example\nBcc: eve@evil.example"), "email"},
		{"phone with letters", valid("phone", "call me"), "phone"},
		{"unknown account type", valid("account_type", "wizard"), "account_type"},
		{"enterprise type in a school", valid("account_type", "learner"), "account_type"},
		{"bad language", valid("language", "xx-!!"), "language"},
		{"impossible date", valid("delete_on", "2026-02-30"), "delete_on"},
		{"European date", valid("delete_on", "31.07.2026"), "delete_on"},
		{"unknown group", valid("groups", []string{"no such group"}), "groups"},
		{"another organization's group", valid("groups", []string{otherGroup.ID}), "groups"},
		{"password against the policy", valid("password", "short1"), "password"},
		{"password without digits", valid("password", "onlyletters-here"), "password"},
		{"label too long", valid("labels", []string{strings.Repeat("l", app.MaxLabelLength+1)}), "labels"},
		{"too many labels", valid("labels", manyLabels(app.MaxLabels+1)), "labels"},
		{"control character in label", valid("labels", []string{"a\u0007"}), "labels"},
		{"job title with control", valid("job_title", "Head\u0000"), "job_title"},
		{"status is the server's", valid("status", "deactivated"), "status"},
		{"id is the server's", valid("id", "x"), "id"},
		{"org is the server's", valid("org_id", other.ID), "org_id"},
		{"created_via is the server's", valid("created_via", "import"), "created_via"},
		{"hash is never accepted", valid("password_hash", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"), "password_hash"},
		{"groups not a list", valid("groups", "5A"), "groups"},
	}
	for _, tt := range tests {
		t.Run("create/"+tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := e.do(t, "POST", "/api/organizations/maple/users", tt.body, f.cookie)
			checkError(t, code, body, http.StatusBadRequest, app.EINVALID, tt.field)
		})
	}
	updates := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"empty first name", map[string]any{"first_name": ""}, "first_name"},
		{"last name too long", map[string]any{"last_name": long}, "last_name"},
		{"bell in first name", map[string]any{"first_name": "Ann\u0007"}, "first_name"},
		{"bidi override in last name", map[string]any{"last_name": "Bob\u202e"}, "last_name"},
		{"invalid email", map[string]any{"email": "ann@"}, "email"},
		{"email too long", map[string]any{"email": strings.Repeat("a", app.MaxEmailLength+1-len(domain)) + domain}, "email"},
		{"remove the only login", map[string]any{"username": ""}, "username"},
		{"unknown account type", map[string]any{"account_type": "wizard"}, "account_type"},
		{"bad date", map[string]any{"delete_on": "2026-13-01"}, "delete_on"},
		{"bad language", map[string]any{"language": "??"}, "language"},
		{"unknown group", map[string]any{"groups": []string{"nope"}}, "groups"},
		{"weak password", map[string]any{"password": "abc"}, "password"},
		{"status not patchable", map[string]any{"status": "active"}, "status"},
		{"org not patchable", map[string]any{"org_id": other.ID}, "org_id"},
	}
	for _, tt := range updates {
		t.Run("update/"+tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := e.do(t, "PATCH", f.path("/api/organizations/{org}/users/{user}"), tt.body, f.cookie)
			checkError(t, code, body, http.StatusBadRequest, app.EINVALID, tt.field)
		})
	}
	t.Run("one name only", func(t *testing.T) {
		t.Parallel()
		// Last names are optional (people with one name); blank counts as none.
		u := e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Sukarno", "last_name": "  ", "username": "sukarno"})
		if u.LastName != "" {
			t.Errorf("last_name = %q, want empty", u.LastName)
		}
	})
	t.Run("email of exactly the limit", func(t *testing.T) {
		t.Parallel()
		email := strings.Repeat("a", app.MaxEmailLength-len(domain)) + domain
		u := e.createUser(t, f.cookie, f.org, map[string]any{"first_name": "Max", "last_name": "Length", "email": email})
		if got, want := len(u.Email), app.MaxEmailLength; got != want {
			t.Errorf("email length = %d, want %d", got, want)
		}
	})
	t.Cleanup(func() {
		page := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users", nil, f.cookie, http.StatusOK)
		if got, want := page.Total, 3; got != want {
			t.Errorf("users = %d, want %d (Ann, Sukarno and Max only)", got, want)
		}
		u := call[app.User](t, e, "GET", f.path("/api/organizations/{org}/users/{user}"), nil, f.cookie, http.StatusOK)
		if u.FirstName != "Ann" || u.LastName != "Smith" || u.Username != "ann.smith" || u.Status != app.StatusActive || len(u.Groups) != 1 {
			t.Errorf("after refused updates the user is %+v", u)
		}
		if other := call[app.UserPage](t, e, "GET", "/api/organizations/birch/users", nil, f.cookie, http.StatusOK); other.Total != 0 {
			t.Errorf("users in birch = %d, want 0", other.Total)
		}
	})
}

func manyLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("label%d", i)
	}
	return out
}

func TestUserConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	e.createOrg(t, cookie, map[string]any{"name": "Birch Secondary", "slug": "birch"})
	ann := e.createUser(t, cookie, "maple", map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann.smith", "email": "ann@school.example"})
	jose := e.createUser(t, cookie, "maple", map[string]any{"first_name": "José", "last_name": "Díaz", "username": "Jos\u00e9", "email": "jos\u00e9@school.example"})
	bo := e.createUser(t, cookie, "maple", map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo", "email": "bo@school.example"})
	if got, want := jose.Username, "Jos\u00e9"; got != want {
		t.Fatalf("username = %q, want %q", got, want)
	}
	person := func(username, email string) map[string]any {
		return map[string]any{"first_name": "New", "last_name": "Person", "username": username, "email": email}
	}
	conflict := func(name, method, url string, body map[string]any, field string) scenario {
		return scenario{name: name, method: method, url: url, body: body, as: cookie,
			status: http.StatusConflict, code: app.ECONFLICT, field: field, message: []string{field}} // the message names the field
	}
	e.run(t, []scenario{
		conflict("same username", "POST", "/api/organizations/maple/users", person("ann.smith", ""), "username"),
		conflict("username in capitals", "POST", "/api/organizations/maple/users", person("ANN.SMITH", ""), "username"),
		conflict("username with spaces", "POST", "/api/organizations/maple/users", person("  Ann.Smith\t", ""), "username"),
		conflict("username decomposed", "POST", "/api/organizations/maple/users", person("Jose\u0301", ""), "username"),
		conflict("username decomposed lower case", "POST", "/api/organizations/maple/users", person("jose\u0301", ""), "username"),
		conflict("same email", "POST", "/api/organizations/maple/users", person("", "ann@school.example"), "email"),
		conflict("email in capitals with spaces", "POST", "/api/organizations/maple/users", person("", "  ANN@School.Example "), "email"),
		conflict("email decomposed", "POST", "/api/organizations/maple/users", person("", "jose\u0301@school.example"), "email"),
		conflict("email taken, username new", "POST", "/api/organizations/maple/users", person("new.person", "Ann@school.example"), "email"),
		conflict("username in another organization", "POST", "/api/organizations/birch/users", person("ann.smith", ""), "username"),
		conflict("email in another organization", "POST", "/api/organizations/birch/users", person("", "ANN@school.example"), "email"),
		conflict("rename onto a username", "PATCH", "/api/organizations/maple/users/"+bo.ID, map[string]any{"username": "Ann.Smith"}, "username"),
		conflict("change to a taken email", "PATCH", "/api/organizations/maple/users/"+bo.ID, map[string]any{"email": "JOSE\u0301@school.example"}, "email"),
	})
	t.Cleanup(func() {
		for org, want := range map[string]int{"maple": 3, "birch": 0} {
			if got := call[app.UserPage](t, e, "GET", "/api/organizations/"+org+"/users", nil, cookie, http.StatusOK).Total; got != want {
				t.Errorf("users in %s = %d, want %d", org, got, want)
			}
		}
		got := call[app.User](t, e, "GET", "/api/organizations/maple/users/"+bo.ID, nil, cookie, http.StatusOK)
		if got.Username != "bo" || got.Email != "bo@school.example" {
			t.Errorf("after refused changes Bo is %+v", got)
		}
		// A user may keep their own username and email, in another case too.
		call[app.User](t, e, "PATCH", "/api/organizations/maple/users/"+ann.ID, map[string]any{"username": "Ann.Smith", "email": "ANN@school.example"}, cookie, http.StatusOK)
		// A deleted user's username and email are free again.
		if code := statusOf(t, e, "DELETE", "/api/organizations/maple/users/"+jose.ID, cookie); code != http.StatusNoContent {
			t.Fatalf("DELETE = %d", code)
		}
		e.createUser(t, cookie, "birch", map[string]any{"first_name": "José", "last_name": "Ruiz", "username": "jose\u0301", "email": "JOSÉ@school.example"})
	})
}

func TestUserNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.fixture(t) // maple, with Ann
	e.createOrg(t, a.cookie, map[string]any{"name": "Birch Secondary", "slug": "birch"})
	unknown := "0190e2a4-7c1b-7000-8000-000000000000"
	var tests []scenario
	for _, r := range []struct{ method, suffix string }{
		{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"POST", "/deactivate"}, {"POST", "/activate"},
	} {
		var body any
		if r.method == "PATCH" {
			body = map[string]any{"first_name": "Pwned"}
		}
		for _, c := range []struct{ name, url string }{
			{"unknown ", "/api/organizations/maple/users/" + unknown},
			{"A's user under B ", "/api/organizations/birch/users/" + a.user},
			{"username instead of ID ", "/api/organizations/maple/users/ann.smith"},
		} {
			tests = append(tests, scenario{name: c.name + r.method + r.suffix, method: r.method, url: c.url + r.suffix, body: body,
				as: a.cookie, status: http.StatusNotFound, code: app.ENOTFOUND})
		}
	}
	e.run(t, tests)
	t.Cleanup(func() {
		u := call[app.User](t, e, "GET", a.path("/api/organizations/{org}/users/{user}"), nil, a.cookie, http.StatusOK)
		if u.FirstName != "Ann" || u.Status != app.StatusActive {
			t.Errorf("Ann after requests under the wrong organization = %+v", u)
		}
	})
}

func TestUserStatusAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	path := f.path("/api/organizations/{org}/users/{user}")

	e.Clock.Add(time.Minute)
	u := call[app.User](t, e, "POST", path+"/deactivate", nil, f.cookie, http.StatusOK)
	if u.Status != app.StatusDeactivated || !u.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("after deactivate = %q at %v, want %q at %v", u.Status, u.UpdatedAt, app.StatusDeactivated, e.Clock.Now())
	}
	if got := call[app.User](t, e, "GET", path, nil, f.cookie, http.StatusOK).Status; got != app.StatusDeactivated {
		t.Errorf("stored status = %q, want deactivated", got)
	}
	// Deactivating twice is fine; the rest of the user is untouched.
	u = call[app.User](t, e, "POST", path+"/deactivate", nil, f.cookie, http.StatusOK)
	if u.Status != app.StatusDeactivated || u.Username != "ann.smith" || len(u.Groups) != 1 {
		t.Errorf("after a second deactivate = %+v", u)
	}
	// A PATCH keeps the status.
	if got := call[app.User](t, e, "PATCH", path, map[string]any{"first_name": "Anna"}, f.cookie, http.StatusOK).Status; got != app.StatusDeactivated {
		t.Errorf("status after PATCH = %q, want deactivated", got)
	}
	if got := call[app.User](t, e, "POST", path+"/activate", nil, f.cookie, http.StatusOK).Status; got != app.StatusActive {
		t.Errorf("after activate = %q, want active", got)
	}

	rec := e.serve(withCookie(newRequest(t, "DELETE", path, nil), f.cookie))
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Fatalf("DELETE user = %d %q, want 204 and no body", rec.Code, rec.Body.String())
	}
	for _, method := range []string{"GET", "DELETE"} {
		code, body := e.do(t, method, path, nil, f.cookie)
		checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
	}
	page := call[app.UserPage](t, e, "GET", f.path("/api/organizations/{org}/users"), nil, f.cookie, http.StatusOK)
	if page.Total != 0 || len(page.Users) != 0 || page.Users == nil {
		t.Errorf("page after delete = %+v, want total 0 and users []", page)
	}
	if g := e.listGroups(t, f.cookie, f.org); len(g) != 1 || g[0].Members != 0 {
		t.Errorf("groups after the member's deletion = %+v, want 5A with 0 members", g)
	}
}

// listFixture creates nine users in maple with groups, types and statuses.
func listFixture(t *testing.T, e *env) (cookie string, groups map[string]string) {
	t.Helper()
	cookie = e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	other := e.createOrg(t, cookie, map[string]any{"name": "Birch Secondary", "slug": "birch"})
	groups = map[string]string{}
	for _, name := range []string{"5A", "5B", "Staff"} {
		groups[name] = e.createGroup(t, cookie, org.ID, map[string]any{"name": name}).ID
	}
	for _, u := range []map[string]any{
		{"first_name": "Ann", "last_name": "Smith", "username": "ann.smith", "email": "ann@maple.example", "groups": []string{"5A"}},
		{"first_name": "Bo", "last_name": "Smithson", "username": "bo.s", "email": "bo@maple.example", "groups": []string{"5A"}},
		{"first_name": "Annika", "last_name": "Berg", "username": "annika", "email": "ab@gmail.example", "groups": []string{"5B"}},
		{"first_name": "Cy", "last_name": "Ng", "username": "cy.ng", "groups": []string{"5B"}},
		{"first_name": "Dee", "last_name": "smith", "username": "dee", "groups": []string{"5A", "5B"}},
		{"first_name": "Eve", "last_name": "Olsen", "username": "eve.o", "email": "eve@maple.example", "account_type": "teacher", "groups": []string{"Staff"}},
		{"first_name": "Finn", "last_name": "Lund", "username": "finn", "account_type": "teacher", "groups": []string{"Staff", "5A"}},
		{"first_name": "Gus", "last_name": "Ahl", "username": "gus", "account_type": "admin"},
		{"first_name": "José", "last_name": "Díaz", "username": "jose.d", "email": "jose@maple.example"},
	} {
		e.createUser(t, cookie, org.ID, u)
	}
	e.createUser(t, cookie, other.ID, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann.birch"})
	for _, username := range []string{"bo.s", "finn"} {
		page := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users?q="+username, nil, cookie, http.StatusOK)
		call[app.User](t, e, "POST", "/api/organizations/maple/users/"+page.Users[0].ID+"/deactivate", nil, cookie, http.StatusOK)
	}
	return cookie, groups
}

func TestUserList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie, groups := listFixture(t, e)
	tests := []struct {
		name  string
		query url.Values
		want  []string // usernames in order
	}{
		{"all, by last then first name", nil, []string{"gus", "annika", "jose.d", "finn", "cy.ng", "eve.o", "ann.smith", "dee", "bo.s"}},
		{"q last name", url.Values{"q": {"smith"}}, []string{"ann.smith", "dee", "bo.s"}},
		{"q case-insensitive", url.Values{"q": {"SMITHSON"}}, []string{"bo.s"}},
		{"q first name part", url.Values{"q": {"ann"}}, []string{"annika", "ann.smith"}},
		{"q two words", url.Values{"q": {"ann smith"}}, []string{"ann.smith"}},
		{"q words in any order", url.Values{"q": {" Smith  Ann "}}, []string{"ann.smith"}},
		{"q username", url.Values{"q": {"cy.ng"}}, []string{"cy.ng"}},
		{"q email domain", url.Values{"q": {"@gmail.example"}}, []string{"annika"}},
		{"q email", url.Values{"q": {"EVE@MAPLE"}}, []string{"eve.o"}},
		{"q accent", url.Values{"q": {"josé"}}, []string{"jose.d"}},
		{"q accent decomposed", url.Values{"q": {"Jose\u0301"}}, []string{"jose.d"}},
		{"q nothing", url.Values{"q": {"zzz"}}, []string{}},
		{"group by ID", url.Values{"group": {groups["5A"]}}, []string{"finn", "ann.smith", "dee", "bo.s"}},
		{"group by name", url.Values{"group": {"5b"}}, []string{"annika", "cy.ng", "dee"}},
		{"type", url.Values{"type": {"teacher"}}, []string{"finn", "eve.o"}},
		{"status", url.Values{"status": {"deactivated"}}, []string{"finn", "bo.s"}},
		{"status active", url.Values{"status": {"active"}}, []string{"gus", "annika", "jose.d", "cy.ng", "eve.o", "ann.smith", "dee"}},
		{"group and type", url.Values{"group": {"5A"}, "type": {"student"}}, []string{"ann.smith", "dee", "bo.s"}},
		{"group, status and q", url.Values{"group": {"5A"}, "status": {"active"}, "q": {"smith"}}, []string{"ann.smith", "dee"}},
		{"empty filters", url.Values{"q": {""}, "group": {""}, "type": {""}, "status": {""}}, []string{"gus", "annika", "jose.d", "finn", "cy.ng", "eve.o", "ann.smith", "dee", "bo.s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users?"+tt.query.Encode(), nil, cookie, http.StatusOK)
			got := []string{}
			for _, u := range page.Users {
				got = append(got, u.Username)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("users = %v, want %v", got, tt.want)
			}
			if page.Total != len(tt.want) || page.Page != 1 || page.PerPage != app.DefaultPerPage {
				t.Errorf("total/page/per_page = %d/%d/%d, want %d/1/%d", page.Total, page.Page, page.PerPage, len(tt.want), app.DefaultPerPage)
			}
		})
	}

	bad := []struct {
		name   string
		query  string
		status int
		code   string
		field  string
	}{
		{"page not a number", "page=abc", http.StatusBadRequest, app.EINVALID, "page"},
		{"page zero", "page=0", http.StatusBadRequest, app.EINVALID, "page"},
		{"page negative", "page=-1", http.StatusBadRequest, app.EINVALID, "page"},
		{"page fraction", "page=1.5", http.StatusBadRequest, app.EINVALID, "page"},
		{"per_page not a number", "per_page=ten", http.StatusBadRequest, app.EINVALID, "per_page"},
		{"per_page zero", "per_page=0", http.StatusBadRequest, app.EINVALID, "per_page"},
		{"unknown type", "type=wizard", http.StatusBadRequest, app.EINVALID, "type"},
		{"enterprise type", "type=learner", http.StatusBadRequest, app.EINVALID, "type"},
		{"unknown status", "status=gone", http.StatusBadRequest, app.EINVALID, "status"},
		{"q too long", "q=" + strings.Repeat("q", 2*app.MaxNameLength+1), http.StatusBadRequest, app.EINVALID, "q"},
		{"unknown group", "group=nope", http.StatusNotFound, app.ENOTFOUND, ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := e.do(t, "GET", "/api/organizations/maple/users?"+tt.query, nil, cookie)
			checkError(t, code, body, tt.status, tt.code, tt.field)
		})
	}
	t.Run("both page and per_page bad", func(t *testing.T) {
		t.Parallel()
		// The same request gets the same answer every time.
		first := ""
		for i := range 20 {
			code, body := e.do(t, "GET", "/api/organizations/maple/users?per_page=x&page=y", nil, cookie)
			checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "page")
			if i == 0 {
				first = fmt.Sprint(body)
			} else if got := fmt.Sprint(body); got != first {
				t.Fatalf("answer %d = %s, first was %s", i, got, first)
			}
		}
	})
}

// TestUserPagination: 120 users, 50 a page: 50, 50, 20, then none; the total
// is always 120 and the pages, put together, are every user once in order.
func TestUserPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	// 40 last names × 3 first names, created in an order unlike the sorted
	// one, with names whose order depends on ignoring case ("van Dijk" before "Vance").
	lasts := []string{"van Dijk", "Vance", "de Vries", "Dahl"}
	for i := len(lasts); i < 40; i++ {
		lasts = append(lasts, fmt.Sprintf("Name%02d", (i*17)%40))
	}
	firsts := []string{"Cleo", "alma", "Bert"}
	type person struct{ first, last string }
	var people []person
	for i := range 120 {
		people = append(people, person{firsts[i%3], lasts[(i*7)%40]})
	}
	users := make([]app.User, 0, 120)
	for i, p := range people {
		users = append(users, e.createUser(t, cookie, org.ID, map[string]any{"first_name": p.first, "last_name": p.last, "username": fmt.Sprintf("pupil%03d", i)}))
	}
	want := make([]string, 0, 120)
	sorted := slices.Clone(users)
	slices.SortStableFunc(sorted, func(a, b app.User) int {
		if c := strings.Compare(strings.ToLower(a.LastName), strings.ToLower(b.LastName)); c != 0 {
			return c
		}
		if c := strings.Compare(strings.ToLower(a.FirstName), strings.ToLower(b.FirstName)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, u := range sorted {
		want = append(want, u.ID)
	}

	var got []string
	for _, p := range []struct{ page, size int }{{1, 50}, {2, 50}, {3, 20}, {4, 0}} {
		pg := call[app.UserPage](t, e, "GET", fmt.Sprintf("/api/organizations/maple/users?per_page=50&page=%d", p.page), nil, cookie, http.StatusOK)
		if len(pg.Users) != p.size || pg.Total != 120 || pg.Page != p.page || pg.PerPage != 50 {
			t.Errorf("page %d: %d users, total %d, page %d, per_page %d; want %d, 120, %d, 50", p.page, len(pg.Users), pg.Total, pg.Page, pg.PerPage, p.size, p.page)
		}
		for _, u := range pg.Users {
			got = append(got, u.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages together are not every user once, by last name then first name")
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("first difference at %d", i)
				break
			}
		}
	}
	// Spot checks of the order that do not rely on the sort above.
	first := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users?per_page=4", nil, cookie, http.StatusOK)
	var names []string
	for _, u := range first.Users {
		names = append(names, u.FirstName+" "+u.LastName)
	}
	if want := []string{"alma Dahl", "Bert Dahl", "Cleo Dahl", "alma de Vries"}; !slices.Equal(names, want) {
		t.Errorf("first four = %v, want %v", names, want)
	}
	last := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users?per_page=6&page=20", nil, cookie, http.StatusOK)
	names = nil
	for _, u := range last.Users {
		names = append(names, u.FirstName+" "+u.LastName)
	}
	if want := []string{"alma van Dijk", "Bert van Dijk", "Cleo van Dijk", "alma Vance", "Bert Vance", "Cleo Vance"}; !slices.Equal(names, want) {
		t.Errorf("last six = %v, want %v", names, want)
	}

	// Defaults and the cap.
	def := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users", nil, cookie, http.StatusOK)
	if len(def.Users) != app.DefaultPerPage || def.PerPage != app.DefaultPerPage || def.Total != 120 {
		t.Errorf("default page: %d users, per_page %d, total %d", len(def.Users), def.PerPage, def.Total)
	}
	big := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users?per_page=100000", nil, cookie, http.StatusOK)
	if len(big.Users) != 120 || big.PerPage != app.MaxPerPage {
		t.Errorf("per_page=100000: %d users, per_page %d; want 120, %d", len(big.Users), big.PerPage, app.MaxPerPage)
	}
	// Paging a filtered list counts only the matches.
	filtered := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users?q=alma&per_page=15&page=3", nil, cookie, http.StatusOK)
	if filtered.Total != 40 || len(filtered.Users) != 10 {
		t.Errorf("q=alma page 3 of 15: total %d, %d users; want 40, 10", filtered.Total, len(filtered.Users))
	}
	for _, u := range filtered.Users {
		if u.FirstName != "alma" {
			t.Errorf("q=alma returned %s %s", u.FirstName, u.LastName)
		}
	}
}

// TestUserPageOverflow: a page number past the end gives an empty page, however large.
func TestUserPageOverflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture(t)
	for _, q := range []string{"page=2", "page=9223372036854775807", "page=9223372036854775807&per_page=500", "page=4611686018427387905&per_page=4"} {
		page := call[app.UserPage](t, e, "GET", f.path("/api/organizations/{org}/users?")+q, nil, f.cookie, http.StatusOK)
		if page.Total != 1 || len(page.Users) != 0 {
			t.Errorf("%s: total %d, %d users; want 1, 0 (the only user is on page 1)", q, page.Total, len(page.Users))
		}
	}
}

// An admin asks several users for a new password at their next sign-in in
// one request (the bulk route): users without a password and those already
// asked are not counted, another organization's users cannot be named, and
// only an admin may ask. The portal then asks for a new password.
func TestRequirePasswordChange(t *testing.T) {
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	other := e.createOrg(t, cookie, map[string]any{"name": "Oak Primary", "slug": "oak"})
	create := func(orgSlug, username, password string) string {
		t.Helper()
		body := map[string]any{"first_name": "Pupil", "username": username}
		if password != "" {
			body["password"] = password
		}
		return call[app.User](t, e, "POST", "/api/organizations/"+orgSlug+"/users", body, cookie, http.StatusCreated).ID
	}
	ada, bo, nopw := create("maple", "ada", "tiger-moon-47"), create("maple", "bo", "lion-star-22"), create("maple", "cy", "")
	stranger := create(other.Slug, "dee", "frog-rain-31")
	path := "/api/organizations/" + org.ID + "/users/bulk"
	ask := func(ids ...string) map[string]any {
		return map[string]any{"selection": map[string]any{"ids": ids}, "action": app.BulkRequirePassword}
	}
	flagged := func(org, id string) bool {
		t.Helper()
		return call[app.User](t, e, "GET", "/api/organizations/"+org+"/users/"+id, nil, cookie, http.StatusOK).MustChangePassword
	}

	if got := call[app.BulkResult](t, e, "POST", path, ask(stranger), cookie, http.StatusOK); got.Changed != 0 || flagged("oak", stranger) {
		t.Fatalf("another organization's user: %+v, flagged %v", got, flagged("oak", stranger))
	}
	if code, _ := e.do(t, "POST", path, ask(ada), ""); code != http.StatusUnauthorized {
		t.Fatalf("without an admin = %d, want 401", code)
	}
	got := call[app.BulkResult](t, e, "POST", path, ask(ada, bo, nopw, ada), cookie, http.StatusOK)
	if got.Changed != 2 || !flagged("maple", ada) || !flagged("maple", bo) || flagged("maple", nopw) {
		t.Fatalf("changed = %+v; ada %v bo %v cy %v", got, flagged("maple", ada), flagged("maple", bo), flagged("maple", nopw))
	}
	if got := call[app.BulkResult](t, e, "POST", path, ask(ada), cookie, http.StatusOK); got.Changed != 0 {
		t.Fatalf("asking again = %+v, want 0 changed", got)
	}
	// The portal now asks ada for a new password.
	rec := e.serve(newRequest(t, "POST", "/api/public/signin", map[string]any{"login": "ada", "password": "tiger-moon-47"}))
	if acc := decodeBody(t, rec); rec.Code != http.StatusOK || acc["must_change_password"] != true {
		t.Fatalf("ada signs in = %d %v", rec.Code, acc)
	}
}

// One route applies a bulk action: to users ticked or to all that match a
// filter; the answer says what changed and why others were skipped. The
// labels route lists the labels, and the list filters by one.
func TestBulkUsersRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	e.createGroup(t, cookie, "maple", map[string]any{"name": "3A"})
	b := e.createGroup(t, cookie, "maple", map[string]any{"name": "3B"})
	users := "/api/organizations/maple/users"
	var ids []string
	for i, n := range []string{"ann", "ben", "cat"} {
		labels := []string{"Choir"}
		if i == 2 {
			labels = nil
		}
		u := call[app.User](t, e, "POST", users, map[string]any{"first_name": n, "username": n, "groups": []string{"3A"}, "labels": labels}, cookie, http.StatusCreated)
		ids = append(ids, u.ID)
	}
	labels := call[map[string][]string](t, e, "GET", "/api/organizations/maple/labels", nil, cookie, http.StatusOK)
	if !slices.Equal(labels["labels"], []string{"Choir"}) {
		t.Errorf("labels = %v", labels)
	}
	if p := call[app.UserPage](t, e, "GET", users+"?label=choir", nil, cookie, http.StatusOK); p.Total != 2 {
		t.Errorf("filter by label: %d users, want 2", p.Total)
	}

	res := call[app.BulkResult](t, e, "POST", users+"/bulk", map[string]any{
		"selection": map[string]any{"filter": map[string]any{"group": "3A", "q": "choir"}},
		"action":    "move_to_group", "group": b.ID, "from_group": "3A", "expect": 2,
	}, cookie, http.StatusOK)
	if res.Changed != 2 || res.Message != "2 people moved to 3B." {
		t.Errorf("move = %+v", res)
	}
	if p := call[app.UserPage](t, e, "GET", users+"?group=3B", nil, cookie, http.StatusOK); p.Total != 2 {
		t.Errorf("in 3B: %d, want 2", p.Total)
	}
	res = call[app.BulkResult](t, e, "POST", users+"/bulk", map[string]any{
		"selection": map[string]any{"ids": ids}, "action": "deactivate",
	}, cookie, http.StatusOK)
	if res.Changed != 3 {
		t.Errorf("deactivate = %+v", res)
	}
	code, body := e.do(t, "POST", users+"/bulk", map[string]any{"selection": map[string]any{"filter": map[string]any{}}, "action": "delete", "expect": 2}, cookie)
	if code != http.StatusConflict || !strings.Contains(fmt.Sprint(body["message"]), "3 people now, not 2") {
		t.Errorf("delete with a stale count = %d %v, want 409", code, body)
	}
	code, body = e.do(t, "POST", users+"/bulk", map[string]any{"selection": map[string]any{"ids": ids}, "action": "add_to_group"}, cookie)
	if code != http.StatusBadRequest || body["details"].(map[string]any)["group"] == nil {
		t.Errorf("no group = %d %v, want 400 naming group", code, body)
	}
	if code, _ := e.do(t, "POST", users+"/bulk", map[string]any{"selection": map[string]any{"ids": ids}, "action": "delete"}, ""); code != http.StatusUnauthorized {
		t.Errorf("signed out = %d, want 401", code)
	}
}

// "Add person" with a generated password: the answer carries the job of
// the new password, whose slip names the person and their username — a
// pupil who joins mid-year gets a slip like their class.
func TestCreateUserWithSlip(t *testing.T) {
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	out := call[struct {
		app.User
		Job app.JobStatus `json:"job"`
	}](t, e, "POST", "/api/organizations/maple/users", map[string]any{"first_name": "Mia", "last_name": "Wilson", "username": "mia.w", "slip_password": "words"}, cookie, http.StatusCreated)
	if out.ID == "" || out.Username != "mia.w" || out.Job.ID == "" {
		t.Fatalf("answer %+v", out)
	}
	waitFor(t, e, out.Job.ID)
	rec := e.serve(withCookie(newRequest(t, "GET", "/api/jobs/"+out.Job.ID+"/csv", nil), cookie))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "mia.w") {
		t.Fatalf("the job's CSV = %d %s", rec.Code, rec.Body.String())
	}
	line := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")[1]
	pw := strings.Split(line, ",")[4]
	if rec := e.serve(newRequest(t, "POST", "/api/public/signin", map[string]string{"login": "mia.w", "password": pw})); rec.Code != http.StatusOK {
		t.Errorf("the slip's password %q does not sign in: %d %s", pw, rec.Code, rec.Body.String())
	}
	code, body := e.do(t, "POST", "/api/organizations/maple/users", map[string]any{"first_name": "Noah", "username": "noah", "password": "typed-pass-123", "slip_password": ""}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "password")
}
