package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/keyfile"
)

const (
	tfaUser = "head"
	tfaPass = "correct-horse-battery-9"
)

// twoStepEnv is an App with a key file and one admin, head.
type twoStepEnv struct {
	*apptest.Env
	adm *app.Admin
	ctx context.Context
}

func newTwoStepEnv(t *testing.T) *twoStepEnv {
	t.Helper()
	env := apptest.New(t)
	env.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	ctx := app.WithActor(context.Background(), app.CLIActor)
	adm, err := env.App.CreateAdmin(ctx, tfaUser, tfaPass, true)
	if err != nil {
		t.Fatal(err)
	}
	return &twoStepEnv{Env: env, adm: adm, ctx: ctx}
}

// code is the authenticator app's code for secret at the test's clock.
func (e *twoStepEnv) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enable turns two-step sign-in on for head and returns the secret and the
// recovery codes.
func (e *twoStepEnv) enable(t *testing.T) (string, []string) {
	t.Helper()
	setup, err := e.App.StartTwoStep(e.ctx, e.adm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(setup.URL, "otpauth://totp/Rollcall:head?") || !strings.Contains(setup.URL, "secret="+setup.Secret) {
		t.Fatalf("setup URL %q", setup.URL)
	}
	codes, err := e.App.ConfirmTwoStep(e.ctx, e.adm.ID, e.code(t, setup.Secret))
	if err != nil {
		t.Fatal(err)
	}
	return setup.Secret, codes
}

// password signs head in with the password from client and returns the
// pending sign-in's token; it fails the test unless a code is asked for.
func (e *twoStepEnv) password(t *testing.T, client string) string {
	t.Helper()
	_, out, err := e.App.SignInAdminFrom(e.ctx, app.SignIn{Login: tfaUser, Password: tfaPass, Client: client})
	if app.ErrorCode(err) != app.ESECONDFACTOR || out == nil || out.Pending == "" || out.Token != "" {
		t.Fatalf("password step = %+v, %v; want second_factor_required with a pending sign-in and no session", out, err)
	}
	return out.Pending
}

func (e *twoStepEnv) complete(pending, code, client string) (*app.SignedIn, error) {
	_, out, err := e.App.CompleteSignIn(e.ctx, app.SecondStep{Pending: pending, Code: code, Client: client})
	return out, err
}

// Issue 13 #3: once two-step sign-in is on, the password alone starts no
// session; the code does, once; a wrong code is refused.
func TestTwoStepSignInNeedsTheCode(t *testing.T) {
	e := newTwoStepEnv(t)
	// Setup: a wrong code does not turn it on.
	setup, err := e.App.StartTwoStep(e.ctx, e.adm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.ConfirmTwoStep(e.ctx, e.adm.ID, "000000"); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("confirm with a wrong code = %v, want invalid", err)
	}
	if _, tok, err := e.App.SignInAdmin(e.ctx, tfaUser, tfaPass, "192.0.2.9"); err != nil || tok == "" {
		t.Fatalf("before it is confirmed the password alone signs in: %q %v", tok, err)
	}
	confirmCode := e.code(t, setup.Secret)
	codes, err := e.App.ConfirmTwoStep(e.ctx, e.adm.ID, confirmCode)
	if err != nil || len(codes) != app.RecoveryCodeCount {
		t.Fatalf("confirm = %v, %v", codes, err)
	}

	pending := e.password(t, "192.0.2.1")
	// The pending token is no session.
	if _, err := e.App.AdminBySession(e.ctx, pending); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the pending sign-in's token works as a session: %v", err)
	}
	// The code that confirmed the setup is used: not accepted again.
	if _, err := e.complete(pending, confirmCode, "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED || !strings.Contains(app.ErrorMessage(err), "used already") {
		t.Fatalf("replayed confirm code = %v, want refused as used", err)
	}
	if _, err := e.complete(pending, "123456", "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("wrong code = %v", err)
	}
	e.Clock.Add(30 * time.Second)
	good := e.code(t, setup.Secret)
	out, err := e.complete(pending, good, "192.0.2.1")
	if err != nil || out.Token == "" {
		t.Fatalf("right code = %+v, %v", out, err)
	}
	if adm, err := e.App.AdminBySession(e.ctx, out.Token); err != nil || adm.ID != e.adm.ID {
		t.Fatalf("session after two steps: %v %v", adm, err)
	}
	// The pending sign-in ended with the success.
	if _, err := e.complete(pending, good, "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED || !strings.Contains(app.ErrorMessage(err), "took too long") {
		t.Fatalf("a finished pending sign-in again = %v", err)
	}
	// The same code within its window, on a new pending sign-in: refused.
	e.Clock.Add(5 * time.Second)
	p2 := e.password(t, "192.0.2.2")
	if _, err := e.complete(p2, good, "192.0.2.2"); app.ErrorCode(err) != app.EUNAUTHORIZED || !strings.Contains(app.ErrorMessage(err), "used already") {
		t.Fatalf("replayed code within its 30 s = %v, want refused", err)
	}
	// A pending sign-in lasts PendingSignInTTL.
	e.Clock.Add(app.PendingSignInTTL)
	if _, err := e.complete(p2, e.code(t, setup.Secret), "192.0.2.2"); app.ErrorCode(err) != app.EUNAUTHORIZED || !strings.Contains(app.ErrorMessage(err), "took too long") {
		t.Fatalf("an expired pending sign-in = %v", err)
	}

	// One audit entry per sign-in, naming what was used, never the code.
	page, err := e.App.AuditLog(e.ctx, "", app.AuditFilter{Action: "admin.sign_in"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, en := range page.Entries {
		if strings.Contains(en.Detail, "authenticator code") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d sign-in entries with a code, want 1: %+v", n, page.Entries)
	}
}

// Issue 13 #3: a wrong code is limited like a wrong password: the same
// per-account count, so after FreeFailures wrong codes the account is
// held, for codes and passwords alike; and a right password in between
// forgives nothing (else the password would reset the code's count).
func TestTwoStepWrongCodesHoldTheAccount(t *testing.T) {
	e := newTwoStepEnv(t)
	secret, _ := e.enable(t)
	e.Clock.Add(time.Minute)
	pending := e.password(t, "192.0.2.1")
	for i := range 3 {
		if _, err := e.complete(pending, "000000", "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong code %d = %v", i+1, err)
		}
	}
	pending = e.password(t, "192.0.2.3") // from elsewhere: the account's count goes on
	for i := 3; i < app.FreeFailures; i++ {
		if _, err := e.complete(pending, "999999", "192.0.2.3"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong code %d = %v", i+1, err)
		}
	}
	// Held now: even the right code and the right password wait.
	if _, err := e.complete(pending, e.code(t, secret), "192.0.2.4"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("right code while held = %v, want too many", err)
	}
	if _, _, err := e.App.SignInAdminFrom(e.ctx, app.SignIn{Login: tfaUser, Password: tfaPass, Client: "192.0.2.5"}); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("password while held = %v, want too many", err)
	}
	holds, err := e.App.SignInHolds(e.ctx)
	if err != nil || len(holds) != 1 || holds[0].Failures != app.FreeFailures || holds[0].Username != tfaUser {
		t.Fatalf("holds = %+v, %v", holds, err)
	}
	// After the hold the right code signs in and forgives the failures.
	e.Clock.Add(app.FirstDelay + time.Second)
	out, err := e.complete(pending, e.code(t, secret), "192.0.2.4")
	if err != nil || out.Token == "" || out.Failed != app.FreeFailures {
		t.Fatalf("after the hold = %+v, %v; want a session told of %d failures", out, err, app.FreeFailures)
	}
	if holds, _ := e.App.SignInHolds(e.ctx); len(holds) != 0 {
		t.Fatalf("holds after success = %+v", holds)
	}
}

