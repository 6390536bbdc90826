package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"rollcall/app"
)

// signUpEnv is an organization with sign-up open and a group 3B; it returns
// the admin cookie and the group's code.
func signUpEnv(t *testing.T) (*env, string, string) {
	t.Helper()
	e := newEnv(t)
	cookie := e.setup(t)
	e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
	e.createGroup(t, cookie, "maple", map[string]any{"name": "3B"})
	call[map[string]any](t, e, "PATCH", "/api/organizations/maple", map[string]any{"signup": map[string]any{"enabled": true}}, cookie, 200)
	code := call[map[string]any](t, e, "GET", "/api/organizations/maple/groups/3B/invite-code", nil, cookie, 200)["code"].(string)
	return e, cookie, code
}

func (e *env) from(t *testing.T, addr, method, path string, body any) (int, map[string]any) {
	t.Helper()
	req := newRequest(t, method, path, body)
	req.RemoteAddr = addr
	rec := e.serve(req)
	return rec.Code, decodeBody(t, rec)
}

func wrongCode(i int) string { return fmt.Sprintf("ZZZZ%04d", i) }

// The N-th wrong code from one address is refused with 429 and a message
// that says what to do; another address still gets through.
func TestCodeRateLimitPerIP(t *testing.T) {
	t.Parallel()
	e, _, code := signUpEnv(t)
	for i := range app.CodeFailuresPerIP {
		status, body := e.from(t, "192.0.2.10:5000", "GET", "/api/public/codes/"+wrongCode(i), nil)
		checkError(t, status, body, http.StatusNotFound, app.ENOTFOUND, "code")
	}
	status, body := e.from(t, "192.0.2.10:5001", "GET", "/api/public/codes/"+code, nil)
	checkError(t, status, body, http.StatusTooManyRequests, app.ETOOMANY, "")
	if msg := body["message"].(string); !strings.Contains(msg, "Wait 15 minutes") {
		t.Errorf("message %q", msg)
	}
	// Signing up is refused the same way.
	status, body = e.from(t, "192.0.2.10:5002", "POST", "/api/public/codes/"+code+"/signup", map[string]any{"first_name": "A", "username": "aa", "password": "tablet-pass-42"})
	checkError(t, status, body, http.StatusTooManyRequests, app.ETOOMANY, "")
	if status, _ := e.from(t, "192.0.2.11:5000", "GET", "/api/public/codes/"+code, nil); status != 200 {
		t.Fatalf("another device = %d", status)
	}
	e.Clock.Add(app.CodeFailureWindow)
	if status, _ := e.from(t, "192.0.2.10:5000", "GET", "/api/public/codes/"+code, nil); status != 200 {
		t.Fatalf("after 15 minutes = %d", status)
	}
}

// Wrong codes spread over many addresses still hit the global limit.
func TestCodeRateLimitGlobal(t *testing.T) {
	t.Parallel()
	e, _, code := signUpEnv(t)
	for i := range app.CodeFailuresGlobal {
		addr := fmt.Sprintf("10.%d.%d.1:4000", i/250, i%250)
		status, body := e.from(t, addr, "GET", "/api/public/codes/"+wrongCode(i), nil)
		checkError(t, status, body, http.StatusNotFound, app.ENOTFOUND, "code")
	}
	status, body := e.from(t, "10.200.0.1:4000", "GET", "/api/public/codes/"+code, nil)
	checkError(t, status, body, http.StatusTooManyRequests, app.ETOOMANY, "")
	if msg := body["message"].(string); !strings.Contains(msg, "paused") {
		t.Errorf("message %q", msg)
	}
	// Link tokens count against the same limits.
	status, body = e.from(t, "10.200.0.2:4000", "POST", "/api/public/links/info", map[string]any{"token": "whatever"})
	checkError(t, status, body, http.StatusTooManyRequests, app.ETOOMANY, "")
}

