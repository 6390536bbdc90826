package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

func mustOrg(tb testing.TB, a *app.App, o *app.Organization) *app.Organization {
	tb.Helper()
	out, err := a.CreateOrganization(context.Background(), o)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestTransliterate(t *testing.T) {
	tests := []struct{ first, last, want string }{
		{"Łukasz", "Żółć", "lukasz.zolc"},
		{"Ольга", "Иванова", "olga.ivanova"},
		{"Αθηνά", "", "athina"},
		{"Jürgen", "Müller", "jurgen.muller"},
		{"Çağla", "Şahin", "cagla.sahin"},
		{"Ayşe", "Yılmaz", "ayse.yilmaz"},
		{"Søren", "Kierkegaard", "soren.kierkegaard"},
		{"Þóra", "Sigurðardóttir", "thora.sigurdardottir"},
		{"Jean-Luc", "O'Brien", "jeanluc.obrien"},
		{"Mary Ann", "de la Cruz", "maryann.delacruz"},
		{"Олександр", "Шевченко", "oleksandr.shevchenko"},
		{"Γιώργος", "Παπαδόπουλος", "giorgos.papadopoulos"},
		{"Straße", "Groß", "strasse.gross"},
		{"Дмитрий", "Смирнов", "dmitriy.smirnov"},
		{"Їжак", "Пётр", "yizhak.petr"},
		{"Юрий", "Ўладзімір", "yuriy.uladzimir"},
		{"Ευάγγελος", "Αγκιστρώτης", "evangelos.agkistrotis"},
		{"Σπύρος", "Φαλαγξ", "spyros.falanx"},
		{"Ταΰγετος", "", "taygetos"},
		// Scripts without a table of Rollcall's: unidecode's spelling (issue 12).
		{"李", "小龍", "li.xiaolong"},
		{"王小明", "", "wangxiaoming"},
		{"민준", "", "minjun"},
		{"محمد", "", "mhmd"},
		{"שרה", "", "shrh"},
		{"สมชาย", "", "smchaay"},
		{"さくら", "", "sakura"},
		// Nothing spellable at all: the reserved base "user".
		{"☺", "", "user"},
		{"Admin", "", "useradmin"},
		{"A", "", "usera"},
		{strings.Repeat("x", 40), "y", strings.Repeat("x", 30)},
	}
	for _, tt := range tests {
		if got := app.UsernameBase("first.last", tt.first, tt.last); got != tt.want {
			t.Errorf("UsernameBase(%q, %q) = %q, want %q", tt.first, tt.last, got, tt.want)
		}
	}
	patterns := map[string]string{"first.last": "ada.lovelace", "firstlast": "adalovelace", "first.l": "ada.l", "f.last": "a.lovelace", "flast": "alovelace", "first_last": "ada_lovelace"}
	for p, want := range patterns {
		if got := app.UsernameBase(p, "Ada", "Lovelace"); got != want {
			t.Errorf("pattern %s = %q, want %q", p, got, want)
		}
	}
}

func TestParseNames(t *testing.T) {
	text := "\ufeffAda Lovelace\r\n\nLovelace, Ada\nMary Ann Smith\nada.l\nFirst name\tLast name\tUsername\n"
	got := app.ParseNames(text)
	want := []app.NameLine{
		{Line: 1, Form: app.FormFirstLast, FirstName: "Ada", LastName: "Lovelace"},
		{Line: 3, Form: app.FormLastFirst, FirstName: "Ada", LastName: "Lovelace"},
		{Line: 4, Form: app.FormFirstLast, FirstName: "Mary Ann", LastName: "Smith"},
		{Line: 5, Form: app.FormUsername, FirstName: "ada.l", Username: "ada.l"},
		{Line: 6, Form: app.FormColumns, FirstName: "First name", LastName: "Last name", Username: "Username"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ParseNames =\n%v\nwant\n%v", got, want)
	}
	cols := app.ParseNames("First name\tLast name\nAda\tLovelace\tada.l\tsecret-pass-12\n")
	if len(cols) != 1 || cols[0].Username != "ada.l" || cols[0].Password != "secret-pass-12" || cols[0].Line != 2 {
		t.Fatalf("columns with header = %+v", cols)
	}
}

func names(lines ...string) []app.NameLine { return app.ParseNames(strings.Join(lines, "\n")) }

func TestCreateAccounts(t *testing.T) {
	ctx := context.Background()

	t.Run("Collisions", func(t *testing.T) {
		a := apptest.New(t).App
		maple := mustOrg(t, a, &app.Organization{Name: "Maple"})
		oak := mustOrg(t, a, &app.Organization{Name: "Oak"})
		// Another organization already has lukasz.zolc: usernames are unique across the file.
		if _, err := a.CreateAccounts(ctx, oak.Slug, app.AccountBatch{People: names("Łukasz Żółć")}, nil); err != nil {
			t.Fatal(err)
		}
		res, err := a.CreateAccounts(ctx, maple.Slug, app.AccountBatch{People: names("Łukasz Żółć", "Lukasz Zolc", "ŁUKASZ ŻÓŁĆ", "Łukasz Żółć", "Łukasz Żółć")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, acc := range res.Accounts {
			got = append(got, acc.User.Username)
		}
		if want := "lukasz.zolc2 lukasz.zolc3 lukasz.zolc4 lukasz.zolc5 lukasz.zolc6"; strings.Join(got, " ") != want {
			t.Fatalf("usernames = %v, want %s", got, want)
		}
		// Chinese and Korean names are spelled by unidecode (issue 12); names
		// with nothing to spell never get a reserved username.
		res, err = a.CreateAccounts(ctx, maple.Slug, app.AccountBatch{People: names("李 小龍", "김 민준", "☺ ☺", "★ ★")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Accounts[0].User.Username+" "+res.Accounts[1].User.Username+" "+res.Accounts[2].User.Username+" "+res.Accounts[3].User.Username, "li.xiaolong gim.minjun user2 user3"; got != want {
			t.Fatalf("usernames = %s, want %s", got, want)
		}
	})

	t.Run("PreviewThenEdit", func(t *testing.T) {
		a := apptest.New(t).App
		o := mustOrg(t, a, &app.Organization{Name: "Maple"})
		if _, err := a.UpdateOrganization(ctx, o.Slug, app.OrganizationUpdate{LoginDomain: ptr("pupils.maple.example")}); err != nil {
			t.Fatal(err)
		}
		b := app.AccountBatch{People: names("Ada Lovelace", "Ada Lovelace", "x")}
		p, err := a.PreviewAccounts(ctx, o.Slug, b)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rows[0].Username != "ada.lovelace" || p.Rows[1].Username != "ada.lovelace2" || !p.Rows[1].UsernameGenerated {
			t.Fatalf("preview = %+v", p.Rows)
		}
		if p.Rows[0].LoginEmail != "ada.lovelace@pupils.maple.example" {
			t.Fatalf("login email = %q", p.Rows[0].LoginEmail)
		}
		if p.Problems != 1 || p.Rows[2].Problems["username"] == "" {
			t.Fatalf("the one-letter username should be a problem: %+v", p.Rows[2])
		}
		// Nothing was written by the preview.
		if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 0 {
			t.Fatalf("preview wrote %d users", page.Total)
		}
		// Creating with a problem creates nothing and names the line.
		_, err = a.CreateAccounts(ctx, o.Slug, b, nil)
		var e *app.Error
		if !errors.As(err, &e) || e.Code != app.EINVALID || e.Details["line 3"] == "" {
			t.Fatalf("create with a problem = %#v", err)
		}
		// The person edits the username in the preview: it is kept as given.
		b.People[2].Username, b.People[2].FirstName, b.People[2].LastName = "xavier.k", "Xavier", "K"
		b.People[1].Username = "ada.second"
		res, err := a.CreateAccounts(ctx, o.Slug, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Accounts[1].User.Username; got != "ada.second" {
			t.Fatalf("edited username = %q", got)
		}
		if got := res.Accounts[2].User.Email; got != "xavier.k@pupils.maple.example" {
			t.Fatalf("login email = %q", got)
		}
	})

	t.Run("PasswordModes", func(t *testing.T) {
		a := apptest.New(t).App
		o := mustOrg(t, a, &app.Organization{Name: "Maple"})
		res, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("A One", "B Two"), PasswordMode: app.PasswordSame, Password: "same-pass-11"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, acc := range res.Accounts {
			if ok, _ := app.VerifyPassword(acc.User.PasswordHash, "same-pass-11", a.Hash); !ok || acc.Password != "same-pass-11" {
				t.Fatalf("same mode: %+v", acc)
			}
		}
		if _, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("C Three"), PasswordMode: app.PasswordSame, Password: "short"}, nil); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("same mode, weak password = %v", err)
		}
		given := app.ParseNames("Dee\tFour\t\tgiven-pass-12\nEve\tFive\t\tweak")
		p, err := a.PreviewAccounts(ctx, o.Slug, app.AccountBatch{People: given, PasswordMode: app.PasswordGiven})
		if err != nil || p.Problems != 1 || p.Rows[1].Problems["password"] == "" {
			t.Fatalf("given mode preview = %+v, %v", p, err)
		}
		res, err = a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: given[:1], PasswordMode: app.PasswordGiven, PasswordStyle: app.StyleRandom}, nil)
		if err != nil || res.Accounts[0].Password != "given-pass-12" {
			t.Fatalf("given mode = %+v, %v", res, err)
		}
	})

	// A failure at the 500th user — a username taken by someone else while
	// the batch was hashing — leaves none of the 1,000 users.
	t.Run("AllOrNothing", func(t *testing.T) {
		a := apptest.New(t).App
		o := mustOrg(t, a, &app.Organization{Name: "Maple"})
		var lines []string
		for i := range 1000 {
			lines = append(lines, fmt.Sprintf("Pupil%04d Test", i))
		}
		var once sync.Once
		progress := func(done, total int) {
			if done == total/2 {
				once.Do(func() {
					if _, err := a.CreateUser(ctx, o.Slug, app.UserCreate{User: app.User{FirstName: "Late", LastName: "Comer", Username: "pupil0499.test"}}); err != nil {
						t.Error(err)
					}
				})
			}
		}
		_, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names(lines...)}, progress)
		if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(err.Error(), "pupil0499.test") {
			t.Fatalf("create = %v, want a conflict on pupil0499.test", err)
		}
		if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 1 {
			t.Fatalf("%d users after a failed batch, want only the 1 created meanwhile", page.Total)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		a := apptest.New(t).App
		o := mustOrg(t, a, &app.Organization{Name: "Maple"})
		cctx, cancel := context.WithCancel(ctx)
		var lines []string
		for i := range 200 {
			lines = append(lines, fmt.Sprintf("P%d Q", i))
		}
		_, err := a.CreateAccounts(cctx, o.Slug, app.AccountBatch{People: names(lines...)}, func(done, total int) {
			if done == 10 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled create = %v", err)
		}
		if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 0 {
			t.Fatalf("%d users after cancel", page.Total)
		}
	})
}

// Generated passwords never reach the database file.
func TestPasswordsNotInFile(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	a, db := e.App, e.DB
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	var lines []string
	for i := range 50 {
		lines = append(lines, fmt.Sprintf("Child%d Class", i))
	}
	res, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names(lines...)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reset, err := a.ResetPasswords(ctx, o.Slug, app.ResetRequest{Usernames: []string{"child1.class", "child2.class"}, PasswordStyle: app.StyleRandom}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db.Path)
	if err != nil {
		t.Fatal(err)
	}
	all := append(res.Accounts, reset.Accounts...)
	for _, acc := range all {
		if bytes.Contains(raw, []byte(acc.Password)) {
			t.Fatalf("password %q of %s found in the database file", acc.Password, acc.User.Username)
		}
	}
	// The reset replaced the old password.
	u, err := a.User(ctx, o.Slug, reset.Accounts[0].User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := app.VerifyPassword(u.PasswordHash, reset.Accounts[0].Password, a.Hash); !ok {
		t.Fatal("reset password does not verify")
	}
	for _, acc := range res.Accounts {
		if acc.User.ID == u.ID {
			if ok, _ := app.VerifyPassword(u.PasswordHash, acc.Password, a.Hash); ok {
				t.Fatal("old password still verifies after reset")
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// noSessionDeleteStore fails the separate DeleteSessionsOf call: a reset
// must end the sessions in the transaction that changes the hashes.
type noSessionDeleteStore struct{ app.Store }

func (noSessionDeleteStore) DeleteSessionsOf(ctx context.Context, subjectID string) error {
	return errors.New("DeleteSessionsOf called outside the reset's transaction")
}

// A reset ends the user's sessions in the same transaction as the new
// hash: afterwards the old session is refused, and the other users' stay.
func TestResetEndsSessions(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	res, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("Ann Reset", "Ben Stay")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, acc := range res.Accounts {
		_, tok, err := a.SignInUser(ctx, acc.User.Username, acc.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		tokens[acc.User.Username] = tok
	}
	a.Store = noSessionDeleteStore{a.Store}
	if _, err := a.ResetPasswords(ctx, o.Slug, app.ResetRequest{Usernames: []string{"ann.reset"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UserBySession(ctx, tokens["ann.reset"]); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the reset user's old session: %v, want EUNAUTHORIZED", err)
	}
	if u, err := a.UserBySession(ctx, tokens["ben.stay"]); err != nil || u.Username != "ben.stay" {
		t.Fatalf("another user's session after the reset: %v, %v", u, err)
	}
}

// A group deleted while the passwords are hashed: the batch is refused in
// its transaction (ECONFLICT), no user with a dangling group ID is created.
func TestCreateAccountsGroupDeletedMeanwhile(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	g, err := a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	_, err = a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("Ann Oak", "Ben Oak"), Groups: []string{"3B"}}, func(done, total int) {
		once.Do(func() {
			if err := a.DeleteGroup(ctx, o.Slug, g.ID); err != nil {
				t.Error(err)
			}
		})
	})
	if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(err.Error(), "deleted meanwhile") {
		t.Fatalf("create after the group was deleted: %v, want ECONFLICT", err)
	}
	if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 0 {
		t.Fatalf("%d users created with a deleted group", page.Total)
	}
}

// countingStore counts the username look-ups a preview makes.
type countingStore struct {
	app.Store
	n *atomic.Int64
}

func (s countingStore) UsernameTaken(ctx context.Context, key string) (bool, error) {
	s.n.Add(1)
	return s.Store.UsernameTaken(ctx, key)
}

func (s countingStore) UsernamesTaken(ctx context.Context, keys []string) (map[string]bool, error) {
	s.n.Add(1)
	return s.Store.UsernamesTaken(ctx, keys)
}

// A batch is previewed and checked once: PrepareAccounts refuses problem
// lines with one detail each (the same error CreateAccounts and the CLI
// give), and CreatePrepared creates without a second preview.
func TestPrepareAccounts(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	pa, err := a.PrepareAccounts(ctx, o.Slug, app.AccountBatch{People: names("Ada Lovelace", "x")})
	var e *app.Error
	if !errors.As(err, &e) || e.Code != app.EINVALID || e.Message != "1 of 2 lines have problems; fix them and try again. Nothing was created." || e.Details["line 2"] == "" {
		t.Fatalf("prepare with a problem line: %#v", err)
	}
	if pa == nil || pa.Preview.Problems != 1 {
		t.Fatalf("the prepared batch comes with its preview: %+v", pa)
	}
	if _, err := a.CreatePrepared(ctx, pa, nil); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("create of a batch with problems: %v", err)
	}

	pa, err = a.PrepareAccounts(ctx, o.Slug, app.AccountBatch{People: names("Ada Lovelace", "Ben Oak")})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	plain := a.Store
	a.Store = countingStore{Store: plain, n: &n}
	res, err := a.CreatePrepared(ctx, pa, nil)
	a.Store = plain
	if err != nil || len(res.Accounts) != 2 {
		t.Fatalf("create prepared: %v", err)
	}
	if n.Load() != 0 {
		t.Errorf("CreatePrepared looked usernames up %d times: it previewed again", n.Load())
	}
}

// A batch with Badges makes each person a sign-in badge in the same write:
// the codes are in the result only (for the slips), each signs its person
// in, and the person shows when it was made. Refused, before anything is
// written, for an account type without badges or with badge + PIN.
func TestCreateAccountsWithBadges(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t).App
	o := mustOrg(t, a, &app.Organization{Name: "Maple"})
	rules := map[string]string{"student": app.BadgeOnly, "teacher": app.BadgeWithPIN}
	if _, err := a.UpdateOrganization(ctx, o.Slug, app.OrganizationUpdate{Badges: &rules}); err != nil {
		t.Fatal(err)
	}
	res, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("Ann Oak", "Ben Oak"), AccountType: "student", Badges: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range res.Accounts {
		if !strings.HasPrefix(acc.Badge, app.BadgePrefix) {
			t.Fatalf("%s: badge %q", acc.User.Username, acc.Badge)
		}
		u, err := a.User(ctx, o.Slug, acc.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.BadgeIssued == nil {
			t.Errorf("%s: no badge_issued", u.Username)
		}
		me, _, err := a.SignInWithBadge(ctx, app.BadgeSignIn{Code: acc.Badge, Client: "192.0.2.7"})
		if err != nil || me.Username != acc.User.Username {
			t.Fatalf("badge of %s signs in as %v: %v", acc.User.Username, me, err)
		}
	}
	if res.Accounts[0].Badge == res.Accounts[1].Badge {
		t.Fatal("two people with one badge")
	}

	plain, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("Cid Oak"), AccountType: "student"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Accounts[0].Badge != "" || plain.Accounts[0].User.BadgeIssued != nil {
		t.Fatalf("a badge without asking: %+v", plain.Accounts[0])
	}

	for _, typ := range []string{"teacher", "admin"} {
		_, err := a.CreateAccounts(ctx, o.Slug, app.AccountBatch{People: names("Dee Elm"), AccountType: typ, Badges: true}, nil)
		var e *app.Error
		if !errors.As(err, &e) || e.Code != app.EINVALID || e.Details["badges"] == "" {
			t.Errorf("%s with badges: %v, want EINVALID on badges", typ, err)
		}
	}
	if _, err := a.PreviewAccounts(ctx, o.Slug, app.AccountBatch{People: names("Dee Elm"), AccountType: "teacher", Badges: true}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("preview of badge + PIN with badges: %v", err)
	}
}
