package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/mail/mailtest"
)

// seedUsers stores n active users in group g (with a password hash, so a
// password change can be required), in one transaction.
func seedUsers(t testing.TB, e *apptest.Env, org *app.Organization, prefix string, n int, groups ...string) []*app.User {
	t.Helper()
	users := make([]*app.User, n)
	for i := range users {
		users[i] = &app.User{
			ID: fmt.Sprintf("%s-%05d", prefix, i), OrgID: org.ID, FirstName: "Pupil", LastName: fmt.Sprintf("%s %05d", prefix, i),
			Username: fmt.Sprintf("%s.%05d", prefix, i), AccountType: app.TypeStudent, Groups: groups, Language: "en",
			Status: app.StatusActive, CreatedVia: app.ViaAdmin, CreatedAt: apptest.Start, UpdatedAt: apptest.Start,
			PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		}
	}
	if err := e.DB.CreateUsers(context.Background(), users); err != nil {
		t.Fatal(err)
	}
	return users
}

func session(t testing.TB, e *apptest.Env, u *app.User) string {
	t.Helper()
	s := &app.Session{Hash: "h-" + u.ID, Kind: "user", SubjectID: u.ID, CreatedAt: apptest.Start, ExpiresAt: apptest.Start.Add(time.Hour)}
	if err := e.DB.CreateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s.Hash
}

