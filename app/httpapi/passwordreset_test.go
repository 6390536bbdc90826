package httpapi_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/keyfile"
	"rollcall/app/mail"
	"rollcall/app/mail/mailtest"
)

// The reset request answers a known address, an unknown one and an
// unconfirmed one with the same status and the same bytes; only the known
// one gets a mail. The link's page is a token page (no-store,
// no-referrer), and /signin?org= learns whether sign-up is open.
func TestPasswordResetAnswersAlike(t *testing.T) {
	relay, err := mailtest.Start(mailtest.Options{TLS: mailtest.StartTLS, Username: "relay", Password: relayPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	e.App.Mailer = &mail.Mailer{RootCAs: relay.Pool, CommandTimeout: 5 * time.Second}
	e.App.ResetAnswerTime = 0
	ctx := context.Background()
	if _, err := e.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple", PublicURL: "https://rollcall.maple.example"}); err != nil {
		t.Fatal(err)
	}
	host, port, sec, user, pass, from := relay.Host, relay.Port, "starttls", "relay", relayPassword, "Maple <no-reply@maple.example>"
	if _, err := e.App.SetSMTP(ctx, "maple", app.SMTPUpdate{Host: &host, Port: &port, Security: &sec, Username: &user, Password: &pass, From: &from}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", Username: "ada", Email: "ada@maple.example"}, Password: "a fine password 1"}); err != nil {
		t.Fatal(err)
	}
	u, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Una", Username: "una", Email: "una@maple.example"}, Password: "a fine password 2"})
	if err != nil {
		t.Fatal(err)
	}
	// Una's address becomes unconfirmed, as a sign-up's is.
	if _, err := e.DB.ChangeUser(ctx, "", u.ID, func(u *app.User) error { u.EmailVerified = false; return nil }); err != nil {
		t.Fatal(err)
	}
	var first string
	for i, addr := range []string{"ada@maple.example", "nobody@maple.example", "una@maple.example"} {
		rec := e.serve(newRequest(t, "POST", "/api/public/password-reset", map[string]any{"email": addr}))
		if rec.Code != http.StatusAccepted {
			t.Fatalf("%s: %d %s", addr, rec.Code, rec.Body)
		}
		if i == 0 {
			first = rec.Body.String()
		} else if rec.Body.String() != first {
			t.Errorf("%s answered %q, the known address %q", addr, rec.Body, first)
		}
	}
	if _, err := e.App.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	var token string
	for _, m := range relay.Messages() {
		if mm := resetLink.FindStringSubmatch(mailText(t, m)); mm != nil {
			if token != "" {
				t.Fatal("more than one reset mail")
			}
			token = mm[1]
		}
	}
	if token == "" {
		t.Fatal("no reset mail for the known address")
	}
	rec := e.serve(newRequest(t, "GET", "/reset/"+token, nil))
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("token page headers %v", rec.Header())
	}
	rec = e.serve(newRequest(t, "POST", "/api/public/password-reset/confirm", map[string]any{"token": token, "password": "a new password 3"}))
	if rec.Code != http.StatusOK {
		t.Fatalf("confirm %d %s", rec.Code, rec.Body)
	}
	cleared := false
	for _, c := range rec.Result().Cookies() {
		cleared = cleared || (c.Name == "rollcall_user" && c.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("the portal cookie of this browser is not cleared: %v", rec.Result().Cookies())
	}
	if rec = e.serve(newRequest(t, "POST", "/api/public/password-reset/confirm", map[string]any{"token": token, "password": "a new password 4"})); rec.Code != http.StatusNotFound {
		t.Fatalf("second use %d %s", rec.Code, rec.Body)
	}

	rec = e.serve(newRequest(t, "GET", "/api/public/organizations/maple/signin", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"organization":"Maple Primary","signup_open":false}`+"\n" {
		t.Fatalf("sign-in options %d %q", rec.Code, rec.Body)
	}
}
