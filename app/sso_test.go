package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/keyfile"
	"rollcall/app/oidc"
	"rollcall/app/ssotest"
)

const (
	ssoClient   = "rollcall-test"
	ssoSecret   = "client-secret-4242-zq"
	ssoBase     = "http://127.0.0.1:18999"
	ssoBinding  = "browser-binding-cookie-value-0123456789abcdef"
	ssoPassword = "provider-password"
)

// ssoEnv is Rollcall with one organization (maple, group 2A, teachers
// group Staff), a real OpenID provider on 127.0.0.1 and a sign-in
// provider of maple pointing at it.
type ssoEnv struct {
	*apptest.Env
	op       *ssotest.Provider
	ctx      context.Context
	provider *app.SSOProviderView
	keyPath  string
}

func newSSOEnv(t *testing.T, in app.SSOProviderInput) *ssoEnv {
	t.Helper()
	env := apptest.New(t)
	keyPath := filepath.Join(t.TempDir(), "secret.key")
	env.App.Secrets = keyfile.New(keyPath)
	env.App.OIDC = &oidc.Client{Now: time.Now}
	op, err := ssotest.Start("127.0.0.1:0", ssoClient, ssoSecret, ssoBase+app.SSOCallbackPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	ctx := app.WithActor(context.Background(), app.CLIActor)
	if _, err := env.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple"}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"2A", "Staff"} {
		if _, err := env.App.CreateGroup(ctx, "maple", &app.Group{Name: g}); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }
	if in.Kind == nil {
		in.Kind = str(app.ProviderOIDC)
	}
	in.Name, in.Issuer, in.ClientID, in.ClientSecret = str("Test ID"), str(op.Issuer), str(ssoClient), str(ssoSecret)
	if in.AllowedDomains == nil {
		in.AllowedDomains = &[]string{"maple.example"}
	}
	if in.Group == nil {
		in.Group = str("2A")
	}
	p, err := env.App.CreateSSOProvider(ctx, "maple", in)
	if err != nil {
		t.Fatal(err)
	}
	op.AddUser(ssotest.User{Subject: "sub-anna", Username: "anna", Password: ssoPassword, Email: "anna@maple.example",
		EmailVerified: true, GivenName: "Anna", FamilyName: "Berg"})
	return &ssoEnv{Env: env, op: op, ctx: ctx, provider: p, keyPath: keyPath}
}

