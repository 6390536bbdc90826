package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

func TestCreateUser(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		a := apptest.New(t).App
		o := MustOrg(t, a, "Maple")
		u, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: " Ada ", LastName: "Lovelace", Username: "Ada.L", Email: "ada@maple.example"}, Password: "analytical1"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.User(ctx, o.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName != "Ada" || got.AccountType != app.TypeStudent || got.Status != app.StatusActive || got.CreatedVia != app.ViaAdmin {
			t.Fatalf("stored user = %+v", got)
		}
		if ok, _ := app.VerifyPassword(got.PasswordHash, "analytical1", a.Hash); !ok {
			t.Fatal("stored hash does not verify")
		}
		for _, login := range []string{"ada.l", " ADA.L ", "Ada@Maple.Example"} {
			byLogin, err := db(a).UserByLogin(ctx, app.Key(login))
			if err != nil || byLogin.ID != u.ID {
				t.Fatalf("UserByLogin(%q) = %v, %v", login, byLogin, err)
			}
		}
	})

	t.Run("ErrEmailTaken", func(t *testing.T) {
		a := apptest.New(t).App
		o1, o2 := MustOrg(t, a, "Maple"), MustOrg(t, a, "Oak")
		mustUser(t, a, o1.Slug, app.User{FirstName: "A", LastName: "B", Email: "x@maple.example"})
		// Unique across the whole file, case-insensitively, after trimming.
		_, err := a.CreateUser(ctx, o2.Slug, app.UserCreate{User: app.User{FirstName: "C", LastName: "D", Email: "  X@MAPLE.example "}})
		if got, want := app.ErrorCode(err), app.ECONFLICT; got != want {
			t.Fatalf("code = %q, want %q (%v)", got, want, err)
		}
		if e := err.(*app.Error); e.Details["email"] == "" {
			t.Fatalf("details = %v, want the email field named", e.Details)
		}
	})

	t.Run("ErrUsernameTakenNFC", func(t *testing.T) {
		a := apptest.New(t).App
		o := MustOrg(t, a, "Maple")
		mustUser(t, a, o.Slug, app.User{FirstName: "A", LastName: "B", Username: "jos\u00e9"})
		_, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "C", LastName: "D", Username: "JOSE\u0301"}})
		if got, want := app.ErrorCode(err), app.ECONFLICT; got != want {
			t.Fatalf("code = %q, want %q (%v)", got, want, err)
		}
	})

	// 20 goroutines create the same email at once: exactly one wins.
	t.Run("ConcurrentSameEmail", func(t *testing.T) {
		a := apptest.New(t).App
		o := MustOrg(t, a, "Maple")
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "Same", LastName: fmt.Sprint(i), Email: "same@maple.example"}})
				mu.Lock()
				codes[app.ErrorCode(err)]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[""] != 1 || codes[app.ECONFLICT] != 19 {
			t.Fatalf("outcomes = %v, want 1 success and 19 conflicts", codes)
		}
		page, err := a.Users(ctx, o.Slug, app.UserFilter{})
		if err != nil || page.Total != 1 {
			t.Fatalf("users = %d, %v; want 1", page.Total, err)
		}
	})

	// A batch with a conflict in the middle writes nothing.
	t.Run("BatchAllOrNothing", func(t *testing.T) {
		e := apptest.New(t)
		a, db := e.App, e.DB
		o := MustOrg(t, a, "Maple")
		mustUser(t, a, o.Slug, app.User{FirstName: "Taken", LastName: "X", Username: "taken"})
		var batch []*app.User
		for i := range 1000 {
			name := fmt.Sprintf("pupil%d", i)
			if i == 500 {
				name = "taken"
			}
			batch = append(batch, &app.User{ID: fmt.Sprintf("id-%d", i), OrgID: o.ID, FirstName: "P", LastName: fmt.Sprint(i), Username: name, AccountType: app.TypeStudent, Status: app.StatusActive})
		}
		if err := db.CreateUsers(ctx, batch); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("CreateUsers = %v, want conflict", err)
		}
		page, _ := a.Users(ctx, o.Slug, app.UserFilter{})
		if page.Total != 1 {
			t.Fatalf("after a failed batch: %d users, want 1", page.Total)
		}
		// The usernames of the failed batch are free.
		if _, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "P", LastName: "0", Username: "pupil0"}}); err != nil {
			t.Fatalf("pupil0 after rollback: %v", err)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := MustOrg(t, a, "Maple")
	u := mustUser(t, a, o.Slug, app.User{FirstName: "Ada", LastName: "Lovelace", Username: "ada", Email: "ada@maple.example"})
	other := mustUser(t, a, o.Slug, app.User{FirstName: "Bo", LastName: "Bee", Username: "bo"})

	newName, newEmail := "ada2", ""
	if _, err := a.UpdateUser(ctx, o.Slug, u.ID, app.UserUpdate{Username: &newName, Email: &newEmail}); err != nil {
		t.Fatal(err)
	}
	// The old username and email are free again; the new one is taken.
	if _, err := db(a).UserByLogin(ctx, "ada"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("old username still indexed: %v", err)
	}
	mustUser(t, a, o.Slug, app.User{FirstName: "New", LastName: "Ada", Username: "ada", Email: "ada@maple.example"})
	taken := "ada2"
	if _, err := a.UpdateUser(ctx, o.Slug, other.ID, app.UserUpdate{Username: &taken}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("rename onto a taken username = %v", err)
	}
	// The failed update changed nothing.
	if got, _ := a.User(ctx, o.Slug, other.ID); got.Username != "bo" {
		t.Fatalf("username = %q after a refused update", got.Username)
	}
	// Renaming the last name moves the user in the display order.
	last := "Zed"
	if _, err := a.UpdateUser(ctx, o.Slug, other.ID, app.UserUpdate{LastName: &last}); err != nil {
		t.Fatal(err)
	}
	page, _ := a.Users(ctx, o.Slug, app.UserFilter{})
	if got := page.Users[len(page.Users)-1].LastName; got != "Zed" {
		t.Fatalf("last in order = %q, want Zed", got)
	}
	if page.Total != 3 {
		t.Fatalf("total = %d, want 3 (no stale index entries)", page.Total)
	}
}

