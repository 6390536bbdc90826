package app_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
)

// badgeWorld is Maple with classes 2A and 2B, a pupil in each and a
// teacher; pupils have badges, teachers have none unless a test allows it.
type badgeWorld struct {
	env          *apptest.Env
	a            *app.App
	org          *app.Organization
	g2a, g2b     *app.Group
	ann, ben     *app.User // pupils of 2A and 2B
	tia          *app.User // a teacher
	ctx          context.Context
	client       string
	secondClient string
}

func newBadgeWorld(t *testing.T, rule string) *badgeWorld {
	t.Helper()
	env := apptest.New(t)
	w := &badgeWorld{env: env, a: env.App, ctx: context.Background(), client: "192.0.2.1", secondClient: "192.0.2.2"}
	w.org = mustOrg(t, w.a, &app.Organization{Name: "Maple Primary", Slug: "maple"})
	badges := map[string]string{app.TypeStudent: rule}
	org, err := w.a.UpdateOrganization(w.ctx, "maple", app.OrganizationUpdate{Badges: &badges})
	if err != nil {
		t.Fatal(err)
	}
	w.org = org
	for _, n := range []string{"2A", "2B"} {
		g, err := w.a.CreateGroup(w.ctx, "maple", &app.Group{Name: n})
		if err != nil {
			t.Fatal(err)
		}
		if n == "2A" {
			w.g2a = g
		} else {
			w.g2b = g
		}
	}
	mk := func(first, typ string, groups ...string) *app.User {
		u, err := w.a.CreateUser(w.ctx, "maple", app.UserCreate{User: app.User{FirstName: first, LastName: "Maple",
			Username: strings.ToLower(first), AccountType: typ, Groups: groups}, Password: "Long-enough-pass-1"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.ann = mk("Ann", app.TypeStudent, w.g2a.ID)
	w.ben = mk("Ben", app.TypeStudent, w.g2b.ID)
	w.tia = mk("Tia", app.TypeTeacher, w.g2a.ID)
	return w
}

// issue makes a badge for one person and returns it.
func (w *badgeWorld) issue(t *testing.T, u *app.User) app.IssuedBadge {
	t.Helper()
	res, err := w.a.IssueBadges(w.ctx, "maple", app.BadgeSelection{User: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Badges) != 1 {
		t.Fatalf("%d badges, want 1", len(res.Badges))
	}
	return res.Badges[0]
}

func (w *badgeWorld) scan(code, pin string) (*app.MyAccount, *app.SignedIn, error) {
	return w.a.SignInWithBadge(w.ctx, app.BadgeSignIn{Code: code, PIN: pin, Client: w.client})
}

// refusedLikeUnknown checks that err is the answer to a badge nobody has.
func refusedLikeUnknown(t *testing.T, w *badgeWorld, err error, what string) {
	t.Helper()
	_, _, unknown := w.scan("RCB1:"+strings.Repeat("A", 32), "")
	if err == nil {
		t.Fatalf("%s signed in", what)
	}
	if app.ErrorCode(err) != app.ErrorCode(unknown) || app.ErrorMessage(err) != app.ErrorMessage(unknown) {
		t.Fatalf("%s: %s %q; an unknown badge: %s %q", what, app.ErrorCode(err), app.ErrorMessage(err), app.ErrorCode(unknown), app.ErrorMessage(unknown))
	}
}

func TestBadgeSignIn(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		w := newBadgeWorld(t, app.BadgeOnly)
		b := w.issue(t, w.ann)
		if !strings.HasPrefix(b.Code, app.BadgePrefix) || strings.Contains(b.Code, "/") || len(b.Code) != len(app.BadgePrefix)+32 {
			t.Fatalf("code %q: want RCB1: and 32 base32 letters (160 bits), no URL", b.Code)
		}
		if b.PIN != "" {
			t.Fatalf("a PIN %q where the rule asks for none", b.PIN)
		}
		// A scanner with caps lock, or a space, still reads the code.
		acc, in, err := w.scan(" "+strings.ToLower(b.Code)+"\n", "")
		if err != nil {
			t.Fatal(err)
		}
		if acc.Username != "ann" || in.Token == "" {
			t.Fatalf("signed in as %q, token %q", acc.Username, in.Token)
		}
		// The session is a portal session like a password's.
		me, err := w.a.Account(w.ctx, in.Token)
		if err != nil || me.Username != "ann" {
			t.Fatalf("the badge's session: %v %v", me, err)
		}
		entries, _, err := w.env.DB.AuditEntries(w.ctx, app.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if entries[0].Action != "person.sign_in" || entries[0].Target.ID != w.ann.ID {
			t.Fatalf("last audit entry %+v, want ann's sign-in", entries[0])
		}
	})
	t.Run("UnknownVoidedMalformed", func(t *testing.T) {
		w := newBadgeWorld(t, app.BadgeOnly)
		old := w.issue(t, w.ann)
		_, _, unknown := w.scan("RCB1:"+strings.Repeat("A", 32), "")
		if app.ErrorCode(unknown) != app.EUNAUTHORIZED {
			t.Fatalf("an unknown badge: %v", unknown)
		}
		for _, bad := range []string{"", "hello", "https://maple.example/signin", "RCB1:short", old.Code + "AA"} {
			_, _, err := w.scan(bad, "")
			refusedLikeUnknown(t, w, err, "code "+bad)
		}
		// Regenerated: the old badge is void, the new one works.
		cur := w.issue(t, w.ann)
		_, _, err := w.scan(old.Code, "")
		refusedLikeUnknown(t, w, err, "the replaced badge")
		if _, _, err := w.scan(cur.Code, ""); err != nil {
			t.Fatalf("the new badge: %v", err)
		}
		// Revoked.
		if n, err := w.a.VoidBadges(w.ctx, "maple", app.BadgeSelection{User: w.ann.ID}); err != nil || n != 1 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		_, _, err = w.scan(cur.Code, "")
		refusedLikeUnknown(t, w, err, "the revoked badge")
		u, err := w.env.DB.User(w.ctx, "", w.ann.ID)
		if err != nil || u.BadgeHash != "" || u.BadgeIssued != nil {
			t.Fatalf("after revoke: %+v %v", u, err)
		}
	})
	t.Run("VoidClassAndOrganization", func(t *testing.T) {
		w := newBadgeWorld(t, app.BadgeOnly)
		ann, ben := w.issue(t, w.ann), w.issue(t, w.ben)
		if n, err := w.a.VoidBadges(w.ctx, "maple", app.BadgeSelection{Group: "2A"}); err != nil || n != 1 {
			t.Fatalf("void 2A: %d %v", n, err)
		}
		_, _, err := w.scan(ann.Code, "")
		refusedLikeUnknown(t, w, err, "a 2A badge after voiding 2A")
		if _, _, err := w.scan(ben.Code, ""); err != nil {
			t.Fatalf("2B's badge after voiding 2A: %v", err)
		}
		res, err := w.a.IssueBadges(w.ctx, "maple", app.BadgeSelection{Group: w.g2a.ID})
		if err != nil || len(res.Badges) != 1 || res.Skipped != 1 { // Tia, a teacher, has none
			t.Fatalf("new badges for 2A: %+v %v", res, err)
		}
		annNew := res.Badges[0]
		// Only the missing ones: everyone allowed has one (Tia is skipped), nothing to make.
		if res, err := w.a.IssueBadges(w.ctx, "maple", app.BadgeSelection{OnlyMissing: true}); app.ErrorCode(err) != app.ECONFLICT || res != nil {
			t.Fatalf("only missing with none missing: %+v %v", res, err)
		}
		if _, _, err := w.scan(annNew.Code, ""); err != nil {
			t.Fatalf("Ann's badge after a print of the missing ones: %v", err)
		}
		if n, err := w.a.VoidBadges(w.ctx, "maple", app.BadgeSelection{}); err != nil || n != 2 {
			t.Fatalf("void the organization: %d %v", n, err)
		}
		for _, c := range []string{ben.Code, annNew.Code} {
			_, _, err := w.scan(c, "")
			refusedLikeUnknown(t, w, err, "a badge after the year-end void")
		}
	})
	t.Run("AccountTypeNotAllowed", func(t *testing.T) {
		w := newBadgeWorld(t, app.BadgeOnly)
		if _, err := w.a.IssueBadges(w.ctx, "maple", app.BadgeSelection{User: w.tia.ID}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("a badge for a teacher without the rule: %v", err)
		}
		b := w.issue(t, w.ann)
		off := map[string]string{}
		if _, err := w.a.UpdateOrganization(w.ctx, "maple", app.OrganizationUpdate{Badges: &off}); err != nil {
			t.Fatal(err)
		}
		_, _, err := w.scan(b.Code, "")
		refusedLikeUnknown(t, w, err, "a pupil's badge once pupils have none")
		bad := map[string]string{"martian": "badge"}
		if _, err := w.a.UpdateOrganization(w.ctx, "maple", app.OrganizationUpdate{Badges: &bad}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("a rule for an unknown account type: %v", err)
		}
		bad = map[string]string{"teacher": "always"}
		if _, err := w.a.UpdateOrganization(w.ctx, "maple", app.OrganizationUpdate{Badges: &bad}); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("an unknown rule: %v", err)
		}
	})
	t.Run("UserBySessionRules", func(t *testing.T) {
		w := newBadgeWorld(t, app.BadgeOnly)
		b := w.issue(t, w.ann)
		// Must change the password: signed in, but only that screen.
		if _, err := w.env.DB.ChangeUser(w.ctx, "", w.ann.ID, func(u *app.User) error { u.MustChangePassword = true; return nil }); err != nil {
			t.Fatal(err)
		}
		acc, in, err := w.scan(b.Code, "")
		if err != nil || !acc.MustChangePassword || acc.Username != "" {
			t.Fatalf("must change: %+v %v", acc, err)
		}
		if _, err := w.a.Account(w.ctx, in.Token); app.ErrorCode(err) != app.EPASSWORDCHANGE {
			t.Fatalf("the account page of a must-change session: %v", err)
		}
		// Deactivated: refused, and its session (had it one) ends.
		if _, err := w.a.SetUserStatus(w.ctx, "maple", w.ann.ID, app.StatusDeactivated); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.scan(b.Code, ""); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Fatalf("a deactivated pupil's badge: %v", err)
		}
		if _, err := w.a.Account(w.ctx, in.Token); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("the session of a deactivated pupil: %v", err)
		}
	})
	t.Run("UnknownBadgesCountAgainstTheAddress", func(t *testing.T) {
		w := newBadgeWorld(t, app.BadgeOnly)
		b := w.issue(t, w.ann)
		for range app.AddressFailures {
			w.scan("RCB1:"+strings.Repeat("B", 32), "")
		}
		if _, _, err := w.scan(b.Code, ""); app.ErrorCode(err) != app.ETOOMANY {
			t.Fatalf("a right badge from an address past its limit: %v", err)
		}
		w.client = w.secondClient
		if _, _, err := w.scan(b.Code, ""); err != nil {
			t.Fatalf("the same badge from another address: %v", err)
		}
	})
}