// signIn runs the whole flow for the provider's user: the button, the
// provider's sign-in page, the redirect back.
func (e *ssoEnv) signIn(t *testing.T, purpose, username string) (*app.SSOResult, error) {
	t.Helper()
	u, err := e.App.StartSSO(context.Background(), app.SSOStart{Provider: e.provider.ID, Purpose: purpose, Base: ssoBase, Binding: ssoBinding})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "code_challenge_method=S256") || !strings.Contains(u, "nonce=") || !strings.Contains(u, "state=") {
		t.Fatalf("authorization URL without PKCE S256, nonce or state: %s", u)
	}
	back, err := ssotest.SignIn(u, username, ssoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(back.String(), ssoBase+app.SSOCallbackPath+"?") {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	q := back.Query()
	return e.App.FinishSSO(context.Background(), app.SSOFinish{State: q.Get("state"), Code: q.Get("code"), Binding: ssoBinding, Client: "127.0.0.1"})
}

func (e *ssoEnv) users(t *testing.T) []*app.User {
	t.Helper()
	page, err := e.App.Users(e.ctx, "maple", app.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Users
}

// TestSSOCodeFlowJIT: a full code + PKCE flow against a real provider
// creates exactly one account in the provider's group, whose portal
// session works as a password sign-in's; the next sign-in finds it linked.
func TestSSOCodeFlowJIT(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	res, err := e.signIn(t, app.SSOForPortal, "anna")
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.App.Account(context.Background(), res.Token)
	if err != nil {
		t.Fatalf("the session does not open the account: %v", err)
	}
	if acc.Email != "anna@maple.example" || acc.FirstName != "Anna" || len(acc.Groups) != 1 || acc.Groups[0] != "2A" || acc.AccountType != "student" {
		t.Fatalf("account %+v", acc)
	}
	us := e.users(t)
	if len(us) != 1 || us[0].CreatedVia != app.ViaSSO || len(us[0].Identities) != 1 || us[0].Identities[0].Subject != "sub-anna" {
		t.Fatalf("users after the first sign-in: %+v", us)
	}
	// Again: the same account, nothing new.
	res2, err := e.signIn(t, app.SSOForPortal, "anna")
	if err != nil {
		t.Fatal(err)
	}
	if res2.User.ID != us[0].ID || len(e.users(t)) != 1 {
		t.Fatalf("second sign-in made another account")
	}
	// The state is used once.
	if _, err := e.App.FinishSSO(context.Background(), app.SSOFinish{State: "nothing", Code: "x", Binding: ssoBinding}); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("unknown state: %v", err)
	}
	// The audit log says what happened: one join, one sign-in.
	page, err := e.App.AuditLog(e.ctx, "maple", app.AuditFilter{Action: "person."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range page.Entries {
		actions = append(actions, en.Action)
	}
	if strings.Join(actions, ",") != "person.sign_in,person.sso_join" {
		t.Fatalf("audit actions %v", actions)
	}
}

// TestSSOBrowserBinding: a code and state carried to another browser (a
// different binding cookie) sign nobody in.
func TestSSOBrowserBinding(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	u, err := e.App.StartSSO(context.Background(), app.SSOStart{Provider: e.provider.ID, Purpose: app.SSOForPortal, Base: ssoBase, Binding: ssoBinding})
	if err != nil {
		t.Fatal(err)
	}
	back, err := ssotest.SignIn(u, "anna", ssoPassword)
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	_, err = e.App.FinishSSO(context.Background(), app.SSOFinish{State: q.Get("state"), Code: q.Get("code"), Binding: strings.Repeat("x", 43)})
	if app.ErrorCode(err) != app.EUNAUTHORIZED || len(e.users(t)) != 0 {
		t.Fatalf("another browser finished the sign-in: %v", err)
	}
}

// TestSSORefusals: each way a token or an identity can be wrong is
// refused with a plain message, and nobody is created.
func TestSSORefusals(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *ssoEnv)
		want  string
	}{
		{"wrong nonce", func(e *ssoEnv) { e.op.WrongNonce("not-the-nonce") }, "nonce does not match"},
		{"wrong audience", func(e *ssoEnv) { e.op.Audience("another-app") }, "wrong audience"},
		{"expired token", func(e *ssoEnv) { e.op.Lifetime(-10 * time.Minute) }, "has expired"},
		{"foreign key", func(e *ssoEnv) { e.op.SignWithForeignKey(true) }, "not signed by one of the provider's keys"},
		{"unverified email", func(e *ssoEnv) {
			e.op.AddUser(ssotest.User{Subject: "sub-anna", Username: "anna", Password: ssoPassword, Email: "anna@maple.example", GivenName: "Anna"})
		}, "has not verified the address anna@maple.example"},
		{"foreign domain", func(e *ssoEnv) {
			e.op.AddUser(ssotest.User{Subject: "sub-anna", Username: "anna", Password: ssoPassword, Email: "anna@elsewhere.example", EmailVerified: true, GivenName: "Anna"})
		}, "anna@elsewhere.example is not an address of this school"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newSSOEnv(t, app.SSOProviderInput{})
			c.setup(e)
			_, err := e.signIn(t, app.SSOForPortal, "anna")
			if err == nil || !strings.Contains(app.ErrorMessage(err), c.want) {
				t.Fatalf("want a refusal saying %q, got %v", c.want, err)
			}
			if n := len(e.users(t)); n != 0 {
				t.Fatalf("%d accounts made", n)
			}
		})
	}
}

