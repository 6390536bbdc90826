package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/mail/mailtest"
	"rollcall/app/oidc"
	"rollcall/app/ssotest"
)

// ssoFlow runs a sign-in through a provider as a browser would: the
// button (start), the provider's sign-in page, the redirect back.
func ssoFlow(t *testing.T, a *app.App, start app.SSOStart, username, password string) (*app.SSOResult, error) {
	t.Helper()
	if start.Binding == "" {
		start.Binding = ssoBinding
	}
	u, err := a.StartSSO(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ssotest.SignIn(u, username, password)
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	return a.FinishSSO(context.Background(), app.SSOFinish{State: q.Get("state"), Code: q.Get("code"), Binding: start.Binding, Client: "127.0.0.1"})
}

// An invitation accepted through a sign-in provider (issue 14): the
// identity's verified address must be the invited one (compared as
// logins are: case does not matter); the account is then linked to the
// identity, active, and signed in — without a password — and the link is
// used up. Another person of the school signing in with the link gets a
// plain refusal and the invitation stays open for the right one.
func TestSSOAcceptInvitation(t *testing.T) {
	e := newMailEnv(t, mailtest.Options{})
	e.a.OIDC = &oidc.Client{Now: time.Now}
	op, err := ssotest.Start("127.0.0.1:0", ssoClient, ssoSecret, "https://rollcall.maple.example"+app.SSOCallbackPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	op.AddUser(ssotest.User{Subject: "sub-ida", Username: "ida", Password: ssoPassword, Email: "ida.lund@maple.example", EmailVerified: true, GivenName: "Ida", FamilyName: "Lund"})
	op.AddUser(ssotest.User{Subject: "sub-eve", Username: "eve", Password: ssoPassword, Email: "eve@maple.example", EmailVerified: true, GivenName: "Eve"})
	ctx := app.WithActor(context.Background(), app.CLIActor)
	str := func(s string) *string { return &s }
	p, err := e.a.CreateSSOProvider(ctx, "maple", app.SSOProviderInput{Kind: str(app.ProviderOIDC), Name: str("Test ID"), Issuer: str(op.Issuer),
		ClientID: str(ssoClient), ClientSecret: str(ssoSecret), AllowedDomains: &[]string{"maple.example"}})
	if err != nil {
		t.Fatal(err)
	}
	e.invite(t, app.InviteRequest{Addresses: "Ida.Lund@Maple.Example", AccountType: "teacher"})
	if e.deliver(t) != 1 {
		t.Fatal("the invitation was not sent")
	}
	token := parseMail(t, e.srv.Messages()[0]).token
	if token == "" {
		t.Fatal("no link in the invitation mail")
	}
	start := app.SSOStart{Provider: p.ID, Purpose: app.SSOForInvitation, Invitation: token, Base: "https://rollcall.maple.example"}

	// Somebody else of the school with the link: refused, nothing changes.
	if _, err := ssoFlow(t, e.a, start, "eve", ssoPassword); app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(app.ErrorMessage(err), "The invitation is for") {
		t.Fatalf("another address accepting = %v, want EFORBIDDEN \"The invitation is for …\"", err)
	}
	if pg, err := e.a.InvitationByToken(context.Background(), token); err != nil {
		t.Fatalf("the invitation stopped working after a refused accept: %v", err)
	} else if len(pg.Providers) != 1 || pg.Providers[0].ID != p.ID || pg.Providers[0].Name != "Test ID" {
		t.Errorf("the invite page offers %+v, want \"Accept with Test ID\"", pg.Providers)
	}

	// The invited person: linked, active, signed in.
	res, err := ssoFlow(t, e.a, start, "ida", ssoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if res.Token == "" || res.Kind != app.SessionUser || res.Purpose != app.SSOForInvitation {
		t.Fatalf("result %+v: not signed in to the portal", res)
	}
	acc, err := e.a.Account(context.Background(), res.Token)
	if err != nil {
		t.Fatalf("the session does not open the account: %v", err)
	}
	if acc.FirstName != "Ida" || acc.AccountType != "teacher" {
		t.Errorf("account %+v: want Ida, teacher", acc)
	}
	page, err := e.a.Users(ctx, "maple", app.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Users) != 1 {
		t.Fatalf("%d accounts, want the invited one", len(page.Users))
	}
	u := page.Users[0]
	if u.Status != app.StatusActive || !u.EmailVerified || len(u.Identities) != 1 || u.Identities[0].Subject != "sub-ida" || u.Identities[0].Provider != p.ID {
		t.Errorf("invited account after accepting with the provider: %+v", u)
	}
	if u.HasPassword() {
		t.Error("accepting through the provider set a password")
	}
	// The link is used up (it offers the sign-in: the account is active);
	// the identity now signs the account in.
	if _, err := e.a.InvitationByToken(context.Background(), token); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("link after accepting: %v, want ECONFLICT", err)
	}
	if _, err := ssoFlow(t, e.a, start, "ida", ssoPassword); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("the same link accepted twice: %v, want ENOTFOUND", err)
	}
	again, err := ssoFlow(t, e.a, app.SSOStart{Provider: p.ID, Purpose: app.SSOForPortal, Base: "https://rollcall.maple.example"}, "ida", ssoPassword)
	if err != nil || again.User.ID != u.ID {
		t.Fatalf("portal sign-in after accepting: %v, %+v; want the linked account", err, again)
	}
	page, _ = e.a.Users(ctx, "maple", app.UserFilter{})
	if len(page.Users) != 1 {
		t.Errorf("%d accounts after signing in again, want 1", len(page.Users))
	}
}
