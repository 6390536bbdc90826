package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/mail/mailtest"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// lifeEnv is a mail environment (a relay for invitations) whose dates are
// read in UTC, as the injected clock is.
func lifeEnv(t *testing.T) *mailEnv {
	t.Helper()
	env := newMailEnv(t, mailtest.Options{})
	env.a.Zone = time.UTC
	return env
}

func (e *mailEnv) tick(t *testing.T, when string) {
	t.Helper()
	e.clock.Set(at(when))
	if err := e.a.Tick(context.Background(), e.clock.Now()); err != nil {
		t.Fatalf("Tick at %s: %v", when, err)
	}
}

func (e *mailEnv) user(t *testing.T, in app.User, password string) *app.User {
	t.Helper()
	u, err := e.a.CreateUser(context.Background(), "maple", app.UserCreate{User: in, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *mailEnv) status(t *testing.T, id string) string {
	t.Helper()
	u, err := e.a.User(context.Background(), "maple", id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return "gone"
	} else if err != nil {
		t.Fatal(err)
	}
	return u.Status
}

func graceDays(t *testing.T, a *app.App, days int) {
	t.Helper()
	if _, err := a.UpdateOrganization(context.Background(), "maple", app.OrganizationUpdate{PurgeGraceDays: &days}); err != nil {
		t.Fatal(err)
	}
}

// A person is deactivated (and signed out) on their deletion date, not a
// minute before, and erased when the grace period (30 days by default)
// has passed, not a day before.
func TestDeletionDateDeactivatesOnTheDayAndPurgesAfterGrace(t *testing.T) {
	env := lifeEnv(t)
	ctx := context.Background()
	if g := env.org.GraceDays(); g != 30 {
		t.Fatalf("a new organization's grace period is %d days, want 30", g)
	}
	u := env.user(t, app.User{FirstName: "Dora", LastName: "Dated", Username: "dora.dated", DeleteOn: "2026-09-10"}, "Correct-Horse-42")
	env.clock.Set(at("2026-09-09 20:00:00"))
	_, token, err := env.a.SignInUser(ctx, "dora.dated", "Correct-Horse-42", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	env.tick(t, "2026-09-09 23:59:59")
	if s := env.status(t, u.ID); s != app.StatusActive {
		t.Fatalf("the day before: %s, want active", s)
	}
	if _, err := env.a.UserBySession(ctx, token); err != nil {
		t.Fatalf("the day before, the session ended: %v", err)
	}

	env.tick(t, "2026-09-10 00:00:01")
	if s := env.status(t, u.ID); s != app.StatusDeactivated {
		t.Fatalf("on the day: %s, want deactivated", s)
	}
	if _, err := env.a.UserBySession(ctx, token); err == nil {
		t.Fatal("on the day, the session still works")
	}
	if _, _, err := env.a.SignInUser(ctx, "dora.dated", "Correct-Horse-42", "192.0.2.1"); err == nil {
		t.Fatal("on the day, the person can still sign in")
	}

	env.tick(t, "2026-10-09 23:59:00") // 29 days later
	if s := env.status(t, u.ID); s != app.StatusDeactivated {
		t.Fatalf("within the grace period: %s, want deactivated", s)
	}
	env.tick(t, "2026-10-10 00:00:01") // 30 days later
	if s := env.status(t, u.ID); s != "gone" {
		t.Fatalf("after the grace period: %s, want gone", s)
	}
	if taken, _ := env.db.UsernameTaken(ctx, "dora.dated"); taken {
		t.Fatal("the purged person's username is still taken")
	}
}

// Rollcall did not run for a week: the first pass does everything that
// fell due meanwhile, in every kind of record, and a second pass changes
// nothing more.
func TestSchedulerCatchesUpAfterAWeekOffline(t *testing.T) {
	env := lifeEnv(t)
	ctx := context.Background()
	graceDays(t, env.a, 2)
	class, err := env.a.CreateGroup(ctx, "maple", &app.Group{Name: "Class 6Z", DeleteOn: "2026-09-03"})
	if err != nil {
		t.Fatal(err)
	}
	soon, err := env.a.CreateGroup(ctx, "maple", &app.Group{Name: "Class 7Y", DeleteOn: "2026-09-08"})
	if err != nil {
		t.Fatal(err)
	}
	pupil := env.user(t, app.User{FirstName: "Pia", LastName: "Pupil", Username: "pia.pupil", Groups: []string{"Class 6Z"}}, "")
	gone := env.user(t, app.User{FirstName: "Ann", LastName: "Away", Username: "ann.away", DeleteOn: "2026-09-02"}, "")
	leaving := env.user(t, app.User{FirstName: "Lee", LastName: "Leaving", Username: "lee.leaving", DeleteOn: "2026-09-07"}, "")
	staying := env.user(t, app.User{FirstName: "Sam", LastName: "Staying", Username: "sam.staying", DeleteOn: "2026-09-20"}, "")
	res := env.invite(t, app.InviteRequest{Addresses: "Ivy Invited <ivy@maple.example>", DeleteOn: "2026-09-05"})
	invited := res.Invited[0].UserID

	env.tick(t, "2026-09-01 09:00:00") // the last pass before the laptop closed: nothing due
	for _, id := range []string{pupil.ID, gone.ID, leaving.ID, staying.ID} {
		if s := env.status(t, id); s != app.StatusActive {
			t.Fatalf("before the week: %s is %s", id, s)
		}
	}

	env.tick(t, "2026-09-08 10:00:00") // one pass, a week later
	check := func() {
		t.Helper()
		for id, want := range map[string]string{
			gone.ID:    "gone",                // 09-02 + 2 days ≤ 09-08
			invited:    "gone",                // 09-05 + 2 days ≤ 09-08
			leaving.ID: app.StatusDeactivated, // 09-07: deactivated, erased on 09-09
			staying.ID: app.StatusActive,      // 09-20
			pupil.ID:   app.StatusActive,      // deleting a class deletes no child
		} {
			if got := env.status(t, id); got != want {
				t.Errorf("%s: %s, want %s", id, got, want)
			}
		}
		if p, _ := env.a.User(ctx, "maple", pupil.ID); p != nil && len(p.Groups) != 0 {
			t.Errorf("the pupil is still in the purged class: %v", p.Groups)
		}
		if _, err := env.a.Group(ctx, "maple", class.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("the class past its date and grace: %v, want gone", err)
		}
		g, err := env.a.Group(ctx, "maple", soon.ID)
		if err != nil {
			t.Fatalf("the class whose date is today: %v", err)
		}
		if g.Offered() {
			t.Error("the class past its date is still offered at sign-up")
		}
		code, err := env.a.InviteCodeOf(ctx, "maple", soon.ID)
		if err != nil || !code.Disabled {
			t.Errorf("the class past its date: code %+v, %v; want disabled", code, err)
		}
		invs, err := env.a.Invitations(ctx, "maple", app.InvitationFilter{})
		if err != nil || len(invs) != 0 {
			t.Errorf("invitations past their date: %d left, %v", len(invs), err)
		}
		msgs, _, err := env.a.Outbox(ctx, "maple")
		if err != nil || len(msgs) != 0 {
			t.Errorf("mail to purged people: %d left, %v", len(msgs), err)
		}
	}
	check()
	env.tick(t, "2026-09-08 10:10:00")
	check()
}

// A grace period of 0 days erases people on their deletion date.
func TestGraceZeroPurgesOnTheDay(t *testing.T) {
	env := lifeEnv(t)
	graceDays(t, env.a, 0)
	u := env.user(t, app.User{FirstName: "Zed", LastName: "Zero", Username: "zed.zero", DeleteOn: "2026-09-03"}, "")
	env.tick(t, "2026-09-02 23:59:59")
	if s := env.status(t, u.ID); s != app.StatusActive {
		t.Fatalf("the day before: %s", s)
	}
	env.tick(t, "2026-09-03 00:00:01")
	if s := env.status(t, u.ID); s != "gone" {
		t.Fatalf("on the day with no grace: %s, want gone", s)
	}
	bad := -1
	if _, err := env.a.UpdateOrganization(context.Background(), "maple", app.OrganizationUpdate{PurgeGraceDays: &bad}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("a negative grace period: %v, want invalid", err)
	}
}

// After a purge and the compaction that ends the pass, the raw database
// file holds no trace of the person: not their first or last name,
// username or email, though they had signed in (session, known device),
// failed sign-ins (under their account and under their username typed
// before the account existed), and been invited (invitation, queued mail).
func TestPurgeLeavesNoTraceInTheFile(t *testing.T) {
	env := lifeEnv(t)
	ctx := context.Background()
	graceDays(t, env.a, 0)
	// A sign-in tried with the username before the account existed is
	// counted under that login.
	if _, _, err := env.a.SignInUser(ctx, "Zeph.Qbosh", "guess", "192.0.2.8"); err == nil {
		t.Fatal("an unknown login signed in")
	}
	u := env.user(t, app.User{FirstName: "Zephyrine", LastName: "Quackenbosh", Username: "zeph.qbosh",
		Email: "zephyrine.quackenbosh@maple.example", DeleteOn: "2026-09-05"}, "Correct-Horse-42")
	if _, _, err := env.a.SignInUserFrom(ctx, app.SignIn{Login: "zeph.qbosh", Password: "Correct-Horse-42", Client: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.a.SignInUser(ctx, "ZEPHYRINE.QUACKENBOSH@maple.example", "wrong", "192.0.2.7"); err == nil {
		t.Fatal("a wrong password signed in")
	}
	res := env.invite(t, app.InviteRequest{Addresses: "Barnabus Wigglesworth <barnabus.wigglesworth@maple.example>", DeleteOn: "2026-09-05"})
	invited := res.Invited[0]
	if _, err := env.a.UpdateUser(ctx, "maple", invited.UserID, app.UserUpdate{Username: ptr("barn.wgw")}); err != nil {
		t.Fatal(err)
	}
	// A password reset link is waiting for them, its mail in the outbox.
	if err := env.a.RequestPasswordReset(ctx, "zephyrine.quackenbosh@maple.example", "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	reset, err := env.a.Store.PasswordReset(ctx, u.ID, false)
	if err != nil {
		t.Fatalf("no reset link to purge: %v", err)
	}
	// Someone else stays, so the file is not simply empty.
	env.user(t, app.User{FirstName: "Kept", LastName: "Person", Username: "kept.person"}, "")

	names := []string{"Zephyrine", "Quackenbosh", "zeph.qbosh", "zephyrine.quackenbosh@maple.example",
		"Barnabus", "Wigglesworth", "barn.wgw", "barnabus.wigglesworth@maple.example", reset.TokenHash, reset.MessageID}
	data, err := os.ReadFile(env.db.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(n))) {
			t.Fatalf("before the purge the file lacks %q: the test proves nothing", n)
		}
	}

	env.tick(t, "2026-09-05 00:00:01")
	if s := env.status(t, u.ID); s != "gone" {
		t.Fatalf("%s, want gone", s)
	}
	data, err = os.ReadFile(env.db.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(n))) {
			t.Errorf("after the purge and compaction the file still holds %q", n)
		}
	}
	if !bytes.Contains(data, []byte("kept.person")) {
		t.Error("the person who stays is gone from the file")
	}
	// The pass took its daily backup after the compaction: the backup holds
	// the person who stays and none of the purged.
	backups, err := filepath.Glob(filepath.Join(env.a.Backups.Dir, "*-daily.db"))
	if err != nil || len(backups) == 0 {
		t.Fatalf("no daily backup in %s after the pass (%v)", env.a.Backups.Dir, err)
	}
	for _, b := range backups {
		data, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("kept.person")) {
			t.Errorf("%s lacks the person who stays: the check below proves nothing", b)
		}
		for _, n := range names {
			if bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(n))) {
				t.Errorf("the automatic backup %s holds %q", filepath.Base(b), n)
			}
		}
	}
	if again, err := env.a.CompactIfDue(ctx); err != nil || again {
		t.Errorf("CompactIfDue after the pass compacted: %v, %v; want nothing due", again, err)
	}
}