func TestBadgePIN(t *testing.T) {
	w := newBadgeWorld(t, app.BadgeWithPIN)
	b := w.issue(t, w.ann)
	if len(b.PIN) != app.BadgePINDigits || strings.Trim(b.PIN, "0123456789") != "" {
		t.Fatalf("PIN %q", b.PIN)
	}
	if _, _, err := w.scan(b.Code, ""); app.ErrorCode(err) != app.EBADGEPIN {
		t.Fatalf("a badge without its PIN: %v", err)
	}
	wrong := "000000"
	if b.PIN == wrong {
		wrong = "111111"
	}
	if _, _, err := w.scan(b.Code, wrong); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("a wrong PIN: %v", err)
	}
	if _, _, err := w.scan(b.Code, b.PIN); err != nil {
		t.Fatalf("the right PIN: %v", err)
	}
	// The account's limit: FreeFailures wrong PINs, then held even for the
	// right one, from any address; after the delay the right one works.
	for i := range app.FreeFailures {
		if _, _, err := w.scan(b.Code, wrong); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong PIN %d: %v", i+1, err)
		}
	}
	w.client = w.secondClient
	if _, _, err := w.scan(b.Code, b.PIN); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("the right PIN while held: %v", err)
	}
	w.env.Clock.Add(app.HoldDelay(app.FreeFailures) + time.Second)
	if _, _, err := w.scan(b.Code, b.PIN); err != nil {
		t.Fatalf("the right PIN after the delay: %v", err)
	}
	// A badge made before the rule asked for a PIN has none: it no longer works.
	only := map[string]string{app.TypeStudent: app.BadgeOnly}
	w.a.UpdateOrganization(w.ctx, "maple", app.OrganizationUpdate{Badges: &only})
	plain := w.issue(t, w.ben)
	pin := map[string]string{app.TypeStudent: app.BadgeWithPIN}
	w.a.UpdateOrganization(w.ctx, "maple", app.OrganizationUpdate{Badges: &pin})
	_, _, err := w.scan(plain.Code, "")
	refusedLikeUnknown(t, w, err, "a badge without a PIN where one is now asked")
}