func TestDeleteUser(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := MustOrg(t, a, "Maple")
	u := mustUser(t, a, o.Slug, app.User{FirstName: "Ada", LastName: "L", Username: "ada", Email: "ada@maple.example"})
	if err := a.DeleteUser(ctx, o.Slug, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.User(ctx, o.Slug, u.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("deleted user found: %v", err)
	}
	if err := a.DeleteUser(ctx, o.Slug, u.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("second delete = %v", err)
	}
	mustUser(t, a, o.Slug, app.User{FirstName: "Ada", LastName: "L", Username: "ada", Email: "ada@maple.example"})
}

func TestFindUsers(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := MustOrg(t, a, "Maple")
	other := MustOrg(t, a, "Oak")
	g, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		u := app.User{FirstName: fmt.Sprintf("First%03d", i), LastName: fmt.Sprintf("Last%03d", 119-i), Username: fmt.Sprintf("user%03d", i)}
		if i%3 == 0 {
			u.Groups = []string{"3b"} // by name, case-insensitively
		}
		if i%10 == 0 {
			u.AccountType = app.TypeTeacher
		}
		mustUser(t, a, o.Slug, u)
	}
	mustUser(t, a, other.Slug, app.User{FirstName: "Elsewhere", LastName: "Last000", Username: "elsewhere"})

	tests := []struct {
		name      string
		f         app.UserFilter
		total     int
		n         int
		firstLast string
	}{
		{"All", app.UserFilter{}, 120, 50, "Last000"},
		{"Page2", app.UserFilter{Page: 2}, 120, 50, "Last050"},
		{"Page3", app.UserFilter{Page: 3}, 120, 20, "Last100"},
		{"PastEnd", app.UserFilter{Page: 9}, 120, 0, ""},
		{"Group", app.UserFilter{Group: g.ID}, 40, 40, "Last002"},
		{"GroupByName", app.UserFilter{Group: "3B"}, 40, 40, "Last002"},
		{"Type", app.UserFilter{AccountType: app.TypeTeacher}, 12, 12, "Last009"},
		{"Query", app.UserFilter{Query: "USER00"}, 10, 10, "Last110"},
		{"QueryTwoWords", app.UserFilter{Query: "first007 last112"}, 1, 1, "Last112"},
		{"QueryNone", app.UserFilter{Query: "nobody"}, 0, 0, ""},
		{"Status", app.UserFilter{Status: app.StatusDeactivated}, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := a.Users(ctx, o.Slug, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := page.Total, tt.total; got != want {
				t.Errorf("total = %d, want %d", got, want)
			}
			if got, want := len(page.Users), tt.n; got != want {
				t.Fatalf("page has %d, want %d", got, want)
			}
			if tt.n > 0 && page.Users[0].LastName != tt.firstLast {
				t.Errorf("first = %s, want %s", page.Users[0].LastName, tt.firstLast)
			}
			for i := 1; i < len(page.Users); i++ {
				if page.Users[i-1].LastName > page.Users[i].LastName {
					t.Fatalf("out of order at %d: %s > %s", i, page.Users[i-1].LastName, page.Users[i].LastName)
				}
			}
		})
	}
}

