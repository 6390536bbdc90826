package app_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/mail/mailtest"
)

var resetLinkRe = regexp.MustCompile(`https://rollcall\.maple\.example/reset/([A-Za-z0-9_-]+)`)

// resetEnv is a mail environment without the reset answer's delay (a test
// of the delay sets it back).
func resetEnv(t *testing.T) *mailEnv {
	env := newMailEnv(t, mailtest.Options{})
	env.a.ResetAnswerTime = 0
	return env
}

// resetMails delivers what is due and returns the tokens of the reset and
// activation links among the new mails, with the mails.
func (e *mailEnv) resetMails(t *testing.T) ([]string, []parsedMail) {
	t.Helper()
	before := len(e.srv.Messages())
	e.deliver(t)
	var tokens []string
	var mails []parsedMail
	for _, m := range e.srv.Messages()[before:] {
		p := parseMail(t, m)
		if mm := resetLinkRe.FindStringSubmatch(p.text); mm != nil {
			tokens = append(tokens, mm[1])
			mails = append(mails, p)
		}
	}
	return tokens, mails
}

// A person with a confirmed address asks for a reset, gets the link by mail
// through the real relay, sets a new password under the policy: their
// other sessions end, "must change" is cleared, the new password signs in,
// and the link works once.
func TestPasswordResetByMail(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	u, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", LastName: "Lovelace", Username: "ada",
		Email: "ada@maple.example", MustChangePassword: true}, Password: "first-pass-123"})
	if err != nil || !u.EmailVerified {
		t.Fatalf("%+v %v", u, err)
	}
	_, session, err := env.a.SignInUser(ctx, "ada", "first-pass-123", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.a.RequestPasswordReset(ctx, " ADA@Maple.example ", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	tokens, mails := env.resetMails(t)
	if len(tokens) != 1 || mails[0].to != "ada@maple.example" || !strings.Contains(mails[0].subject, "new password") || !strings.Contains(mails[0].text, "ada") {
		t.Fatalf("mails %+v", mails)
	}
	token := tokens[0]
	if held := bucketsHolding(t, env.db, token); len(held) != 0 {
		t.Fatalf("the raw token is stored in %v", held)
	}
	if held := bucketsHolding(t, env.db, app.TokenHash(token)); len(held) == 0 {
		t.Fatal("the token's hash is not stored either: the check above proves nothing")
	}
	page, err := env.a.PasswordResetPage(ctx, token)
	if err != nil || page.Login != "ada" || page.Organization != "Maple Primary" || page.Policy == "" || page.Activation {
		t.Fatalf("page %+v %v", page, err)
	}
	if _, err := env.a.ResetPassword(ctx, token, "x"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("a password against the policy: %v", err)
	}
	acc, err := env.a.ResetPassword(ctx, token, "second-pass-456")
	if err != nil || acc.Login != "ada" {
		t.Fatalf("%+v %v", acc, err)
	}
	if _, err := env.a.Account(ctx, session); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the earlier session still works: %v", err)
	}
	if _, _, err := env.a.SignInUser(ctx, "ada", "first-pass-123", "192.0.2.1"); err == nil {
		t.Fatal("the old password still signs in")
	}
	got, _, err := env.a.SignInUser(ctx, "ada", "second-pass-456", "192.0.2.1")
	if err != nil || got.MustChangePassword {
		t.Fatalf("new password: %+v %v", got, err)
	}
	if _, err := env.a.ResetPassword(ctx, token, "third-pass-789"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("second use: %v", err)
	}
	if _, err := env.a.PasswordResetPage(ctx, token); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("page after use: %v", err)
	}
}

