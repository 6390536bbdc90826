package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"rollcall/app"
	"rollcall/app/httpapi"
	"rollcall/app/keyfile"
	"rollcall/app/mail"
	"rollcall/app/mail/mailtest"
)

var inviteLink = regexp.MustCompile(`https://rollcall\.maple\.example/invite/([A-Za-z0-9_-]+)`)

// verifyLink finds the link of a sign-up's confirmation mail.
var verifyLink = regexp.MustCompile(`https://rollcall\.maple\.example/verify/([A-Za-z0-9_-]+)`)

// resetLink finds the link of a password reset or activation mail.
var resetLink = regexp.MustCompile(`https://rollcall\.maple\.example/reset/([A-Za-z0-9_-]+)`)

func mailText(t *testing.T, r mailtest.Received) string {
	t.Helper()
	mr, err := gomail.CreateReader(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(p.Body)
	return string(b)
}

// The whole flow through the API: relay settings, test message, invite by
// paste, the mail, the public accept page, the user portal.
func TestInvitationFlowAPI(t *testing.T) {
	t.Parallel()
	relay, err := mailtest.Start(mailtest.Options{TLS: mailtest.StartTLS, Username: "relay", Password: "relay-pass-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>Rollcall</title>")}}
	e := newEnv(t, func(c *httpapi.Config) { c.Assets = assets })
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	e.App.Mailer = &mail.Mailer{RootCAs: relay.Pool, CommandTimeout: 5 * time.Second}
	admin := e.setup(t)
	call[app.Organization](t, e, "POST", "/api/organizations", map[string]any{"name": "Maple Primary", "slug": "maple"}, admin, http.StatusCreated)

	// Without a relay and a public address, inviting says so.
	status, body := e.do(t, "POST", "/api/organizations/maple/invitations", map[string]any{"addresses": "a@maple.example"}, admin)
	checkError(t, status, body, http.StatusBadRequest, app.EINVALID, "public_url")
	call[app.Organization](t, e, "PATCH", "/api/organizations/maple", map[string]any{"public_url": "https://rollcall.maple.example"}, admin, http.StatusOK)

	v := call[app.SMTPView](t, e, "PUT", "/api/organizations/maple/smtp", map[string]any{
		"host": relay.Host, "port": relay.Port, "security": "starttls", "username": "relay", "password": "wrong-pass",
		"from": "Maple Primary <no-reply@maple.example>"}, admin, http.StatusOK)
	if !v.PasswordSet || v.Host != relay.Host {
		t.Fatalf("smtp view %+v", v)
	}
	rec := e.serve(withCookie(newRequest(t, "GET", "/api/organizations/maple/smtp", nil), admin))
	if strings.Contains(rec.Body.String(), "wrong-pass") || strings.Contains(rec.Body.String(), "sealed") {
		t.Fatalf("the settings answer carries the password: %s", rec.Body)
	}
	type testResult struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	res := call[testResult](t, e, "POST", "/api/organizations/maple/smtp/test", map[string]any{"to": "it@maple.example"}, admin, http.StatusOK)
	if res.OK || !strings.Contains(res.Message, "535 5.7.8") {
		t.Fatalf("test with a wrong password: %+v", res)
	}
	call[app.SMTPView](t, e, "PUT", "/api/organizations/maple/smtp", map[string]any{"password": "relay-pass-1"}, admin, http.StatusOK)
	if res = call[testResult](t, e, "POST", "/api/organizations/maple/smtp/test", map[string]any{"to": "it@maple.example"}, admin, http.StatusOK); !res.OK {
		t.Fatalf("test: %+v", res)
	}

	// The mail names the inviter by their name, never by their login.
	admins := call[struct {
		Admins []app.Admin `json:"admins"`
	}](t, e, "GET", "/api/admins", nil, admin, http.StatusOK).Admins
	call[map[string]any](t, e, "PUT", "/api/admins/"+admins[0].ID+"/name", map[string]any{"name": "Ms Rowan"}, admin, http.StatusOK)
	inv := call[app.InviteResult](t, e, "POST", "/api/organizations/maple/invitations", map[string]any{
		"addresses": "Ada Lovelace <ada@maple.example>, grace@maple.example\nlin@maple.example", "mode": "invite", "language": "en"}, admin, http.StatusCreated)
	if len(inv.Invited) != 3 || inv.Invited[0].InvitedBy != "Ms Rowan" {
		t.Fatalf("invited %+v", inv)
	}
	if n, err := e.App.DeliverDue(context.Background()); err != nil || n != 3 {
		t.Fatalf("delivered %d, %v", n, err)
	}
	out := call[struct {
		Summary app.OutboxSummary `json:"summary"`
	}](t, e, "GET", "/api/organizations/maple/outbox", nil, admin, http.StatusOK)
	if out.Summary.Sent != 3 || out.Summary.Waiting != 0 {
		t.Fatalf("outbox %+v", out.Summary)
	}
	msgs := relay.Messages()
	text := mailText(t, msgs[len(msgs)-3])
	m := inviteLink.FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, "Ms Rowan invites you to Maple Primary") || strings.Contains(text, adminName) {
		t.Fatalf("mail:\n%s", text)
	}
	token := m[1]

	// The accept page: headers, then the public API.
	rec = e.serve(newRequest(t, "GET", "/invite/"+token, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("/invite/: %d %v", rec.Code, rec.Header())
	}
	page := call[app.InvitationPage](t, e, "POST", "/api/public/invitation", map[string]any{"token": token}, "", http.StatusOK)
	if page.Organization != "Maple Primary" || page.FirstName != "Ada" || page.NeedName || !page.NeedPassword {
		t.Fatalf("page %+v", page)
	}
	st1, b1 := e.do(t, "POST", "/api/public/invitation", map[string]any{"token": "nope"}, "")
	status, body = e.do(t, "POST", "/api/public/invitation/accept", map[string]any{"token": token, "password": "short"}, "")
	checkError(t, status, body, http.StatusBadRequest, app.EINVALID, "password")
	acc := call[struct {
		Login string `json:"login"`
	}](t, e, "POST", "/api/public/invitation/accept", map[string]any{"token": token, "password": "a fine password 1"}, "", http.StatusOK)
	if acc.Login != "ada@maple.example" {
		t.Fatalf("login %q", acc.Login)
	}
	// A used link of an active account offers the sign-in (409), unlike an
	// unknown one (404), which says nothing more.
	st2, b2 := e.do(t, "POST", "/api/public/invitation", map[string]any{"token": token}, "")
	if st1 != http.StatusNotFound || st2 != http.StatusConflict || b1["message"] == b2["message"] {
		t.Fatalf("unknown vs used link: %d %v / %d %v", st1, b1, st2, b2)
	}

	// The invitation leaves the list; the person is in Users.
	list := call[[]app.Invitation](t, e, "GET", "/api/organizations/maple/invitations", nil, admin, http.StatusOK)
	if len(list) != 2 {
		t.Fatalf("%d invitations listed", len(list))
	}
	for _, i := range list {
		if i.Email == "ada@maple.example" {
			t.Fatal("the accepted invitation is still listed")
		}
	}
	// Cancel and resend through the API.
	call[app.Invitation](t, e, "POST", "/api/organizations/maple/invitations/"+list[0].ID+"/cancel", nil, admin, http.StatusOK)
	if r := call[app.Invitation](t, e, "POST", "/api/organizations/maple/invitations/"+list[1].ID+"/resend", nil, admin, http.StatusOK); r.Resends != 1 {
		t.Fatalf("resend %+v", r)
	}

	// The portal: sign in by email, see the account, sign out.
	st1, b1 = e.do(t, "POST", "/api/public/signin", map[string]any{"login": "ada@maple.example", "password": "wrong password 1"}, "")
	st2, b2 = e.do(t, "POST", "/api/public/signin", map[string]any{"login": "nobody@maple.example", "password": "a fine password 1"}, "")
	if st1 != http.StatusUnauthorized || st2 != st1 || b1["message"] != b2["message"] {
		t.Fatalf("wrong password vs no account: %v / %v", b1, b2)
	}
	rec = e.serve(newRequest(t, "POST", "/api/public/signin", map[string]any{"login": "ada@maple.example", "password": "a fine password 1"}))
	if rec.Code != http.StatusOK {
		t.Fatalf("sign in: %d %s", rec.Code, rec.Body)
	}
	var userCookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "rollcall_user" {
			userCookie = c
		}
	}
	if userCookie == nil || !userCookie.HttpOnly {
		t.Fatalf("no HttpOnly user cookie: %v", rec.Result().Cookies())
	}
	req := newRequest(t, "GET", "/api/public/account", nil)
	req.AddCookie(userCookie)
	rec = e.serve(req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"organization":"Maple Primary"`) {
		t.Fatalf("account: %d %s", rec.Code, rec.Body)
	}
	// A user session is no admin session.
	req = newRequest(t, "GET", "/api/organizations", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: userCookie.Value})
	if rec = e.serve(req); rec.Code != http.StatusUnauthorized {
		t.Fatalf("user token as admin: %d", rec.Code)
	}
	req = newRequest(t, "POST", "/api/public/signout", nil)
	req.AddCookie(userCookie)
	e.serve(req)
	req = newRequest(t, "GET", "/api/public/account", nil)
	req.AddCookie(userCookie)
	if rec = e.serve(req); rec.Code != http.StatusUnauthorized {
		t.Fatalf("after sign-out: %d", rec.Code)
	}
	// The raw file holds neither the relay password nor the token.
	raw, _ := os.ReadFile(e.DB.Path)
	if bytes.Contains(raw, []byte("relay-pass-1")) || bytes.Contains(raw, []byte(token)) {
		t.Fatal("a secret is in the database file")
	}
}

// An invitation mail names the inviter by their display name; an admin
// without one is left out ("You are invited to ..."), never named by
// their login ("head.admin invites you").
func TestInvitationMailNamesNoLogin(t *testing.T) {
	relay, err := mailtest.Start(mailtest.Options{TLS: mailtest.StartTLS, Username: "relay", Password: "relay-pass-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	e.App.Mailer = &mail.Mailer{RootCAs: relay.Pool, CommandTimeout: 5 * time.Second}
	admin := e.setup(t)
	e.createOrg(t, admin, map[string]any{"name": "Maple Primary", "slug": "maple", "public_url": "https://rollcall.maple.example"})
	call[app.SMTPView](t, e, "PUT", "/api/organizations/maple/smtp", map[string]any{
		"host": relay.Host, "port": relay.Port, "security": "starttls", "username": "relay", "password": "relay-pass-1",
		"from": "Maple Primary <no-reply@maple.example>"}, admin, http.StatusOK)
	inv := call[app.InviteResult](t, e, "POST", "/api/organizations/maple/invitations", map[string]any{
		"addresses": "grace@maple.example", "mode": "invite", "language": "en"}, admin, http.StatusCreated)
	if len(inv.Invited) != 1 || inv.Invited[0].InvitedBy != "" {
		t.Fatalf("invited by %+v, want no name", inv.Invited)
	}
	if n, err := e.App.DeliverDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("delivered %d, %v", n, err)
	}
	msgs := relay.Messages()
	text := mailText(t, msgs[len(msgs)-1])
	if strings.Contains(text, adminName) || !strings.Contains(text, "You are invited to Maple Primary") {
		t.Fatalf("mail:\n%s", text)
	}
}
