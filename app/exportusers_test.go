package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestDelimiterFor(t *testing.T) {
	for lang, want := range map[string]string{"de": ";", "fi": ";", "sv": ";", "fr-CA": ";", "pt_BR": ";", "en": ",", "en-GB": ",", "ja": ",", "": ","} {
		if got := app.DelimiterFor(lang); got != want {
			t.Errorf("DelimiterFor(%q) = %q, want %q", lang, got, want)
		}
	}
}

// usernames lists the usernames of a roster, in its order.
func usernames(x *app.Roster) []string {
	var out []string
	for _, p := range x.People {
		out = append(out, p.User.Username)
	}
	return out
}

// TestExportUsers exports an organization, a group, ticked people and "all
// that match" a filter; checks the options' defaults and refusals, that
// only an admin or the command line may export, and that each export is
// one audit entry naming the people exported.
func TestExportUsers(t *testing.T) {
	a := apptest.New(t).App
	ctx := app.WithActor(context.Background(), app.DesktopActor)
	org := mustOrg(t, a, &app.Organization{Name: "Maple", Language: "fi"})
	for _, g := range []string{"3B", "4C"} {
		if _, err := a.CreateGroup(ctx, org.Slug, &app.Group{Name: g}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	for _, p := range []struct{ first, last, user, group, label string }{
		{"Ada", "Lovelace", "ada", "3B", "choir"}, {"Grace", "Hopper", "grace", "3B", ""}, {"Alan", "Turing", "alan", "4C", "choir"},
	} {
		u, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: p.first, LastName: p.last, Username: p.user, Groups: []string{p.group}, Labels: []string{p.label}}})
		if err != nil {
			t.Fatal(err)
		}
		ids[p.user] = u.ID
	}
	export := func(req app.ExportRequest) *app.Roster {
		t.Helper()
		if req.Format == "" {
			req.Format = app.ExportCSV
		}
		x, err := a.ExportUsers(ctx, org.Slug, req)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	x := export(app.ExportRequest{})
	if got := strings.Join(usernames(x), ","); got != "grace,ada,alan" {
		t.Errorf("organization: %s, want grace,ada,alan (by last name)", got)
	}
	if x.Options.Delimiter != ";" || x.Options.Encoding != app.EncodingUTF8 || x.Passwords || x.Group != nil {
		t.Errorf("defaults for a Finnish organization: %+v", x.Options)
	}
	if len(x.Groups) != 2 || x.GroupsOf(x.People[1].User)[0].Name != "3B" {
		t.Errorf("groups %v", x.Groups)
	}
	if x := export(app.ExportRequest{ExportOptions: app.ExportOptions{Format: "Google", Delimiter: ";"}}); x.Options.Delimiter != "," || x.Options.Format != app.ExportGoogle {
		t.Errorf("a platform format takes the platform's comma: %+v", x.Options)
	}
	if x := export(app.ExportRequest{Group: "3b"}); strings.Join(usernames(x), ",") != "grace,ada" || x.Group == nil || x.Group.Name != "3B" {
		t.Errorf("group 3B: %v", usernames(x))
	}
	sel := &app.UserSelection{IDs: []string{ids["alan"], ids["ada"], ids["alan"], "no-such-id"}}
	if x := export(app.ExportRequest{Selection: sel}); strings.Join(usernames(x), ",") != "ada,alan" {
		t.Errorf("ticked: %v", usernames(x))
	}
	sel = &app.UserSelection{Filter: &app.UserFilter{Label: "Choir"}}
	if x := export(app.ExportRequest{Selection: sel}); strings.Join(usernames(x), ",") != "ada,alan" {
		t.Errorf("all that match label choir: %v", usernames(x))
	}

	for name, tc := range map[string]struct {
		req  app.ExportRequest
		code string
	}{
		"unknown format":      {app.ExportRequest{ExportOptions: app.ExportOptions{Format: "pdf"}}, app.EINVALID},
		"bad delimiter":       {app.ExportRequest{ExportOptions: app.ExportOptions{Format: "csv", Delimiter: "|"}}, app.EINVALID},
		"bad encoding":        {app.ExportRequest{ExportOptions: app.ExportOptions{Format: "csv", Encoding: "utf-16"}}, app.EINVALID},
		"group and selection": {app.ExportRequest{ExportOptions: app.ExportOptions{Format: "csv"}, Group: "3B", Selection: sel}, app.EINVALID},
		"empty selection":     {app.ExportRequest{ExportOptions: app.ExportOptions{Format: "csv"}, Selection: &app.UserSelection{}}, app.EINVALID},
		"no such group":       {app.ExportRequest{ExportOptions: app.ExportOptions{Format: "csv"}, Group: "9Z"}, app.ENOTFOUND},
	} {
		if _, err := a.ExportUsers(ctx, org.Slug, tc.req); app.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	// A group admin exports nothing of the whole organization; a person, a
	// sign-up or an unknown actor nothing at all.
	teacher := app.AdminActor(&app.Admin{ID: ids["ada"], Name: "a teacher", Scope: &app.Scope{OrgID: org.ID, Groups: []string{"g"}}})
	for _, actor := range []app.Actor{teacher, {Kind: app.ActorPerson, ID: ids["ada"]}, {Kind: app.ActorSignUp}, {}} {
		if _, err := a.ExportUsers(app.WithActor(context.Background(), actor), org.Slug, app.ExportRequest{ExportOptions: app.ExportOptions{Format: "csv"}}); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("export as %+v: %v, want EFORBIDDEN", actor, err)
		}
	}

	page, err := a.AuditLog(ctx, org.Slug, app.AuditFilter{Action: "user.export"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 5 {
		t.Fatalf("%d user.export entries, want one per export (5)", len(page.Entries))
	}
	e := page.Entries[0] // newest: the filter by label
	if e.Actor.Kind != app.ActorAdmin || e.Detail != "csv: selection, 2 people" || !slices.Contains(e.People, ids["ada"]) || slices.Contains(e.People, ids["grace"]) {
		t.Errorf("entry %+v", e)
	}
	if g := page.Entries[2]; g.Target.Kind != "group" || g.Target.Name != "3B" || g.Detail != "csv: group 3B, 2 people" {
		t.Errorf("group export entry %+v", g)
	}
}

// TestJobCredentials: the accounts of a finished job come back with the
// passwords the slips show, for the admin who started the job only.
func TestJobCredentials(t *testing.T) {
	a := apptest.New(t).App
	ctx := app.WithActor(context.Background(), app.DesktopActor)
	org := mustOrg(t, a, &app.Organization{Name: "Maple"})
	st, err := a.StartAccounts(ctx, org.Slug, "admin-1", app.AccountBatch{People: names("Ada Lovelace", "Alan Turing")})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitJob(t, a, st.ID); st.State != app.JobDone {
		t.Fatalf("job %+v", st)
	}
	v, _ := a.Jobs.Result(st.ID)
	res := v.(*app.AccountResult)
	x, err := a.JobCredentials(ctx, "admin-1", st.ID, app.ExportOptions{Format: app.ExportEntra})
	if err != nil {
		t.Fatal(err)
	}
	if !x.Passwords || len(x.People) != 2 || x.Options.Format != app.ExportEntra {
		t.Fatalf("credentials %+v", x)
	}
	for i, p := range x.People {
		if p.Password == "" || p.Password != res.Accounts[i].Password || p.User.ID != res.Accounts[i].User.ID {
			t.Errorf("person %d: %s / %q, want the job's account and password", i, p.User.Username, p.Password)
		}
	}
	if _, err := a.JobCredentials(ctx, "admin-2", st.ID, app.ExportOptions{Format: app.ExportCSV}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another admin's job: %v, want ENOTFOUND", err)
	}
	if _, err := a.JobCredentials(app.WithActor(context.Background(), app.Actor{Kind: app.ActorPerson}), "admin-1", st.ID, app.ExportOptions{Format: app.ExportCSV}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Errorf("a person: %v, want EFORBIDDEN", err)
	}
	other := a.Jobs.StartFor("admin-1", "test", func(ctx context.Context, p app.Progress) (any, error) { return "no accounts", nil })
	waitJob(t, a, other)
	if _, err := a.JobCredentials(ctx, "admin-1", other, app.ExportOptions{Format: app.ExportCSV}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("a job without accounts: %v, want ENOTFOUND", err)
	}
}