func mustGroup(t testing.TB, a *app.App, org, name string) *app.Group {
	t.Helper()
	g, err := a.CreateGroup(context.Background(), org, &app.Group{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// "Select all that match" over 5,000 users of a class deactivates them in
// one write transaction of the store, ends their sessions in it, and says
// how many changed and why the others were skipped. apptest runs tx.Check
// over the file after the test.
func TestBulkDeactivateAllMatchingInOneTransaction(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	org := mustOrg(t, e.App, &app.Organization{Name: "Maple"})
	g3b := mustGroup(t, e.App, org.Slug, "3B")
	g3a := mustGroup(t, e.App, org.Slug, "3A")
	class := seedUsers(t, e, org, "b", 5000, g3b.ID)
	others := seedUsers(t, e, org, "a", 10, g3a.ID)
	for _, u := range class[:3] {
		if _, err := e.App.SetUserStatus(ctx, org.Slug, u.ID, app.StatusDeactivated); err != nil {
			t.Fatal(err)
		}
	}
	inClass, outside := session(t, e, class[4999]), session(t, e, others[0])

	counting := &writeCounter{Store: e.DB}
	e.App.Store = counting
	res, err := e.App.BulkUsers(ctx, org.Slug, app.BulkRequest{
		Selection: app.UserSelection{Filter: &app.UserFilter{Group: "3B"}},
		Action:    app.BulkDeactivate,
		Expect:    5000,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := counting.writes.Load(); n != 1 {
		t.Errorf("%d write transactions, want 1", n)
	}
	if res.Selected != 5000 || res.Changed != 4997 || len(res.Skipped) != 1 || res.Skipped[0].Count != 3 {
		t.Errorf("result %+v", res)
	}
	if want := "4997 people deactivated; they can no longer sign in. 3 were already deactivated."; res.Message != want {
		t.Errorf("message %q, want %q", res.Message, want)
	}
	e.App.Store = e.DB
	page, err := e.App.Users(ctx, org.Slug, app.UserFilter{Group: g3b.ID, Status: app.StatusDeactivated, PerPage: 1})
	if err != nil || page.Total != 5000 {
		t.Errorf("deactivated in 3B: %v %v, want 5000", page, err)
	}
	page, err = e.App.Users(ctx, org.Slug, app.UserFilter{Status: app.StatusActive, PerPage: 1})
	if err != nil || page.Total != 10 {
		t.Errorf("still active: %v %v, want the 10 of 3A", page, err)
	}
	if _, err := e.DB.Session(ctx, inClass); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("the session of a deactivated pupil is still stored: %v", err)
	}
	if _, err := e.DB.Session(ctx, outside); err != nil {
		t.Errorf("the session of a pupil outside the selection went: %v", err)
	}
}

// A selection that no longer holds the number of people the admin was
// shown changes nobody.
func TestBulkExpectGuards(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	org := mustOrg(t, e.App, &app.Organization{Name: "Maple"})
	g := mustGroup(t, e.App, org.Slug, "3B")
	seedUsers(t, e, org, "b", 28, g.ID)
	_, err := e.App.BulkUsers(ctx, org.Slug, app.BulkRequest{
		Selection: app.UserSelection{Filter: &app.UserFilter{Group: "3B"}}, Action: app.BulkDelete, Expect: 27})
	if app.ErrorCode(err) != app.ECONFLICT || app.ErrorMessage(err) != "The list changed meanwhile: 28 people now, not 27. Nothing was changed; look at the list again." {
		t.Fatalf("delete with a stale count: %v", err)
	}
	if p, _ := e.App.Users(ctx, org.Slug, app.UserFilter{}); p.Total != 28 {
		t.Fatalf("%d users left, want all 28", p.Total)
	}
}

// Each action changes what it says, skips whom it says, and says why.
func TestBulkActions(t *testing.T) {
	ctx := context.Background()
	e := apptest.New(t)
	a := e.App
	org := mustOrg(t, a, &app.Organization{Name: "Maple"})
	g3a, g3b, choir := mustGroup(t, a, org.Slug, "3A"), mustGroup(t, a, org.Slug, "3B"), mustGroup(t, a, org.Slug, "Choir")
	us := seedUsers(t, e, org, "p", 4, g3a.ID, choir.ID)
	ids := func(us ...*app.User) []string {
		out := []string{}
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	bulk := func(req app.BulkRequest) *app.BulkResult {
		t.Helper()
		res, err := a.BulkUsers(ctx, org.Slug, req)
		if err != nil {
			t.Fatalf("%s: %v", req.Action, err)
		}
		return res
	}
	get := func(u *app.User) *app.User {
		t.Helper()
		got, err := a.User(ctx, org.Slug, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	name := func(id string) string { g, _ := a.Group(ctx, org.Slug, id); return g.Name }
	groups := func(u *app.User) []string {
		out := []string{}
		for _, id := range get(u).Groups {
			out = append(out, name(id))
		}
		return out
	}

	// Move from 3A to 3B keeps Choir; moving again skips them.
	res := bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0], us[1])}, Action: app.BulkMoveToGroup, Group: "3B", FromGroup: g3a.ID})
	if res.Changed != 2 || !slices.Equal(groups(us[0]), []string{"Choir", "3B"}) || !slices.Equal(groups(us[2]), []string{"3A", "Choir"}) {
		t.Errorf("move: %+v; groups %v / %v", res, groups(us[0]), groups(us[2]))
	}
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0], us[2])}, Action: app.BulkMoveToGroup, Group: "3B", FromGroup: "3A"})
	if res.Message != "1 person moved to 3B. 1 was already in 3B." {
		t.Errorf("move again: %q", res.Message)
	}
	// The result in the asker's language, with the plural forms of its counts.
	for lang, want := range map[string]string{
		"fi": "1 henkilö siirretty ryhmään 3B. 1 oli jo ryhmässä 3B.",
		"sv": "1 person flyttad till 3B. 1 var redan i 3B.",
		"de": "1 Person nach 3B verschoben. 1 war bereits in 3B.",
		"en": res.Message,
	} {
		if got := res.Localized(lang); got.Message != want || got.Skipped[0].Message != want[strings.Index(want, ". ")+2:] {
			t.Errorf("%s: %q (%q), want %q", lang, got.Message, got.Skipped[0].Message, want)
		}
	}
	if res.Message != "1 person moved to 3B. 1 was already in 3B." {
		t.Errorf("Localized changed the result: %q", res.Message)
	}
	// Move without a group to leave: they leave every group.
	bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[3])}, Action: app.BulkMoveToGroup, Group: g3b.ID})
	if !slices.Equal(groups(us[3]), []string{"3B"}) {
		t.Errorf("move out of all groups: %v", groups(us[3]))
	}
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us...)}, Action: app.BulkRemoveFromGroup, Group: "Choir"})
	if res.Message != "3 people taken out of Choir. 1 was not in Choir." || slices.Contains(groups(us[0]), "Choir") {
		t.Errorf("remove: %q %v", res.Message, groups(us[0]))
	}
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0], us[1])}, Action: app.BulkAddToGroup, Group: "choir"})
	if res.Changed != 2 || !slices.Contains(groups(us[1]), "Choir") {
		t.Errorf("add: %+v", res)
	}

	// Labels: added once, found by search and by the label filter, listed.
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0], us[1])}, Action: app.BulkAddLabel, Label: " Trip 2026 "})
	res2 := bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[1], us[2])}, Action: app.BulkAddLabel, Label: "trip 2026"})
	if res.Message != "Label “Trip 2026” added to 2 people." || res2.Message != "Label “trip 2026” added to 1 person. 1 was already labelled “trip 2026”." {
		t.Errorf("labels: %q / %q", res.Message, res2.Message)
	}
	if p, _ := a.Users(ctx, org.Slug, app.UserFilter{Query: "trip"}); p.Total != 3 {
		t.Errorf("search for a label finds %d, want 3", p.Total)
	}
	if p, _ := a.Users(ctx, org.Slug, app.UserFilter{Label: "TRIP 2026"}); p.Total != 3 {
		t.Errorf("filter by label finds %d, want 3", p.Total)
	}
	if l, _ := a.UserLabels(ctx, org.Slug); !slices.Equal(l, []string{"Trip 2026"}) {
		t.Errorf("labels %q", l)
	}

	// Deletion dates: not in the past; set, then cleared.
	if _, err := a.BulkUsers(ctx, org.Slug, app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0])}, Action: app.BulkSetDeleteOn, DeleteOn: "2026-03-01"}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("a deletion date in the past: %v", err)
	}
	bulk(app.BulkRequest{Selection: app.UserSelection{Filter: &app.UserFilter{Label: "trip 2026"}}, Action: app.BulkSetDeleteOn, DeleteOn: "2026-07-31"})
	if get(us[2]).DeleteOn != "2026-07-31" || get(us[3]).DeleteOn != "" {
		t.Errorf("delete_on %q %q", get(us[2]).DeleteOn, get(us[3]).DeleteOn)
	}
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[2], us[3])}, Action: app.BulkClearDeleteOn})
	if res.Message != "Deletion date cleared for 1 person. 1 was without a deletion date." || get(us[2]).DeleteOn != "" {
		t.Errorf("clear: %q", res.Message)
	}

	// A password change at next sign-in: only for those with a password.
	nopass, err := a.CreateUser(ctx, org.Slug, app.UserCreate{User: app.User{FirstName: "No", LastName: "Password", Username: "no.password"}})
	if err != nil {
		t.Fatal(err)
	}
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0], nopass)}, Action: app.BulkRequirePassword})
	if res.Changed != 1 || !get(us[0]).MustChangePassword || get(nopass).MustChangePassword || res.Skipped[0].Reason != "no_password" {
		t.Errorf("require password change: %+v", res)
	}

	// Reactivate skips the active; delete ends sessions and leaves nothing.
	bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0])}, Action: app.BulkDeactivate})
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0], us[1])}, Action: app.BulkReactivate})
	if res.Message != "1 person reactivated; they can sign in again. 1 was already active." || get(us[0]).Status != app.StatusActive {
		t.Errorf("reactivate: %q", res.Message)
	}
	tok := session(t, e, us[1])
	res = bulk(app.BulkRequest{Selection: app.UserSelection{Filter: &app.UserFilter{Query: "p 0000"}}, Action: app.BulkDelete, Expect: 4})
	if res.Changed != 4 {
		t.Errorf("delete: %+v", res)
	}
	if _, err := e.DB.Session(ctx, tok); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("a deleted user's session is still stored: %v", err)
	}
	if _, err := e.DB.UserByLogin(ctx, us[1].Username); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("a deleted user's username still signs in: %v", err)
	}
	// The file was compacted with the delete: nothing is left due.
	if due, err := e.DB.CompactIfDue(ctx); err != nil || due {
		t.Errorf("after a bulk delete, CompactIfDue = %v, %v; want it done already", due, err)
	}
	res = bulk(app.BulkRequest{Selection: app.UserSelection{IDs: ids(us[0], nopass)}, Action: app.BulkDeactivate})
	if res.Message != "1 person deactivated; they can no longer sign in. 1 was deleted meanwhile." {
		t.Errorf("a selection with a deleted user: %q", res.Message)
	}

	for _, bad := range []app.BulkRequest{
		{Action: app.BulkDelete},
		{Selection: app.UserSelection{IDs: ids(nopass), Filter: &app.UserFilter{}}, Action: app.BulkDelete},
		{Selection: app.UserSelection{IDs: ids(nopass)}, Action: "explode"},
		{Selection: app.UserSelection{IDs: ids(nopass)}, Action: app.BulkAddToGroup},
		{Selection: app.UserSelection{IDs: ids(nopass)}, Action: app.BulkAddToGroup, Group: "4C"},
		{Selection: app.UserSelection{IDs: ids(nopass)}, Action: app.BulkAddLabel, Label: "  "},
		{Selection: app.UserSelection{IDs: ids(nopass)}, Action: app.BulkSetDeleteOn, DeleteOn: "31.07.2026"},
	} {
		if _, err := a.BulkUsers(ctx, org.Slug, bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
}

// Resending invitations goes through ResendInvitation for the invited
// people selected: the old link stops, a new mail is queued.
func TestBulkResendInvitations(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	res := env.invite(t, app.InviteRequest{Addresses: "a@maple.example b@maple.example"})
	env.deliver(t)
	active, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ann", Username: "ann"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.a.BulkUsers(ctx, "maple", app.BulkRequest{
		Selection: app.UserSelection{IDs: []string{res.Invited[0].UserID, active.ID}}, Action: app.BulkResendInvitation})
	if err != nil {
		t.Fatal(err)
	}
	if out.Message != "Invitations sent again to 1 person. 1 was not invited: they have an account already." {
		t.Errorf("message %q", out.Message)
	}
	inv, err := env.db.Invitation(ctx, env.org.ID, res.Invited[0].ID)
	if err != nil || inv.Resends != 1 {
		t.Fatalf("invitation after resend: %+v %v", inv, err)
	}
	if n := env.deliver(t); n != 1 {
		t.Errorf("%d mails sent, want the 1 resent", n)
	}
}

