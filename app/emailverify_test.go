package app_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/mail/mailtest"
)

// oakWithRelay adds organization Oak, whose links are built on the same
// public address as Maple's (so parseMail finds them) and whose relay is the
// test server.
func oakWithRelay(t *testing.T, env *mailEnv) *app.Organization {
	t.Helper()
	ctx := context.Background()
	oak := mustOrg(t, env.a, &app.Organization{Name: "Oak Academy", Slug: "oak", PublicURL: "https://rollcall.maple.example"})
	host, port, sec := env.srv.Host, env.srv.Port, mailtest.StartTLS
	if _, err := env.a.SetSMTP(ctx, "oak", app.SMTPUpdate{Host: &host, Port: &port, Security: &sec, Username: ptr("relay-user"),
		Password: ptr(relayPassword), From: ptr("Oak <no-reply@oak.example>")}); err != nil {
		t.Fatal(err)
	}
	return oak
}

// birchSignUp opens sign-up in a new organization Birch, which has no
// relay (so no verification mail), and signs up with its code.
func birchSignUp(t *testing.T, a *app.App, f app.SignUpForm) *app.User {
	t.Helper()
	ctx := context.Background()
	if _, err := a.Organization(ctx, "birch"); err != nil {
		org := mustOrg(t, a, &app.Organization{Name: "Birch", Slug: "birch"})
		if _, err := a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := a.InviteCodeOf(ctx, "birch", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.SignUpWithCode(ctx, c.Code, f, "10.9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	if res.VerifyMailSent {
		t.Fatal("a verification mail without a relay")
	}
	u, err := a.Store.UserByLogin(ctx, app.LoginKey(res.Login))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// lastMailTo returns the newest mail the test server received for addr.
func lastMailTo(t *testing.T, env *mailEnv, addr string) parsedMail {
	t.Helper()
	env.deliver(t)
	msgs := env.srv.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To[0] == addr {
			return parseMail(t, msgs[i])
		}
	}
	t.Fatalf("no mail to %s", addr)
	return parsedMail{}
}

// Issue 10, defect 1: a squatter signs up with a code and the address of a
// teacher; Oak's admin invites that address. The invitation is for a new
// account (not a join of the squatter's), the squatter loses the address,
// and the teacher gets an account with their own password.
func TestSquatterIsNotMovedByTheVictimsInvitation(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	oak := oakWithRelay(t, env)
	squatter := birchSignUp(t, env.a, app.SignUpForm{FirstName: "Sam", Username: "squatter1", Email: "teacher@victim.example", Password: "Squatter-pass-1"})
	if squatter.EmailVerified {
		t.Fatal("a self-typed address is verified")
	}

	res, err := env.a.Invite(ctx, "oak", app.InviteRequest{Addresses: "teacher@victim.example", AccountType: "teacher"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invited) != 1 || res.Invited[0].Mode != app.ModeInvite || res.Invited[0].UserID == squatter.ID {
		t.Fatalf("invited %+v, want a new account in mode invite", res.Invited)
	}
	if len(res.Reclaimed) != 1 || res.Reclaimed[0].Text != "teacher@victim.example" || !strings.Contains(res.Reclaimed[0].Reason, "unverified sign-up used this address; it no longer does") {
		t.Fatalf("the admin is not told: %+v", res.Reclaimed)
	}
	// The claim went in the same transaction: the squatter keeps the
	// account and its username, not the address.
	sq, err := env.a.Store.User(ctx, "", squatter.ID)
	if err != nil || sq.Email != "" || sq.Username != "squatter1" || sq.OrgID == oak.ID {
		t.Fatalf("the squatter after the invitation: %+v %v", sq, err)
	}

	m := lastMailTo(t, env, "teacher@victim.example")
	if strings.Contains(m.subject, "Join") || m.token == "" {
		t.Fatalf("the teacher got %q", m.subject)
	}
	page, err := env.a.InvitationByToken(ctx, m.token)
	if err != nil || page.Mode != app.ModeInvite || !page.NeedPassword || page.NeedCurrentPassword {
		t.Fatalf("the accept page: %+v %v", page, err)
	}
	acc, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: m.token, FirstName: "Tea", LastName: "Cher", Password: "Victim-own-pass-22", Client: "198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.User.ID == squatter.ID || acc.User.OrgID != oak.ID || acc.User.AccountType != "teacher" || !acc.User.EmailVerified {
		t.Fatalf("the teacher's account: %+v", acc.User)
	}

	sq, _ = env.a.Store.User(ctx, "", squatter.ID)
	if sq.OrgID == oak.ID || sq.AccountType == "teacher" {
		t.Fatalf("the squatter is in Oak: %+v", sq)
	}
	if p, _ := env.a.Users(ctx, "oak", app.UserFilter{}); p.Total != 1 || p.Users[0].ID != acc.User.ID {
		t.Fatalf("Oak has %d users", p.Total)
	}
	if _, _, err := env.a.SignInUser(ctx, "teacher@victim.example", "Squatter-pass-1", "198.51.100.8"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the teacher's address with the squatter's password: %v", err)
	}
	if u, _, err := env.a.SignInUser(ctx, "teacher@victim.example", "Victim-own-pass-22", "198.51.100.8"); err != nil || u.ID != acc.User.ID {
		t.Fatalf("the teacher signs in: %v", err)
	}
	if u, _, err := env.a.SignInUser(ctx, "squatter1", "Squatter-pass-1", "198.51.100.9"); err != nil || u.ID != squatter.ID || u.OrgID == oak.ID {
		t.Fatalf("the squatter still signs in to their own account by username: %v", err)
	}
}

// An unverified address gets no join link, from any organization and from
// its own; a join link made while the address counted as verified stops
// working once it does not; an unverified sign-up without a username keeps
// its account under a generated one.
func TestUnverifiedAddressGetsNoJoinLink(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	oakWithRelay(t, env)

	t.Run("same organization", func(t *testing.T) {
		// Maple has a relay: the sign-up gets a verification mail, not opened.
		if _, err := env.a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		c, _ := env.a.InviteCodeOf(ctx, "maple", "")
		r, err := env.a.SignUpWithCode(ctx, c.Code, app.SignUpForm{FirstName: "Una", LastName: "Verified", Email: "una@victim.example", Password: "Una-pass-12345"}, "10.1.1.1")
		if err != nil || !r.VerifyMailSent {
			t.Fatalf("sign-up: %+v %v", r, err)
		}
		before, _ := env.a.Store.UserByLogin(ctx, "una@victim.example")
		res := env.invite(t, app.InviteRequest{Addresses: "una@victim.example"})
		if len(res.AlreadyMember) != 0 || len(res.Invited) != 1 || res.Invited[0].Mode != app.ModeInvite || len(res.Reclaimed) != 1 {
			t.Fatalf("invite: %+v", res)
		}
		after, _ := env.a.Store.User(ctx, "", before.ID)
		if after.Email != "" || after.Username == "" {
			t.Fatalf("the sign-up keeps no address and gets a username: %+v", after)
		}
		// The verification mail queued for the sign-up is not sent.
		env.deliver(t)
		for _, r := range env.srv.Messages() {
			if p := parseMail(t, r); p.to == "una@victim.example" && !strings.Contains(p.subject, "invited") {
				t.Fatalf("una@victim.example got %q", p.subject)
			}
		}
	})

	t.Run("another organization", func(t *testing.T) {
		birchSignUp(t, env.a, app.SignUpForm{FirstName: "Vic", Email: "vic@victim.example", Password: "Vic-pass-123456"})
		res, err := env.a.Invite(ctx, "oak", app.InviteRequest{Addresses: "vic@victim.example"})
		if err != nil || len(res.Invited) != 1 || res.Invited[0].Mode == app.ModeJoin {
			t.Fatalf("invite: %+v %v", res, err)
		}
		if m := lastMailTo(t, env, "vic@victim.example"); strings.Contains(m.subject, "Join") {
			t.Fatalf("a join mail: %q", m.subject)
		}
	})

	t.Run("a join link made before stops working", func(t *testing.T) {
		u, err := env.a.CreateUser(ctx, "birch", app.UserCreate{User: app.User{FirstName: "Old", Email: "old@victim.example"}, Password: "Old-pass-123456"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := env.a.Invite(ctx, "oak", app.InviteRequest{Addresses: "old@victim.example"})
		if err != nil || res.Invited[0].Mode != app.ModeJoin {
			t.Fatalf("invite of a verified address: %+v %v", res, err)
		}
		link := lastMailTo(t, env, "old@victim.example").token
		// As the migration leaves a self sign-up's address.
		if _, err := env.a.Store.ChangeUser(ctx, "", u.ID, func(u *app.User) error { u.EmailVerified = false; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := env.a.InvitationByToken(ctx, link); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("page of a join link to an unverified address: %v", err)
		}
		if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: link, CurrentPassword: "Old-pass-123456", Client: "10.2.2.2"}); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("accepting it: %v", err)
		}
		if got, _ := env.a.Store.User(ctx, "", u.ID); got.OrgID == res.Invited[0].OrgID {
			t.Fatal("the account moved")
		}
	})
}

// A join moves a verified account only with its own current password;
// wrong ones count against the sign-in limits of the account.
func TestJoinNeedsTheCurrentPassword(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	mustOrg(t, env.a, &app.Organization{Name: "Birch", Slug: "birch"})
	u, err := env.a.CreateUser(ctx, "birch", app.UserCreate{User: app.User{FirstName: "Jo", Email: "jo@birch.example"}, Password: "Jo-own-pass-123"})
	if err != nil {
		t.Fatal(err)
	}
	res := env.invite(t, app.InviteRequest{Addresses: "jo@birch.example", AccountType: "teacher"})
	if res.Invited[0].Mode != app.ModeJoin {
		t.Fatalf("mode %s", res.Invited[0].Mode)
	}
	link := lastMailTo(t, env, "jo@birch.example").token
	page, err := env.a.InvitationByToken(ctx, link)
	if err != nil || !page.NeedCurrentPassword || page.NeedPassword {
		t.Fatalf("page: %+v %v", page, err)
	}
	stayed := func() {
		t.Helper()
		if got, _ := env.a.Store.User(ctx, "", u.ID); got.OrgID != u.OrgID || got.AccountType == "teacher" {
			t.Fatalf("the account moved: %+v", got)
		}
	}
	// No password, and a new password instead of the current one.
	for _, req := range []app.AcceptRequest{{Token: link}, {Token: link, Password: "Attacker-new-pass-1"}} {
		req.Client = "203.0.113.5"
		if _, err := env.a.AcceptInvitation(ctx, req); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("join without the current password: %v", err)
		}
		stayed()
	}
	for i := 2; i < app.FreeFailures; i++ {
		if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: link, CurrentPassword: "guess-" + string(rune('a'+i)), Client: "203.0.113.5"}); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong password %d: %v", i, err)
		}
	}
	// Held now, like a sign-in: even the right password waits, here and at sign-in.
	if _, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: link, CurrentPassword: "Jo-own-pass-123", Client: "203.0.113.6"}); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("after %d wrong passwords: %v", app.FreeFailures, err)
	}
	if _, _, err := env.a.SignInUser(ctx, "jo@birch.example", "Jo-own-pass-123", "203.0.113.7"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("sign-in after wrong passwords on the accept page: %v", err)
	}
	stayed()
	env.clock.Add(app.HoldDelay(app.FreeFailures) + time.Second)
	acc, err := env.a.AcceptInvitation(ctx, app.AcceptRequest{Token: link, CurrentPassword: "Jo-own-pass-123", Password: "ignored-new-pass-1", Client: "203.0.113.6"})
	if err != nil || acc.User.ID != u.ID || acc.User.OrgID != env.org.ID || acc.User.AccountType != "teacher" {
		t.Fatalf("join with the right password: %+v %v", acc, err)
	}
	if _, _, err := env.a.SignInUser(ctx, "jo@birch.example", "Jo-own-pass-123", "203.0.113.7"); err != nil {
		t.Fatalf("the moved account keeps its password: %v", err)
	}
}

