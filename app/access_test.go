package app_test

import (
	"context"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

// A group admin's limits inside their organization, use case by use case:
// they see and change only their groups' members, create people only into
// their groups, never set deletion dates or account types, and never give
// roles. A role taken away ends their admin sessions at once.
func TestGroupAdminLimits(t *testing.T) {
	e := apptest.New(t)
	a := e.App
	ctx := context.Background()
	org := mustOrg(t, a, &app.Organization{Name: "Maple Primary", Slug: "maple"})
	g := map[string]string{}
	for _, name := range []string{"2A", "2B", "3A"} {
		grp, err := a.CreateGroup(ctx, "maple", &app.Group{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		g[name] = grp.ID
	}
	pupil := func(name, group string) *app.User {
		u, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: name, Username: name, Groups: []string{group}}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	a2, b2 := pupil("aino", g["2A"]), pupil("bertil", g["2B"])
	teacher, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Tiina", Username: "tiina", AccountType: "teacher"}, Password: "Teacher-pass-1234"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetUserRoles(ctx, "maple", teacher.ID, app.RolesUpdate{Groups: []string{"2A", "3A"}}); err != nil {
		t.Fatal(err)
	}
	adm, token, err := a.SignInAdmin(ctx, "tiina", "Teacher-pass-1234", "192.0.2.5")
	if err != nil || adm.Scope == nil || adm.Scope.OrgID != org.ID || adm.Scope.OrgAdmin || len(adm.Scope.Groups) != 2 {
		t.Fatalf("sign-in: %+v %v", adm, err)
	}
	as := app.WithActor(ctx, app.AdminActor(adm))
	code := func(err error) string { return app.ErrorCode(err) }

	page, err := a.Users(as, "maple", app.UserFilter{})
	if err != nil || page.Total != 1 || page.Users[0].ID != a2.ID {
		t.Fatalf("a group admin's users: %+v %v", page, err)
	}
	if _, err := a.Users(as, "maple", app.UserFilter{Group: "2B"}); code(err) != app.EFORBIDDEN {
		t.Errorf("users of 2B: %v", err)
	}
	if gs, err := a.Groups(as, "maple"); err != nil || len(gs) != 2 {
		t.Errorf("groups: %d %v", len(gs), err)
	}
	if _, err := a.User(as, "maple", b2.ID); code(err) != app.EFORBIDDEN {
		t.Errorf("2B's pupil: %v", err)
	}
	for name, upd := range map[string]app.UserUpdate{
		"a deletion date": {DeleteOn: ptr("2027-07-31")},
		"an account type": {AccountType: ptr("teacher")},
		"a move to 2B":    {Groups: &[]string{"2B"}},
	} {
		if _, err := a.UpdateUser(as, "maple", a2.ID, upd); code(err) != app.EFORBIDDEN {
			t.Errorf("%s: %v, want EFORBIDDEN", name, err)
		}
	}
	if u, err := a.UpdateUser(as, "maple", a2.ID, app.UserUpdate{Groups: &[]string{"3A"}, FirstName: ptr("Aino-Maria")}); err != nil || u.Groups[0] != g["3A"] {
		t.Errorf("a move between their own groups: %+v %v", u, err)
	}
	if _, err := a.CreateUser(as, "maple", app.UserCreate{User: app.User{FirstName: "Nobody", Username: "nobody"}}); code(err) != app.EFORBIDDEN {
		t.Errorf("a person in no group: %v", err)
	}
	if _, err := a.CreateUser(as, "maple", app.UserCreate{User: app.User{FirstName: "New", Username: "new.one", Groups: []string{"2A"}, DeleteOn: "2027-07-31"}}); code(err) != app.EFORBIDDEN {
		t.Errorf("a person with a deletion date: %v", err)
	}
	if _, err := a.CreateUser(as, "maple", app.UserCreate{User: app.User{FirstName: "New", Username: "new.one", Groups: []string{"2A"}, AdminRole: app.RoleOrgAdmin}}); err != nil {
		t.Errorf("a person into 2A: %v", err)
	} else if u, _ := a.Store.UserByLogin(ctx, "new.one"); u.AdminRole != "" {
		t.Error("a role came in with the new person's fields")
	}
	if _, err := a.SetUserRoles(as, "maple", a2.ID, app.RolesUpdate{Groups: []string{"2A"}}); code(err) != app.EFORBIDDEN {
		t.Errorf("a group admin giving a role: %v", err)
	}
	if err := a.DeleteUser(as, "maple", a2.ID); code(err) != app.EFORBIDDEN {
		t.Errorf("a group admin deleting: %v", err)
	}
	if _, err := a.UpdateOrganization(as, "maple", app.OrganizationUpdate{Name: ptr("Mine")}); code(err) != app.EFORBIDDEN {
		t.Errorf("organization settings: %v", err)
	}
	if _, err := a.Organizations(as); err != nil {
		t.Error(err)
	}
	if _, err := a.CreateOrganization(as, &app.Organization{Name: "Elsewhere"}); code(err) != app.EFORBIDDEN {
		t.Errorf("a new organization: %v", err)
	}

	// Their own sessions: listed, and "sign out everywhere else" works
	// for a person's staff sessions as for an admin account's.
	if _, _, err := a.SignInAdmin(ctx, "tiina", "Teacher-pass-1234", "192.0.2.6"); err != nil {
		t.Fatal(err)
	}
	if list, err := a.MySessions(ctx, token); err != nil || len(list) != 2 {
		t.Fatalf("their sessions: %+v %v", list, err)
	}
	if n, err := a.EndMyOtherSessions(ctx, token); err != nil || n != 1 {
		t.Fatalf("sign out everywhere else: %d %v", n, err)
	}

	// The role taken away: the session ends at once.
	if _, err := a.SetUserRoles(ctx, "maple", teacher.ID, app.RolesUpdate{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AdminBySession(ctx, token); code(err) != app.EUNAUTHORIZED {
		t.Errorf("the session after the role was taken away: %v", err)
	}
	if _, _, err := a.SignInAdmin(ctx, "tiina", "Teacher-pass-1234", "192.0.2.5"); code(err) != app.EUNAUTHORIZED {
		t.Errorf("sign-in without a role: %v", err)
	}
}
