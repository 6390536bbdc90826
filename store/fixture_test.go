package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/store"
)

// testdata/schema4.db was written by Rollcall at schema 4 (JSON records,
// before the compact encoding) by TestMakeSchema4Fixture, and
// testdata/schema4.json is fixtureDump of it then. The migration test opens
// a copy with today's code and compares its dump with that one.
const (
	fixtureDB   = "testdata/schema4.db"
	fixtureDump = "testdata/schema4.json"
)

// TestMakeSchema4Fixture writes the fixture again when
// ROLLCALL_MAKE_FIXTURE=1 (only meaningful on a commit at schema 4, such
// as 7191036): users of every kind (with and without email, phone, groups,
// labels, roles, a badge, two-step, a deletion date, must-change, an SSO
// identity), groups, invitations with their outbox mail, invite codes and
// links, and the audit entries those use cases wrote.
func TestMakeSchema4Fixture(t *testing.T) {
	if os.Getenv("ROLLCALL_MAKE_FIXTURE") != "1" {
		t.Skip("set ROLLCALL_MAKE_FIXTURE=1 to write " + fixtureDB)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fixture.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db)
	a.Hash = app.HashParams{Memory: 64, Time: 1, Threads: 1}
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { at = at.Add(time.Second); return at }
	ctx = app.WithActor(ctx, app.Actor{Kind: "admin", ID: "fixture-admin", Name: "fixture"})

	maple, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Kind: "school"})
	if err != nil {
		t.Fatal(err)
	}
	oak, err := a.CreateOrganization(ctx, &app.Organization{Name: "Oak Works", Kind: "enterprise"})
	if err != nil {
		t.Fatal(err)
	}
	var groups []*app.Group
	for _, n := range []string{"1A", "2A", "3B"} {
		g, err := a.CreateGroup(ctx, maple.Slug, &app.Group{Name: n, Note: "Maple " + n})
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	staff, err := a.CreateGroup(ctx, maple.Slug, &app.Group{Name: "Staff", Kind: app.GroupDepartment, DeleteOn: "2027-07-31"})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := a.CreateGroup(ctx, oak.Slug, &app.Group{Name: "Operations", Kind: app.GroupDepartment})
	if err != nil {
		t.Fatal(err)
	}

	hash := func(pw string) string {
		h, err := app.HashPassword(a.Rand, a.Hash, pw)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	now := func() time.Time { return a.Now().UTC().Truncate(time.Microsecond) }
	badgeAt := now()
	var users []*app.User
	add := func(u app.User) *app.User {
		u.ID = newFixtureID(len(users))
		if u.OrgID == "" {
			u.OrgID = maple.ID
		}
		if u.AccountType == "" {
			u.AccountType = app.TypeStudent
		}
		if u.Status == "" {
			u.Status = app.StatusActive
		}
		if u.CreatedVia == "" {
			u.CreatedVia = app.ViaAdmin
		}
		if u.Language == "" {
			u.Language = "en"
		}
		u.CreatedAt, u.UpdatedAt = now(), now()
		users = append(users, &u)
		return &u
	}
	// 24 pupils of three classes, with and without the optional fields.
	for i := range 24 {
		g := groups[i%3]
		u := app.User{FirstName: fmt.Sprintf("Pupil%02d", i), LastName: []string{"Ågren", "Öberg", "Smith", "van Dijk"}[i%4],
			Username: fmt.Sprintf("pupil.%02d", i), Groups: []string{g.ID}, PasswordHash: hash(fmt.Sprintf("pw-%d", i))}
		if i%5 == 0 {
			u.MustChangePassword = true
		}
		if i%4 == 1 {
			u.Email, u.EmailVerified = fmt.Sprintf("pupil%02d@maple.example", i), i%8 == 1
		}
		if i%6 == 2 {
			u.Labels = []string{"bus", "Lunch"}
		}
		if i%7 == 3 {
			u.DeleteOn = "2027-06-30"
		}
		if i%9 == 4 {
			u.Status, u.CreatedVia, u.InviteCode = app.StatusPending, app.ViaInviteCode, "K7QM3XRD"
		}
		if i == 5 {
			u.Groups = append(u.Groups, groups[2].ID)
		}
		if i == 6 {
			u.Groups = nil
		}
		if i == 7 {
			u.BadgeHash, u.BadgePINHash, u.BadgeIssued = "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988", hash("4711"), &badgeAt
		}
		if i == 8 {
			u.Status = app.StatusDeactivated
		}
		if i == 9 {
			u.ImportID, u.CreatedVia = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", app.ViaImport
		}
		add(u)
	}
	// Staff: a teacher with a group role and two-step sign-in, an
	// organization admin, one with a phone and job title and an SSO identity.
	add(app.User{FirstName: "Tuula", LastName: "Virtanen", Username: "t.virtanen", Email: "t.virtanen@maple.example", EmailVerified: true,
		Phone: "+358 40 123 4567", AccountType: app.TypeTeacher, Groups: []string{staff.ID}, AdminGroups: []string{groups[0].ID, groups[1].ID},
		JobTitle: "Class teacher", PasswordHash: hash("teacher-pw"),
		TOTP: app.AdminTOTP{Secret: []byte("sealed-secret-bytes"), LastStep: 59321, Recovery: []string{"r1hash", "r2hash"}}})
	add(app.User{FirstName: "Olli", LastName: "Admin", Username: "o.admin", AccountType: app.TypeAdmin, AdminRole: app.RoleOrgAdmin,
		PasswordHash: hash("admin-pw"), Language: "fi",
		TOTP: app.AdminTOTP{Pending: []byte("pending-sealed"), PendingAt: badgeAt}})
	add(app.User{FirstName: "Sam", LastName: "Sso", Email: "sam@oak.example", EmailVerified: true, OrgID: oak.ID, AccountType: app.TypeAdmin,
		Groups: []string{ops.ID}, JobTitle: "Operator", CreatedVia: app.ViaSignUp,
		Identities: []app.Identity{{Provider: "prov-1", Issuer: "https://idp.oak.example", Subject: "sub-123", LinkedAt: badgeAt}}})
	if err := db.CreateUsers(ctx, users); err != nil {
		t.Fatal(err)
	}

	// Invitations, each with its outbox mail, one accepted.
	var invUsers []*app.User
	var invs []*app.Invitation
	var msgs []*app.OutboxMessage
	for i := range 3 {
		u := &app.User{ID: newFixtureID(100 + i), OrgID: maple.ID, FirstName: "Invited", LastName: fmt.Sprint(i),
			Email: fmt.Sprintf("invited%d@maple.example", i), EmailVerified: true, AccountType: app.TypeTeacher,
			Groups: []string{staff.ID}, Status: app.StatusPending, CreatedVia: app.ViaInvitation, Language: "en",
			CreatedAt: now(), UpdatedAt: now()}
		inv := &app.Invitation{ID: newFixtureID(200 + i), OrgID: maple.ID, UserID: u.ID, Email: u.Email, Name: "Invited " + fmt.Sprint(i),
			Mode: "invite", AccountType: app.TypeTeacher, Groups: []string{staff.ID}, Language: "en", InvitedBy: "fixture",
			Status: "pending", TokenHash: fmt.Sprintf("%064x", 1000+i), CreatedAt: now(),
			ExpiresAt: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), MessageID: newFixtureID(300 + i), Delivery: "queued"}
		if i == 1 {
			inv.Label, inv.DeleteOn, inv.Resends = "autumn", "2027-01-31", 2
		}
		m := &app.OutboxMessage{ID: inv.MessageID, OrgID: maple.ID, Kind: "invitation", InvitationID: inv.ID, To: u.Email,
			ToName: inv.Name, SealedToken: []byte("sealed-token"), Status: "queued", NextAttempt: now(), CreatedAt: now()}
		if i == 2 {
			m.Attempts, m.LastError = 3, "451 try later"
		}
		invUsers, invs, msgs = append(invUsers, u), append(invs, inv), append(msgs, m)
	}
	if err := db.CreateInvitations(ctx, nil, invUsers, invs, msgs); err != nil {
		t.Fatal(err)
	}

	// Invite links: one with a password and limits, one revoked.
	exp := time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC)
	links := []*app.InviteLink{
		{ID: newFixtureID(400), OrgID: maple.ID, Name: "Parents' evening", AccountType: app.TypeStudent, Groups: []string{groups[0].ID},
			TokenHash: fmt.Sprintf("%064x", 4000), PasswordHash: hash("link-pw"), HasPassword: true, ExpiresAt: &exp, MaxUses: 30, Uses: 4,
			AutoAccept: true, CreatedAt: now(), UpdatedAt: now()},
		{ID: newFixtureID(401), OrgID: oak.ID, Name: "Old", AccountType: app.TypeAdmin, TokenHash: fmt.Sprintf("%064x", 4001),
			RevokedAt: &badgeAt, CreatedAt: now(), UpdatedAt: now()},
	}
	for _, l := range links {
		if err := db.CreateInviteLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	// An invite code with limits and approval.
	if _, err := db.ChangeInviteCode(ctx, maple.ID, groups[1].ID, func(c *app.InviteCode) error {
		c.MaxUses, c.Uses, c.RequireApproval, c.ExpiresAt = 40, 3, true, &exp
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	dump := dumpFixture(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixtureDB, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixtureDump, dump, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newFixtureID is a fixed, time-ordered UUIDv7-shaped ID.
func newFixtureID(n int) string {
	return fmt.Sprintf("0190f000-0000-7000-8000-%012x", n+1)
}

// fixtureUser is a user with the fields the store keeps and the API hides.
type fixtureUser struct {
	*app.User
	PasswordHash string        `json:"password_hash"`
	BadgeHash    string        `json:"badge_hash"`
	BadgePINHash string        `json:"badge_pin_hash"`
	TOTP         app.AdminTOTP `json:"totp"`
}

type fixtureInvitation struct {
	*app.Invitation
	TokenHash string `json:"token_hash"`
}

type fixtureLink struct {
	*app.InviteLink
	TokenHash    string `json:"token_hash"`
	PasswordHash string `json:"password_hash"`
}

// dumpFixture is everything the fixture holds, read through the store's
// interface, as indented JSON in a stable order.
func dumpFixture(t *testing.T, db *store.DB) []byte {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	orgs, err := db.Organizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["organizations"] = orgs
	var users []fixtureUser
	var groups []*app.Group
	var invs []fixtureInvitation
	var codes []*app.InviteCode
	var links []fixtureLink
	var mails []*app.OutboxMessage
	for _, o := range orgs {
		page, err := db.FindUsers(ctx, o.ID, app.UserFilter{Page: 1, PerPage: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			byLogin := u
			if u.Username != "" {
				if byLogin, err = db.UserByLogin(ctx, u.Username); err != nil || byLogin.ID != u.ID {
					t.Fatalf("UserByLogin(%s) = %v, %v", u.Username, byLogin, err)
				}
			}
			users = append(users, fixtureUser{u, u.PasswordHash, u.BadgeHash, u.BadgePINHash, u.TOTP})
		}
		gs, err := db.Groups(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, gs...)
		is, err := db.Invitations(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range is {
			invs = append(invs, fixtureInvitation{inv, inv.TokenHash})
		}
		cs, err := db.InviteCodes(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, cs...)
		ls, err := db.InviteLinks(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			links = append(links, fixtureLink{l, l.TokenHash, l.PasswordHash})
		}
		ms, err := db.OutboxMessages(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		mails = append(mails, ms...)
	}
	slices.SortFunc(users, func(a, b fixtureUser) int { return cmpString(a.ID, b.ID) })
	out["users"], out["groups"], out["invitations"], out["invite_codes"], out["invite_links"], out["outbox"] = users, groups, invs, codes, links, mails
	audit, _, err := db.AuditEntries(ctx, app.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out["audit"] = audit
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestMigrateSchema4Fixture opens a copy of the file today's main wrote
// (schema 4, JSON records) with this code: it is converted in one pass,
// after a backup, and every organization, user, group, invitation, invite
// code and link, outbox mail and audit entry reads back exactly as before;
// bbolt's check is clean, and opening it again changes nothing.
func TestMigrateSchema4Fixture(t *testing.T) {
	data, err := os.ReadFile(fixtureDB)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(fixtureDump)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var steps []string
	db, err := store.OpenWith(path, store.Options{Progress: func(step string, done, total int) {
		steps = append(steps, fmt.Sprintf("%s %d/%d", step, done, total))
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if got := dumpFixture(t, db); string(got) != string(want) {
		t.Errorf("after migration the file holds\n%s\nwant\n%s", got, want)
	}
	// A backup of the file as it was came first, and the conversion said
	// how far it was.
	if len(steps) < 2 || !strings.HasPrefix(steps[0], "Backing up") || !strings.HasSuffix(steps[len(steps)-1], " 30/30") {
		t.Errorf("progress = %q, want the backup, then the conversion up to 30/30", steps)
	}
	if filepath.Dir(db.UpgradeBackup) != path+".backups" || !strings.HasSuffix(db.UpgradeBackup, "-before-upgrade.db") {
		t.Errorf("UpgradeBackup = %q", db.UpgradeBackup)
	}
	if err := store.Verify(db.UpgradeBackup); err != nil {
		t.Fatal(err)
	}
	oldUsers := func(p string) (n int) {
		b, err := bolt.Open(p, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		b.View(func(tx *bolt.Tx) error {
			if u := tx.Bucket([]byte("users")); u != nil {
				n = u.Stats().KeyN
			}
			return nil
		})
		return n
	}
	if n := oldUsers(db.UpgradeBackup); n != 30 {
		t.Errorf("the backup holds %d users in the old format, want 30", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := oldUsers(path); n != 0 {
		t.Errorf("the converted file still has %d users in the old format", n)
	}
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.UpgradeBackup != "" {
		t.Errorf("opening the converted file again took a backup: %s", db.UpgradeBackup)
	}
	if got := dumpFixture(t, db); string(got) != string(want) {
		t.Errorf("opened again, the file holds\n%s", got)
	}
}