// Deleting one person (the dialog's Delete) is the same purge: nothing is
// left once the file is compacted, which is due after it.
func TestDeleteUserIsAPurge(t *testing.T) {
	env := lifeEnv(t)
	ctx := context.Background()
	u := env.user(t, app.User{FirstName: "Ottoline", LastName: "Fairweather", Username: "otto.fw"}, "")
	if err := env.a.DeleteUser(ctx, "maple", u.ID); err != nil {
		t.Fatal(err)
	}
	due, err := env.a.CompactIfDue(ctx)
	if err != nil || !due {
		t.Fatalf("after a delete, CompactIfDue = %v, %v; want a compaction", due, err)
	}
	data, _ := os.ReadFile(env.db.Path)
	if bytes.Contains(data, []byte("Fairweather")) {
		t.Error("the deleted person is still in the file")
	}
	if err := env.a.DeleteUser(ctx, "maple", u.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("deleting again: %v, want not found", err)
	}
}

// The users page's summary counts who is due within 30 days and when the
// next people are erased.
func TestDeletionSummary(t *testing.T) {
	env := lifeEnv(t)
	ctx := context.Background()
	graceDays(t, env.a, 5)
	env.clock.Set(at("2026-09-01 09:00:00"))
	env.user(t, app.User{FirstName: "A", LastName: "One", Username: "a.one", DeleteOn: "2026-09-10"}, "")
	env.user(t, app.User{FirstName: "B", LastName: "Two", Username: "b.two", DeleteOn: "2026-09-10"}, "")
	env.user(t, app.User{FirstName: "C", LastName: "Three", Username: "c.three", DeleteOn: "2026-09-20"}, "")
	env.user(t, app.User{FirstName: "D", LastName: "Four", Username: "d.four", DeleteOn: "2026-12-20"}, "")
	s, err := env.a.Deletions(ctx, "maple")
	if err != nil {
		t.Fatal(err)
	}
	if s.DueSoon != 3 || s.NextPurge != "2026-09-15" || s.NextPurgeCount != 2 || s.GraceDays != 5 {
		t.Fatalf("summary %+v; want 3 due, 2 erased on 2026-09-15", s)
	}
	p, err := env.a.Users(ctx, "maple", app.UserFilter{DueWithin: app.DeletionDueDays})
	if err != nil || p.Total != 3 {
		t.Fatalf("deletion-due filter: %v, %v; want 3", p, err)
	}
}

