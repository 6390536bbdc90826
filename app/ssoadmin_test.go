package app_test

import (
	"context"
	"testing"

	"rollcall/app"
)

// A server admin (app.Admin, not a person with a role) links their admin
// account to an identity at a provider while signed in, and then signs in
// to the admin UI through it — no person is made for them. Linking needs
// the admin's own session; another admin cannot take the same identity;
// once unlinked, the identity no longer signs the admin in.
func TestSSOAdminAccountLinked(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	adm, err := e.App.CreateAdmin(e.ctx, "it.maple", "admin password 2026", false)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.App.CreateAdmin(e.ctx, "it.other", "admin password 2027", false)
	if err != nil {
		t.Fatal(err)
	}
	start := func(purpose, admin string) app.SSOStart {
		return app.SSOStart{Provider: e.provider.ID, Purpose: purpose, Base: ssoBase, Binding: ssoBinding, Admin: admin}
	}

	// Before the link: the identity is nobody's admin.
	if _, err := ssoFlow(t, e.App, start(app.SSOForAdmin, ""), "anna", ssoPassword); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("admin sign-in before linking: %v, want EFORBIDDEN", err)
	}
	// Linking without a signed-in admin is refused at the start.
	if _, err := e.App.StartSSO(context.Background(), start(app.SSOForLink, "")); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("link without an admin: %v, want EUNAUTHORIZED", err)
	}

	res, err := ssoFlow(t, e.App, start(app.SSOForLink, adm.ID), "anna", ssoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if res.Purpose != app.SSOForLink || res.Token != "" {
		t.Fatalf("link result %+v: want a link and no session", res)
	}
	adminCtx := app.WithActor(context.Background(), app.AdminActor(adm))
	links, err := e.App.MySSOLinks(adminCtx)
	if err != nil {
		t.Fatal(err)
	}
	if len(links.Linked) != 1 || links.Linked[0].Name != "Test ID" || links.Linked[0].Provider != e.provider.ID || len(links.Providers) != 1 {
		t.Fatalf("links %+v", links)
	}

	// The same identity for another admin: refused.
	if _, err := ssoFlow(t, e.App, start(app.SSOForLink, other.ID), "anna", ssoPassword); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a second admin linking the same identity: %v, want ECONFLICT", err)
	}

	// The admin sign-in through the provider: this admin account.
	res, err = ssoFlow(t, e.App, start(app.SSOForAdmin, ""), "anna", ssoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != app.SessionAdmin || res.Token == "" {
		t.Fatalf("admin sign-in result %+v", res)
	}
	got, sess, err := e.App.AdminSession(context.Background(), res.Token)
	if err != nil || got.ID != adm.ID || got.Scope != nil || sess.Provider != e.provider.ID {
		t.Fatalf("the session is %+v (%+v), %v; want the admin account %s", got, sess, err, adm.ID)
	}
	if us := e.users(t); len(us) != 0 {
		t.Fatalf("signing in as an admin made %d people", len(us))
	}
	page, err := e.App.AuditLog(e.ctx, "", app.AuditFilter{Action: "admin.sso_link"})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Actor.ID != adm.ID {
		t.Fatalf("link entries %+v, %v", page, err)
	}

	// Unlinked: the identity signs nobody in to the admin UI any more.
	if _, err := e.App.UnlinkAdminIdentity(adminCtx, e.provider.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ssoFlow(t, e.App, start(app.SSOForAdmin, ""), "anna", ssoPassword); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("admin sign-in after unlinking: %v, want EFORBIDDEN", err)
	}
	// A person with an admin role is no server admin: nothing to link.
	staffCtx := app.WithActor(context.Background(), app.AdminActor(&app.Admin{ID: "u1", Scope: &app.Scope{OrgAdmin: true}}))
	if _, err := e.App.MySSOLinks(staffCtx); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("links of a person with a role: %v, want EFORBIDDEN", err)
	}
}

// A person with an admin role who turned two-step sign-in on cannot sign in
// to the admin UI through the school's provider: it would stand in for the
// code (review of issue 14, finding 1). The password path asks for the
// code, and the provider's admin sign-in is refused with a plain message.
func TestSSOAdminSignInRespectsTwoStep(t *testing.T) {
	e := newSSOEnv(t, app.SSOProviderInput{})
	u, err := e.App.CreateUser(e.ctx, "maple", app.UserCreate{User: app.User{FirstName: "Anna", Username: "anna.t",
		Email: "anna@maple.example", AccountType: "teacher"}, Password: "Teacher-pass-1234"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserRoles(e.ctx, "maple", u.ID, app.RolesUpdate{Groups: []string{"2A"}}); err != nil {
		t.Fatal(err)
	}
	// Before two-step: the provider signs her in to the admin UI.
	if res, err := e.signIn(t, app.SSOForAdmin, "anna"); err != nil || res.Token == "" {
		t.Fatalf("admin sign-in through the provider without two-step: %+v %v", res, err)
	}
	adm, _, err := e.App.SignInAdmin(e.ctx, "anna.t", "Teacher-pass-1234", "192.0.2.5")
	if err != nil {
		t.Fatal(err)
	}
	tw := &twoStepEnv{Env: e.Env, ctx: e.ctx}
	as := app.WithActor(e.ctx, app.AdminActor(adm))
	setup, err := e.App.StartTwoStep(as, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.ConfirmTwoStep(as, u.ID, tw.code(t, setup.Secret)); err != nil {
		t.Fatal(err)
	}
	if _, out, err := e.App.SignInAdminFrom(e.ctx, app.SignIn{Login: "anna.t", Password: "Teacher-pass-1234", Client: "192.0.2.5"}); app.ErrorCode(err) != app.ESECONDFACTOR || out.Token != "" {
		t.Fatalf("password step: %v", err)
	}
	res, err := e.signIn(t, app.SSOForAdmin, "anna")
	if app.ErrorCode(err) != app.EFORBIDDEN || res != nil && res.Token != "" {
		t.Fatalf("admin sign-in through the provider with two-step on: %+v %v, want EFORBIDDEN", res, err)
	}
	// The portal (her own account page) is not the admin UI: it still works.
	if res, err := e.signIn(t, app.SSOForPortal, "anna"); err != nil || res.Token == "" {
		t.Fatalf("portal sign-in through the provider: %+v %v", res, err)
	}
}
