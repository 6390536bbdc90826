package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/store"
)

// partsFile opens a new file with an organization and a group, and returns
// it with 1,000 new people of that group, each with a username, an email
// and a badge, ready for CreateUsers.
func partsFile(t *testing.T) (path string, db *store.DB, a *app.App, o *app.Organization, g *app.Group, users []*app.User) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "rollcall.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a = app.New(db)
	a.Hash = apptest.CheapHash
	o = MustOrg(t, a, "Maple")
	if g, err = a.CreateGroup(ctx, o.Slug, &app.Group{Name: "3B"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range 1000 {
		id, err := uuid.NewV7()
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, &app.User{ID: id.String(), OrgID: o.ID, FirstName: "Pupil", LastName: fmt.Sprintf("Oak%04d", i),
			Username: fmt.Sprintf("pupil%04d", i), Email: fmt.Sprintf("pupil%04d@maple.example", i), EmailVerified: true,
			AccountType: app.TypeStudent, Groups: []string{g.ID}, Status: app.StatusActive, CreatedVia: app.ViaAdmin,
			CreatedAt: now, UpdatedAt: now, BadgeHash: app.TokenHash(fmt.Sprintf("badge%04d", i))})
	}
	return path, db, a, o, g, users
}

// peopleKeys counts the keys of the buckets that hold or point at people
// in the closed file at path, and checks it (apptest.Check).
func peopleKeys(t *testing.T, path string) map[string]int {
	t.Helper()
	apptest.Check(t, path)
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := map[string]int{}
	err = b.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"people", "people_index", "logins", "user_badges", "unfinished_batches"} {
			bk := tx.Bucket([]byte(name))
			if bk == nil {
				return fmt.Errorf("no bucket %s", name)
			}
			n[name] = bk.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantKeys(t *testing.T, path string, people int) {
	t.Helper()
	got := peopleKeys(t, path)
	want := map[string]int{"people": people, "people_index": people, "logins": 2 * people, "user_badges": people, "unfinished_batches": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("keys in the file: %v, want %v", got, want)
	}
}

// A batch bigger than a part is written in parts, and is all there after.
func TestCreateUsersInParts(t *testing.T) {
	ctx := context.Background()
	path, db, a, o, _, users := partsFile(t)
	var between []int
	store.SetPartsHook(t, func(written int) { between = append(between, written) })
	if err := db.CreateUsers(ctx, users); err != nil {
		t.Fatal(err)
	}
	var want []int
	for n := store.CreatePart; n < len(users); n += store.CreatePart {
		want = append(want, n)
	}
	if len(want) < 2 || fmt.Sprint(between) != fmt.Sprint(want) {
		t.Fatalf("between parts after %v people, want %v", between, want)
	}
	page, err := a.Users(ctx, o.Slug, app.UserFilter{Group: users[0].Groups[0]})
	if err != nil || page.Total != len(users) {
		t.Fatalf("group of %v people (%v), want %d", page.Total, err, len(users))
	}
	for _, u := range []*app.User{users[0], users[store.CreatePart], users[len(users)-1]} {
		got, err := db.UserByLogin(ctx, app.Key(u.Email))
		if err != nil || got.ID != u.ID {
			t.Fatalf("UserByLogin(%s) = %v, %v", u.Email, got, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, path, len(users))
}

// A group deleted between two parts: the parts written are deleted again,
// and the error is the ECONFLICT of a single transaction.
func TestCreateUsersInPartsGroupDeleted(t *testing.T) {
	ctx := context.Background()
	path, db, a, o, g, users := partsFile(t)
	store.SetPartsHook(t, func(written int) {
		if written == 2*store.CreatePart {
			if err := a.DeleteGroup(ctx, o.Slug, g.ID); err != nil {
				t.Error(err)
			}
		}
	})
	err := db.CreateUsers(ctx, users)
	if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(err.Error(), "deleted meanwhile") {
		t.Fatalf("create after the group was deleted: %v, want ECONFLICT", err)
	}
	if page, _ := a.Users(ctx, o.Slug, app.UserFilter{}); page.Total != 0 {
		t.Fatalf("%d people of the batch left", page.Total)
	}
	if _, err := db.UserByLogin(ctx, app.Key(users[0].Username)); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the first person's login: %v, want ENOTFOUND", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, path, 0)
}

// Rollcall stops between two parts (a panic skips everything after): the
// next Open deletes the parts written.
func TestCreateUsersInPartsCrash(t *testing.T) {
	ctx := context.Background()
	path, db, _, _, _, users := partsFile(t)
	type crash struct{}
	store.SetPartsHook(t, func(written int) {
		if written == 2*store.CreatePart {
			panic(crash{})
		}
	})
	func() {
		defer func() {
			if r := recover(); r != (crash{}) {
				t.Fatalf("recovered %v, want the crash", r)
			}
		}()
		db.CreateUsers(ctx, users)
	}()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := peopleKeys(t, path); got["people"] != 2*store.CreatePart || got["unfinished_batches"] != 1 {
		t.Fatalf("keys in the file after the crash: %v, want two parts of people and the batch", got)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByLogin(ctx, app.Key(users[0].Username)); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the first person's login after reopening: %v, want ENOTFOUND", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, path, 0)
}