// writeCounter counts the store's write transactions: every method of
// app.Store that writes is counted once per call (each is one db.Update).
type writeCounter struct {
	app.Store
	writes atomic.Int64
}

func (w *writeCounter) CreateAdmin(ctx context.Context, adm *app.Admin, onlyFirst bool) error {
	w.writes.Add(1)
	return w.Store.CreateAdmin(ctx, adm, onlyFirst)
}

func (w *writeCounter) UpdateAdmin(ctx context.Context, adm *app.Admin) error {
	w.writes.Add(1)
	return w.Store.UpdateAdmin(ctx, adm)
}

func (w *writeCounter) ChangeAdmin(ctx context.Context, id string, fn func(adm *app.Admin, active int) error, endSessions bool) (*app.Admin, error) {
	w.writes.Add(1)
	return w.Store.ChangeAdmin(ctx, id, fn, endSessions)
}

func (w *writeCounter) DeleteAdmin(ctx context.Context, id string, check func(adm *app.Admin, active int) error) error {
	w.writes.Add(1)
	return w.Store.DeleteAdmin(ctx, id, check)
}

func (w *writeCounter) CreateGroup(ctx context.Context, g app.NewGroup) error {
	w.writes.Add(1)
	return w.Store.CreateGroup(ctx, g)
}