// The answer does not tell whether an account has the address: unknown,
// unconfirmed and deactivated addresses get the same nil answer, no mail and
// no link; and every answer takes at least ResetAnswerTime.
func TestPasswordResetNoEnumeration(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	if _, err := env.a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	c, _ := env.a.InviteCodeOf(ctx, "maple", "")
	if _, err := env.a.SignUpWithCode(ctx, c.Code, app.SignUpForm{FirstName: "Una", Username: "una", Email: "una@home.example", Password: "Una-pass-123456"}, "10.1.1.1"); err != nil {
		t.Fatal(err)
	}
	env.deliver(t) // the sign-up's confirmation mail, not opened
	off := env.user(t, app.User{FirstName: "Dee", Username: "dee", Email: "dee@maple.example"}, "dee-pass-12345")
	if _, err := env.a.SetUserStatus(ctx, "maple", off.ID, app.StatusDeactivated); err != nil {
		t.Fatal(err)
	}
	known := env.user(t, app.User{FirstName: "Kim", Username: "kim", Email: "kim@maple.example"}, "kim-pass-12345")

	env.a.ResetAnswerTime = 120 * time.Millisecond
	for _, addr := range []string{"nobody@maple.example", "una@home.example", "dee@maple.example", "kim@maple.example"} {
		start := time.Now()
		err := env.a.RequestPasswordReset(ctx, addr, "192.0.2.9")
		if took := time.Since(start); took < env.a.ResetAnswerTime {
			t.Errorf("%s answered in %v, before the %v every answer takes", addr, took, env.a.ResetAnswerTime)
		}
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
	}
	tokens, mails := env.resetMails(t)
	if len(tokens) != 1 || mails[0].to != "kim@maple.example" {
		t.Fatalf("mails to %+v; want only kim's", mails)
	}
	if r, err := env.a.Store.PasswordReset(ctx, known.ID, false); err != nil || r.Activation {
		t.Fatalf("kim's link %+v %v", r, err)
	}
	if _, err := env.a.Store.PasswordReset(ctx, off.ID, false); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("a link for the deactivated account: %v", err)
	}
	if err := env.a.RequestPasswordReset(ctx, "not an address", "192.0.2.9"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("not an address: %v", err)
	}
}

// A reset link works until PasswordResetTTL on the injected clock, not a
// second longer; a newer link makes the older one stop working.
func TestPasswordResetExpiry(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	env.user(t, app.User{FirstName: "Eve", Username: "eve", Email: "eve@maple.example"}, "eve-pass-12345")
	ask := func() string {
		t.Helper()
		if err := env.a.RequestPasswordReset(ctx, "eve@maple.example", "192.0.2.2"); err != nil {
			t.Fatal(err)
		}
		tokens, _ := env.resetMails(t)
		if len(tokens) != 1 {
			t.Fatalf("%d links", len(tokens))
		}
		return tokens[0]
	}
	first := ask()
	second := ask()
	if _, err := env.a.PasswordResetPage(ctx, first); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the replaced link: %v", err)
	}
	env.clock.Add(app.PasswordResetTTL - time.Second)
	if _, err := env.a.PasswordResetPage(ctx, second); err != nil {
		t.Fatalf("1 s before expiry: %v", err)
	}
	env.clock.Add(2 * time.Second)
	if _, err := env.a.ResetPassword(ctx, second, "new-pass-45678"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("1 s after expiry: %v", err)
	}
}