// A sign-up answer is the same whoever exists: a taken email and a taken
// username get the same status and body, and a malformed code does not
// count against the limit.
func TestSignUpAnswers(t *testing.T) {
	t.Parallel()
	e, cookie, code := signUpEnv(t)
	e.createUser(t, cookie, "maple", map[string]any{"first_name": "Eve", "username": "eve", "email": "eve@maple.example"})
	status, body := e.from(t, lanAddr, "POST", "/api/public/codes/"+code+"/signup", map[string]any{"first_name": "Ada", "username": "ada2", "email": "EVE@maple.example", "password": "tablet-pass-42"})
	checkError(t, status, body, http.StatusConflict, app.ECONFLICT, "")
	if strings.Contains(body["message"].(string), "eve") {
		t.Errorf("message names the account: %v", body)
	}
	status2, body2 := e.from(t, lanAddr, "POST", "/api/public/codes/"+code+"/signup", map[string]any{"first_name": "Ada", "username": "EVE", "password": "tablet-pass-42"})
	if status2 != status || fmt.Sprint(body2) != fmt.Sprint(body) {
		t.Errorf("a taken username answers %d %v, a taken email %d %v", status2, body2, status, body)
	}
	for range app.CodeFailuresPerIP + 2 {
		status, body := e.from(t, lanAddr, "GET", "/api/public/codes/K7QM-3XRO", nil)
		checkError(t, status, body, http.StatusBadRequest, app.EINVALID, "code")
	}
	status, body = e.from(t, lanAddr, "POST", "/api/public/codes/"+code+"/signup", map[string]any{"first_name": "Ada", "username": "ada2", "password": "tablet-pass-42", "is_admin": true})
	checkError(t, status, body, http.StatusBadRequest, app.EINVALID, "is_admin")
	res := call[app.SignUpResult](t, e, "POST", "/api/public/codes/"+strings.ToLower(code[:4]+"-"+code[4:])+"/signup", map[string]any{"first_name": "Ada", "username": "ada2", "password": "tablet-pass-42"}, "", 201)
	if res.Status != app.StatusActive || res.Login != "ada2" || res.Groups[0] != "3B" {
		t.Fatalf("result %+v", res)
	}
}

func TestApprovalQueue(t *testing.T) {
	t.Parallel()
	e, cookie, code := signUpEnv(t)
	p := "/api/organizations/maple/groups/3B/invite-code"
	call[map[string]any](t, e, "PATCH", p, map[string]any{"require_approval": true}, cookie, 200)
	for i := range 3 {
		res := call[app.SignUpResult](t, e, "POST", "/api/public/codes/"+code+"/signup", map[string]any{"first_name": "Pupil", "username": fmt.Sprintf("pupil%d", i), "password": "tablet-pass-42"}, "", 201)
		if res.Status != app.StatusPending {
			t.Fatalf("status %q", res.Status)
		}
	}
	c := call[map[string]any](t, e, "GET", p, nil, cookie, 200)
	if c["uses"] != 3.0 || c["pending"] != 3.0 || c["pending_total"] != 3.0 {
		t.Fatalf("code counts %v", c)
	}
	if n := call[map[string]int](t, e, "GET", "/api/organizations/maple/signups/count", nil, cookie, 200)["pending"]; n != 3 {
		t.Fatalf("count %d", n)
	}
	list := call[struct {
		Signups []app.PendingSignUp `json:"signups"`
	}](t, e, "GET", "/api/organizations/maple/signups", nil, cookie, 200)
	if len(list.Signups) != 3 || list.Signups[0].Source != "code" {
		t.Fatalf("list %+v", list)
	}
	if n := call[map[string]int](t, e, "POST", "/api/organizations/maple/signups/approve", map[string]any{"ids": []string{list.Signups[0].User.ID}}, cookie, 200)["approved"]; n != 1 {
		t.Fatalf("approved %d", n)
	}
	if n := call[map[string]int](t, e, "POST", "/api/organizations/maple/signups/reject", map[string]any{"all": true}, cookie, 200)["rejected"]; n != 2 {
		t.Fatalf("rejected %d", n)
	}
	page := call[app.UserPage](t, e, "GET", "/api/organizations/maple/users", nil, cookie, 200)
	if page.Total != 1 || page.Users[0].Status != app.StatusActive {
		t.Fatalf("users %+v", page)
	}
	status, body := e.do(t, "POST", "/api/organizations/maple/signups/approve", map[string]any{}, cookie)
	checkError(t, status, body, http.StatusBadRequest, app.EINVALID, "ids")
}