func (w *writeCounter) UpdateGroup(ctx context.Context, g *app.Group) error {
	w.writes.Add(1)
	return w.Store.UpdateGroup(ctx, g)
}

func (w *writeCounter) DeleteGroup(ctx context.Context, orgID, id string) error {
	w.writes.Add(1)
	return w.Store.DeleteGroup(ctx, orgID, id)
}

func (w *writeCounter) CreateImport(ctx context.Context, imp *app.Import, groups []app.NewGroup, users []*app.User, mails ...*app.ResetMail) error {
	w.writes.Add(1)
	return w.Store.CreateImport(ctx, imp, groups, users, mails...)
}

func (w *writeCounter) CreateInvitations(ctx context.Context, drops []app.EmailDrop, users []*app.User, invs []*app.Invitation, msgs []*app.OutboxMessage) error {
	w.writes.Add(1)
	return w.Store.CreateInvitations(ctx, drops, users, invs, msgs)
}

func (w *writeCounter) ChangeInvitation(ctx context.Context, orgID, id string, fn func(inv *app.Invitation) (*app.OutboxMessage, error)) (*app.Invitation, error) {
	w.writes.Add(1)
	return w.Store.ChangeInvitation(ctx, orgID, id, fn)
}

func (w *writeCounter) AcceptInvitation(ctx context.Context, hash string, fn func(inv *app.Invitation, u *app.User) error) (*app.Invitation, *app.User, error) {
	w.writes.Add(1)
	return w.Store.AcceptInvitation(ctx, hash, fn)
}

