package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

// school creates an organization with classes 1A–6B, three pupils each,
// one of 3A also in the department "Choir", and a signed-in 6A pupil.
func school(t *testing.T, e *apptest.Env) *app.Organization {
	t.Helper()
	ctx := context.Background()
	a := e.App
	org, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple", Kind: app.KindSchool})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateGroup(ctx, org.Slug, &app.Group{Name: "Choir", Kind: app.GroupDepartment}); err != nil {
		t.Fatal(err)
	}
	for year := 1; year <= 6; year++ {
		for _, letter := range []string{"A", "B"} {
			class := fmt.Sprint(year, letter)
			if _, err := a.CreateGroup(ctx, org.Slug, &app.Group{Name: class}); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 3; i++ {
				groups := []string{class}
				if class == "3A" && i == 1 {
					groups = append(groups, "Choir")
				}
				if _, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "Pupil", LastName: fmt.Sprint(class, "-", i),
					Username: fmt.Sprintf("p%s%d", class, i), Groups: groups}, Password: "long-enough-pass-1"}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return org
}

// dump is every user and group of org as JSON, for byte comparison.
func dump(t *testing.T, a *app.App, org string) []byte {
	t.Helper()
	ctx := context.Background()
	users, err := a.Users(ctx, org, app.UserFilter{PerPage: app.MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := a.Groups(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"users": users, "groups": groups}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func classOf(t *testing.T, a *app.App, org, username string) (*app.User, []string) {
	t.Helper()
	ctx := context.Background()
	page, err := a.Users(ctx, org, app.UserFilter{Query: username})
	if err != nil || len(page.Users) != 1 {
		t.Fatalf("user %s: %v, %d found", username, err, len(page.Users))
	}
	u := page.Users[0]
	var names []string
	for _, id := range u.Groups {
		g, err := a.Group(ctx, org, id)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, g.Name)
	}
	return u, names
}

// A school with classes 1A–6B moves up: 1A → 2A ... 5B → 6B, 6A and 6B
// leave (deactivated, deletion date in 30 days), 1A and 1B are left empty.
// The preview's counts are what the rollover did; restoring the backup it
// took gives back the exact previous users and groups.
func TestRolloverSchoolYear(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	a := e.App
	ctx := context.Background()
	org := school(t, e)

	plan, err := a.SuggestRollover(ctx, org.Slug)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range plan.Moves {
		got = append(got, m.From+">"+m.To)
	}
	want := "[1A>2A 1B>2B 2A>3A 2B>3B 3A>4A 3B>4B 4A>5A 4B>5B 5A>6A 5B>6B 6A>leavers 6B>leavers]"
	if fmt.Sprint(got) != want || !plan.DeactivateLeavers || plan.LeaverDeleteDays != app.DefaultLeaverDeleteDays {
		t.Fatalf("suggested plan = %v %+v, want %s, deactivate, %d days", got, plan, want, app.DefaultLeaverDeleteDays)
	}

	before := dump(t, a, org.Slug)
	preview, err := a.PreviewRollover(ctx, org.Slug, *plan)
	if err != nil {
		t.Fatal(err)
	}
	if preview.Moving != 30 || preview.Leaving != 6 || len(preview.NewClasses) != 0 || preview.DeleteOn != "2026-04-01" {
		t.Fatalf("preview = %+v, want 30 moving, 6 leaving, no new class, deletion on 2026-04-01", preview)
	}
	if again := dump(t, a, org.Slug); !bytes.Equal(again, before) {
		t.Fatal("the preview changed something")
	}

	e.Clock.Add(time.Hour) // so that every changed record differs from before
	res, err := a.Rollover(ctx, org.Slug, *plan)
	if err != nil {
		t.Fatal(err)
	}
	if res.Backup == nil || res.Backup.Kind != app.BackupBeforeRollover {
		t.Fatalf("result backup = %+v, want a before-rollover backup", res.Backup)
	}
	if fmt.Sprint(res.RolloverPreview) != fmt.Sprint(*preview) {
		t.Errorf("result %+v differs from the preview %+v", res.RolloverPreview, *preview)
	}
	// The counts of the preview are what happened, class by class.
	groups, _ := a.Groups(ctx, org.Slug)
	members := map[string]int{}
	for _, g := range groups {
		members[g.Name] = g.Members
	}
	for _, r := range preview.Rows {
		if r.To != "" && members[r.To] != r.People {
			t.Errorf("%s now has %d members; the preview said %d move in from %s", r.To, members[r.To], r.People, r.From)
		}
	}
	if members["1A"] != 0 || members["1B"] != 0 || members["Choir"] != 1 {
		t.Errorf("members after = %v, want 1A and 1B empty, Choir kept", members)
	}
	if u, cls := classOf(t, a, org.Slug, "p3A1"); fmt.Sprint(cls) != "[4A Choir]" || u.Status != app.StatusActive {
		t.Errorf("p3A1 is in %v (%s), want [4A Choir], active", cls, u.Status)
	}
	if u, cls := classOf(t, a, org.Slug, "p6B2"); len(cls) != 0 || u.Status != app.StatusDeactivated || u.DeleteOn != "2026-04-01" {
		t.Errorf("leaver p6B2: classes %v, status %s, delete on %q; want none, deactivated, 2026-04-01", cls, u.Status, u.DeleteOn)
	}
	if _, _, err := a.SignInUserFrom(ctx, app.SignIn{Login: "p6A1", Password: "long-enough-pass-1", Client: "192.0.2.9"}); err == nil {
		t.Error("a deactivated leaver can still sign in")
	}

	// Undo: restore the backup taken just before.
	if _, err := a.RestoreBackup(ctx, res.Backup.Name); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, a, org.Slug); !bytes.Equal(after, before) {
		t.Errorf("after undo the users and groups differ from before the rollover:\nbefore %s\nafter %s", before, after)
	}
}

// A next class that does not exist is created; a plan naming a class twice
// or an unknown class is refused and changes nothing.
func TestRolloverPlanChecks(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	a := e.App
	ctx := context.Background()
	org := school(t, e)
	before := dump(t, a, org.Slug)
	for _, bad := range []app.RolloverPlan{
		{Moves: []app.RolloverMove{{From: "1A", To: "2A"}, {From: "1a", To: "2B"}}},
		{Moves: []app.RolloverMove{{From: "7Z", To: "8Z"}}},
		{Moves: []app.RolloverMove{{From: "1A", To: "2A"}}, LeaverDeleteDays: -1},
	} {
		if _, err := a.Rollover(ctx, org.Slug, bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("Rollover(%+v) = %v, want EINVALID", bad, err)
		}
	}
	if after := dump(t, a, org.Slug); !bytes.Equal(after, before) {
		t.Error("a refused plan changed something")
	}
	res, err := a.Rollover(ctx, org.Slug, app.RolloverPlan{Moves: []app.RolloverMove{{From: "6A", To: "7A"}, {From: "6B", To: "7a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.NewClasses) != "[7A]" || res.Moving != 6 || !res.Rows[0].NewClass || !res.Rows[1].NewClass {
		t.Errorf("result = %+v, want 7A created, 6 moving", res.RolloverPreview)
	}
	if _, cls := classOf(t, a, org.Slug, "p6B3"); fmt.Sprint(cls) != "[7A]" {
		t.Errorf("p6B3 is in %v, want [7A]", cls)
	}
	if _, err := a.InviteCodeOf(ctx, org.Slug, "7A"); err != nil {
		t.Errorf("the new class has no invite code: %v", err)
	}
}