func TestBadgeScope(t *testing.T) {
	w := newBadgeWorld(t, app.BadgeOnly)
	teacher := app.WithActor(w.ctx, app.AdminActor(&app.Admin{ID: w.tia.ID, Name: "Tia", Scope: &app.Scope{OrgID: w.org.ID, Groups: []string{w.g2a.ID}}}))
	if _, err := w.a.IssueBadges(teacher, "maple", app.BadgeSelection{User: w.ann.ID}); err != nil {
		t.Fatalf("2A's teacher, a badge for a 2A pupil: %v", err)
	}
	if _, err := w.a.IssueBadges(teacher, "maple", app.BadgeSelection{Group: "2A"}); err != nil {
		t.Fatalf("2A's teacher, badges for 2A: %v", err)
	}
	if _, err := w.a.VoidBadges(teacher, "maple", app.BadgeSelection{Group: "2A"}); err != nil {
		t.Fatalf("2A's teacher, voiding 2A: %v", err)
	}
	for name, sel := range map[string]app.BadgeSelection{"a 2B pupil": {User: w.ben.ID}, "2B": {Group: "2B"}, "the organization": {}} {
		if _, err := w.a.IssueBadges(teacher, "maple", sel); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("2A's teacher, badges for %s: %v", name, err)
		}
		if _, err := w.a.VoidBadges(teacher, "maple", sel); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("2A's teacher, voiding %s: %v", name, err)
		}
	}
}