var verifyLinkRe = regexp.MustCompile(`https://rollcall\.maple\.example/verify/([A-Za-z0-9_-]+)`)

// With a relay, a sign-up with an address gets a verification mail (through
// the outbox, to the real test server); its link verifies the address once.
// A verified address then gets join links.
func TestSignUpVerificationMail(t *testing.T) {
	env := newMailEnv(t, mailtest.Options{})
	ctx := context.Background()
	if _, err := env.a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	c, _ := env.a.InviteCodeOf(ctx, "maple", "")
	res, err := env.a.SignUpWithCode(ctx, c.Code, app.SignUpForm{FirstName: "Val", Username: "val.id", Email: "Val@Home.example", Password: "Val-pass-123456", Language: "de"}, "10.4.4.4")
	if err != nil || !res.VerifyMailSent {
		t.Fatalf("sign-up: %+v %v", res, err)
	}
	u, _ := env.a.Store.UserByLogin(ctx, "val.id")
	if u.EmailVerified {
		t.Fatal("verified before the link was opened")
	}
	if n := env.deliver(t); n != 1 {
		t.Fatalf("delivered %d", n)
	}
	got := env.srv.Messages()
	p := parseMail(t, got[0])
	mm := verifyLinkRe.FindStringSubmatch(p.text)
	if p.to != "Val@Home.example" || mm == nil || p.lang != "de" || !strings.Contains(p.subject, "Bestätigen") || !strings.Contains(p.html, `href="`+mm[0]+`"`) {
		t.Fatalf("mail to %q subject %q lang %q:\n%s", p.to, p.subject, p.lang, p.text)
	}
	token := mm[1]
	if raw := bucketsHolding(t, env.db, token); len(raw) != 0 {
		t.Fatalf("the raw token is stored in %v", raw)
	}
	v, err := env.a.VerifyEmail(ctx, token)
	if err != nil || v.Email != "Val@Home.example" || v.Organization != "Maple Primary" {
		t.Fatalf("verify: %+v %v", v, err)
	}
	if u, _ = env.a.Store.User(ctx, "", u.ID); !u.EmailVerified {
		t.Fatal("not verified after the link")
	}
	if _, err := env.a.VerifyEmail(ctx, token); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("second use: %v", err)
	}
	// Verified: another organization's invitation is a join.
	oakWithRelay(t, env)
	inv, err := env.a.Invite(ctx, "oak", app.InviteRequest{Addresses: "val@home.example"})
	if err != nil || len(inv.Invited) != 1 || inv.Invited[0].Mode != app.ModeJoin || len(inv.Reclaimed) != 0 {
		t.Fatalf("invite of a verified address: %+v %v", inv, err)
	}

	// A link past its expiry does not verify.
	r2, err := env.a.SignUpWithCode(ctx, c.Code, app.SignUpForm{FirstName: "Late", Username: "late.one", Email: "late@home.example", Password: "Late-pass-123456"}, "10.4.4.5")
	if err != nil || !r2.VerifyMailSent {
		t.Fatal(err)
	}
	m := lastMailTo(t, env, "late@home.example")
	late := verifyLinkRe.FindStringSubmatch(m.text)
	env.clock.Add(app.EmailVerificationTTL + time.Second)
	if _, err := env.a.VerifyEmail(ctx, late[1]); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("expired link: %v", err)
	}
	if u, _ := env.a.Store.UserByLogin(ctx, "late.one"); u.EmailVerified {
		t.Fatal("verified by an expired link")
	}
}