// Mails are limited per address (counted however it is typed) and per
// account; past the limit the answer is the same and nothing is sent.
// Requests from one client address are limited with 429.
func TestPasswordResetLimits(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	env.user(t, app.User{FirstName: "Lim", Username: "lim", Email: "lim@maple.example"}, "lim-pass-12345")
	// Each request is delivered before the next: a newer link cancels an
	// older one's mail still in the queue.
	sent := 0
	for i, addr := range []string{"lim@maple.example", "LIM@maple.example", "Lim@Maple.Example", "lim@maple.example"} {
		if err := env.a.RequestPasswordReset(ctx, addr, fmt.Sprintf("192.0.2.%d", 10+i)); err != nil {
			t.Fatal(err)
		}
		tokens, _ := env.resetMails(t)
		sent += len(tokens)
	}
	if sent != app.ResetsPerAddress {
		t.Fatalf("%d mails, want %d", sent, app.ResetsPerAddress)
	}
	env.clock.Add(app.ResetWindow)
	if err := env.a.RequestPasswordReset(ctx, "lim@maple.example", "192.0.2.20"); err != nil {
		t.Fatal(err)
	}
	if tokens, _ := env.resetMails(t); len(tokens) != 1 {
		t.Fatalf("after the window: %d mails", len(tokens))
	}
	// The account's own count: the address changed, the account is the same.
	if _, err := env.a.UpdateUser(ctx, "maple", mustLogin(t, env, "lim").ID, app.UserUpdate{Email: ptr("lim2@maple.example")}); err != nil {
		t.Fatal(err)
	}
	sent = 0
	for range app.ResetsPerAddress {
		if err := env.a.RequestPasswordReset(ctx, "lim2@maple.example", "192.0.2.21"); err != nil {
			t.Fatal(err)
		}
		tokens, _ := env.resetMails(t)
		sent += len(tokens)
	}
	if sent != app.ResetsPerAddress-1 {
		t.Fatalf("per account: %d mails, want %d", sent, app.ResetsPerAddress-1)
	}
	for i := range app.ResetRequestsPerIP {
		if err := env.a.RequestPasswordReset(ctx, fmt.Sprintf("x%d@maple.example", i), "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.a.RequestPasswordReset(ctx, "y@maple.example", "198.51.100.1"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("request %d from one device: %v", app.ResetRequestsPerIP+1, err)
	}
}

func mustLogin(t *testing.T, env *mailEnv, login string) *app.User {
	t.Helper()
	u, err := env.a.Store.UserByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Activation mails: with a new account, resent for one (group admins for
// their members: see the role matrix) and in bulk; the link sets the first
// password. People without a confirmed address are skipped.
func TestActivationMails(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	teacher, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Tove", LastName: "Lind", Username: "tove",
		Email: "tove@maple.example", AccountType: "teacher"}, SendActivation: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "No", Username: "nomail"}, SendActivation: true}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("activation without an address: %v", err)
	}
	tokens, mails := env.resetMails(t)
	if len(tokens) != 1 || mails[0].to != "tove@maple.example" || !strings.Contains(mails[0].subject, "ready") || !strings.Contains(mails[0].text, "tove") {
		t.Fatalf("mails %+v", mails)
	}
	page, err := env.a.PasswordResetPage(ctx, tokens[0])
	if err != nil || !page.Activation {
		t.Fatalf("%+v %v", page, err)
	}
	if _, err := env.a.ResetPassword(ctx, tokens[0], "tove-pass-9876"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.a.SignInUser(ctx, "tove@maple.example", "tove-pass-9876", "192.0.2.3"); err != nil {
		t.Fatalf("sign in with the password set by the link: %v", err)
	}

	nomail := env.user(t, app.User{FirstName: "Pip", Username: "pip"}, "")
	if _, err := env.a.SendActivation(ctx, "maple", nomail.ID); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("resend to a person without address: %v", err)
	}
	if _, err := env.a.SendActivation(ctx, "maple", teacher.ID); err != nil {
		t.Fatal(err)
	}
	resent, _ := env.resetMails(t)
	off := env.user(t, app.User{FirstName: "Off", Username: "off", Email: "off@maple.example"}, "")
	env.a.SetUserStatus(ctx, "maple", off.ID, app.StatusDeactivated)
	res, err := env.a.BulkUsers(ctx, "maple", app.BulkRequest{Action: app.BulkSendActivation,
		Selection: app.UserSelection{IDs: []string{teacher.ID, nomail.ID, off.ID}}})
	if err != nil || res.Changed != 1 || len(res.Skipped) != 2 {
		t.Fatalf("bulk %+v %v", res, err)
	}
	tokens, _ = env.resetMails(t)
	if len(resent) != 1 || len(tokens) != 1 {
		t.Fatalf("%d and %d mails, want the resend and the bulk one", len(resent), len(tokens))
	}
	// The bulk link replaced the single resend's.
	if _, err := env.a.PasswordResetPage(ctx, resent[0]); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the replaced link: %v", err)
	}
	if _, err := env.a.PasswordResetPage(ctx, tokens[0]); err != nil {
		t.Fatal(err)
	}

	// An import with the option mails the rows that have an address.
	f := importFile(
		row(2, "first_name=Iris", "last_name=Berg", "email=iris@maple.example", "account_type=teacher"),
		row(3, "first_name=Ola", "last_name=Dahl"),
	)
	ir, err := env.a.CommitImport(ctx, "maple", f, app.ImportOptions{SendActivation: true}, nil)
	if err != nil || ir.Import.ActivationMails != 1 {
		t.Fatalf("import %+v %v", ir, err)
	}
	tokens, mails = env.resetMails(t)
	if len(tokens) != 1 || mails[0].to != "iris@maple.example" {
		t.Fatalf("import mails %+v", mails)
	}
}

