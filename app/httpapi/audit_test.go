package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/httpapi"
	"rollcall/app/keyfile"
	"rollcall/app/mail"
	"rollcall/app/mail/mailtest"
	"rollcall/app/sms"
	"rollcall/app/sms/smstest"
)

// smsCodeRe finds the code in a sign-up's SMS.
var smsCodeRe = regexp.MustCompile(`(?i)(?:code is|koodisi on|registreringskod är|registreringskod:|registrierungscode ist|registrierungscode:) ([0-9]{6})`)

// activationCodeRe finds the code in an activation SMS.
var activationCodeRe = regexp.MustCompile(`or code ([0-9]{6}) at sign-in`)

// auditCall is one request of the audit walk.
type auditCall struct {
	path   string // with IDs filled in
	body   any
	as     string // admin session cookie
	user   string // portal session cookie
	remote string // client address; lanAddr when empty
	ctype  string
	status int
	// entries is how many audit entries the request must write: 1 for a
	// change; 0 only for the few POSTs that read (previews, posters).
	entries int
	// job: the answer is a job; the entry is counted once it has finished.
	job bool
	// pending is a pending two-step sign-in's cookie.
	pending string
}

// auditWorld is what the walk's requests need: made through the app so
// that only the request under test writes between two counts.
type auditWorld struct {
	e                                     *env
	admin, user                           string // session cookies
	org, group, user2, user3              string // IDs
	draft, invite, invite2, link, linkTok string
	code, groupCode, otherAdmin, jobID    string
	pending1, pending2                    string
	invToken                              string
	choirCode, resetTok                   string
	vice, viceSecret                      string   // an admin with two-step sign-in: session, TOTP secret
	viceCodes                             []string // vice's recovery codes
	codes                                 []string // TOTP codes typed: looked for in the entries' text
	secrets                               []string // must never be in the audit log
	relay                                 *mailtest.Server
	sms                                   *smstest.Sink
	provider                              string // a sign-in provider's ID
}

const (
	relayPassword = "relay-secret-77"
	userPassword  = "pupil-password-55"
	linkPassword  = "linkpw-3141"
	// ssoClientSecret is a sign-in provider's client secret: never in the log.
	ssoClientSecret = "sso-client-secret-2718"
	// smsGatewaySecret is the SMS gateway's password: never in the log.
	smsGatewaySecret = "sms-gateway-secret-1618"
)

func (w *auditWorld) secret(s ...string) { w.secrets = append(w.secrets, s...) }

// stateChanging reports whether the route is one that changes something.
func stateChanging(r route) bool {
	return r.method == "POST" || r.method == "PUT" || r.method == "PATCH" || r.method == "DELETE"
}

