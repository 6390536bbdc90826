package app_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"rollcall/app"
)

const (
	staffUser = "tiina"
	staffPass = "Teacher-pass-1234"
)

// staffTwoStep is a twoStepEnv with Maple, its class 2A and Tiina, a
// teacher who administers 2A (a person with an admin role).
type staffTwoStep struct {
	*twoStepEnv
	teacher *app.User
}

func newStaffTwoStep(t *testing.T) *staffTwoStep {
	t.Helper()
	e := newTwoStepEnv(t)
	mustOrg(t, e.App, &app.Organization{Name: "Maple Primary", Slug: "maple"})
	if _, err := e.App.CreateGroup(e.ctx, "maple", &app.Group{Name: "2A"}); err != nil {
		t.Fatal(err)
	}
	u, err := e.App.CreateUser(e.ctx, "maple", app.UserCreate{User: app.User{FirstName: "Tiina", LastName: "Virtanen", Username: staffUser, AccountType: "teacher"}, Password: staffPass})
	if err != nil {
		t.Fatal(err)
	}
	if u, err = e.App.SetUserRoles(e.ctx, "maple", u.ID, app.RolesUpdate{Groups: []string{"2A"}}); err != nil {
		t.Fatal(err)
	}
	return &staffTwoStep{twoStepEnv: e, teacher: u}
}

// signIn signs Tiina in with her password alone and returns her context as
// the signed-in admin and the session's token.
func (e *staffTwoStep) signIn(t *testing.T) (*app.Admin, string) {
	t.Helper()
	adm, tok, err := e.App.SignInAdmin(e.ctx, staffUser, staffPass, "192.0.2.50")
	if err != nil || tok == "" || adm.Scope == nil {
		t.Fatalf("Tiina's password sign-in: %+v %q %v", adm, tok, err)
	}
	return adm, tok
}

