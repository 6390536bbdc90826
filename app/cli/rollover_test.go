package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/store"
)

func classMembers(t *testing.T, db string) map[string]int {
	t.Helper()
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gs, err := app.New(s).Groups(context.Background(), "maple")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, g := range gs {
		out[g.Name] = g.Members
	}
	return out
}

// rollover --dry-run changes nothing; a plan file overrides the
// suggestion; the run prints the backup it took, and `restore` of that
// backup undoes it.
func TestRolloverCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	a, ctx := app.New(s), context.Background()
	a.Hash = app.HashParams{Memory: 64, Time: 1, Threads: 1}
	if _, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple", Slug: "maple"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"1A", "2A", "3A"} {
		if _, err := a.CreateGroup(ctx, "maple", &app.Group{Name: c}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"x", "y"} {
			if _, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "P", Username: "p" + c + n, Groups: []string{c}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Close()
	before := classMembers(t, db)

	code, out, errs := run(t, "", "rollover", "--org", "maple", "--dry-run", "--db", db)
	if code != 0 || !regexp.MustCompile(`2A\s+3A\s+2`).MatchString(out) || !regexp.MustCompile(`3A\s+leavers\s+2`).MatchString(out) ||
		!strings.Contains(out, "4 people would move") || !strings.Contains(out, "2 leave (they are deactivated, to be deleted on") || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("dry run = %d %q %q", code, out, errs)
	}
	if got := classMembers(t, db); len(got) != len(before) || got["1A"] != 2 {
		t.Fatalf("a dry run changed the classes: %v", got)
	}

	plan := filepath.Join(t.TempDir(), "plan.csv")
	os.WriteFile(plan, []byte("class;next class\n1A;1A\n2A;Year 3\n3A;leavers\n"), 0o600)
	code, out, errs = run(t, "", "rollover", "--org", "maple", "--plan", plan, "--leavers-delete-after", "0", "--db", db)
	if code != 0 || !regexp.MustCompile(`2A\s+Year 3 \(new\)\s+2`).MatchString(out) || !strings.Contains(out, "they are deactivated)") {
		t.Fatalf("rollover = %d %q %q", code, out, errs)
	}
	if got := classMembers(t, db); got["1A"] != 2 || got["2A"] != 0 || got["Year 3"] != 2 || got["3A"] != 0 {
		t.Fatalf("classes after the rollover = %v", got)
	}
	m := regexp.MustCompile(`To undo: rollcall restore (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no undo in %q", out)
	}
	if code, out, errs = run(t, "", "restore", "--db", db, m[1]); code != 0 || !strings.Contains(out, "before-restore") {
		t.Fatalf("restore = %d %q %q", code, out, errs)
	}
	if got := classMembers(t, db); got["2A"] != 2 || got["3A"] != 2 || got["Year 3"] != 0 {
		t.Errorf("classes after undo = %v, want %v", got, before)
	}
}