func mustUser(tb testing.TB, a *app.App, org string, u app.User) *app.User {
	tb.Helper()
	out, err := a.CreateUser(context.Background(), org, app.UserCreate{User: u})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// db returns the store under a, for calls the app does not wrap.
func db(a *app.App) app.Store { return a.Store }

// Accents do not push a name to the end of the list.
func TestFindUsersAccentOrder(t *testing.T) {
	a := apptest.New(t).App
	o := MustOrg(t, a, "Maple")
	for i, last := range []string{"Zeta", "Émile", "Eve", "Öztürk", "Maple", "Oak"} {
		mustUser(t, a, o.Slug, app.User{FirstName: "A", LastName: last, Username: fmt.Sprintf("u%d", i)})
	}
	page, err := a.Users(context.Background(), o.Slug, app.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range page.Users {
		got = append(got, u.LastName)
	}
	if want := "Émile Eve Maple Oak Öztürk Zeta"; fmt.Sprint(got) != "["+want+"]" {
		t.Fatalf("order = %v, want %s", got, want)
	}
}

// Letters that do not decompose sort as the Unicode collation (CLDR root,
// the order of an English organization) has them: the Turkish ı after i,
// the Polish ł with l.
func TestFindUsersFoldedOrder(t *testing.T) {
	a := apptest.New(t).App
	o := MustOrg(t, a, "Maple")
	for i, last := range []string{"Kowalczyk", "Kılıç", "Łukaszewicz", "Kilpi", "Lund"} {
		mustUser(t, a, o.Slug, app.User{FirstName: "A", LastName: last, Username: fmt.Sprintf("u%d", i)})
	}
	page, err := a.Users(context.Background(), o.Slug, app.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range page.Users {
		got = append(got, u.LastName)
	}
	if want := "[Kilpi Kılıç Kowalczyk Łukaszewicz Lund]"; fmt.Sprint(got) != want {
		t.Fatalf("order = %v, want %s", got, want)
	}
}

// The list is in the collation of the organization's language: Swedish puts
// Å Ä Ö after Z, English sorts Å with A; changing the language re-sorts it.
func TestFindUsersInTheOrganizationsLanguage(t *testing.T) {
	a := apptest.New(t).App
	ctx := context.Background()
	o := MustOrg(t, a, "Maple")
	for i, first := range []string{"Zoe", "Åsa", "Anna", "Örjan"} {
		mustUser(t, a, o.Slug, app.User{FirstName: first, LastName: "", Username: fmt.Sprintf("u%d", i)})
	}
	order := func() string {
		page, err := a.Users(ctx, o.Slug, app.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range page.Users {
			got = append(got, u.FirstName)
		}
		return strings.Join(got, " ")
	}
	if got, want := order(), "Anna Åsa Örjan Zoe"; got != want {
		t.Errorf("English: %q, want %q", got, want)
	}
	sv := "sv"
	if _, err := a.UpdateOrganization(ctx, o.Slug, app.OrganizationUpdate{Language: &sv}); err != nil {
		t.Fatal(err)
	}
	if got, want := order(), "Anna Zoe Åsa Örjan"; got != want {
		t.Errorf("Swedish: %q, want %q", got, want)
	}
	// Changes after the switch keep the index whole: a renamed person moves.
	page, _ := a.Users(ctx, o.Slug, app.UserFilter{Query: "anna"})
	if len(page.Users) != 1 {
		t.Fatalf("found %d", len(page.Users))
	}
	name := "Ärla"
	if _, err := a.UpdateUser(ctx, o.Slug, page.Users[0].ID, app.UserUpdate{FirstName: &name}); err != nil {
		t.Fatal(err)
	}
	if got, want := order(), "Zoe Åsa Ärla Örjan"; got != want {
		t.Errorf("after a rename: %q, want %q", got, want)
	}
}