// A password typed into the username box names no account: its failures are
// counted under a hash, so the text is not in the file or its backups.
func TestUnknownLoginIsNotStored(t *testing.T) {
	e := apptest.New(t)
	if _, _, err := e.App.SignInUser(context.Background(), "Tiger-Moon-4711", "Tiger-Moon-4711", "192.0.2.9"); err == nil {
		t.Fatal("an unknown login signed in")
	}
	var b bytes.Buffer
	if _, err := e.DB.WriteBackup(&b, nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ToLower(b.Bytes()), []byte("tiger-moon-4711")) {
		t.Error("the login typed is in the database file")
	}
}

// Restoring a backup taken before someone was erased does not bring them
// back (issue 11, review finding 2): the restored file is purged of
// everyone erased since, then compacted, so the live file holds none of
// their bytes; people who were not erased come back as the backup had
// them; a later restore still knows. The restore's audit entry says so.
func TestRestoreDoesNotBringBackTheErased(t *testing.T) {
	env := lifeEnv(t)
	ctx := app.WithActor(context.Background(), app.CLIActor)
	erased := env.user(t, app.User{FirstName: "Philippa", LastName: "Thistlewood", Username: "pip.thw", Email: "philippa.thistlewood@maple.example"}, "Correct-Horse-42")
	bulk := env.user(t, app.User{FirstName: "Cornelius", LastName: "Bramblecote", Username: "corn.bcote"}, "")
	kept := env.user(t, app.User{FirstName: "Kept", LastName: "Person", Username: "kept.person"}, "")
	old, err := env.a.BackUp(ctx, app.BackupManual)
	if err != nil {
		t.Fatal(err)
	}
	// After the backup: one erased from the dialog, one deleted in bulk,
	// one renamed (that change is undone by the restore, as it should be).
	if err := env.a.EraseUser(ctx, "maple", erased.ID, "pip.thw"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.BulkUsers(ctx, "maple", app.BulkRequest{Action: "delete", Selection: app.UserSelection{IDs: []string{bulk.ID}}, Expect: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.UpdateUser(ctx, "maple", kept.ID, app.UserUpdate{LastName: ptr("Renamed")}); err != nil {
		t.Fatal(err)
	}

	if _, err := env.a.RestoreBackup(ctx, old.Name); err != nil {
		t.Fatal(err)
	}
	names := []string{"Philippa", "Thistlewood", "pip.thw", "philippa.thistlewood@maple.example", "Cornelius", "Bramblecote", "corn.bcote"}
	raw := func() string {
		data, err := os.ReadFile(env.db.Path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ToLower(string(data))
	}
	for _, n := range names {
		if strings.Contains(raw(), strings.ToLower(n)) {
			t.Errorf("after the restore the file holds %q", n)
		}
	}
	for _, id := range []string{erased.ID, bulk.ID} {
		if s := env.status(t, id); s != "gone" {
			t.Errorf("%s is %s after the restore, want gone", id, s)
		}
	}
	if u, err := env.a.Store.User(ctx, "", kept.ID); err != nil || u.LastName != "Person" {
		t.Fatalf("the person who stays after the restore: %+v %v", u, err)
	}
	if _, _, err := env.a.SignInUser(ctx, "pip.thw", "Correct-Horse-42", "192.0.2.9"); err == nil {
		t.Fatal("the erased person signs in after the restore")
	}
	es, _, err := env.db.AuditEntries(ctx, app.AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 || es[0].Action != "database.restore" || es[0].Actor.Kind != app.ActorCLI ||
		!strings.Contains(es[0].Detail, "2 people erased since the backup erased again") {
		t.Fatalf("the last audit entry after the restore: %+v, %v", es, err)
	}

	// The backup taken before the restore holds them no more either (it
	// was taken after the erasure); restoring the old file once more still
	// knows whom to erase.
	if _, err := env.a.RestoreBackup(ctx, old.Name); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.Contains(raw(), strings.ToLower(n)) {
			t.Errorf("after the second restore the file holds %q", n)
		}
	}
}