// An anonymous reset request for a known address does not cancel the
// 7-day activation link an admin mailed (before the fix there was one link
// per user and the request replaced it with a 30-minute reset link): both
// links work, the activation link after the reset link has expired, and
// using one uses up the other.
func TestResetRequestKeepsActivationLink(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	u, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Tea", Username: "tea", Email: "tea@maple.example"}})
	if err != nil || !u.EmailVerified {
		t.Fatalf("%+v %v", u, err)
	}
	if _, err := env.a.SendActivation(ctx, "maple", u.ID); err != nil {
		t.Fatal(err)
	}
	act, _ := env.resetMails(t)
	if len(act) != 1 {
		t.Fatalf("activation mails %v", act)
	}
	// Anybody who knows the address; the answer is the usual one.
	if err := env.a.RequestPasswordReset(ctx, "tea@maple.example", "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	reset, mails := env.resetMails(t)
	if len(reset) != 1 || strings.Contains(mails[0].subject, "ready") {
		t.Fatalf("reset mails %+v", mails)
	}
	if p, err := env.a.PasswordResetPage(ctx, reset[0]); err != nil || p.Activation {
		t.Fatalf("the reset link: %+v %v", p, err)
	}
	env.clock.Add(app.PasswordResetTTL + time.Second) // the teacher reads mail the next day
	if _, err := env.a.PasswordResetPage(ctx, reset[0]); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the reset link after 30 minutes: %v", err)
	}
	if p, err := env.a.PasswordResetPage(ctx, act[0]); err != nil || !p.Activation {
		t.Fatalf("the admin's activation link was killed by an anonymous reset request: %+v %v", p, err)
	}

	// A fresh reset link, then the activation link is used: both are used up.
	env.clock.Add(app.ResetWindow)
	if err := env.a.RequestPasswordReset(ctx, "tea@maple.example", "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	reset, _ = env.resetMails(t)
	if len(reset) != 1 {
		t.Fatalf("second reset mails %v", reset)
	}
	if _, err := env.a.ResetPassword(ctx, act[0], "tea-pass-98765"); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{act[0], reset[0]} {
		if _, err := env.a.PasswordResetPage(ctx, tok); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("a link after the password was set: %v", err)
		}
	}
}

