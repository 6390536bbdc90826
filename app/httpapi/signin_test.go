package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"rollcall/app"
)

// Issue 10, defect 2: a success must not forgive the address's failures.
// Whoever has one account guesses other accounts from one address, and
// signs in to their own account after every 9 wrong guesses: the address
// still reaches its limit (429), then even the right password is refused.
func TestSignInSuccessKeepsAddressFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup(t)
	if _, err := e.App.CreateAdmin(context.Background(), "own.admin", "own-admin-password-1", false); err != nil {
		t.Fatal(err)
	}
	attacker := "198.51.100.40:1000"
	wrong := 0
	for round := range 20 {
		for i := range 9 {
			// Each guess at another (unknown) account, so no account limit is reached.
			rec := e.signIn(t, fmt.Sprintf("victim%d.%d", round, i), "guess", attacker)
			if rec.Code == http.StatusTooManyRequests {
				if wrong < 10 {
					t.Fatalf("429 after only %d failures", wrong)
				}
				// Even the right password of one's own account is refused now.
				rec = e.signIn(t, "own.admin", "own-admin-password-1", attacker)
				checkError(t, rec.Code, decodeBody(t, rec), http.StatusTooManyRequests, app.ETOOMANY, "")
				return
			}
			wrong++
		}
		if got := e.signIn(t, "own.admin", "own-admin-password-1", attacker).Code; got != http.StatusOK && got != http.StatusTooManyRequests {
			t.Fatalf("own sign-in = %d", got)
		}
	}
	t.Fatalf("%d wrong passwords from one address, interleaved with successes, were all checked: the address limit never applied", wrong)
}

// Issue 10, defect 4: a class behind one school router signs in at once.
// 30 pupils with the right passwords from one address all get in.
func TestClassSignsInAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple"}); err != nil {
		t.Fatal(err)
	}
	const n = 30
	// A hash that takes a while, as a real one does, so the requests overlap.
	e.App.Hash = app.HashParams{Memory: 1024, Time: 20, Threads: 1}
	for i := range n {
		if _, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Pupil", Username: fmt.Sprintf("pupil%02d", i)}, Password: "a fine password 1"}); err != nil {
			t.Fatal(err)
		}
	}
	codes := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := newRequest(t, "POST", "/api/public/signin", map[string]string{"login": fmt.Sprintf("pupil%02d", i), "password": "a fine password 1"})
			req.RemoteAddr = "10.20.30.40:5000" // the school router
			<-start
			codes[i] = e.serve(req).Code
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusOK] != n {
		t.Fatalf("%d pupils signing in at once from one address: %v; want all %d with 200", n, count, n)
	}
}