// enableStaff turns two-step sign-in on for Tiina, signed in as herself.
func (e *staffTwoStep) enableStaff(t *testing.T, adm *app.Admin) (string, []string) {
	t.Helper()
	as := app.WithActor(e.ctx, app.AdminActor(adm))
	setup, err := e.App.StartTwoStep(as, e.teacher.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(setup.URL, "otpauth://totp/Rollcall:"+staffUser+"?") {
		t.Fatalf("setup URL %q", setup.URL)
	}
	codes, err := e.App.ConfirmTwoStep(as, e.teacher.ID, e.code(t, setup.Secret))
	if err != nil {
		t.Fatal(err)
	}
	return setup.Secret, codes
}

// staffPassword is the password step of Tiina's sign-in once two-step is
// on: a pending sign-in, no session.
func (e *staffTwoStep) staffPassword(t *testing.T, client string) string {
	t.Helper()
	_, out, err := e.App.SignInAdminFrom(e.ctx, app.SignIn{Login: staffUser, Password: staffPass, Client: client})
	if app.ErrorCode(err) != app.ESECONDFACTOR || out == nil || out.Pending == "" || out.Token != "" {
		t.Fatalf("Tiina's password step = %+v, %v; want second_factor_required with a pending sign-in", out, err)
	}
	return out.Pending
}

// A person with an admin role turns two-step sign-in on for herself (and
// nobody else can for her); then the password alone starts no session, a
// code does once, a wrong code is held like a wrong password (the same
// per-account count), a recovery code works once; her organization's
// admin resets it.
func TestTwoStepForAPersonWithARole(t *testing.T) {
	e := newStaffTwoStep(t)
	adm, _ := e.signIn(t)
	if adm.TwoStep {
		t.Fatal("two-step on before it was set up")
	}
	// Only she sets up her own: a server admin signed in as themself may not.
	headCtx := app.WithActor(e.ctx, app.AdminActor(e.adm))
	if _, err := e.App.StartTwoStep(headCtx, e.teacher.ID); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("a server admin starting Tiina's setup = %v, want forbidden", err)
	}
	as := app.WithActor(e.ctx, app.AdminActor(adm))
	if _, err := e.App.StartTwoStep(as, e.adm.ID); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("Tiina starting head's setup = %v, want forbidden", err)
	}
	secret, codes := e.enableStaff(t, adm)
	u, err := e.App.Store.User(e.ctx, "", e.teacher.ID)
	if err != nil || !u.TwoStep || !u.TOTP.On() || len(u.TOTP.Recovery) != app.RecoveryCodeCount {
		t.Fatalf("stored: two_step %v, %+v, %v", u.TwoStep, u.TOTP, err)
	}
	if b, _ := json.Marshal(u); bytes.Contains(b, []byte("totp")) || bytes.Contains(b, []byte("recovery")) || !bytes.Contains(b, []byte(`"two_step":true`)) {
		t.Fatalf("a person's JSON: %s", b)
	}

	pending := e.staffPassword(t, "192.0.2.51")
	if _, _, err := e.App.AdminSession(e.ctx, pending); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the pending sign-in's token works as a session: %v", err)
	}
	if _, err := e.complete(pending, "000000", "192.0.2.51"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("wrong code = %v", err)
	}
	e.Clock.Add(app.TOTPPeriod)
	got, out, err := e.App.CompleteSignIn(e.ctx, app.SecondStep{Pending: pending, Code: e.code(t, secret), Client: "192.0.2.51"})
	if err != nil || out.Token == "" || got.Scope == nil || got.ID != e.teacher.ID {
		t.Fatalf("right code = %+v %+v %v", got, out, err)
	}
	staff, sess, err := e.App.AdminSession(e.ctx, out.Token)
	if err != nil || sess.Kind != app.SessionStaff || staff.Scope == nil || !staff.TwoStep {
		t.Fatalf("the session after the code: %+v %+v %v", staff, sess, err)
	}
	if _, err := e.complete(e.staffPassword(t, "192.0.2.51"), e.code(t, secret), "192.0.2.51"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the same code again = %v, want refused", err)
	}

	// Wrong codes hold her account as wrong passwords would (the one above
	// was forgiven by the success; the replay counted once).
	e.Clock.Add(time.Minute)
	pending = e.staffPassword(t, "192.0.2.52")
	for i := 1; i < app.FreeFailures; i++ {
		if _, err := e.complete(pending, "999999", "192.0.2.52"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("wrong code %d = %v", i+1, err)
		}
	}
	if _, err := e.complete(pending, e.code(t, secret), "192.0.2.53"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("right code while held = %v, want too many", err)
	}
	if _, _, err := e.App.SignInAdminFrom(e.ctx, app.SignIn{Login: staffUser, Password: staffPass, Client: "192.0.2.54"}); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("password while held = %v, want too many", err)
	}
	holds, err := e.App.SignInHolds(e.ctx)
	if err != nil || len(holds) != 1 || holds[0].AccountID != e.teacher.ID || holds[0].Failures != app.FreeFailures {
		t.Fatalf("holds = %+v, %v", holds, err)
	}

	// After the hold a recovery code signs in, once.
	e.Clock.Add(app.FirstDelay + time.Second)
	if out, err := e.complete(pending, codes[0], "192.0.2.53"); err != nil || out.Token == "" {
		t.Fatalf("recovery code = %+v, %v", out, err)
	}
	if _, err := e.complete(e.staffPassword(t, "192.0.2.53"), codes[0], "192.0.2.53"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("the recovery code a second time = %v, want refused", err)
	}
	as = app.WithActor(e.ctx, app.AdminActor(staff))
	if st, err := e.App.TwoStepStatusOf(as, e.teacher.ID); err != nil || !st.Enabled || st.RecoveryCodesLeft != app.RecoveryCodeCount-1 {
		t.Fatalf("status %+v %v", st, err)
	}

	// Her organization's admin (here the command line, a server admin)
	// resets it; she herself may not without a code.
	if _, err := e.App.ResetUserTwoStep(as, "maple", e.teacher.ID); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("a group admin resetting = %v, want forbidden", err)
	}
	if u, err := e.App.ResetUserTwoStep(e.ctx, "maple", e.teacher.ID); err != nil || u.TwoStep || !u.TOTP.IsZero() {
		t.Fatalf("reset = %+v, %v", u, err)
	}
	e.signIn(t) // the password alone again

	// Turned on again, she turns it off herself with a code.
	e.Clock.Add(time.Minute)
	secret, _ = e.enableStaff(t, staff)
	e.Clock.Add(time.Minute)
	if _, err := e.App.TurnOffTwoStep(as, e.teacher.ID, e.teacher.ID, "", app.SignIn{Client: "192.0.2.55"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("turning off without a code = %v", err)
	}
	if _, err := e.App.TurnOffTwoStep(as, e.teacher.ID, e.teacher.ID, e.code(t, secret), app.SignIn{Client: "192.0.2.55"}); err != nil {
		t.Fatal(err)
	}
	e.signIn(t)
}