// TestEveryChangeWritesOneAuditEntry walks every state-changing route of the
// route table (read from the source, as the LAN test does): each has a
// scenario here, succeeds, and writes exactly one audit entry with an
// actor — or, for the few POSTs that only read, none. A new route without a
// scenario fails the test. Afterwards the audit buckets' raw bytes hold no
// password, token, invite code, relay password or session cookie used.
func TestEveryChangeWritesOneAuditEntry(t *testing.T) {
	relay, err := mailtest.Start(mailtest.Options{TLS: mailtest.StartTLS, Username: "relay", Password: relayPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	e := newEnv(t, func(c *httpapi.Config) { c.PublicAddr = "127.0.0.1:0" })
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	e.App.Mailer = &mail.Mailer{RootCAs: relay.Pool, CommandTimeout: 5 * time.Second}
	sink := smstest.Start()
	defer sink.Close()
	e.App.SMSSender = &sms.Sender{}
	w := &auditWorld{e: e, relay: relay, sms: sink}
	w.secret(adminPassword, relayPassword, userPassword, linkPassword, ssoClientSecret, smsGatewaySecret)
	ctx := context.Background()

	// The walk, in an order one world can go through (deletes last). Each
	// key is a route of the table; prepare makes what the request needs.
	type step struct {
		route   string
		prepare func(t *testing.T) auditCall
	}
	orgPath := func(p string) string { return "/api/organizations/maple" + p }
	steps := []step{
		{"POST /api/setup", func(t *testing.T) auditCall {
			return auditCall{path: "/api/setup", body: map[string]string{"username": adminName, "password": adminPassword}, remote: loopbackAddr, status: 201, entries: 1}
		}},
		{"POST /api/session", func(t *testing.T) auditCall {
			return auditCall{path: "/api/session", body: map[string]string{"username": adminName, "password": adminPassword}, status: 200, entries: 1}
		}},
		{"POST /api/organizations", func(t *testing.T) auditCall {
			return auditCall{path: "/api/organizations", body: map[string]any{"name": "Maple Primary", "slug": "maple"}, as: w.admin, status: 201, entries: 1}
		}},
		{"PATCH /api/organizations/{org}", func(t *testing.T) auditCall {
			return auditCall{path: orgPath(""), body: map[string]any{"public_url": "https://rollcall.maple.example", "audit_retention_days": 365, "signup": map[string]any{"enabled": true}}, as: w.admin, status: 200, entries: 1}
		}},
		{"PUT /api/organizations/{org}/smtp", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/smtp"), body: map[string]any{"host": relay.Host, "port": relay.Port, "security": "starttls",
				"username": "relay", "password": relayPassword, "from": "Maple <no-reply@maple.example>"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/smtp/test", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/smtp/test"), body: map[string]any{"to": "it@maple.example"}, as: w.admin, status: 200, entries: 1}
		}},
		{"PUT /api/organizations/{org}/sms", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/sms"), body: map[string]any{"enabled": true, "provider": "kannel", "url": w.sms.URL() + "/cgi-bin/sendsms",
				"username": "rollcall", "secret": smsGatewaySecret, "from": "Maple"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/sms/test", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/sms/test"), body: map[string]any{"to": "+358 40 123 4567"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/public/activation-code", func(t *testing.T) auditCall {
			// Sam has no email: the activation SMS carries a link and a code.
			admin := app.WithActor(ctx, app.Actor{Kind: app.ActorAdmin, Name: adminName})
			if _, err := e.App.CreateUser(admin, "maple", app.UserCreate{User: app.User{FirstName: "Sam", Username: "sam.sms", Phone: "+358 40 555 0101"}, SendActivation: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.App.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			var code string
			for _, m := range w.sms.Messages() {
				if mm := activationCodeRe.FindStringSubmatch(m.Text); mm != nil && m.To == "+358405550101" {
					code = mm[1]
				}
			}
			if code == "" {
				t.Fatal("no activation SMS with a code for Sam")
			}
			w.secret(code)
			return auditCall{path: "/api/public/activation-code", body: map[string]any{"login": "sam.sms", "code": code}, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/sso-providers", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/sso-providers"), body: map[string]any{"kind": "entra", "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
				"client_id": "rollcall-app", "client_secret": ssoClientSecret, "allowed_domains": []string{"maple.example"}}, as: w.admin, status: 201, entries: 1}
		}},
		{"PATCH /api/organizations/{org}/sso-providers/{provider}", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/sso-providers/" + w.provider), body: map[string]any{"name": "Maple Microsoft", "approval": true}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/sso-providers/{provider}/test", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/sso-providers/" + w.provider + "/test"), as: w.admin, status: 200, entries: 0}
		}},
		{"DELETE /api/me/sso-identities/{provider}", func(t *testing.T) auditCall {
			// A server admin's link to an identity (made at the provider in
			// real life; here straight in the store), then unlinked.
			adm, _, err := e.App.AdminSession(ctx, w.admin)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.DB.LinkAdminIdentity(ctx, adm.ID, app.Identity{Provider: w.provider, Issuer: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", Subject: "sub-admin"}); err != nil {
				t.Fatal(err)
			}
			return auditCall{path: "/api/me/sso-identities/" + w.provider, as: w.admin, status: 204, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/sso-providers/{provider}", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/sso-providers/" + w.provider), as: w.admin, status: 204, entries: 1}
		}},
		{"POST /api/organizations/{org}/groups", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/groups"), body: map[string]any{"name": "5A"}, as: w.admin, status: 201, entries: 1}
		}},
		{"PATCH /api/organizations/{org}/groups/{group}", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/groups/" + w.group), body: map[string]any{"name": "5A (2026)"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/users", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users"), body: map[string]any{"first_name": "Ada", "last_name": "Lovelace", "username": "ada",
				"groups": []string{w.group}, "password": userPassword}, as: w.admin, status: 201, entries: 1}
		}},
		{"PATCH /api/organizations/{org}/users/{user}", func(t *testing.T) auditCall {
			u := w.mustUser(t, "Grace", "Hopper", "grace")
			w.user2 = u.ID
			w.secret("grace-pass-9182")
			return auditCall{path: orgPath("/users/" + u.ID), body: map[string]any{"account_type": "teacher", "password": "grace-pass-9182"}, as: w.admin, status: 200, entries: 1}
		}},
		{"PUT /api/organizations/{org}/users/{user}/roles", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users/" + w.user2 + "/roles"), body: map[string]any{"org_admin": true}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/users/{user}/badge", func(t *testing.T) auditCall {
			rules := map[string]string{app.TypeStudent: app.BadgeOnly, app.TypeTeacher: app.BadgeWithPIN}
			if _, err := w.e.App.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{Badges: &rules}); err != nil {
				t.Fatal(err)
			}
			return auditCall{path: orgPath("/users/" + w.user2 + "/badge"), body: map[string]any{"paper": "letter"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/public/badge-signin", func(t *testing.T) auditCall {
			res, err := w.e.App.IssueBadges(ctx, "maple", app.BadgeSelection{User: w.user2})
			if err != nil {
				t.Fatal(err)
			}
			b := res.Badges[0]
			w.secret(b.Code, strings.TrimPrefix(b.Code, app.BadgePrefix), b.PIN)
			return auditCall{path: "/api/public/badge-signin", body: map[string]any{"code": b.Code, "pin": b.PIN}, status: 200, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/users/{user}/badge", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users/" + w.user2 + "/badge"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/groups/{group}/badges", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/groups/" + w.group + "/badges"), body: map[string]any{"layout": "avery"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/groups/{group}/badges/void", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/groups/" + w.group + "/badges/void"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/badges", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/badges"), body: map[string]any{"only_missing": true}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/badges/void", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/badges/void"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/users/bulk", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users/bulk"), body: map[string]any{"selection": map[string]any{"ids": []string{w.user2}}, "action": app.BulkAddLabel, "label": "Trip"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/users/export", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users/export"), body: map[string]any{"format": "oneroster", "group": w.group}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/users/{user}/deactivate", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users/" + w.user2 + "/deactivate"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/users/{user}/activate", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users/" + w.user2 + "/activate"), as: w.admin, status: 200, entries: 1}
		}},
		// A set-password link: an admin's activation mail, then a reset
		// asked for on the sign-in page (it replaces the activation link).
		{"POST /api/organizations/{org}/users/{user}/activation", func(t *testing.T) auditCall {
			u, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Tove", LastName: "Lind", Username: "tove", Email: "tove@maple.example"}})
			if err != nil {
				t.Fatal(err)
			}
			return auditCall{path: orgPath("/users/" + u.ID + "/activation"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/public/password-reset", func(t *testing.T) auditCall {
			return auditCall{path: "/api/public/password-reset", body: map[string]any{"email": "Tove@maple.example"}, status: 202, entries: 1}
		}},
		{"POST /api/public/password-reset/info", func(t *testing.T) auditCall {
			if _, err := e.App.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			for _, m := range w.relay.Messages() {
				if mm := resetLink.FindStringSubmatch(mailText(t, m)); mm != nil {
					w.resetTok = mm[1]
				}
			}
			if w.resetTok == "" {
				t.Fatal("no reset mail for Tove")
			}
			w.secret(w.resetTok)
			return auditCall{path: "/api/public/password-reset/info", body: map[string]any{"token": w.resetTok}, status: 200}
		}},
		{"POST /api/public/password-reset/confirm", func(t *testing.T) auditCall {
			w.secret("tove-pass-5521")
			return auditCall{path: "/api/public/password-reset/confirm", body: map[string]any{"token": w.resetTok, "password": "tove-pass-5521"}, status: 200, entries: 1}
		}},
		{"POST /api/public/signin", func(t *testing.T) auditCall {
			return auditCall{path: "/api/public/signin", body: map[string]any{"login": "ada", "password": userPassword}, status: 200, entries: 1}
		}},
		{"POST /api/public/account/password", func(t *testing.T) auditCall {
			w.secret("pupil-password-66")
			return auditCall{path: "/api/public/account/password", body: map[string]any{"current_password": userPassword, "new_password": "pupil-password-66"}, user: w.user, status: 204, entries: 1}
		}},
		{"POST /api/public/account/new-password", func(t *testing.T) auditCall {
			// Rui must choose a new password at his first sign-in.
			u, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Rui", Username: "rui", MustChangePassword: true}, Password: "first-pass-71"})
			if err != nil {
				t.Fatal(err)
			}
			_, tok, err := e.App.SignInUser(ctx, u.Username, "first-pass-71", "192.0.2.71")
			if err != nil {
				t.Fatal(err)
			}
			w.secret("first-pass-71", "second-pass-72", tok)
			return auditCall{path: "/api/public/account/new-password", body: map[string]any{"password": "second-pass-72"}, user: tok, status: 204, entries: 1}
		}},
		{"POST /api/public/account/invite-code", func(t *testing.T) auditCall {
			// Ada joins another group with its code.
			g, err := e.App.CreateGroup(ctx, "maple", &app.Group{Name: "Choir"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := e.App.InviteCodeOf(ctx, "maple", g.ID)
			if err != nil {
				t.Fatal(err)
			}
			w.secret(c.Code)
			w.choirCode = c.Code
			return auditCall{path: "/api/public/account/invite-code", body: map[string]any{"code": c.Code}, user: w.user, status: 200, entries: 1}
		}},
		{"POST /api/public/account/invite-code/check", func(t *testing.T) auditCall {
			return auditCall{path: "/api/public/account/invite-code/check", body: map[string]any{"code": w.choirCode}, user: w.user, status: 200}
		}},
		{"POST /api/public/signout", func(t *testing.T) auditCall {
			return auditCall{path: "/api/public/signout", user: w.user, status: 204, entries: 1}
		}},
		{"DELETE /api/signin-holds/{account}", func(t *testing.T) auditCall {
			return auditCall{path: "/api/signin-holds/" + w.user2, as: w.admin, status: 204, entries: 1}
		}},
		{"POST /api/admins", func(t *testing.T) auditCall {
			w.secret("vice-secret-2026x")
			return auditCall{path: "/api/admins", body: map[string]any{"username": "deputy", "password": "vice-secret-2026x"}, as: w.admin, status: 201, entries: 1}
		}},
		{"PUT /api/admins/{admin}/password", func(t *testing.T) auditCall {
			w.secret("vice-secret-2027x")
			return auditCall{path: "/api/admins/deputy/password", body: map[string]any{"password": "vice-secret-2027x"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/admins/{admin}/disable", func(t *testing.T) auditCall {
			return auditCall{path: "/api/admins/deputy/disable", as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/admins/{admin}/enable", func(t *testing.T) auditCall {
			return auditCall{path: "/api/admins/deputy/enable", as: w.admin, status: 200, entries: 1}
		}},
		{"DELETE /api/admins/{admin}", func(t *testing.T) auditCall {
			return auditCall{path: "/api/admins/deputy", as: w.admin, status: 204, entries: 1}
		}},
		{"PUT /api/admins/{admin}/name", func(t *testing.T) auditCall {
			return auditCall{path: "/api/admins/" + adminName + "/name", body: map[string]any{"name": "Ms Virtanen"}, as: w.admin, status: 200, entries: 1}
		}},
		// Two-step sign-in, for vice.
		{"POST /api/me/two-step/setup", func(t *testing.T) auditCall {
			if _, err := e.App.CreateAdmin(app.WithActor(ctx, app.CLIActor), "vice", "acorn-secret-2028x", false); err != nil {
				t.Fatal(err)
			}
			w.secret("acorn-secret-2028x")
			_, tok, err := e.App.SignInAdmin(ctx, "vice", "acorn-secret-2028x", "192.0.2.30")
			if err != nil {
				t.Fatal(err)
			}
			w.vice = tok
			return auditCall{path: "/api/me/two-step/setup", as: w.vice, status: 200, entries: 1}
		}},
		{"POST /api/me/two-step/confirm", func(t *testing.T) auditCall {
			return auditCall{path: "/api/me/two-step/confirm", body: map[string]any{"code": w.totp(t)}, as: w.vice, status: 200, entries: 1}
		}},
		{"POST /api/me/two-step/recovery-codes", func(t *testing.T) auditCall {
			e.Clock.Add(app.TOTPPeriod)
			return auditCall{path: "/api/me/two-step/recovery-codes", body: map[string]any{"code": w.totp(t)}, as: w.vice, status: 200, entries: 1}
		}},
		{"POST /api/session/second-factor", func(t *testing.T) auditCall {
			_, out, err := e.App.SignInAdminFrom(ctx, app.SignIn{Login: "vice", Password: "acorn-secret-2028x", Client: "192.0.2.30"})
			if app.ErrorCode(err) != app.ESECONDFACTOR {
				t.Fatalf("vice's password step: %v", err)
			}
			w.secret(out.Pending)
			return auditCall{path: "/api/session/second-factor", body: map[string]any{"code": w.viceCodes[0]}, pending: out.Pending, status: 200, entries: 1}
		}},
		{"POST /api/me/two-step/off", func(t *testing.T) auditCall {
			e.Clock.Add(app.TOTPPeriod)
			return auditCall{path: "/api/me/two-step/off", body: map[string]any{"code": w.totp(t)}, as: w.vice, status: 204, entries: 1}
		}},
		{"DELETE /api/admins/{admin}/two-step", func(t *testing.T) auditCall {
			setup, err := e.App.StartTwoStep(ctx, w.adminID(t, "vice"))
			if err != nil {
				t.Fatal(err)
			}
			w.viceSecret = setup.Secret
			w.secret(setup.Secret)
			e.Clock.Add(app.TOTPPeriod)
			codes, err := e.App.ConfirmTwoStep(ctx, w.adminID(t, "vice"), w.totp(t))
			if err != nil {
				t.Fatal(err)
			}
			w.secret(codes...)
			return auditCall{path: "/api/admins/vice/two-step", as: w.admin, status: 200, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/users/{user}/two-step", func(t *testing.T) auditCall {
			// Grace (an organization admin) turns two-step sign-in on; Maple's admin resets it.
			setup, err := e.App.StartTwoStep(ctx, w.user2)
			if err != nil {
				t.Fatal(err)
			}
			w.secret(setup.Secret)
			code := totpCode(t, setup.Secret, e.Clock.Now())
			w.codes = append(w.codes, code)
			codes, err := e.App.ConfirmTwoStep(ctx, w.user2, code)
			if err != nil {
				t.Fatal(err)
			}
			w.secret(codes...)
			return auditCall{path: orgPath("/users/" + w.user2 + "/two-step"), as: w.admin, status: 200, entries: 1}
		}},
		{"PUT /api/security", func(t *testing.T) auditCall {
			return auditCall{path: "/api/security", body: map[string]any{"require_two_step": false}, as: w.admin, status: 200, entries: 1}
		}},
		// An admin's own sessions.
		{"DELETE /api/me/sessions/{session}", func(t *testing.T) auditCall {
			if _, _, err := e.App.SignInAdmin(ctx, adminName, adminPassword, "192.0.2.31"); err != nil {
				t.Fatal(err)
			}
			list, err := e.App.MySessions(ctx, w.admin)
			if err != nil || len(list) < 2 {
				t.Fatalf("sessions %v %v", list, err)
			}
			other := list[0].ID
			if list[0].Current {
				other = list[1].ID
			}
			return auditCall{path: "/api/me/sessions/" + other, as: w.admin, status: 204, entries: 1}
		}},
		{"POST /api/me/sessions/sign-out-others", func(t *testing.T) auditCall {
			return auditCall{path: "/api/me/sessions/sign-out-others", as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/accounts/parse", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/accounts/parse"), body: map[string]any{"text": "Lin Wei\nOla Nordmann"}, as: w.admin, status: 200}
		}},
		{"POST /api/organizations/{org}/accounts/preview", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/accounts/preview"), body: map[string]any{"text": "Lin Wei\nOla Nordmann"}, as: w.admin, status: 200}
		}},
		{"POST /api/organizations/{org}/accounts", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/accounts"), body: map[string]any{"text": "Lin Wei\nOla Nordmann", "groups": []string{w.group}}, as: w.admin, status: 202, entries: 1, job: true}
		}},
		{"POST /api/organizations/{org}/accounts/reset", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/accounts/reset"), body: map[string]any{"group": w.group}, as: w.admin, status: 202, entries: 1, job: true}
		}},
		{"POST /api/organizations/{org}/imports", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/imports?name=class.csv"), body: []byte("First name,Last name,Class\r\nMia,Berg,5A (2026)\r\n"), ctype: "application/octet-stream", as: w.admin, status: 201, entries: 1}
		}},
		{"POST /api/organizations/{org}/imports/{draft}/preview", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/imports/" + w.draft + "/preview"), body: map[string]any{}, as: w.admin, status: 200}
		}},
		{"POST /api/organizations/{org}/imports/{draft}/commit", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/imports/" + w.draft + "/commit"), body: map[string]any{}, as: w.admin, status: 202, entries: 1, job: true}
		}},
		{"POST /api/organizations/{org}/invitations", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invitations"), body: map[string]any{"addresses": "Kim Park <kim@maple.example>, lee@maple.example"}, as: w.admin, status: 201, entries: 1}
		}},
		{"POST /api/organizations/{org}/outbox/retry", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/outbox/retry"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/outbox/{message}/retry", func(t *testing.T) auditCall {
			msgs, _, err := e.App.Outbox(ctx, "maple")
			if err != nil || len(msgs) == 0 {
				t.Fatalf("outbox: %v %v", msgs, err)
			}
			return auditCall{path: orgPath("/outbox/" + msgs[0].ID + "/retry"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/public/invitation", func(t *testing.T) auditCall {
			w.invToken = w.deliverInvitation(t)
			return auditCall{path: "/api/public/invitation", body: map[string]any{"token": w.invToken}, status: 200}
		}},
		{"POST /api/public/invitation/accept", func(t *testing.T) auditCall {
			w.secret("kim-password-4455")
			return auditCall{path: "/api/public/invitation/accept", body: map[string]any{"token": w.invToken, "password": "kim-password-4455"}, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/invitations/{invitation}/resend", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invitations/" + w.invite2 + "/resend"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/invitations/resend-expired", func(t *testing.T) auditCall {
			e.Clock.Add(40 * 24 * time.Hour) // every pending invitation has expired, and the session
			_, tok, err := e.App.SignInAdmin(ctx, adminName, adminPassword, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			w.admin = tok
			return auditCall{path: orgPath("/invitations/resend-expired"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/invitations/{invitation}/cancel", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invitations/" + w.invite2 + "/cancel"), as: w.admin, status: 200, entries: 1}
		}},
		{"PATCH /api/organizations/{org}/invite-code", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-code"), body: map[string]any{"max_uses": 50}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/invite-code/regenerate", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-code/regenerate"), as: w.admin, status: 200, entries: 1}
		}},
		{"PATCH /api/organizations/{org}/groups/{group}/invite-code", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/groups/" + w.group + "/invite-code"), body: map[string]any{"require_approval": true}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/groups/{group}/invite-code/regenerate", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/groups/" + w.group + "/invite-code/regenerate"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/public/codes/{code}/signup", func(t *testing.T) auditCall {
			c, err := e.App.InviteCodeOf(ctx, "maple", w.group)
			if err != nil {
				t.Fatal(err)
			}
			w.secret(c.Code, "tablet-pass-42")
			return auditCall{path: "/api/public/codes/" + c.Code + "/signup", body: map[string]any{"first_name": "Noor", "username": "noor", "password": "tablet-pass-42"}, status: 201, entries: 1}
		}},
		{"POST /api/public/verify-email", func(t *testing.T) auditCall {
			// Pia signs up with her address; the relay delivers the confirmation mail.
			c, err := e.App.InviteCodeOf(ctx, "maple", w.group)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.App.SignUpWithCode(app.WithActor(ctx, app.SignUpActor), c.Code, app.SignUpForm{FirstName: "Pia", Username: "pia", Email: "pia@home.example", Password: "tablet-pass-44"}, "192.0.2.44"); err != nil {
				t.Fatal(err)
			}
			w.secret("tablet-pass-44")
			if _, err := e.App.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			var token string
			for _, m := range w.relay.Messages() {
				if mm := verifyLink.FindStringSubmatch(mailText(t, m)); mm != nil {
					token = mm[1]
				}
			}
			if token == "" {
				t.Fatal("no confirmation mail for Pia")
			}
			w.secret(token)
			return auditCall{path: "/api/public/verify-email", body: map[string]any{"token": token}, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/invite-links", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-links"), body: map[string]any{"name": "Parents evening", "password": linkPassword, "groups": []string{w.group}}, as: w.admin, status: 201, entries: 1}
		}},
		{"POST /api/public/links/info", func(t *testing.T) auditCall {
			return auditCall{path: "/api/public/links/info", body: map[string]any{"token": w.linkTok}, status: 200}
		}},
		{"POST /api/public/links/signup", func(t *testing.T) auditCall {
			w.secret("tablet-pass-43")
			return auditCall{path: "/api/public/links/signup", body: map[string]any{"token": w.linkTok, "link_password": linkPassword, "first_name": "Omar", "username": "omar", "password": "tablet-pass-43"}, status: 201, entries: 1}
		}},
		{"POST /api/public/signup/phone", func(t *testing.T) auditCall {
			// Pho signs up with username and phone; the code arrives by SMS.
			org, err := e.App.Organization(ctx, "maple")
			if err != nil {
				t.Fatal(err)
			}
			was, phone := org.SignUp, org.SignUp
			phone.Login = app.LoginPhone
			if _, err := e.App.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{SignUp: &phone}); err != nil {
				t.Fatal(err)
			}
			c, err := e.App.InviteCodeOf(ctx, "maple", w.group)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.App.SignUpWithCode(app.WithActor(ctx, app.SignUpActor), c.Code, app.SignUpForm{FirstName: "Pho", Username: "pho", Phone: "+358 40 765 4321", Password: "tablet-pass-45"}, "192.0.2.45")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.App.UpdateOrganization(ctx, "maple", app.OrganizationUpdate{SignUp: &was}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.App.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			var code string
			for _, m := range w.sms.Messages() {
				if mm := smsCodeRe.FindStringSubmatch(m.Text); mm != nil {
					code = mm[1]
				}
			}
			if code == "" {
				t.Fatal("no SMS with Pho's code")
			}
			w.secret("tablet-pass-45")
			return auditCall{path: "/api/public/signup/phone", body: map[string]any{"id": res.PhoneSignUp, "code": code}, status: 201, entries: 1}
		}},
		{"POST /api/organizations/{org}/signups/approve", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/signups/approve"), body: map[string]any{"ids": []string{w.pending("noor")}}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/signups/reject", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/signups/reject"), body: map[string]any{"ids": []string{w.pending("omar")}}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/invite-links/{link}/qr.png", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-links/" + w.link + "/qr.png"), body: map[string]any{"token": w.linkTok}, as: w.admin, status: 200}
		}},
		{"POST /api/organizations/{org}/invite-links/{link}/qr.svg", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-links/" + w.link + "/qr.svg"), body: map[string]any{"token": w.linkTok}, as: w.admin, status: 200}
		}},
		{"POST /api/organizations/{org}/invite-links/{link}/poster.pdf", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-links/" + w.link + "/poster.pdf"), body: map[string]any{"token": w.linkTok}, as: w.admin, status: 200}
		}},
		{"POST /api/organizations/{org}/invite-links/{link}/renew", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-links/" + w.link + "/renew"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/invite-links/{link}/revoke", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-links/" + w.link + "/revoke"), as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/apps", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/apps"), body: map[string]any{"name": "Moodle", "redirect_uris": []string{"https://moodle.maple.example/cb"}}, as: w.admin, status: 201, entries: 1}
		}},
		{"POST /api/public/app-signin/{id}", func(t *testing.T) auditCall {
			apps, err := e.App.ConnectedApps(ctx, "maple")
			if err != nil || len(apps) == 0 {
				t.Fatal("no connected app", err)
			}
			r := &app.OIDCRequest{ClientID: apps[0].ID, RedirectURI: "https://moodle.maple.example/cb", ResponseType: "code", Scopes: []string{"openid"}}
			if err := e.App.StartAppSignIn(ctx, r); err != nil {
				t.Fatal(err)
			}
			if _, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ines", Username: "ines"}, Password: "ines-pass-8127"}); err != nil {
				t.Fatal(err)
			}
			_, tok, err := e.App.SignInUser(ctx, "ines", "ines-pass-8127", "192.0.2.81")
			if err != nil {
				t.Fatal(err)
			}
			w.secret(tok, "ines-pass-8127")
			return auditCall{path: "/api/public/app-signin/" + r.ID, user: tok, status: 200, entries: 1}
		}},
		{"POST /api/oidc/rotate-key", func(t *testing.T) auditCall {
			return auditCall{path: "/api/oidc/rotate-key", as: w.admin, status: 200, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/apps/{app}", func(t *testing.T) auditCall {
			apps, err := e.App.ConnectedApps(ctx, "maple")
			if err != nil || len(apps) == 0 {
				t.Fatal("no connected app", err)
			}
			return auditCall{path: orgPath("/apps/" + apps[0].ID), as: w.admin, status: 204, entries: 1}
		}},
		{"PUT /api/organizations/{org}/scim", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/scim"), body: map[string]any{"on_delete": "delete"}, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/organizations/{org}/scim/tokens", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/scim/tokens"), body: map[string]any{"name": "Entra ID"}, as: w.admin, status: 201, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/scim/tokens/{token}", func(t *testing.T) auditCall {
			p, err := e.App.SCIMProvisioning(ctx, "maple")
			if err != nil || len(p.Tokens) == 0 {
				t.Fatal("no provisioning token", err)
			}
			return auditCall{path: orgPath("/scim/tokens/" + p.Tokens[0].ID), as: w.admin, status: 204, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/invite-links/{link}", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/invite-links/" + w.link), as: w.admin, status: 204, entries: 1}
		}},
		{"DELETE /api/signup-pause", func(t *testing.T) auditCall {
			return auditCall{path: "/api/signup-pause", as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/lan", func(t *testing.T) auditCall {
			return auditCall{path: "/api/lan", body: map[string]any{"addr": "127.0.0.1:0"}, as: w.admin, status: 200, entries: 1}
		}},
		{"DELETE /api/lan", func(t *testing.T) auditCall {
			return auditCall{path: "/api/lan", as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/jobs/{job}/cancel", func(t *testing.T) auditCall {
			w.jobID = e.finishedJob(t)
			return auditCall{path: "/api/jobs/" + w.jobID + "/cancel", as: w.admin, status: 200, entries: 1}
		}},
		{"DELETE /api/jobs/{job}", func(t *testing.T) auditCall {
			return auditCall{path: "/api/jobs/" + w.jobID, as: w.admin, status: 204, entries: 1}
		}},
		{"POST /api/organizations/{org}/users/{user}/erase", func(t *testing.T) auditCall {
			u := w.mustUser(t, "Eve", "Erased", "eve.erased")
			return auditCall{path: orgPath("/users/" + u.ID + "/erase"), body: map[string]any{"confirm": "eve.erased"}, as: w.admin, status: 204, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/users/{user}", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/users/" + w.user2), as: w.admin, status: 204, entries: 1}
		}},
		{"DELETE /api/organizations/{org}/groups/{group}", func(t *testing.T) auditCall {
			g, err := e.App.CreateGroup(ctx, "maple", &app.Group{Name: "Old club"})
			if err != nil {
				t.Fatal(err)
			}
			return auditCall{path: orgPath("/groups/" + g.ID), as: w.admin, status: 204, entries: 1}
		}},
		{"POST /api/organizations/{org}/rollover/preview", func(t *testing.T) auditCall {
			return auditCall{path: orgPath("/rollover/preview"), body: map[string]any{"moves": []any{}}, as: w.admin, status: 200}
		}},
		{"POST /api/organizations/{org}/rollover", func(t *testing.T) auditCall {
			plan, err := e.App.SuggestRollover(ctx, "maple")
			if err != nil {
				t.Fatal(err)
			}
			return auditCall{path: orgPath("/rollover"), body: plan, as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/backups/compact", func(t *testing.T) auditCall {
			return auditCall{path: "/api/backups/compact", as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/backups", func(t *testing.T) auditCall {
			return auditCall{path: "/api/backups", as: w.admin, status: 201, entries: 1}
		}},
		{"POST /api/backups/{name}/restore", func(t *testing.T) auditCall {
			// A backup of now (one taken before a restore writes no entry of its own).
			b, err := e.App.BackUp(ctx, app.BackupBeforeRestore)
			if err != nil {
				t.Fatal(err)
			}
			return auditCall{path: "/api/backups/" + b.Name + "/restore", as: w.admin, status: 200, entries: 1}
		}},
		{"POST /api/backups/restore", func(t *testing.T) auditCall {
			var b bytes.Buffer
			if _, err := e.DB.WriteBackup(&b, nil); err != nil {
				t.Fatal(err)
			}
			return auditCall{path: "/api/backups/restore", body: b.Bytes(), ctype: "application/octet-stream", as: w.admin, status: 200, entries: 1}
		}},
		{"DELETE /api/session", func(t *testing.T) auditCall {
			return auditCall{path: "/api/session", as: w.admin, status: 204, entries: 1}
		}},
	}

	// Every state-changing route has a step, and every step is a route.
	table := map[string]bool{}
	for _, r := range allRoutes(t) {
		if stateChanging(r) {
			table[r.method+" "+r.path] = true
		}
	}
	covered := map[string]bool{}
	for _, s := range steps {
		if !table[s.route] {
			t.Errorf("the audit walk has a step for %q, which is not a state-changing route", s.route)
		}
		covered[s.route] = true
	}
	for r := range table {
		if !covered[r] {
			t.Errorf("%s changes state but has no audit scenario: add one to the walk (and its audit entry to the use case)", r)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	for _, s := range steps {
		method, _, _ := strings.Cut(s.route, " ")
		c := s.prepare(t)
		before := w.entries(t)
		rec := w.send(t, method, c)
		if rec.Code != c.status {
			t.Fatalf("%s: %s = %d %s, want %d", s.route, c.path, rec.Code, rec.Body.String(), c.status)
		}
		if c.job {
			var st app.JobStatus
			json.Unmarshal(rec.Body.Bytes(), &st)
			if done := e.waitJob(t, w.admin, st.ID); done.State != app.JobDone {
				t.Fatalf("%s: job %+v", s.route, done)
			}
			w.jobSecrets(t, st.ID)
		}
		after := w.entries(t)
		if got := len(after) - len(before); got != c.entries {
			var actions []string
			for _, e := range after[:max(got, 0)] {
				actions = append(actions, e.Action)
			}
			t.Errorf("%s wrote %d audit entries %v, want %d", s.route, got, actions, c.entries)
		} else if c.entries == 1 {
			e := after[0]
			if e.Action == "" || e.Actor.Kind == "" || e.Actor.Kind == app.ActorUnknown {
				t.Errorf("%s: entry without action or actor: %+v", s.route, e)
			}
		}
		w.learn(t, s.route, rec)
	}

	// The actors, as the transports and use cases name them.
	byAction := map[string]app.AuditEntry{}
	for _, e := range w.entries(t) {
		byAction[e.Action] = e
	}
	for action, kind := range map[string]string{"admin.setup": app.ActorAdmin, "admin.sign_in": app.ActorAdmin, "user.create": app.ActorAdmin,
		"person.password": app.ActorPerson, "signup.code": app.ActorSignUp, "invitation.accept": app.ActorPerson, "admin.sign_out": app.ActorAdmin} {
		if got := byAction[action].Actor.Kind; got != kind {
			t.Errorf("%s: actor %q, want %q", action, got, kind)
		}
	}
	if e := byAction["user.role"]; !strings.Contains(e.Detail, "student → teacher") {
		t.Errorf("role change detail %q", e.Detail)
	}

	// (2) No secret in the audit buckets' raw bytes.
	raw := auditBytes(t, e)
	if len(raw) < 1000 {
		t.Fatalf("only %d bytes in the audit buckets", len(raw))
	}
	for _, s := range w.secrets {
		if s != "" && bytes.Contains(raw, []byte(s)) {
			t.Errorf("the audit log holds the secret %q", s)
		}
	}
	// A 6-digit TOTP code could turn up by chance in the raw bytes (IDs,
	// times), so the codes typed are looked for in the entries' words.
	for _, en := range w.entries(t) {
		for _, c := range w.codes {
			if strings.Contains(en.Detail+" "+en.Target.Name+" "+en.Actor.Name, c) {
				t.Errorf("audit entry %s holds the code %q: %q", en.Action, c, en.Detail)
			}
		}
	}
	t.Logf("%d routes walked, %d audit entries, %d secrets looked for in %d bytes", len(steps), len(w.entries(t)), len(w.secrets), len(raw))
}

// send sends the call's request with its method.
func (w *auditWorld) send(t *testing.T, method string, c auditCall) *httptest.ResponseRecorder {
	t.Helper()
	req := withCookie(newRequest(t, method, c.path, c.body), c.as)
	if c.pending != "" {
		req.AddCookie(&http.Cookie{Name: "rollcall_signin", Value: c.pending})
	}
	if c.user != "" {
		req.AddCookie(&http.Cookie{Name: "rollcall_user", Value: c.user})
	}
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	return w.e.serve(req)
}

// entries is the whole audit log, newest first.
func (w *auditWorld) entries(t *testing.T) []app.AuditEntry {
	t.Helper()
	es, _, err := w.e.DB.AuditEntries(context.Background(), app.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// learn keeps what later steps need (and the secrets) from an answer.
func (w *auditWorld) learn(t *testing.T, route string, rec *httptest.ResponseRecorder) {
	t.Helper()
	ctx := context.Background()
	for _, c := range rec.Result().Cookies() {
		w.secret(c.Value)
	}
	var v struct {
		ID    string `json:"id"`
		Draft string `json:"draft"`
		Token string `json:"token"`
		Link  struct {
			ID string `json:"id"`
		} `json:"link"`
		Invited []struct {
			ID string `json:"id"`
		} `json:"invited"`
	}
	json.Unmarshal(rec.Body.Bytes(), &v)
	var two struct {
		Secret        string   `json:"secret"`
		RecoveryCodes []string `json:"recovery_codes"`
	}
	json.Unmarshal(rec.Body.Bytes(), &two)
	w.secret(two.Secret)
	w.secret(two.RecoveryCodes...)
	switch route {
	case "POST /api/me/two-step/setup":
		w.viceSecret = two.Secret
	case "POST /api/me/two-step/confirm", "POST /api/me/two-step/recovery-codes":
		w.viceCodes = two.RecoveryCodes
	case "POST /api/session/second-factor":
		w.vice = sessionCookie(t, rec).Value
	case "POST /api/setup":
		w.admin = sessionCookie(t, rec).Value
	case "POST /api/public/signin", "POST /api/public/account/password":
		w.user = userCookieOf(rec).Value
	case "POST /api/organizations/{org}/sso-providers":
		w.provider = v.ID
	case "POST /api/organizations/{org}/groups":
		w.group = v.ID
		c, err := w.e.App.InviteCodeOf(ctx, "maple", "")
		if err != nil {
			t.Fatal(err)
		}
		w.secret(c.Code)
	case "POST /api/organizations/{org}/imports":
		w.draft = v.Draft
	case "POST /api/organizations/{org}/invitations":
		if len(v.Invited) != 2 {
			t.Fatalf("invited %s", rec.Body)
		}
		w.invite, w.invite2 = v.Invited[0].ID, v.Invited[1].ID
	case "POST /api/organizations/{org}/invite-links", "POST /api/organizations/{org}/invite-links/{link}/renew":
		w.link, w.linkTok = v.Link.ID, v.Token
		w.secret(v.Token)
	case "POST /api/organizations/{org}/invite-code/regenerate", "POST /api/organizations/{org}/groups/{group}/invite-code/regenerate":
		codes, err := w.e.App.InviteCodes(ctx, "maple")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			w.secret(c.Code)
		}
	}
}

// totp is vice's authenticator code at the test's clock, remembered so
// that the entries can be searched for it.
func (w *auditWorld) totp(t *testing.T) string {
	t.Helper()
	c := totpCode(t, w.viceSecret, w.e.Clock.Now())
	w.codes = append(w.codes, c)
	return c
}

// adminID is the ID of the admin called username.
func (w *auditWorld) adminID(t *testing.T, username string) string {
	t.Helper()
	adm, err := w.e.DB.AdminByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return adm.ID
}

// mustUser creates a user through the app (not a step of the walk).
func (w *auditWorld) mustUser(t *testing.T, first, last, username string) *app.User {
	t.Helper()
	u, err := w.e.App.CreateUser(context.Background(), "maple", app.UserCreate{User: app.User{FirstName: first, LastName: last, Username: username}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// pending is the ID of the pending sign-up with the username.
func (w *auditWorld) pending(username string) string {
	ps, _ := w.e.App.PendingSignUps(context.Background(), "maple")
	for _, p := range ps {
		if p.User.Username == username {
			return p.User.ID
		}
	}
	return "none"
}

// deliverInvitation sends the outbox and returns the token of Kim's mail.
func (w *auditWorld) deliverInvitation(t *testing.T) string {
	t.Helper()
	if _, err := w.e.App.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var token string
	for _, m := range w.relay.Messages() {
		text := mailText(t, m)
		if mm := inviteLink.FindStringSubmatch(text); mm != nil {
			w.secret(mm[1])
			if strings.Contains(text, "Kim") {
				token = mm[1]
			}
		}
	}
	if token == "" {
		t.Fatal("no invitation mail for Kim")
	}
	return token
}

// jobSecrets keeps the generated passwords of a finished job's result.
func (w *auditWorld) jobSecrets(t *testing.T, id string) {
	t.Helper()
	res, err := w.e.App.Jobs.Result(id)
	if err != nil {
		t.Fatal(err)
	}
	switch r := res.(type) {
	case *app.AccountResult:
		for _, a := range r.Accounts {
			w.secret(a.Password)
		}
	case *app.ImportResult:
		for _, row := range r.Rows {
			w.secret(row.Password)
		}
	}
}

// auditBytes is every key and value of the audit buckets, read from a
// backup of the file (the live file is locked by the open database).
func auditBytes(t *testing.T, e *env) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.WriteBackup(f, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var raw bytes.Buffer
	b.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"audit", "audit_ids"} {
			bk := tx.Bucket([]byte(name))
			if bk == nil {
				t.Fatalf("no bucket %s", name)
			}
			bk.ForEach(func(k, v []byte) error { raw.Write(k); raw.Write(v); return nil })
		}
		return nil
	})
	return raw.Bytes()
}

// The audit page's API filters by action and person, pages newest first,
// and exports a CSV with formula triggers defused.
func TestAuditPageAndCSV(t *testing.T) {
	e := newEnv(t)
	f := e.fixture(t) // setup, org maple, group 5A, user ann.smith
	e.createUser(t, f.cookie, "maple", map[string]any{"first_name": "=HYPERLINK(\"x\")", "last_name": "Evil", "username": "evil"})
	type page struct {
		Entries []app.AuditEntry `json:"entries"`
		Next    string           `json:"next"`
	}
	all := call[page](t, e, "GET", "/api/audit", nil, f.cookie, http.StatusOK)
	if len(all.Entries) < 5 || all.Entries[0].Action != "user.create" {
		t.Fatalf("log %+v", all.Entries)
	}
	users := call[page](t, e, "GET", "/api/audit?action=user.create&org=maple", nil, f.cookie, http.StatusOK)
	if len(users.Entries) != 2 {
		t.Fatalf("user.create entries %+v", users.Entries)
	}
	ann := call[page](t, e, "GET", "/api/audit?person="+f.user, nil, f.cookie, http.StatusOK)
	if len(ann.Entries) != 1 || ann.Entries[0].Target.ID != f.user {
		t.Fatalf("Ann's entries %+v", ann.Entries)
	}
	p1 := call[page](t, e, "GET", "/api/audit?limit=2", nil, f.cookie, http.StatusOK)
	p2 := call[page](t, e, "GET", "/api/audit?limit=2&cursor="+p1.Next, nil, f.cookie, http.StatusOK)
	if len(p1.Entries) != 2 || p1.Next == "" || len(p2.Entries) != 2 || p2.Entries[0].ID != all.Entries[2].ID {
		t.Fatalf("pages %+v / %+v", p1, p2)
	}
	day := apptest.Start.Format("2006-01-02")
	if n := len(call[page](t, e, "GET", "/api/audit?from="+day+"&to="+day, nil, f.cookie, http.StatusOK).Entries); n != len(all.Entries) {
		t.Errorf("entries of %s: %d, want %d", day, n, len(all.Entries))
	}
	if n := len(call[page](t, e, "GET", "/api/audit?to=2026-03-01", nil, f.cookie, http.StatusOK).Entries); n != 0 {
		t.Errorf("entries before the clock started: %d", n)
	}
	status, body := e.do(t, "GET", "/api/audit?from=yesterday", nil, f.cookie)
	checkError(t, status, body, http.StatusBadRequest, app.EINVALID, "from")
	if status, _ := e.do(t, "GET", "/api/audit", nil, ""); status != http.StatusUnauthorized {
		t.Errorf("the audit log without a session = %d", status)
	}

	data := download(t, e, f.cookie, "/api/audit.csv?action=user.create", "text/csv; charset=utf-8")
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "time" || rows[1][5] != "user.create" {
		t.Fatalf("csv %q", rows)
	}
	for _, r := range rows {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@\t\r\n", rune(c[0])) {
				t.Errorf("cell %q starts with a formula trigger", c)
			}
		}
	}
	if !strings.Contains(string(data), "'=HYPERLINK") {
		t.Errorf("the evil name is not defused: %s", data)
	}
}