// TestSSOKeyRotation: after the provider rotates its signing key, the next
// sign-in verifies with the new key (fetched again by the library).
func TestSSOKeyRotation(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	if _, err := e.signIn(t, app.SSOForPortal, "anna"); err != nil {
		t.Fatal(err)
	}
	old := e.op.KeyID()
	e.op.RotateKeys()
	if e.op.KeyID() == old {
		t.Fatal("no new key")
	}
	if _, err := e.signIn(t, app.SSOForPortal, "anna"); err != nil {
		t.Fatalf("sign-in after a key rotation: %v", err)
	}
}

// TestSSOConcurrentFirstSignIns: ten first sign-ins of one person at once
// make one account.
func TestSSOConcurrentFirstSignIns(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	type flow struct{ state, code, binding string }
	flows := make([]flow, 10)
	for i := range flows {
		binding := fmt.Sprintf("%s-%d", ssoBinding, i) // ten browsers: a browser waits for one sign-in
		u, err := e.App.StartSSO(context.Background(), app.SSOStart{Provider: e.provider.ID, Purpose: app.SSOForPortal, Base: ssoBase, Binding: binding})
		if err != nil {
			t.Fatal(err)
		}
		back, err := ssotest.SignIn(u, "anna", ssoPassword)
		if err != nil {
			t.Fatal(err)
		}
		flows[i] = flow{back.Query().Get("state"), back.Query().Get("code"), binding}
	}
	var wg sync.WaitGroup
	ids := make([]string, len(flows))
	errs := make([]error, len(flows))
	for i, f := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.App.FinishSSO(context.Background(), app.SSOFinish{State: f.state, Code: f.code, Binding: f.binding})
			errs[i] = err
			if err == nil {
				ids[i] = res.User.ID
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sign-in %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Fatalf("sign-in %d got account %s, the first %s", i, ids[i], ids[0])
		}
	}
	if us := e.users(t); len(us) != 1 {
		t.Fatalf("%d accounts after 10 concurrent first sign-ins", len(us))
	}
}