// A signed-in pupil of one organization moves to another with its group
// code, after the check that names the organization; a code that needs
// approval puts the account in that organization's queue.
func TestMoveWithCode(t *testing.T) {
	ctx := context.Background()
	a, org, _ := newSignUpApp(t)
	oak := mustOrg(t, a, &app.Organization{Name: "Oak High"})
	a.UpdateOrganization(ctx, oak.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}})
	g, _ := a.CreateGroup(ctx, oak.ID, &app.Group{Name: "7C"})
	code, _ := a.InviteCodeOf(ctx, oak.ID, g.ID)
	u, err := a.CreateUser(ctx, org.ID, app.UserCreate{User: app.User{FirstName: "Mo", Username: "mo"}, Password: "mo-pass-12345"})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := a.SignInUser(ctx, "mo", "mo-pass-12345", "ip")
	if err != nil {
		t.Fatal(err)
	}
	chk, err := a.CheckCodeAsUser(ctx, tok, code.Display(), "ip")
	if err != nil || chk.Organization != "Oak High" || !chk.OtherOrganization || chk.Group != "7C" || chk.Approval {
		t.Fatalf("check %+v %v", chk, err)
	}
	if _, _, err := a.JoinWithCodeAsUser(ctx, tok, code.Code, "ip", false); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("without confirming: %v", err)
	}
	res, newTok, err := a.JoinWithCodeAsUser(ctx, tok, code.Code, "ip", true)
	if err != nil || res.Organization != "Oak High" || res.Status != app.StatusActive || newTok == "" {
		t.Fatalf("move %+v %v", res, err)
	}
	if _, err := a.Account(ctx, tok); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the old session: %v", err)
	}
	acc, err := a.Account(ctx, newTok)
	if err != nil || acc.Organization != "Oak High" || len(acc.Groups) != 1 || acc.Groups[0] != "7C" {
		t.Fatalf("account %+v %v", acc, err)
	}
	if _, err := a.User(ctx, org.ID, u.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("still in the old organization: %v", err)
	}
	if c, _ := a.InviteCodeOf(ctx, oak.ID, g.ID); c.Uses != 1 {
		t.Fatalf("uses %d", c.Uses)
	}

	// Back to the first organization with a code that needs approval.
	a.UpdateOrganization(ctx, org.ID, app.OrganizationUpdate{SignUp: &app.SignUpSettings{Enabled: true}})
	g2, _ := a.CreateGroup(ctx, org.ID, &app.Group{Name: "Choir"})
	if _, err := a.UpdateInviteCode(ctx, org.ID, g2.ID, app.InviteCodeUpdate{RequireApproval: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	c2, _ := a.InviteCodeOf(ctx, org.ID, g2.ID)
	res, tok3, err := a.JoinWithCodeAsUser(ctx, newTok, c2.Code, "ip", true)
	if err != nil || res.Status != app.StatusPending || tok3 != "" {
		t.Fatalf("move with approval %+v %q %v", res, tok3, err)
	}
	pending, err := a.PendingSignUps(ctx, org.ID)
	if err != nil || len(pending) != 1 {
		t.Fatalf("queue %+v %v", pending, err)
	}
}

// Concurrent uses of one link: exactly one sets the password.
func TestPasswordResetSingleUseConcurrent(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	env.user(t, app.User{FirstName: "Con", Username: "con", Email: "con@maple.example"}, "con-pass-12345")
	if err := env.a.RequestPasswordReset(ctx, "con@maple.example", "192.0.2.5"); err != nil {
		t.Fatal(err)
	}
	tokens, _ := env.resetMails(t)
	if len(tokens) != 1 {
		t.Fatalf("%d links", len(tokens))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, gone := 0, 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := env.a.ResetPassword(ctx, tokens[0], fmt.Sprintf("racing-pass-%02d", i))
			mu.Lock()
			defer mu.Unlock()
			switch app.ErrorCode(err) {
			case "":
				ok++
			case app.ENOTFOUND:
				gone++
			default:
				t.Errorf("use %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || gone != 9 {
		t.Fatalf("%d succeeded, %d refused; want 1 and 9", ok, gone)
	}
}

// A person whose language Rollcall does not write (nb) gets the reset mail
// in the organization's language, not in English: as the portal speaks.
func TestResetMailInTheOrganizationsLanguage(t *testing.T) {
	env := resetEnv(t)
	ctx := context.Background()
	fi := "fi"
	if _, err := env.a.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{Language: &fi}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ola", LastName: "Nordmann", Username: "ola",
		Email: "ola@maple.example", Language: "nb"}, Password: "first-pass-123"}); err != nil {
		t.Fatal(err)
	}
	if err := env.a.RequestPasswordReset(ctx, "ola@maple.example", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	_, mails := env.resetMails(t)
	if len(mails) != 1 || !strings.HasPrefix(mails[0].subject, "Valitse uusi salasana") || mails[0].lang != "fi" {
		t.Fatalf("the mail is not Finnish: %+v", mails)
	}
}
