package httpapi_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"rollcall/app"
	"rollcall/app/keyfile"
)

// totpCode is an authenticator app's code for secret at time at.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cookieOf(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// secondFactor posts a code with the pending sign-in cookie.
func (e *env) secondFactor(t *testing.T, pending, code string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(t, "POST", "/api/session/second-factor", map[string]string{"code": code})
	if pending != "" {
		req.AddCookie(&http.Cookie{Name: "rollcall_signin", Value: pending})
	}
	return e.serve(req)
}

// Issue 13 #3 through the API: an admin turns two-step sign-in on (the QR
// code reads back as the otpauth address), signs out, and signs in with the
// password, which answers second_factor_required with an HttpOnly pending
// cookie and no session, then the code; a wrong code is refused.
func TestTwoStepSignInOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	cookie := e.setup(t)

	st := call[app.TwoStepStatus](t, e, "GET", "/api/me/two-step", nil, cookie, http.StatusOK)
	if st.Enabled || st.Required {
		t.Fatalf("status %+v", st)
	}
	setup := call[struct {
		Secret string `json:"secret"`
		URL    string `json:"url"`
		QR     string `json:"qr"`
	}](t, e, "POST", "/api/me/two-step/setup", nil, cookie, http.StatusOK)
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(setup.QR, "data:image/png;base64,"))
	if err != nil || !strings.HasPrefix(setup.QR, "data:image/png;base64,") {
		t.Fatalf("qr %.40q: %v", setup.QR, err)
	}
	if got := decodeQR(t, png, false); got != setup.URL || !strings.HasPrefix(got, "otpauth://totp/Rollcall:"+adminName) {
		t.Fatalf("the QR code reads %q, want %q", got, setup.URL)
	}
	code, body := e.do(t, "POST", "/api/me/two-step/confirm", map[string]string{"code": "000000"}, cookie)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "code")
	codes := call[struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}](t, e, "POST", "/api/me/two-step/confirm", map[string]string{"code": totpCode(t, setup.Secret, e.Clock.Now())}, cookie, http.StatusOK).RecoveryCodes
	if len(codes) != app.RecoveryCodeCount {
		t.Fatalf("recovery codes %v", codes)
	}
	if code, _ := e.do(t, "DELETE", "/api/session", nil, cookie); code != http.StatusNoContent {
		t.Fatalf("sign out = %d", code)
	}

	// The password: no session, a pending cookie, second_factor_required.
	e.Clock.Add(time.Minute)
	rec := e.signIn(t, adminName, adminPassword, lanAddr)
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusUnauthorized, app.ESECONDFACTOR, "")
	if c := cookieOf(rec, cookieName); c != nil && c.Value != "" {
		t.Fatalf("a session cookie after the password alone: %+v", c)
	}
	pending := cookieOf(rec, "rollcall_signin")
	if pending == nil || pending.Value == "" || !pending.HttpOnly || pending.SameSite != http.SameSiteStrictMode ||
		pending.Path != "/api/session" || pending.MaxAge != int(app.PendingSignInTTL/time.Second) {
		t.Fatalf("pending cookie %+v", pending)
	}
	// It opens nothing.
	code, body = e.do(t, "GET", "/api/organizations", nil, pending.Value)
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	// Without it, or with a wrong code: refused.
	rec = e.secondFactor(t, "", totpCode(t, setup.Secret, e.Clock.Now()))
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	rec = e.secondFactor(t, pending.Value, "000000")
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusUnauthorized, app.EUNAUTHORIZED, "code")
	// The right code: a session, the pending cookie cleared.
	rec = e.secondFactor(t, pending.Value, totpCode(t, setup.Secret, e.Clock.Now()))
	if rec.Code != http.StatusOK {
		t.Fatalf("second factor = %d %s", rec.Code, rec.Body)
	}
	if c := cookieOf(rec, "rollcall_signin"); c == nil || c.MaxAge >= 0 {
		t.Fatalf("the pending cookie was not cleared: %+v", c)
	}
	session := sessionCookie(t, rec).Value
	if got := call[map[string]any](t, e, "GET", "/api/session", nil, session, http.StatusOK)["username"]; got != adminName {
		t.Fatalf("session of %v", got)
	}
	// The device is known now: the device cookie was set.
	if cookieOf(rec, "rollcall_device") == nil {
		t.Fatal("no known-device cookie after the two steps")
	}

	// A recovery code works once, through the same route.
	e.Clock.Add(time.Minute)
	pending = cookieOf(e.signIn(t, adminName, adminPassword, lanAddr), "rollcall_signin")
	if rec := e.secondFactor(t, pending.Value, codes[0]); rec.Code != http.StatusOK {
		t.Fatalf("recovery code = %d %s", rec.Code, rec.Body)
	}
	pending = cookieOf(e.signIn(t, adminName, adminPassword, lanAddr), "rollcall_signin")
	rec = e.secondFactor(t, pending.Value, codes[0])
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusUnauthorized, app.EUNAUTHORIZED, "code")
}