// Issue 10, defect 3: nobody can lock an account from elsewhere. Ten wrong
// passwords from ten addresses hold an admin and pupils back for a while,
// but a browser on which the account signed in before still signs in, the
// admin sees the held accounts and unlocks them, and the owner is told.
func TestNoLockoutByOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adminCookie := e.setup(t)
	ctx := context.Background()
	if _, err := e.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple"}); err != nil {
		t.Fatal(err)
	}
	pupils := map[string]string{}
	for _, name := range []string{"pupil.one", "pupil.two"} {
		u, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Pupil", Username: name}, Password: "a fine password 1"})
		if err != nil {
			t.Fatal(err)
		}
		pupils[name] = u.ID
	}
	post := func(path string, body map[string]string, addr string, jar []*http.Cookie) *httptest.ResponseRecorder {
		t.Helper()
		req := newRequest(t, "POST", path, body)
		req.RemoteAddr = addr
		for _, c := range jar {
			req.AddCookie(c)
		}
		return e.serve(req)
	}
	admin := func(password, addr string, jar []*http.Cookie) *httptest.ResponseRecorder {
		return post("/api/session", map[string]string{"username": adminName, "password": password}, addr, jar)
	}
	pupil := func(login, password, addr string, jar []*http.Cookie) *httptest.ResponseRecorder {
		return post("/api/public/signin", map[string]string{"login": login, "password": password}, addr, jar)
	}
	// The admin's laptop and pupil.one's tablet signed in before.
	rec := admin(adminPassword, "192.0.2.10:1000", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("admin sign-in = %d", rec.Code)
	}
	laptop := rec.Result().Cookies()
	rec = pupil("pupil.one", "a fine password 1", "10.1.1.1:1000", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("pupil sign-in = %d", rec.Code)
	}
	tablet := rec.Result().Cookies()

	e.Clock.Add(time.Hour)
	attackStart := e.Clock.Now()
	for i := range 10 { // ten wrong passwords from ten addresses
		addr := fmt.Sprintf("198.51.100.%d:1000", i)
		admin(fmt.Sprintf("guess-%d", i), addr, nil)
		pupil("pupil.one", fmt.Sprintf("guess-%d", i), addr, nil)
		pupil("pupil.two", fmt.Sprintf("guess-%d", i), addr, nil)
		e.Clock.Add(time.Second)
	}
	// A new browser is held back, even with the right password.
	for _, rec := range []*httptest.ResponseRecorder{
		admin(adminPassword, "203.0.113.1:1000", nil),
		pupil("pupil.one", "a fine password 1", "203.0.113.1:1000", nil),
		pupil("pupil.two", "a fine password 1", "203.0.113.1:1000", nil),
	} {
		checkError(t, rec.Code, decodeBody(t, rec), http.StatusTooManyRequests, app.ETOOMANY, "")
	}

	// The admin sees the held accounts.
	holds := call[[]app.SignInHold](t, e, "GET", "/api/signin-holds", nil, adminCookie, http.StatusOK)
	held := map[string]app.SignInHold{}
	for _, h := range holds {
		held[h.Username] = h
	}
	for _, name := range []string{adminName, "pupil.one", "pupil.two"} {
		h, ok := held[name]
		if !ok {
			t.Fatalf("%s is not among the held accounts %+v", name, holds)
		}
		if h.Failures < app.FreeFailures || !h.Since.Equal(attackStart) || !h.Until.After(e.Clock.Now()) {
			t.Errorf("hold of %s = %+v; want >= %d failures since %v, held until later than now", name, h, app.FreeFailures, attackStart)
		}
	}
	if h := held["pupil.two"]; h.Kind != "user" || h.Organization != "maple" || held[adminName].Kind != "admin" {
		t.Errorf("holds = %+v", holds)
	}

	// Known devices are not held back by failures from elsewhere.
	rec = admin(adminPassword, "192.0.2.10:1000", laptop)
	if rec.Code != http.StatusOK {
		t.Fatalf("admin sign-in on the laptop signed in before = %d %s, want 200", rec.Code, rec.Body)
	}
	// The owner is told: the answer and the session carry the failed sign-ins.
	body := decodeBody(t, rec)
	if got := body["failed_sign_ins"]; got != float64(app.FreeFailures) {
		t.Errorf("failed_sign_ins = %v, want %d (the failures that counted)", got, app.FreeFailures)
	}
	if got, want := body["failed_since"], attackStart.Format(time.RFC3339); got != want {
		t.Errorf("failed_since = %v, want %v", got, want)
	}
	session := call[map[string]any](t, e, "GET", "/api/session", nil, sessionCookie(t, rec).Value, http.StatusOK)
	if got := session["failed_sign_ins"]; got != float64(app.FreeFailures) {
		t.Errorf("GET /api/session failed_sign_ins = %v", got)
	}
	if got := pupil("pupil.one", "a fine password 1", "10.1.1.1:1000", tablet).Code; got != http.StatusOK {
		t.Errorf("pupil sign-in on the tablet signed in before = %d, want 200", got)
	}

	// The admin unlocks pupil.two, who then signs in anywhere.
	if got := statusOf(t, e, "DELETE", "/api/signin-holds/"+pupils["pupil.two"], adminCookie); got != http.StatusNoContent {
		t.Fatalf("unlock = %d, want 204", got)
	}
	if got := pupil("pupil.two", "a fine password 1", "203.0.113.2:1000", nil).Code; got != http.StatusOK {
		t.Errorf("pupil.two after unlock = %d, want 200", got)
	}
	if got := call[[]app.SignInHold](t, e, "GET", "/api/signin-holds", nil, adminCookie, http.StatusOK); len(got) != 0 {
		t.Errorf("holds after the owners signed in and the unlock = %+v, want none", got)
	}
	// Only admins see and clear holds.
	if got := statusOf(t, e, "GET", "/api/signin-holds", ""); got != http.StatusUnauthorized {
		t.Errorf("GET /api/signin-holds without a session = %d, want 401", got)
	}
	if got := statusOf(t, e, "DELETE", "/api/signin-holds/"+pupils["pupil.one"], ""); got != http.StatusUnauthorized {
		t.Errorf("DELETE /api/signin-holds without a session = %d, want 401", got)
	}

	// A known device's own failures hold it back, and only it.
	for i := range app.FreeFailures {
		admin(fmt.Sprintf("typo-%d", i), "192.0.2.10:1000", laptop)
	}
	rec = admin(adminPassword, "192.0.2.10:1000", laptop)
	checkError(t, rec.Code, decodeBody(t, rec), http.StatusTooManyRequests, app.ETOOMANY, "")
	if got := admin(adminPassword, "203.0.113.3:1000", nil).Code; got != http.StatusOK {
		t.Errorf("admin from another browser while the laptop is held = %d, want 200", got)
	}
}