func (w *writeCounter) EnsureInviteCode(ctx context.Context, c *app.InviteCode) (*app.InviteCode, error) {
	w.writes.Add(1)
	return w.Store.EnsureInviteCode(ctx, c)
}

func (w *writeCounter) ChangeInviteCode(ctx context.Context, orgID, groupID string, fn func(c *app.InviteCode) error) (*app.InviteCode, error) {
	w.writes.Add(1)
	return w.Store.ChangeInviteCode(ctx, orgID, groupID, fn)
}

func (w *writeCounter) RegenerateInviteCode(ctx context.Context, orgID, groupID, code string, now time.Time) (*app.InviteCode, error) {
	w.writes.Add(1)
	return w.Store.RegenerateInviteCode(ctx, orgID, groupID, code, now)
}

func (w *writeCounter) CreateInviteLink(ctx context.Context, l *app.InviteLink) error {
	w.writes.Add(1)
	return w.Store.CreateInviteLink(ctx, l)
}

func (w *writeCounter) ChangeInviteLink(ctx context.Context, orgID, id string, fn func(l *app.InviteLink) error) (*app.InviteLink, error) {
	w.writes.Add(1)
	return w.Store.ChangeInviteLink(ctx, orgID, id, fn)
}

func (w *writeCounter) DeleteInviteLink(ctx context.Context, orgID, id string) error {
	w.writes.Add(1)
	return w.Store.DeleteInviteLink(ctx, orgID, id)
}

func (w *writeCounter) CreateOrganization(ctx context.Context, o *app.Organization) error {
	w.writes.Add(1)
	return w.Store.CreateOrganization(ctx, o)
}

func (w *writeCounter) UpdateOrganization(ctx context.Context, o *app.Organization) error {
	w.writes.Add(1)
	return w.Store.UpdateOrganization(ctx, o)
}

func (w *writeCounter) ClaimDueMessages(ctx context.Context, now time.Time, n int) ([]*app.OutboxMessage, error) {
	w.writes.Add(1)
	return w.Store.ClaimDueMessages(ctx, now, n)
}

func (w *writeCounter) UpdateMessage(ctx context.Context, m *app.OutboxMessage) error {
	w.writes.Add(1)
	return w.Store.UpdateMessage(ctx, m)
}

func (w *writeCounter) RequeueSending(ctx context.Context) (int, error) {
	w.writes.Add(1)
	return w.Store.RequeueSending(ctx)
}

func (w *writeCounter) RetryMessages(ctx context.Context, orgID, id string, now time.Time) (int, error) {
	w.writes.Add(1)
	return w.Store.RetryMessages(ctx, orgID, id, now)
}

func (w *writeCounter) CreateSession(ctx context.Context, s *app.Session) error {
	w.writes.Add(1)
	return w.Store.CreateSession(ctx, s)
}

func (w *writeCounter) DeleteSession(ctx context.Context, hash string) error {
	w.writes.Add(1)
	return w.Store.DeleteSession(ctx, hash)
}

func (w *writeCounter) DeleteSessionsOf(ctx context.Context, subjectID string) error {
	w.writes.Add(1)
	return w.Store.DeleteSessionsOf(ctx, subjectID)
}

func (w *writeCounter) PutSignInFailures(ctx context.Context, r app.SignInFailures) error {
	w.writes.Add(1)
	return w.Store.PutSignInFailures(ctx, r)
}

func (w *writeCounter) UseInviteCode(ctx context.Context, code string, check func(*app.InviteCode) error, u *app.User, change func(*app.User) error, vm *app.VerificationMail) error {
	w.writes.Add(1)
	return w.Store.UseInviteCode(ctx, code, check, u, change, vm)
}

