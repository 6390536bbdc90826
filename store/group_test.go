package store_test

import (
	"context"
	crand "crypto/rand"
	"errors"
	"strings"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestGroups(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := MustOrg(t, a, "Maple")
	other := MustOrg(t, a, "Oak")
	g3b, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"})
	if err != nil {
		t.Fatal(err)
	}
	g4a, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "4A"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ErrNameTaken", func(t *testing.T) {
		_, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: " 3b "})
		if app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("duplicate group = %v", err)
		}
		// The same name in another organization is fine.
		if _, err := a.CreateGroup(ctx, other.Slug, &app.Group{Name: "3B"}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Rename", func(t *testing.T) {
		name := "4a"
		if _, err := a.UpdateGroup(ctx, o.Slug, g3b.ID, app.GroupUpdate{Name: &name}); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("rename onto 4A = %v", err)
		}
		name = "3B Owls"
		if _, err := a.UpdateGroup(ctx, o.Slug, g3b.ID, app.GroupUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		// The old name is free, the new one is found.
		if _, err := a.Group(ctx, o.Slug, "3b owls"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"}); err != nil {
			t.Fatalf("old name not released: %v", err)
		}
	})

	t.Run("MembersAndDelete", func(t *testing.T) {
		u1 := mustUser(t, a, o.Slug, app.User{FirstName: "A", LastName: "A", Username: "a1", Groups: []string{g3b.ID, g4a.ID}})
		mustUser(t, a, o.Slug, app.User{FirstName: "B", LastName: "B", Username: "b1", Groups: []string{g4a.ID}})
		groups, err := a.Groups(ctx, o.Slug)
		if err != nil {
			t.Fatal(err)
		}
		members := map[string]int{}
		for _, g := range groups {
			members[g.ID] = g.Members
		}
		if members[g3b.ID] != 1 || members[g4a.ID] != 2 {
			t.Fatalf("members = %v", members)
		}
		if err := a.DeleteGroup(ctx, o.Slug, g4a.ID); err != nil {
			t.Fatal(err)
		}
		got, err := a.User(ctx, o.Slug, u1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Groups) != 1 || got.Groups[0] != g3b.ID {
			t.Fatalf("groups after delete = %v, want only 3B", got.Groups)
		}
		page, _ := a.Users(ctx, o.Slug, app.UserFilter{})
		if page.Total != 2 {
			t.Fatalf("users after group delete = %d, want 2", page.Total)
		}
		if p, _ := a.Users(ctx, o.Slug, app.UserFilter{Group: g3b.ID}); p.Total != 1 {
			t.Fatalf("3B members by index = %d, want 1", p.Total)
		}
		if _, err := a.Group(ctx, o.Slug, g4a.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("deleted group found: %v", err)
		}
	})

	t.Run("ErrUnknownGroupOnUser", func(t *testing.T) {
		_, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "C", LastName: "C", Username: "c1", Groups: []string{"9Z"}}})
		if app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("unknown group = %v", err)
		}
	})
}

// takenCode is a random source whose first 5-byte read (GenerateCode's)
// draws the code given; everything else is crypto/rand.
type takenCode struct {
	code string
	used bool
}

func (r *takenCode) Read(p []byte) (int, error) {
	if r.used || len(p) != 5 {
		return crand.Read(p)
	}
	r.used = true
	var n uint64
	for _, c := range r.code {
		n = n<<5 | uint64(strings.IndexRune(app.CodeAlphabet, c))
	}
	for i := 4; i >= 0; i-- {
		p[i], n = byte(n), n>>8
	}
	return 5, nil
}

// A group is written with its invite code in one transaction: a code that
// is taken writes nothing (ECONFLICT on invite_code), and CreateGroup draws
// another.
func TestGroupWrittenWithItsCode(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := MustOrg(t, a, "Maple")
	taken, err := a.Store.InviteCodeOf(ctx, o.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	g := &app.Group{ID: "g-3b", OrgID: o.ID, Name: "3B", Kind: app.GroupClass, DefaultAccountType: app.TypeStudent}
	err = a.Store.CreateGroup(ctx, app.NewGroup{Group: g, Code: &app.InviteCode{Code: taken.Code, OrgID: o.ID, GroupID: g.ID}})
	var e *app.Error
	if !errors.As(err, &e) || e.Code != app.ECONFLICT || e.Details["invite_code"] == "" {
		t.Fatalf("a taken code = %v", err)
	}
	if _, err := a.Store.GroupByName(ctx, o.ID, "3B"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the group was written without its code: %v", err)
	}
	rnd := &takenCode{code: taken.Code}
	a.Rand = rnd
	got, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"})
	if err != nil || !rnd.used {
		t.Fatalf("CreateGroup = %v (the taken code drawn: %v)", err, rnd.used)
	}
	c, err := a.Store.InviteCodeOf(ctx, o.ID, got.ID)
	if err != nil || c.Code == taken.Code {
		t.Fatalf("the group's code = %+v, %v", c, err)
	}
}