// Issue 13: with two-step sign-in required, an admin without it gets a
// session whose only use is setting it up: every other admin route answers
// 403 two_step_setup_required, the session says so, and after the setup
// everything works.
func TestRequiredTwoStepOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	head := e.setup(t)
	ctx := context.Background()
	// head turns it on for themself, then requires it.
	code, body := e.do(t, "PUT", "/api/security", map[string]any{"require_two_step": true}, head)
	checkError(t, code, body, http.StatusConflict, app.ECONFLICT, "require_two_step")
	setup := call[app.TwoStepSetup](t, e, "POST", "/api/me/two-step/setup", nil, head, http.StatusOK)
	call[map[string]any](t, e, "POST", "/api/me/two-step/confirm", map[string]string{"code": totpCode(t, setup.Secret, e.Clock.Now())}, head, http.StatusOK)
	if got := call[app.SecuritySettings](t, e, "PUT", "/api/security", map[string]any{"require_two_step": true}, head, http.StatusOK); !got.RequireTwoStep {
		t.Fatal(got)
	}
	call[map[string]any](t, e, "POST", "/api/admins", map[string]string{"username": "deputy", "password": "Unusual-horse-staple-9"}, head, http.StatusCreated)

	rec := e.signIn(t, "deputy", "Unusual-horse-staple-9", lanAddr)
	if rec.Code != http.StatusOK {
		t.Fatalf("deputy's sign-in = %d %s", rec.Code, rec.Body)
	}
	if got := decodeBody(t, rec)["two_step_setup_required"]; got != true {
		t.Fatalf("sign-in answer does not ask for the setup: %v", got)
	}
	deputy := sessionCookie(t, rec).Value
	if got := call[map[string]any](t, e, "GET", "/api/session", nil, deputy, http.StatusOK)["two_step_setup_required"]; got != true {
		t.Fatalf("session does not ask for the setup: %v", got)
	}
	for _, r := range [][2]string{{"GET", "/api/organizations"}, {"GET", "/api/admins"}, {"POST", "/api/organizations"}, {"GET", "/api/security"}, {"PUT", "/api/security"}} {
		code, body := e.do(t, r[0], r[1], map[string]any{"name": "Birch"}, deputy)
		checkError(t, code, body, http.StatusForbidden, app.ETWOSTEPSETUP, "")
	}
	if orgs, _ := e.App.Organizations(ctx); len(orgs) != 0 {
		t.Fatalf("an organization was created before the setup: %v", orgs)
	}
	// The setup and one's own sessions work.
	call[map[string]any](t, e, "GET", "/api/me/sessions", nil, deputy, http.StatusOK)
	setup = call[app.TwoStepSetup](t, e, "POST", "/api/me/two-step/setup", nil, deputy, http.StatusOK)
	call[map[string]any](t, e, "POST", "/api/me/two-step/confirm", map[string]string{"code": totpCode(t, setup.Secret, e.Clock.Now())}, deputy, http.StatusOK)
	call[map[string]any](t, e, "GET", "/api/organizations", nil, deputy, http.StatusOK)
}

// Issue 13: the display name is set through the API, shown by the session,
// and names the inviter in the invitation mail's words.
func TestAdminNameOverHTTP(t *testing.T) {
	e := newEnv(t)
	head := e.setup(t)
	code, body := e.do(t, "PUT", "/api/admins/"+adminName+"/name", map[string]string{"name": "Ms\r\nVirtanen"}, head)
	checkError(t, code, body, http.StatusBadRequest, app.EINVALID, "name")
	adm := call[app.Admin](t, e, "PUT", "/api/admins/"+adminName+"/name", map[string]string{"name": "Ms Virtanen"}, head, http.StatusOK)
	if adm.Name != "Ms Virtanen" {
		t.Fatal(adm)
	}
	if got := call[map[string]any](t, e, "GET", "/api/session", nil, head, http.StatusOK)["name"]; got != "Ms Virtanen" {
		t.Fatalf("session name %v", got)
	}
	list := call[map[string][]app.Admin](t, e, "GET", "/api/admins", nil, head, http.StatusOK)["admins"]
	if len(list) != 1 || list[0].Name != "Ms Virtanen" || list[0].TwoStep {
		t.Fatalf("admins %+v", list)
	}
}