func (w *writeCounter) UseInviteLink(ctx context.Context, orgID, id string, check func(*app.InviteLink) error, u *app.User, vm *app.VerificationMail) error {
	w.writes.Add(1)
	return w.Store.UseInviteLink(ctx, orgID, id, check, u, vm)
}

func (w *writeCounter) ApproveSignUps(ctx context.Context, orgID string, ids []string, at time.Time) (int, error) {
	w.writes.Add(1)
	return w.Store.ApproveSignUps(ctx, orgID, ids, at)
}

func (w *writeCounter) RejectSignUps(ctx context.Context, orgID string, ids []string) (int, error) {
	w.writes.Add(1)
	return w.Store.RejectSignUps(ctx, orgID, ids)
}

func (w *writeCounter) PutSMTPSettings(ctx context.Context, s *app.SMTPSettings) error {
	w.writes.Add(1)
	return w.Store.PutSMTPSettings(ctx, s)
}

func (w *writeCounter) CreateUsers(ctx context.Context, users []*app.User, mails ...*app.ResetMail) error {
	w.writes.Add(1)
	return w.Store.CreateUsers(ctx, users, mails...)
}

func (w *writeCounter) ChangeUser(ctx context.Context, orgID, id string, fn func(u *app.User) error) (*app.User, error) {
	w.writes.Add(1)
	return w.Store.ChangeUser(ctx, orgID, id, fn)
}

func (w *writeCounter) ChangeUsers(ctx context.Context, orgID string, ids []string, fn func(u *app.User) error) ([]*app.User, error) {
	w.writes.Add(1)
	return w.Store.ChangeUsers(ctx, orgID, ids, fn)
}

func (w *writeCounter) ChangeUsersEndSessions(ctx context.Context, orgID string, ids []string, fn func(u *app.User) error) ([]*app.User, error) {
	w.writes.Add(1)
	return w.Store.ChangeUsersEndSessions(ctx, orgID, ids, fn)
}

func (w *writeCounter) DeleteUser(ctx context.Context, orgID, id string) error {
	w.writes.Add(1)
	return w.Store.DeleteUser(ctx, orgID, id)
}

func (w *writeCounter) ChangeSelectedUsers(ctx context.Context, orgID string, sel app.UserSelection, check func(selected int) error, fn func(u *app.User) (app.UserVerdict, error)) (missing int, err error) {
	w.writes.Add(1)
	return w.Store.ChangeSelectedUsers(ctx, orgID, sel, check, fn)
}

// Every action's outcome and every reason for a skip has its words, with
// plural forms, in every language (the message IDs are built, so the
// catalogue test does not see them).
func TestBulkResultsHaveTheirWords(t *testing.T) {
	actions := []string{app.BulkDeactivate, app.BulkReactivate, app.BulkDelete, app.BulkAddToGroup, app.BulkRemoveFromGroup, app.BulkMoveToGroup,
		app.BulkAddLabel, app.BulkSetDeleteOn, app.BulkClearDeleteOn, app.BulkRequirePassword, app.BulkResendInvitation, app.BulkSendActivation}
	already := map[string]bool{app.BulkDelete: false, app.BulkRemoveFromGroup: false, app.BulkSendActivation: false}
	reasons := []string{"pending", "invited", "not_in_group", "too_many_labels", "no_password", "no_invitation", "not_active", "no_email", "unverified", "gone"}
	for _, lang := range app.Languages {
		for _, action := range actions {
			for _, n := range []int{1, 2} {
				r := &app.BulkResult{Action: action, Changed: n}
				for _, reason := range reasons {
					r.Skipped = append(r.Skipped, app.BulkSkip{Reason: reason, Count: n})
				}
				if ok, listed := already[action]; ok || !listed {
					r.Skipped = append(r.Skipped, app.BulkSkip{Reason: "already", Count: n})
				}
				if got := r.Localized(lang); strings.Contains(got.Message, "bulk.") || strings.Contains(got.Message, "<no value>") {
					t.Errorf("%s, %s, %d: %q", lang, action, n, got.Message)
				}
			}
		}
	}
}