// IPv6 clients are limited by their /64: a device that takes a new address
// of its network for every guess is still held back; another network is
// not. IPv4 clients are limited by their address.
func TestCodeRateLimitIPv6Prefix(t *testing.T) {
	t.Parallel()
	e, _, code := signUpEnv(t)
	for i := range app.CodeFailuresPerIP {
		addr := fmt.Sprintf("[2001:db8:1:2:%x::%x]:5000", i, i+1)
		status, body := e.from(t, addr, "GET", "/api/public/codes/"+wrongCode(i), nil)
		checkError(t, status, body, http.StatusNotFound, app.ENOTFOUND, "code")
	}
	status, body := e.from(t, "[2001:db8:1:2:ffff::1]:5000", "GET", "/api/public/codes/"+code, nil)
	checkError(t, status, body, http.StatusTooManyRequests, app.ETOOMANY, "")
	if status, _ := e.from(t, "[2001:db8:1:3::1]:5000", "GET", "/api/public/codes/"+code, nil); status != 200 {
		t.Fatalf("another /64 = %d", status)
	}
	if status, _ := e.from(t, "[::ffff:192.0.2.99]:5000", "GET", "/api/public/codes/"+code, nil); status != 200 {
		t.Fatalf("an IPv4 client = %d", status)
	}
}

// When wrong codes from everywhere have paused sign-up, the admin sees it
// and can open it again at once.
func TestSignUpPauseShownAndReset(t *testing.T) {
	t.Parallel()
	e, cookie, code := signUpEnv(t)
	st := call[map[string]any](t, e, "GET", "/api/signup-pause", nil, cookie, 200)
	if st["paused"] != false || st["failures"] != 0.0 {
		t.Fatalf("status %v", st)
	}
	for i := range app.CodeFailuresGlobal {
		e.from(t, fmt.Sprintf("10.%d.%d.1:4000", i/250, i%250), "GET", "/api/public/codes/"+wrongCode(i), nil)
	}
	st = call[map[string]any](t, e, "GET", "/api/signup-pause", nil, cookie, 200)
	if st["paused"] != true || st["failures"] != float64(app.CodeFailuresGlobal) || st["until"] == nil {
		t.Fatalf("status after %d failures: %v", app.CodeFailuresGlobal, st)
	}
	if status, _ := e.from(t, "10.250.0.1:4000", "GET", "/api/public/codes/"+code, nil); status != http.StatusTooManyRequests {
		t.Fatalf("while paused = %d", status)
	}
	st = call[map[string]any](t, e, "DELETE", "/api/signup-pause", nil, cookie, 200)
	if st["paused"] != false {
		t.Fatalf("after reset %v", st)
	}
	if status, _ := e.from(t, "10.250.0.1:4000", "GET", "/api/public/codes/"+code, nil); status != 200 {
		t.Fatalf("after reset = %d", status)
	}
}

// Thirty guesses at once from thirty addresses of one IPv6 /64: only the
// per-device limit's worth are checked.
func TestCodeRateLimitIPv6Parallel(t *testing.T) {
	t.Parallel()
	e, _, _ := signUpEnv(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := newRequest(t, "GET", "/api/public/codes/"+wrongCode(i), nil)
			req.RemoteAddr = fmt.Sprintf("[2001:db8:9:9:%x::1]:5000", i)
			rec := e.serve(req)
			mu.Lock()
			counts[rec.Code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[http.StatusNotFound] != app.CodeFailuresPerIP || counts[http.StatusTooManyRequests] != 30-app.CodeFailuresPerIP {
		t.Fatalf("outcomes %v; want %d checked and the rest refused", counts, app.CodeFailuresPerIP)
	}
}