// Issue 13: one's own sessions through the API: listed with the current one
// marked, one signed out by its ID, and the others all at once.
func TestMySessionsOverHTTP(t *testing.T) {
	e := newEnv(t)
	head := e.setup(t)
	e.Clock.Add(time.Minute)
	other := sessionCookie(t, e.signIn(t, adminName, adminPassword, "198.51.100.4:5555")).Value
	e.Clock.Add(time.Minute)
	third := sessionCookie(t, e.signIn(t, adminName, adminPassword, "198.51.100.5:5555")).Value
	list := call[struct {
		Sessions []app.SessionView `json:"sessions"`
	}](t, e, "GET", "/api/me/sessions", nil, head, http.StatusOK).Sessions
	if len(list) != 3 || !list[0].Current || list[0].Client != "127.0.0.1" || list[1].Client != "198.51.100.4" || len(list[1].ID) != 16 {
		t.Fatalf("sessions %+v", list)
	}
	if code, _ := e.do(t, "DELETE", "/api/me/sessions/"+list[1].ID, nil, head); code != http.StatusNoContent {
		t.Fatalf("end one = %d", code)
	}
	code, body := e.do(t, "GET", "/api/organizations", nil, other)
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	if got := call[map[string]int](t, e, "POST", "/api/me/sessions/sign-out-others", nil, head, http.StatusOK)["ended"]; got != 1 {
		t.Fatalf("ended %d", got)
	}
	code, body = e.do(t, "GET", "/api/organizations", nil, third)
	checkError(t, code, body, http.StatusUnauthorized, app.EUNAUTHORIZED, "")
	call[map[string]any](t, e, "GET", "/api/organizations", nil, head, http.StatusOK)
}

// Two-step sign-in for a person with an admin role, through the API: the
// teacher of 2A turns it on at /api/me/two-step, signs in with the password
// (a pending sign-in) and the code into a staff session that reaches 2A,
// and Maple's admin resets it (DELETE .../users/{user}/two-step).
func TestTwoStepForATeacherOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	server := e.setup(t)
	org := e.createOrg(t, server, map[string]any{"name": "Maple Primary", "slug": "maple"})
	g := e.createGroup(t, server, org.ID, map[string]any{"name": "2A"})
	teacher := e.createUser(t, server, org.ID, map[string]any{"first_name": "Tiina", "last_name": "Virtanen", "username": "t.virtanen",
		"password": "Teacher-pass-1234", "account_type": "teacher"})
	call[app.User](t, e, "PUT", "/api/organizations/"+org.ID+"/users/"+teacher.ID+"/roles", map[string]any{"groups": []string{"2A"}}, server, http.StatusOK)
	cookie := sessionCookie(t, e.signIn(t, "t.virtanen", "Teacher-pass-1234", lanAddr)).Value

	if st := call[app.TwoStepStatus](t, e, "GET", "/api/me/two-step", nil, cookie, http.StatusOK); st.Enabled {
		t.Fatalf("status %+v", st)
	}
	setup := call[struct {
		Secret string `json:"secret"`
	}](t, e, "POST", "/api/me/two-step/setup", nil, cookie, http.StatusOK)
	call[map[string]any](t, e, "POST", "/api/me/two-step/confirm", map[string]string{"code": totpCode(t, setup.Secret, e.Clock.Now())}, cookie, http.StatusOK)
	if u := call[app.User](t, e, "GET", "/api/organizations/"+org.ID+"/users/"+teacher.ID, nil, server, http.StatusOK); !u.TwoStep {
		t.Fatal("the user dialog does not see her two-step sign-in")
	}

	e.Clock.Add(time.Minute)
	rec := e.signIn(t, "t.virtanen", "Teacher-pass-1234", lanAddr)
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusUnauthorized, app.ESECONDFACTOR, "")
	pending := cookieOf(rec, "rollcall_signin")
	rec = e.secondFactor(t, pending.Value, "000000")
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusUnauthorized, app.EUNAUTHORIZED, "code")
	rec = e.secondFactor(t, pending.Value, totpCode(t, setup.Secret, e.Clock.Now()))
	if rec.Code != http.StatusOK {
		t.Fatalf("second factor = %d %s", rec.Code, rec.Body)
	}
	staff := sessionCookie(t, rec).Value
	call[app.Group](t, e, "GET", "/api/organizations/"+org.ID+"/groups/"+g.ID, nil, staff, http.StatusOK)
	if s := call[map[string]any](t, e, "GET", "/api/session", nil, staff, http.StatusOK); s["scope"] == nil {
		t.Fatalf("session %v", s)
	}

	// Her organization's admin resets it; then the password alone signs in.
	code, body := e.do(t, "DELETE", "/api/organizations/"+org.ID+"/users/"+teacher.ID+"/two-step", nil, staff)
	checkError(t, code, body, http.StatusForbidden, app.EFORBIDDEN, "")
	call[app.User](t, e, "DELETE", "/api/organizations/"+org.ID+"/users/"+teacher.ID+"/two-step", nil, server, http.StatusOK)
	sessionCookie(t, e.signIn(t, "t.virtanen", "Teacher-pass-1234", lanAddr))
}