func TestBadgeSecretsNotStored(t *testing.T) {
	w := newBadgeWorld(t, app.BadgeWithPIN)
	res, err := w.a.IssueBadges(w.ctx, "maple", app.BadgeSelection{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Badges) != 2 {
		t.Fatalf("%d badges", len(res.Badges))
	}
	var needles []string
	for _, b := range res.Badges {
		secret := strings.TrimPrefix(b.Code, app.BadgePrefix)
		// The code, its secret, the PIN as a stored string would hold it.
		needles = append(needles, b.Code, secret, secret[:16], `"`+b.PIN+`"`, ":"+b.PIN)
		if _, _, err := w.scan(b.Code, b.PIN); err != nil {
			t.Fatal(err)
		}
	}
	if hits := bucketsHolding(t, w.env.DB, needles...); len(hits) > 0 {
		t.Fatalf("badge secrets stored: %v", hits)
	}
	raw, err := os.ReadFile(w.env.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range needles {
		if strings.Contains(string(raw), n) {
			t.Fatalf("the raw file holds %q", n)
		}
	}
	// What is stored is the SHA-256, which is what finds the person.
	if u, err := w.env.DB.UserByBadge(w.ctx, app.BadgeCodeHash(res.Badges[0].Code)); err != nil || u.ID != res.Badges[0].User.ID {
		t.Fatalf("by hash: %v %v", u, err)
	}
}

func TestBadgePurged(t *testing.T) {
	w := newBadgeWorld(t, app.BadgeOnly)
	b := w.issue(t, w.ann)
	h := app.BadgeCodeHash(b.Code)
	if err := w.a.DeleteUser(w.ctx, "maple", w.ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.DB.UserByBadge(w.ctx, h); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the purged person's badge: %v", err)
	}
	if hits := bucketsHolding(t, w.env.DB, h); len(hits) > 0 {
		t.Fatalf("the purged person's badge hash is still stored: %v", hits)
	}
}