// TestSSOLinksExistingEmail: a person whose account an admin made with
// that email is linked once, not duplicated; an account whose address was
// never confirmed is not linked.
func TestSSOLinksExistingEmail(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	u, err := e.App.CreateUser(e.ctx, "maple", app.UserCreate{User: app.User{FirstName: "Anna", Email: "anna@maple.example", Username: "anna.b", Groups: []string{"Staff"}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.signIn(t, app.SSOForPortal, "anna")
	if err != nil {
		t.Fatal(err)
	}
	us := e.users(t)
	if res.User.ID != u.ID || len(us) != 1 || len(us[0].Identities) != 1 {
		t.Fatalf("not linked: %+v", us)
	}
	if acc, err := e.App.Account(context.Background(), res.Token); err != nil || acc.Groups[0] != "Staff" {
		t.Fatalf("account %+v, %v", acc, err)
	}
	page, err := e.App.AuditLog(e.ctx, "maple", app.AuditFilter{Action: "person.sso_link"})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("link entries %+v, %v", page, err)
	}
}

// TestSSOApprovalQueues: with approval, the first sign-in makes a pending
// account in the approval queue and no session.
func TestSSOApprovalQueues(t *testing.T) {
	yes := true
	e := newSSOEnv(t, app.SSOProviderInput{Approval: &yes})
	res, err := e.signIn(t, app.SSOForPortal, "anna")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pending || res.Token != "" {
		t.Fatalf("result %+v", res)
	}
	queue, err := e.App.PendingSignUps(e.ctx, "maple")
	if err != nil || len(queue) != 1 || queue[0].User.Email != "anna@maple.example" {
		t.Fatalf("queue %+v, %v", queue, err)
	}
	// Until approved, signing in again is refused with the approval words.
	if _, err := e.signIn(t, app.SSOForPortal, "anna"); err == nil || !strings.Contains(app.ErrorMessage(err), "approve") {
		t.Fatalf("pending account signed in: %v", err)
	}
}

// TestSSOGroupFromClaim: the group comes from a claim when it names one.
func TestSSOGroupFromClaim(t *testing.T) {
	claim := "department"
	e := newSSOEnv(t, app.SSOProviderInput{GroupClaim: &claim})
	e.op.AddUser(ssotest.User{Subject: "sub-anna", Username: "anna", Password: ssoPassword, Email: "anna@maple.example",
		EmailVerified: true, GivenName: "Anna", Claims: map[string]any{"department": "Staff"}})
	res, err := e.signIn(t, app.SSOForPortal, "anna")
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := e.App.Account(context.Background(), res.Token); len(acc.Groups) != 1 || acc.Groups[0] != "Staff" {
		t.Fatalf("groups %v", acc.Groups)
	}
}

// TestSSOAdminSignIn: a person with an admin role signs in to the admin UI
// through the provider; one without is refused and nobody is created.
func TestSSOAdminSignIn(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	if _, err := e.signIn(t, app.SSOForAdmin, "anna"); err == nil || !strings.Contains(app.ErrorMessage(err), "no account with admin rights") {
		t.Fatalf("want a refusal, got %v", err)
	}
	u, err := e.App.CreateUser(e.ctx, "maple", app.UserCreate{User: app.User{FirstName: "Anna", Email: "anna@maple.example", AccountType: "teacher"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserRoles(e.ctx, "maple", u.ID, app.RolesUpdate{Groups: []string{"2A"}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.signIn(t, app.SSOForAdmin, "anna")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := e.App.AdminBySession(context.Background(), res.Token)
	if err != nil || adm.Scope == nil || adm.Scope.OrgAdmin || len(adm.Scope.Groups) != 1 {
		t.Fatalf("admin %+v, %v", adm, err)
	}
}

// TestSSOPasswordSignInOff: teachers of an organization that has them use
// the provider cannot sign in with a password, at the portal or the admin
// sign-in; pupils still can.
func TestSSOPasswordSignInOff(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	const pw = "a-long-teacher-password-1"
	teacher, err := e.App.CreateUser(e.ctx, "maple", app.UserCreate{User: app.User{FirstName: "Tea", Username: "tea", AccountType: "teacher"}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserRoles(e.ctx, "maple", teacher.ID, app.RolesUpdate{OrgAdmin: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.CreateUser(e.ctx, "maple", app.UserCreate{User: app.User{FirstName: "Pup", Username: "pup"}, Password: pw}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.SignInUserFrom(context.Background(), app.SignIn{Login: "tea", Password: pw, Client: "10.0.0.1"}); err != nil {
		t.Fatalf("before: %v", err)
	}
	only := []string{"teacher"}
	if _, err := e.App.UpdateOrganization(e.ctx, "maple", app.OrganizationUpdate{SSOOnly: &only}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.SignInUserFrom(context.Background(), app.SignIn{Login: "tea", Password: pw, Client: "10.0.0.1"}); err == nil || !strings.Contains(app.ErrorMessage(err), "not a password") {
		t.Fatalf("teacher's password sign-in: %v", err)
	}
	if _, _, err := e.App.SignInAdminFrom(context.Background(), app.SignIn{Login: "tea", Password: pw, Client: "10.0.0.1"}); err == nil || !strings.Contains(app.ErrorMessage(err), "not a password") {
		t.Fatalf("teacher's admin sign-in: %v", err)
	}
	if _, _, err := e.App.SignInUserFrom(context.Background(), app.SignIn{Login: "pup", Password: pw, Client: "10.0.0.1"}); err != nil {
		t.Fatalf("pupil: %v", err)
	}
}

// TestSSOSecretSealed: the client secret is not in the raw database file,
// and the settings never show it.
func TestSSOSecretSealed(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	if _, err := e.signIn(t, app.SSOForPortal, "anna"); err != nil { // the sealed secret opens and works
		t.Fatal(err)
	}
	ps, err := e.App.SSOProviders(e.ctx, "maple")
	if err != nil || len(ps) != 1 || !ps[0].SecretSet || ps[0].SealedSecret != nil {
		t.Fatalf("providers %+v, %v", ps, err)
	}
	raw, err := os.ReadFile(e.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(ssoClient)) {
		t.Fatal("the file holds no provider at all: the grep proves nothing")
	}
	if bytes.Contains(raw, []byte(ssoSecret)) {
		t.Fatal("the client secret is readable in the raw database file")
	}
}

// An email domain belongs to one organization: Maple's admin cannot add to
// Maple's provider a domain Oak uses as its login domain, or Birch in a
// provider's allowed domains (before the fix any organization admin could,
// and Oak's people were created in Maple at Maple's provider). A domain
// two organizations used before the check (written straight to the store)
// gives the buttons of its owner only, and the other's provider cannot
// sign its people in.
func TestSSODomainBelongsToOneOrganization(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	str := func(s string) *string { return &s }
	if _, err := e.App.CreateOrganization(e.ctx, &app.Organization{Name: "Oak School", Slug: "oak", LoginDomain: "oak.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.CreateOrganization(e.ctx, &app.Organization{Name: "Birch School", Slug: "birch"}); err != nil {
		t.Fatal(err)
	}
	birch, err := e.App.CreateSSOProvider(e.ctx, "birch", app.SSOProviderInput{Kind: str(app.ProviderOIDC), Name: str("Birch ID"),
		Issuer: str(e.op.Issuer), ClientID: str(ssoClient), AllowedDomains: &[]string{"birch.example"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"oak.example", "Birch.example"} {
		_, err := e.App.UpdateSSOProvider(e.ctx, "maple", e.provider.ID, app.SSOProviderInput{AllowedDomains: &[]string{"maple.example", d}})
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorDetails(err)["allowed_domains"], "another organization") {
			t.Fatalf("maple claiming %s: %v %v", d, err, app.ErrorDetails(err))
		}
		_, err = e.App.CreateSSOProvider(e.ctx, "maple", app.SSOProviderInput{Kind: str(app.ProviderOIDC), Name: str("Other"),
			Issuer: str(e.op.Issuer), ClientID: str(ssoClient), AllowedDomains: &[]string{d}})
		if app.ErrorCode(err) != app.EINVALID || app.ErrorDetails(err)["allowed_domains"] == "" {
			t.Fatalf("a new maple provider for %s: %v", d, err)
		}
	}
	// Its own domains stay Maple's to change; Birch's stay Birch's.
	if _, err := e.App.UpdateSSOProvider(e.ctx, "maple", e.provider.ID, app.SSOProviderInput{AllowedDomains: &[]string{"maple.example", "pupils.maple.example"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.UpdateSSOProvider(e.ctx, "birch", birch.ID, app.SSOProviderInput{Name: str("Birch")}); err != nil {
		t.Fatal(err)
	}

	// Nor can Maple take a domain as its login domain (which would make it
	// Maple's); its own subdomain is fine.
	for _, d := range []string{"oak.example", "birch.example"} {
		if _, err := e.App.UpdateOrganization(e.ctx, "maple", app.OrganizationUpdate{LoginDomain: &d}); app.ErrorCode(err) != app.EINVALID || app.ErrorDetails(err)["login_domain"] == "" {
			t.Fatalf("maple's login domain %s: %v", d, err)
		}
	}
	if _, err := e.App.UpdateOrganization(e.ctx, "maple", app.OrganizationUpdate{LoginDomain: str("pupils.maple.example")}); err != nil {
		t.Fatal(err)
	}

	// A squat from before the check.
	p, err := e.App.Store.SSOProvider(e.ctx, "", e.provider.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.AllowedDomains = append(p.AllowedDomains, "oak.example", "birch.example")
	if err := e.App.Store.PutSSOProvider(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if bs, err := e.App.SSOButtons(context.Background(), "", "someone@oak.example"); err != nil || len(bs) != 0 {
		t.Fatalf("buttons for oak.example: %+v %v", bs, err)
	}
	if bs, err := e.App.SSOButtons(context.Background(), "", "someone@birch.example"); err != nil || len(bs) != 1 || bs[0].ID != birch.ID {
		t.Fatalf("buttons for birch.example: %+v %v", bs, err)
	}
	if bs, err := e.App.SSOButtons(context.Background(), "", "someone@maple.example"); err != nil || len(bs) != 1 || bs[0].ID != e.provider.ID {
		t.Fatalf("buttons for maple.example: %+v %v", bs, err)
	}
	e.op.AddUser(ssotest.User{Subject: "sub-x", Username: "x", Password: ssoPassword, Email: "head@oak.example", EmailVerified: true, GivenName: "Not", FamilyName: "Head"})
	if _, err := e.signIn(t, app.SSOForPortal, "x"); app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(app.ErrorMessage(err), "another organization") {
		t.Fatalf("maple's provider signing in head@oak.example: %v", err)
	}
	if _, err := e.App.CreateUser(e.ctx, "oak", app.UserCreate{User: app.User{FirstName: "Head", Email: "head@oak.example", AccountType: "teacher"}}); err != nil {
		t.Fatalf("oak adding its own head: %v", err)
	}
}

// One client cannot fill the server-wide table of waiting sign-ins: an
// address (GET /api/public/sso/start needs only the public provider ID)
// is refused after SSOStartsPerIP starts it left waiting, while another
// address still signs in (before the fix one address made 20,000 and every
// organization's single sign-on was refused for 10 minutes). Sign-ins that
// come back give their start back, so a class behind one router signing
// in one after another is not held back; and a browser waits for one
// sign-in: a new start (same cookie, or sending the earlier one) replaces it.
func TestSSOStartsLimitedPerAddress(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	ctx := context.Background()
	start := func(client, binding, old string) (string, error) {
		return e.App.StartSSO(ctx, app.SSOStart{Provider: e.provider.ID, Purpose: app.SSOForPortal, Base: ssoBase,
			Binding: binding, OldBinding: old, Client: client})
	}
	finish := func(u, client, binding string) (*app.SSOResult, error) {
		t.Helper()
		back, err := ssotest.SignIn(u, "anna", ssoPassword)
		if err != nil {
			t.Fatal(err)
		}
		q := back.Query()
		return e.App.FinishSSO(ctx, app.SSOFinish{State: q.Get("state"), Code: q.Get("code"), Binding: binding, Client: client})
	}
	n := 0
	for i := 0; i < 20000; i++ {
		_, err := start("203.0.113.7", fmt.Sprintf("%s-%d", ssoBinding, i), "")
		if app.ErrorCode(err) == app.ETOOMANY {
			break
		} else if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		n++
	}
	if n != app.SSOStartsPerIP {
		t.Fatalf("one address began %d sign-ins, want %d", n, app.SSOStartsPerIP)
	}
	u, err := start("198.51.100.4", ssoBinding, "")
	if err != nil {
		t.Fatalf("another address after the flood: %v", err)
	}
	if res, err := finish(u, "198.51.100.4", ssoBinding); err != nil || res.Token == "" {
		t.Fatalf("another address's sign-in: %+v %v", res, err)
	}

	// A class behind one router, one after another.
	for i := 0; i < app.SSOStartsPerIP+5; i++ {
		b := fmt.Sprintf("%s-class-%d", ssoBinding, i)
		u, err := start("192.0.2.200", b, "")
		if err != nil {
			t.Fatalf("sign-in %d from the school's router: %v", i, err)
		}
		if _, err := finish(u, "192.0.2.200", b); err != nil {
			t.Fatalf("sign-in %d: %v", i, err)
		}
	}

	// One browser, one waiting sign-in.
	first, err := start("192.0.2.201", ssoBinding, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := start("192.0.2.201", ssoBinding, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := finish(first, "192.0.2.201", ssoBinding); err == nil || !strings.Contains(app.ErrorMessage(err), "start again") {
		t.Fatalf("the replaced sign-in: %v", err)
	}
	newer := ssoBinding + "-newer"
	third, err := start("192.0.2.201", newer, ssoBinding)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := finish(second, "192.0.2.201", ssoBinding); err == nil {
		t.Fatal("the sign-in of the browser's earlier cookie still worked")
	}
	if res, err := finish(third, "192.0.2.201", newer); err != nil || res.Token == "" {
		t.Fatalf("the newest sign-in: %+v %v", res, err)
	}
}

// On a shared tablet, a sign-in through a provider ends the browser's
// earlier portal session, as a password sign-in does (before the fix the
// earlier person stayed signed in beside the new one). The session is
// taken at the start: the provider's redirect back carries no
// SameSite=Strict cookie.
func TestSSOSignInEndsPreviousSession(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	ctx := context.Background()
	first, err := e.signIn(t, app.SSOForPortal, "anna")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.UserBySession(ctx, first.Token); err != nil {
		t.Fatal(err)
	}
	e.op.AddUser(ssotest.User{Subject: "sub-bo", Username: "bo", Password: ssoPassword, Email: "bo@maple.example",
		EmailVerified: true, GivenName: "Bo", FamilyName: "Ek"})
	u, err := e.App.StartSSO(ctx, app.SSOStart{Provider: e.provider.ID, Purpose: app.SSOForPortal, Base: ssoBase,
		Binding: ssoBinding, Previous: first.Token})
	if err != nil {
		t.Fatal(err)
	}
	back, err := ssotest.SignIn(u, "bo", ssoPassword)
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	second, err := e.App.FinishSSO(ctx, app.SSOFinish{State: q.Get("state"), Code: q.Get("code"), Binding: ssoBinding})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.App.UserBySession(ctx, second.Token); err != nil || p.Email != "bo@maple.example" {
		t.Fatalf("the new session: %+v %v", p, err)
	}
	if p, err := e.App.UserBySession(ctx, first.Token); err == nil {
		t.Fatalf("the earlier person %s is still signed in on the tablet", p.Email)
	}
}

// endSessionOIDC is the real client with the discovery's end-session
// address replaced.
type endSessionOIDC struct {
	app.OIDCClient
	end string
}

func (c endSessionOIDC) Discover(ctx context.Context, issuer string) (*app.OIDCInfo, error) {
	info, err := c.OIDCClient.Discover(ctx, issuer)
	if err != nil {
		return nil, err
	}
	cp := *info
	cp.EndSessionURL = c.end
	return &cp, nil
}

// The provider's end-session address is offered only over https (http
// only on this computer), and carries the client and, when the
// organization has a public address, the registered redirect URI to come
// back to (RP-initiated logout), which moves on to the sign-in page.
func TestSSOEndSessionURL(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	ctx := context.Background()
	res, err := e.signIn(t, app.SSOForPortal, "anna")
	if err != nil {
		t.Fatal(err)
	}
	client := e.App.OIDC
	for _, bad := range []string{"http://idp.example/logout", "javascript:alert(1)", "https://user@idp.example/logout", "/logout", "ftp://idp.example/"} {
		e.App.OIDC = endSessionOIDC{client, bad}
		if u := e.App.SSOEndSessionURL(ctx, res.Token); u != "" {
			t.Errorf("end-session address %q offered as %q", bad, u)
		}
	}
	e.App.OIDC = endSessionOIDC{client, "http://127.0.0.1:9/logout"}
	if u := e.App.SSOEndSessionURL(ctx, res.Token); !strings.HasPrefix(u, "http://127.0.0.1:9/logout?") || !strings.Contains(u, "client_id="+ssoClient) {
		t.Errorf("a loopback provider's end-session address: %q", u)
	}
	pub := "https://rollcall.maple.example"
	if _, err := e.App.UpdateOrganization(e.ctx, "maple", app.OrganizationUpdate{PublicURL: &pub}); err != nil {
		t.Fatal(err)
	}
	e.App.OIDC = endSessionOIDC{client, "https://idp.example/logout?tenant=1"}
	u, err := url.Parse(e.App.SSOEndSessionURL(ctx, res.Token))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "idp.example" || q.Get("tenant") != "1" || q.Get("client_id") != ssoClient ||
		q.Get("post_logout_redirect_uri") != pub+app.SSOCallbackPath || q.Get("state") != app.SSOSignedOut {
		t.Errorf("end-session address %s", u)
	}
}