// Wrong codes count per client address too, as wrong passwords do: 29
// wrong passwords for names that do not exist and one wrong code fill the
// address's allowance of 30, and the next attempt from it is refused.
func TestTwoStepWrongCodesCountPerAddress(t *testing.T) {
	e := newTwoStepEnv(t)
	e.enable(t)
	const addr = "198.51.100.7"
	pending := e.password(t, addr)
	for i := 0; i < app.AddressFailures-1; i++ {
		in := app.SignIn{Login: fmt.Sprintf("nobody%d", i), Password: "wrong-password-1", Client: addr}
		if _, _, err := e.App.SignInAdminFrom(e.ctx, in); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong password %d = %v", i+1, err)
		}
	}
	if _, err := e.complete(pending, "000000", addr); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("wrong code = %v", err)
	}
	if _, _, err := e.App.SignInAdminFrom(e.ctx, app.SignIn{Login: tfaUser, Password: tfaPass, Client: addr}); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("the address after 29 wrong passwords and 1 wrong code = %v, want too many", err)
	}
	// Another address is not held: the account itself had one failure.
	e.password(t, "198.51.100.8")
}

// Issue 13 #3: each recovery code works once; new codes replace the old.
func TestRecoveryCodesWorkOnceEach(t *testing.T) {
	e := newTwoStepEnv(t)
	secret, codes := e.enable(t)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != app.RecoveryCodeLength+1 || seen[c] {
			t.Fatalf("recovery codes %v", codes)
		}
		seen[c] = true
	}
	for i, c := range codes[:3] {
		typed := c
		if i == 1 {
			typed = strings.ToLower(strings.ReplaceAll(c, "-", " ")) // as a person types it
		}
		if i == 2 { // a zero read as the letter O, a one as I
			typed = strings.NewReplacer("0", "O", "1", "I").Replace(c)
		}
		out, err := e.complete(e.password(t, "192.0.2.1"), typed, "192.0.2.1")
		if err != nil || out.Token == "" {
			t.Fatalf("recovery code %d: %v", i, err)
		}
		if _, err := e.complete(e.password(t, "192.0.2.1"), c, "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("recovery code %d a second time = %v, want refused", i, err)
		}
	}
	st, err := e.App.TwoStepStatusOf(e.ctx, e.adm.ID)
	if err != nil || !st.Enabled || st.RecoveryCodesLeft != app.RecoveryCodeCount-3 {
		t.Fatalf("status %+v %v", st, err)
	}
	// New codes: the old unused ones stop working.
	e.Clock.Add(time.Minute)
	fresh, err := e.App.NewRecoveryCodes(e.ctx, e.adm.ID, e.code(t, secret), app.SignIn{Client: "192.0.2.1"})
	if err != nil || len(fresh) != app.RecoveryCodeCount {
		t.Fatal(fresh, err)
	}
	if _, err := e.complete(e.password(t, "192.0.2.1"), codes[5], "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("an old recovery code after new ones = %v", err)
	}
	if _, err := e.complete(e.password(t, "192.0.2.1"), fresh[0], "192.0.2.1"); err != nil {
		t.Fatalf("a new recovery code: %v", err)
	}
	// Turning off needs a right code from the admin themself; another admin resets without one.
	if _, err := e.App.TurnOffTwoStep(e.ctx, e.adm.ID, tfaUser, "", app.SignIn{Client: "192.0.2.1"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("turning off without a code = %v", err)
	}
	if _, err := e.App.TurnOffTwoStep(e.ctx, e.adm.ID, tfaUser, fresh[1], app.SignIn{Client: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if _, tok, err := e.App.SignInAdmin(e.ctx, tfaUser, tfaPass, "192.0.2.1"); err != nil || tok == "" {
		t.Fatalf("after turning off, the password alone signs in: %v", err)
	}
	e.enable(t)
	deputy, err := e.App.CreateAdmin(e.ctx, "deputy", "Unusual-horse-staple-9", false)
	if err != nil {
		t.Fatal(err)
	}
	if adm, err := e.App.TurnOffTwoStep(e.ctx, deputy.ID, tfaUser, "", app.SignIn{}); err != nil || adm.TwoStep {
		t.Fatalf("reset by another admin = %+v, %v", adm, err)
	}
}

// The secret and the recovery codes are in the file only sealed or
// hashed: a copy of the database alone holds neither.
func TestTwoStepSecretsNotInTheFile(t *testing.T) {
	e := newTwoStepEnv(t)
	secret, codes := e.enable(t)
	raw, err := os.ReadFile(e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]string{secret}, codes...) {
		for _, form := range []string{s, strings.ReplaceAll(s, "-", "")} {
			if bytes.Contains(raw, []byte(form)) {
				t.Errorf("the database file holds %q", form)
			}
		}
	}
	adm, err := e.App.Store.Admin(e.ctx, e.adm.ID)
	if err != nil || len(adm.TOTP.Secret) == 0 || len(adm.TOTP.Recovery) != app.RecoveryCodeCount {
		t.Fatalf("stored two-step: %+v %v", adm, err)
	}
	// Nor does the audit log name them (the whole log's text).
	page, _ := e.App.AuditLog(e.ctx, "", app.AuditFilter{})
	for _, en := range page.Entries {
		for _, s := range append([]string{secret}, codes...) {
			if strings.Contains(en.Detail+en.Target.Name, s) {
				t.Errorf("audit entry %+v names %q", en, s)
			}
		}
	}
}

// Issue 13: a server admin may require two-step sign-in for every admin;
// an admin without it is then sent to set it up right after the password
// and can do nothing else until then.
func TestRequireTwoStepForcesSetup(t *testing.T) {
	e := newTwoStepEnv(t)
	deputy, err := e.App.CreateAdmin(e.ctx, "deputy", "Unusual-horse-staple-9", false)
	if err != nil {
		t.Fatal(err)
	}
	headCtx := app.WithActor(e.ctx, app.AdminActor(e.adm))
	if _, err := e.App.SetSecurity(headCtx, app.SecuritySettings{RequireTwoStep: true}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("requiring it without having it = %v, want conflict", err)
	}
	e.enable(t)
	if _, err := e.App.SetSecurity(headCtx, app.SecuritySettings{RequireTwoStep: true}); err != nil {
		t.Fatal(err)
	}
	_, tok, err := e.App.SignInAdmin(e.ctx, "deputy", "Unusual-horse-staple-9", "192.0.2.8")
	if err != nil || tok == "" {
		t.Fatalf("deputy's password step: %v", err)
	}
	if _, err := e.App.AdminBySession(e.ctx, tok); app.ErrorCode(err) != app.ETWOSTEPSETUP {
		t.Fatalf("deputy without two-step = %v, want two_step_setup_required", err)
	}
	adm, _, err := e.App.AdminSession(e.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if need, err := e.App.TwoStepSetupNeeded(e.ctx, adm); !need || err != nil {
		t.Fatalf("setup needed = %v %v", need, err)
	}
	setup, err := e.App.StartTwoStep(e.ctx, deputy.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.ConfirmTwoStep(e.ctx, deputy.ID, e.code(t, setup.Secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.AdminBySession(e.ctx, tok); err != nil {
		t.Fatalf("after the setup = %v", err)
	}
	// Turned off again, the rule holds.
	if _, err := e.App.SetSecurity(headCtx, app.SecuritySettings{RequireTwoStep: false}); err != nil {
		t.Fatal(err)
	}
	if s, err := e.App.Security(e.ctx); err != nil || s.RequireTwoStep {
		t.Fatalf("security = %+v %v", s, err)
	}
}

// Issue 13: admins have a display name that the UI and mails use.
func TestAdminDisplayName(t *testing.T) {
	e := newTwoStepEnv(t)
	if e.adm.DisplayName() != tfaUser {
		t.Fatalf("display name without a name = %q", e.adm.DisplayName())
	}
	adm, err := e.App.SetAdminName(e.ctx, tfaUser, "  Ms Virtanen ")
	if err != nil || adm.Name != "Ms Virtanen" || adm.DisplayName() != "Ms Virtanen" {
		t.Fatalf("SetAdminName = %+v, %v", adm, err)
	}
	for _, bad := range []string{"Ms\nBcc: x@evil.example", strings.Repeat("x", app.MaxAdminNameLength+1)} {
		if _, err := e.App.SetAdminName(e.ctx, tfaUser, bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("SetAdminName(%q) = %v, want invalid", bad, err)
		}
	}
	if adm, _ := e.App.Store.Admin(e.ctx, e.adm.ID); adm.Name != "Ms Virtanen" {
		t.Fatalf("stored name %q", adm.Name)
	}
}

// Issue 13: an admin lists their own sessions, signs one out, or all but
// this one; disabling an admin ends their pending sign-ins too.
func TestMySessions(t *testing.T) {
	e := newTwoStepEnv(t)
	_, first, err := e.App.SignInAdmin(e.ctx, tfaUser, tfaPass, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(time.Minute)
	_, second, _ := e.App.SignInAdmin(e.ctx, tfaUser, tfaPass, "192.0.2.2")
	e.Clock.Add(time.Minute)
	_, third, _ := e.App.SignInAdmin(e.ctx, tfaUser, tfaPass, "2001:db8::/64")
	list, err := e.App.MySessions(e.ctx, second)
	if err != nil || len(list) != 3 {
		t.Fatalf("MySessions = %+v, %v", list, err)
	}
	if list[0].Client != "192.0.2.1" || list[1].Client != "192.0.2.2" || !list[1].Current || list[0].Current || list[2].Current {
		t.Fatalf("sessions %+v", list)
	}
	if err := e.App.EndMySession(e.ctx, second, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.AdminBySession(e.ctx, first); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the signed-out session still works: %v", err)
	}
	if err := e.App.EndMySession(e.ctx, second, "0123456789abcdef"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("ending an unknown session = %v", err)
	}
	// Another admin's session cannot be named.
	deputy, _ := e.App.CreateAdmin(e.ctx, "deputy", "Unusual-horse-staple-9", false)
	_, dtok, _ := e.App.SignInAdmin(e.ctx, "deputy", "Unusual-horse-staple-9", "192.0.2.9")
	dlist, _ := e.App.MySessions(e.ctx, dtok)
	if err := e.App.EndMySession(e.ctx, second, dlist[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("ending another admin's session = %v", err)
	}
	n, err := e.App.EndMyOtherSessions(e.ctx, second)
	if err != nil || n != 1 {
		t.Fatalf("EndMyOtherSessions = %d, %v", n, err)
	}
	if _, err := e.App.AdminBySession(e.ctx, third); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatal("a session elsewhere outlived sign out everywhere else")
	}
	if _, err := e.App.AdminBySession(e.ctx, second); err != nil {
		t.Fatalf("this session ended too: %v", err)
	}
	if _, err := e.App.AdminBySession(e.ctx, dtok); err != nil {
		t.Fatalf("another admin's session ended: %v", err)
	}
	// Disabling ends sessions and a pending two-step sign-in alike.
	e.enable(t)
	pending := e.password(t, "192.0.2.1")
	if _, err := e.App.SetAdminDisabled(e.ctx, tfaUser, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.AdminBySession(e.ctx, second); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatal("a disabled admin's session lives on")
	}
	if _, err := e.complete(pending, "000000", "192.0.2.1"); app.ErrorCode(err) != app.EUNAUTHORIZED || !strings.Contains(app.ErrorMessage(err), "took too long") {
		t.Fatalf("a disabled admin's pending sign-in = %v", err)
	}
	_ = deputy
}