// "Require two-step sign-in for every admin" holds for people with a role:
// after the password Tiina may only set it up.
func TestRequireTwoStepForcesSetupForAPersonWithARole(t *testing.T) {
	e := newStaffTwoStep(t)
	e.enable(t) // head, who then requires it
	if _, err := e.App.SetSecurity(app.WithActor(e.ctx, app.AdminActor(e.adm)), app.SecuritySettings{RequireTwoStep: true}); err != nil {
		t.Fatal(err)
	}
	_, tok := e.signIn(t)
	if _, err := e.App.AdminBySession(e.ctx, tok); app.ErrorCode(err) != app.ETWOSTEPSETUP {
		t.Fatalf("Tiina without two-step = %v, want two_step_setup_required", err)
	}
	adm, _, err := e.App.AdminSession(e.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if need, err := e.App.TwoStepSetupNeeded(e.ctx, adm); !need || err != nil {
		t.Fatalf("setup needed = %v %v", need, err)
	}
	e.enableStaff(t, adm)
	if got, err := e.App.AdminBySession(e.ctx, tok); err != nil || got.Scope == nil {
		t.Fatalf("after the setup = %+v %v", got, err)
	}
}

// A role taken away drops the two-step record; erasing a person removes
// it from the file (a grep of the raw file for the sealed secret and the
// recovery code hashes finds nothing after the compaction).
func TestTwoStepRecordOfAPersonGoes(t *testing.T) {
	e := newStaffTwoStep(t)
	adm, _ := e.signIn(t)
	e.enableStaff(t, adm)
	if _, err := e.App.SetUserRoles(e.ctx, "maple", e.teacher.ID, app.RolesUpdate{}); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.App.Store.User(e.ctx, "", e.teacher.ID); !u.TOTP.IsZero() || u.TwoStep {
		t.Fatalf("after the role went: %+v", u.TOTP)
	}
	page, _ := e.App.AuditLog(e.ctx, "", app.AuditFilter{Action: "user.roles"})
	if len(page.Entries) == 0 || !strings.Contains(page.Entries[0].Detail, "two-step sign-in turned off") {
		t.Fatalf("the role change's entry: %+v", page.Entries)
	}

	if _, err := e.App.SetUserRoles(e.ctx, "maple", e.teacher.ID, app.RolesUpdate{Groups: []string{"2A"}}); err != nil {
		t.Fatal(err)
	}
	adm, _ = e.signIn(t) // a role given again starts without two-step
	e.Clock.Add(time.Minute)
	e.enableStaff(t, adm)
	u, err := e.App.Store.User(e.ctx, "", e.teacher.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The sealed secret as the record keeps it (its bytes), and the
	// recovery code hashes.
	forms := []string{string(u.TOTP.Secret)}
	forms = append(forms, u.TOTP.Recovery...)
	raw := func() []byte {
		b, err := os.ReadFile(e.DB.Path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, f := range forms {
		if !bytes.Contains(raw(), []byte(f)) {
			t.Fatalf("before the erasure the file lacks %q: the grep proves nothing", f)
		}
	}
	if err := e.App.EraseUser(e.ctx, "maple", e.teacher.ID, staffUser); err != nil {
		t.Fatal(err)
	}
	for _, f := range forms {
		if bytes.Contains(raw(), []byte(f)) {
			t.Errorf("after the erasure the file holds %q", f)
		}
	}
}
