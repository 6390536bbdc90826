package httpapi_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

// listGroups returns the groups of org as GET .../groups shows them.
func (e *env) listGroups(t *testing.T, cookie, org string) []app.Group {
	t.Helper()
	return call[map[string][]app.Group](t, e, "GET", "/api/organizations/"+org+"/groups", nil, cookie, http.StatusOK)["groups"]
}

func TestGroupCreateGetList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	acme := e.createOrg(t, cookie, map[string]any{"name": "Acme", "kind": "enterprise"})

	if got := e.listGroups(t, cookie, org.ID); got == nil || len(got) != 0 {
		t.Errorf("groups of a new organization = %#v, want an empty list (not null)", got)
	}

	class := e.createGroup(t, cookie, org.ID, map[string]any{"name": " 5A "})
	staff := e.createGroup(t, cookie, "maple", map[string]any{"name": "Teachers", "kind": "Department"})
	leavers := e.createGroup(t, cookie, org.ID, map[string]any{"name": "leavers 2026", "default_account_type": "Admin", "delete_on": "2026-07-31"})
	sales := e.createGroup(t, cookie, acme.ID, map[string]any{"name": "Sales", "kind": "department"})
	for _, c := range []struct {
		name      string
		got, want string
	}{
		{"class name", class.Name, "5A"},
		{"class kind", class.Kind, app.GroupClass},
		{"class type", class.DefaultAccountType, app.TypeStudent},
		{"class org", class.OrgID, org.ID},
		{"department kind", staff.Kind, app.GroupDepartment},
		{"department type", staff.DefaultAccountType, app.TypeTeacher},
		{"leavers type", leavers.DefaultAccountType, app.TypeAdmin},
		{"leavers delete_on", leavers.DeleteOn, "2026-07-31"},
		{"enterprise department type", sales.DefaultAccountType, app.TypeLearner},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !class.CreatedAt.Equal(e.Clock.Now()) || class.ID == "" {
		t.Errorf("class = %+v, want an ID and created_at %v", class, e.Clock.Now())
	}

	// Members: two in 5A, one in 5A and Teachers, none in leavers.
	for _, u := range []map[string]any{
		{"first_name": "Ann", "last_name": "Smith", "username": "ann", "groups": []string{class.ID}},
		{"first_name": "Bo", "last_name": "Lind", "username": "bo", "groups": []string{"5a"}},
		{"first_name": "Cy", "last_name": "Berg", "username": "cy", "groups": []string{"5A", "teachers"}},
	} {
		e.createUser(t, cookie, org.ID, u)
	}
	list := e.listGroups(t, cookie, org.ID)
	var got []string
	members := map[string]int{}
	for _, g := range list {
		got = append(got, g.Name)
		members[g.Name] = g.Members
		if g.OrgID != org.ID {
			t.Errorf("group %q of organization %q listed under %q", g.Name, g.OrgID, org.ID)
		}
	}
	if want := []string{"5A", "leavers 2026", "Teachers"}; !slices.Equal(got, want) {
		t.Errorf("groups = %v, want %v (by name, case-insensitively)", got, want)
	}
	if want := map[string]int{"5A": 3, "leavers 2026": 0, "Teachers": 1}; !maps.Equal(members, want) {
		t.Errorf("members = %v, want %v", members, want)
	}
	if got := e.listGroups(t, cookie, "acme"); len(got) != 1 || got[0].Name != "Sales" {
		t.Errorf("groups of acme = %+v, want only Sales", got)
	}

	// GET by ID, or by name case-insensitively.
	for _, ref := range []string{class.ID, "5A", "5a"} {
		g := call[app.Group](t, e, "GET", "/api/organizations/maple/groups/"+ref, nil, cookie, http.StatusOK)
		if g.ID != class.ID || g.Name != "5A" {
			t.Errorf("GET group %q = %+v, want 5A", ref, g)
		}
	}
}

func TestGroupUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	g := e.createGroup(t, cookie, org.ID, map[string]any{"name": "5A"})
	u := e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann", "groups": []string{g.ID}})
	base := "/api/organizations/maple/groups/"

	e.Clock.Add(time.Minute)
	renamed := call[app.Group](t, e, "PATCH", base+g.ID, map[string]any{"name": " 6A "}, cookie, http.StatusOK)
	if renamed.Name != "6A" || renamed.ID != g.ID || renamed.Kind != g.Kind || renamed.DefaultAccountType != g.DefaultAccountType {
		t.Errorf("renamed = %+v, want 6A with the rest unchanged", renamed)
	}
	if !renamed.UpdatedAt.Equal(e.Clock.Now()) || !renamed.CreatedAt.Equal(g.CreatedAt) {
		t.Errorf("times = %v/%v, want %v/%v", renamed.CreatedAt, renamed.UpdatedAt, g.CreatedAt, e.Clock.Now())
	}
	// The new name finds it, the old one no longer does and is free again.
	call[app.Group](t, e, "GET", base+"6a", nil, cookie, http.StatusOK)
	code, body := e.do(t, "GET", base+"5A", nil, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
	e.createGroup(t, cookie, org.ID, map[string]any{"name": "5A"})
	// Renaming by name, and a change of case only.
	if got := call[app.Group](t, e, "PATCH", base+"6A", map[string]any{"name": "6a"}, cookie, http.StatusOK); got.Name != "6a" {
		t.Errorf("name = %q, want 6a", got.Name)
	}
	// Other fields.
	got := call[app.Group](t, e, "PATCH", base+g.ID, map[string]any{"kind": "department", "default_account_type": "teacher", "delete_on": "2027-06-30"}, cookie, http.StatusOK)
	if got.Kind != app.GroupDepartment || got.DefaultAccountType != app.TypeTeacher || got.DeleteOn != "2027-06-30" || got.Name != "6a" {
		t.Errorf("group = %+v", got)
	}
	// The member still belongs to it.
	if got := call[app.User](t, e, "GET", "/api/organizations/maple/users/"+u.ID, nil, cookie, http.StatusOK); !slices.Equal(got.Groups, []string{g.ID}) {
		t.Errorf("member's groups after the rename = %v, want [%s]", got.Groups, g.ID)
	}
}

func TestGroupDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	g5 := e.createGroup(t, cookie, org.ID, map[string]any{"name": "5A"})
	choir := e.createGroup(t, cookie, org.ID, map[string]any{"name": "Choir"})
	ann := e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Ann", "last_name": "Smith", "username": "ann", "groups": []string{g5.ID, choir.ID}})
	bo := e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo", "groups": []string{g5.ID}})
	cy := e.createUser(t, cookie, org.ID, map[string]any{"first_name": "Cy", "last_name": "Berg", "username": "cy", "groups": []string{choir.ID}})

	rec := e.serve(withCookie(newRequest(t, "DELETE", "/api/organizations/maple/groups/"+g5.ID, nil), cookie))
	if got, want := rec.Code, http.StatusNoContent; got != want {
		t.Fatalf("DELETE group = %d %s, want %d", got, rec.Body.String(), want)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("204 with a body %q", rec.Body.String())
	}
	code, body := e.do(t, "GET", "/api/organizations/maple/groups/"+g5.ID, nil, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
	code, body = e.do(t, "DELETE", "/api/organizations/maple/groups/"+g5.ID, nil, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")

	// The members stay, without the group; other memberships are kept.
	want := map[string][]string{ann.ID: {choir.ID}, bo.ID: {}, cy.ID: {choir.ID}}
	for id, groups := range want {
		u := call[app.User](t, e, "GET", "/api/organizations/maple/users/"+id, nil, cookie, http.StatusOK)
		if !slices.Equal(u.Groups, groups) {
			t.Errorf("%s's groups = %v, want %v", u.Username, u.Groups, groups)
		}
	}
	page := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users", nil, cookie, http.StatusOK)
	if got, want := page.Total, 3; got != want {
		t.Errorf("users after deleting the group = %d, want %d", got, want)
	}
	list := e.listGroups(t, cookie, org.ID)
	if len(list) != 1 || list[0].ID != choir.ID || list[0].Members != 2 {
		t.Errorf("groups = %+v, want only Choir with 2 members", list)
	}
	// Filtering by the deleted group is a 404, not an empty page.
	code, body = e.do(t, "GET", "/api/organizations/maple/users?group="+g5.ID, nil, cookie)
	checkError(t, code, body, http.StatusNotFound, app.ENOTFOUND, "")
	// The name is free again, and the new group starts empty.
	again := e.createGroup(t, cookie, org.ID, map[string]any{"name": "5a"})
	if again.ID == g5.ID {
		t.Error("the new group reused the deleted group's ID")
	}
	page = call[app.UserPage](t, e, "GET", "/api/organizations/maple/users?group=5a", nil, cookie, http.StatusOK)
	if page.Total != 0 {
		t.Errorf("members of the re-created 5a = %d, want 0", page.Total)
	}
}

func TestGroupInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	g := e.createGroup(t, cookie, org.ID, map[string]any{"name": "5A"})
	long := strings.Repeat("g", app.MaxNameLength+1)
	tests := []struct {
		name   string
		method string
		body   map[string]any
		field  string
	}{
		{"empty name", "POST", map[string]any{"name": ""}, "name"},
		{"blank name", "POST", map[string]any{"name": "   "}, "name"},
		{"name too long", "POST", map[string]any{"name": long}, "name"},
		{"bell in name", "POST", map[string]any{"name": "Ann\u0007"}, "name"},
		{"bidi override in name", "POST", map[string]any{"name": "Bob\u202e"}, "name"},
		{"tab in name", "POST", map[string]any{"name": "5\tA"}, "name"},
		{"unknown kind", "POST", map[string]any{"name": "Chess", "kind": "club"}, "kind"},
		{"unknown account type", "POST", map[string]any{"name": "Chess", "default_account_type": "wizard"}, "default_account_type"},
		{"enterprise type in a school", "POST", map[string]any{"name": "Chess", "default_account_type": "learner"}, "default_account_type"},
		{"impossible date", "POST", map[string]any{"name": "Chess", "delete_on": "2026-02-30"}, "delete_on"},
		{"European date", "POST", map[string]any{"name": "Chess", "delete_on": "31.07.2026"}, "delete_on"},
		{"short date", "POST", map[string]any{"name": "Chess", "delete_on": "2026-7-1"}, "delete_on"},
		{"date and time", "POST", map[string]any{"name": "Chess", "delete_on": "2026-07-01T00:00:00Z"}, "delete_on"},
		{"members not settable", "POST", map[string]any{"name": "Chess", "members": 3}, "members"},
		{"org not settable", "POST", map[string]any{"name": "Chess", "org_id": "x"}, "org_id"},
		{"rename empty", "PATCH", map[string]any{"name": ""}, "name"},
		{"rename too long", "PATCH", map[string]any{"name": long}, "name"},
		{"rename bidi", "PATCH", map[string]any{"name": "Bob\u202e"}, "name"},
		{"change to unknown kind", "PATCH", map[string]any{"kind": "club"}, "kind"},
		{"change to unknown type", "PATCH", map[string]any{"default_account_type": "creator"}, "default_account_type"},
		{"change to bad date", "PATCH", map[string]any{"delete_on": "tomorrow"}, "delete_on"},
		{"id not settable", "PATCH", map[string]any{"id": "x"}, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "/api/organizations/maple/groups"
			if tt.method == "PATCH" {
				path += "/" + g.ID
			}
			code, body := e.do(t, tt.method, path, tt.body, cookie)
			checkError(t, code, body, http.StatusBadRequest, app.EINVALID, tt.field)
		})
	}
	t.Cleanup(func() {
		list := e.listGroups(t, cookie, org.ID)
		if len(list) != 1 || list[0].Name != "5A" || list[0].Kind != g.Kind || list[0].DefaultAccountType != g.DefaultAccountType || list[0].DeleteOn != "" {
			t.Errorf("groups after refused requests = %+v, want only 5A unchanged", list)
		}
	})
}

func TestGroupConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.setup(t)
	org := e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	other := e.createOrg(t, cookie, map[string]any{"name": "Birch Secondary", "slug": "birch"})
	e.createGroup(t, cookie, org.ID, map[string]any{"name": "5A"})
	e.createGroup(t, cookie, org.ID, map[string]any{"name": "Musiikki Ä"})
	teachers := e.createGroup(t, cookie, org.ID, map[string]any{"name": "Teachers", "kind": "department"})
	const groups = "/api/organizations/maple/groups"
	conflict := func(name, method, url string, body map[string]any) scenario {
		return scenario{name: name, method: method, url: url, body: body, as: cookie,
			status: http.StatusConflict, code: app.ECONFLICT, field: "name", message: []string{"group"}}
	}
	e.run(t, []scenario{
		conflict("same name", "POST", groups, map[string]any{"name": "5A"}),
		conflict("other case", "POST", groups, map[string]any{"name": "5a"}),
		conflict("surrounding spaces", "POST", groups, map[string]any{"name": "  5A\t"}),
		conflict("other kind, same name", "POST", groups, map[string]any{"name": "5A", "kind": "department"}),
		conflict("decomposed accent", "POST", groups, map[string]any{"name": "Musiikki A\u0308"}),
		conflict("accent in other case", "POST", groups, map[string]any{"name": "MUSIIKKI ä"}),
		conflict("rename onto another", "PATCH", groups+"/"+teachers.ID, map[string]any{"name": "5a"}),
	})
	t.Cleanup(func() {
		var names []string
		for _, g := range e.listGroups(t, cookie, org.ID) {
			names = append(names, g.Name)
		}
		if want := []string{"5A", "Musiikki Ä", "Teachers"}; !slices.Equal(names, want) {
			t.Errorf("groups = %v, want %v", names, want)
		}
		// The same name in another organization is no conflict.
		e.createGroup(t, cookie, other.ID, map[string]any{"name": "5A"})
	})
}

func TestGroupNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.fixture(t)
	b := e.createOrg(t, a.cookie, map[string]any{"name": "Birch Secondary", "slug": "birch"})
	bGroup := e.createGroup(t, a.cookie, b.ID, map[string]any{"name": "7C"})
	notFound := func(name, method, url string, body any) scenario {
		return scenario{name: name, method: method, url: url, body: body, as: a.cookie, status: http.StatusNotFound, code: app.ENOTFOUND}
	}
	e.run(t, []scenario{
		notFound("unknown ID", "GET", "/api/organizations/maple/groups/0190e2a4-7c1b-7000-8000-000000000000", nil),
		notFound("unknown name", "GET", "/api/organizations/maple/groups/nope", nil),
		notFound("rename unknown", "PATCH", "/api/organizations/maple/groups/nope", map[string]any{"name": "X"}),
		notFound("delete unknown", "DELETE", "/api/organizations/maple/groups/nope", nil),
		notFound("A's group under B", "GET", "/api/organizations/birch/groups/"+a.group, nil),
		notFound("A's group by name under B", "GET", "/api/organizations/birch/groups/5A", nil),
		notFound("rename A's group under B", "PATCH", "/api/organizations/birch/groups/"+a.group, map[string]any{"name": "Pwned"}),
		notFound("delete A's group under B", "DELETE", "/api/organizations/birch/groups/"+a.group, nil),
		notFound("B's group under A", "GET", "/api/organizations/maple/groups/"+bGroup.ID, nil),
		notFound("filter A's users by B's group", "GET", "/api/organizations/maple/users?group="+bGroup.ID, nil),
	})
	t.Run("B's group given to a user of A", func(t *testing.T) {
		t.Parallel()
		code, body := e.do(t, "POST", "/api/organizations/maple/users", map[string]any{"first_name": "Bo", "last_name": "Lind", "username": "bo", "groups": []string{bGroup.ID}}, a.cookie)
		checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "groups")
		code, body = e.do(t, "PATCH", a.path("/api/organizations/maple/users/{user}"), map[string]any{"groups": []string{bGroup.ID}}, a.cookie)
		checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "groups")
	})
	t.Cleanup(func() {
		g := call[app.Group](t, e, "GET", a.path("/api/organizations/{org}/groups/{group}"), nil, a.cookie, http.StatusOK)
		if g.Name != "5A" {
			t.Errorf("A's group = %+v, want it unchanged", g)
		}
		if list := e.listGroups(t, a.cookie, "maple"); len(list) != 1 || list[0].Members != 1 {
			t.Errorf("A's groups = %+v, want 5A with its one member", list)
		}
	})
}