// An unproven claim on an address does not block it for ever (issue 11,
// review finding 7): an admin's entry (create, update, import) takes the
// address from it at once, and the owner's own sign-up takes it once the
// claim has lapsed (EmailVerificationTTL after its link was sent). The
// squatter keeps its account and username, without the address.
func TestUnprovenEmailClaimYields(t *testing.T) {
	ctx := context.Background()
	claim := func(t *testing.T, env *mailEnv, username, addr string) *app.User {
		t.Helper()
		if _, err := env.a.UpdateOrganization(ctx, "oak", app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		c, _ := env.a.InviteCodeOf(ctx, "oak", "")
		res, err := env.a.SignUpWithCode(ctx, c.Code, app.SignUpForm{FirstName: "Sam", Username: username, Email: addr, Password: "Squatter-pass-1"}, "10.9.9.9")
		if err != nil || !res.VerifyMailSent {
			t.Fatalf("sign-up: %+v %v", res, err)
		}
		u, _ := env.a.Store.UserByLogin(ctx, username)
		return u
	}
	stillHasIt := func(t *testing.T, env *mailEnv, squatter *app.User, want bool) {
		t.Helper()
		u, err := env.a.Store.User(ctx, "", squatter.ID)
		if err != nil || u.Username != squatter.Username || (u.Email != "") != want {
			t.Fatalf("the squatter afterwards: %+v %v (want the address kept: %v)", u, err, want)
		}
		if _, err := env.a.Store.EmailVerification(ctx, squatter.ID); (err == nil) != want {
			t.Fatalf("its pending verification: %v (want kept: %v)", err, want)
		}
	}

	t.Run("admin create", func(t *testing.T) {
		env := newMailEnv(t, mailtest.Options{})
		oakWithRelay(t, env)
		sq := claim(t, env, "squatter1", "head@maple.example")
		u, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Hedda", Email: "head@maple.example"}, Password: "long enough 42"})
		if err != nil || !u.EmailVerified {
			t.Fatalf("create: %+v %v", u, err)
		}
		stillHasIt(t, env, sq, false)
	})
	t.Run("admin update", func(t *testing.T) {
		env := newMailEnv(t, mailtest.Options{})
		oakWithRelay(t, env)
		sq := claim(t, env, "squatter1", "head@maple.example")
		u, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Hedda", Username: "hedda"}, Password: "long enough 42"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.a.UpdateUser(ctx, "maple", u.ID, app.UserUpdate{Email: ptr("Head@Maple.example")}); err != nil {
			t.Fatal(err)
		}
		stillHasIt(t, env, sq, false)
	})
	t.Run("import", func(t *testing.T) {
		env := newMailEnv(t, mailtest.Options{})
		oakWithRelay(t, env)
		sq := claim(t, env, "squatter1", "head@maple.example")
		row := make([]string, len(app.ImportFields))
		row[app.ColFirstName], row[app.ColEmail] = "Hedda", "head@maple.example"
		f := &app.ImportFile{Name: "staff.csv", Format: app.FormatCSV, Columns: []string{"first_name", "email"}, Rows: []app.ImportRow{{Line: 2, Values: row}}}
		p, err := env.a.PreviewImport(ctx, "maple", f, app.ImportOptions{})
		if err != nil || p.Errors != 0 || p.Create+p.Warnings != 1 || p.Rows[0].Problems["email"] != "" {
			t.Fatalf("preview: %+v %v", p, err)
		}
		stillHasIt(t, env, sq, true) // a preview changes nothing
	})
	t.Run("own sign-up after the claim lapsed", func(t *testing.T) {
		env := newMailEnv(t, mailtest.Options{})
		oakWithRelay(t, env)
		sq := claim(t, env, "squatter1", "head@maple.example")
		if _, err := env.a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		c, _ := env.a.InviteCodeOf(ctx, "maple", "")
		own := app.SignUpForm{FirstName: "Hedda", Username: "hedda", Email: "head@maple.example", Password: "Hedda-pass-12345"}
		// Within the week the claim holds: the address is taken.
		env.clock.Add(app.EmailVerificationTTL - time.Minute)
		if _, err := env.a.SignUpWithCode(ctx, c.Code, own, "10.8.8.8"); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("sign-up while the claim holds: %v", err)
		}
		stillHasIt(t, env, sq, true)
		env.clock.Add(time.Minute)
		if _, err := env.a.SignUpWithCode(ctx, c.Code, own, "10.8.8.8"); err != nil {
			t.Fatalf("sign-up after the claim lapsed: %v", err)
		}
		stillHasIt(t, env, sq, false)
		// A verified address never yields.
		hedda, _ := env.a.Store.UserByLogin(ctx, "hedda")
		if _, err := env.a.UpdateUser(ctx, "maple", hedda.ID, app.UserUpdate{Email: ptr("hedda@maple.example")}); err != nil {
			t.Fatal(err)
		}
		env.clock.Add(30 * 24 * time.Hour)
		if _, err := env.a.CreateUser(ctx, "oak", app.UserCreate{User: app.User{FirstName: "X", Email: "hedda@maple.example"}, Password: "long enough 42"}); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("a verified address was taken: %v", err)
		}
	})
}
