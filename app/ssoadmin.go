package app

import (
	"context"
	"strings"
	"time"
)

// Admin accounts (app.Admin, the server's own admins — not people with an
// admin role, who are users) linked to an identity at a sign-in provider.
// A server admin, signed in, links their account from Settings → Your
// account ("Link my Microsoft account"): the sign-in at the provider is
// begun with purpose link and carries the admin's ID in the waiting flow
// (never in the browser). Afterwards the admin sign-in's "Sign in with …"
// button signs them in as that admin. The provider's own sign-in (with
// its multi-factor rules) stands in for the password and two-step code.

// SSOForLink: a signed-in server admin links their admin account.
const SSOForLink = "link"

// checkLinkingAdmin is the admin who may link an identity: a server admin
// account (not a person with a role), enabled.
func (a *App) checkLinkingAdmin(ctx context.Context, id string) (*Admin, error) {
	if id == "" {
		return nil, Errorf(EUNAUTHORIZED, "Sign in to Rollcall first, then link the account from Settings → Your account.")
	}
	adm, err := a.Store.Admin(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EFORBIDDEN, "Only a server admin account is linked this way; people with an admin role sign in with their own account.")
	} else if err != nil {
		return nil, err
	}
	if adm.Disabled {
		return nil, errSignedOut
	}
	return adm, nil
}

// linkAdminSSO links the identity to the admin who began the sign-in.
func (a *App) linkAdminSSO(ctx context.Context, p *SSOProvider, id *OIDCIdentity, email, adminID string) (*SSOResult, error) {
	adm, err := a.checkLinkingAdmin(ctx, adminID)
	if err != nil {
		return nil, err
	}
	ident := Identity{Provider: p.ID, Issuer: id.Issuer, Subject: id.Subject, LinkedAt: a.now()}
	ctx = a.audit(WithActor(ctx, AdminActor(adm)), "", "admin.sso_link", adminTarget(adm), "admin account linked to the "+p.Name+" account "+email)
	if _, err := a.Store.LinkAdminIdentity(ctx, adm.ID, ident); err != nil {
		return nil, err
	}
	return &SSOResult{Purpose: SSOForLink, Message: Tr("en", "Your admin account %s is linked to the %s account %s. From now on \"Sign in with %s\" on the admin sign-in signs you in.",
		adm.Username, p.Name, email, p.Name)}, nil
}

// adminSSOSignIn signs in the admin account linked to the identity, or
// returns nil when none is (then a person with an admin role is looked for).
func (a *App) adminSSOSignIn(ctx context.Context, p *SSOProvider, id *OIDCIdentity, client string) (*SSOResult, error) {
	ident := Identity{Issuer: id.Issuer, Subject: id.Subject}
	adm, err := a.Store.AdminByIdentity(ctx, ident.Key())
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if adm.Disabled {
		return nil, Errorf(EFORBIDDEN, "The admin account %s is disabled.", adm.Username)
	}
	if adm.TwoStep {
		return nil, errTwoStepNotSSO
	}
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	now := a.now()
	s := &Session{Hash: TokenHash(token), Kind: SessionAdmin, SubjectID: adm.ID, CreatedAt: now, ExpiresAt: now.Add(AdminSessionTTL),
		Client: client, Provider: p.ID}
	ctx = a.audit(WithActor(ctx, AdminActor(adm)), "", "admin.sign_in", adminTarget(adm), "admin signed in with "+p.Name)
	if err := a.Store.CreateSession(ctx, s); err != nil {
		return nil, err
	}
	return &SSOResult{Purpose: SSOForAdmin, Kind: SessionAdmin, Token: token}, nil
}

// UnlinkAdminIdentity removes the signed-in server admin's link to the
// provider's identity. Errors: ENOTFOUND, EFORBIDDEN.
func (a *App) UnlinkAdminIdentity(ctx context.Context, provider string) (*Admin, error) {
	act := ActorFrom(ctx)
	if act.Kind != ActorAdmin || act.ID == "" {
		return nil, errServerOnly
	}
	adm, err := a.checkLinkingAdmin(ctx, act.ID)
	if err != nil {
		return nil, err
	}
	name := provider
	for _, i := range adm.Identities {
		if i.Provider == provider {
			if p, err := a.Store.SSOProvider(ctx, "", provider); err == nil {
				name = p.Name
			} else {
				name = strings.TrimPrefix(i.Issuer, "https://")
			}
		}
	}
	ctx = a.audit(ctx, "", "admin.sso_unlink", adminTarget(adm), "admin account no longer linked to "+name)
	return a.Store.UnlinkAdminIdentity(ctx, adm.ID, provider)
}

// LinkedIdentity is an identity linked to the signed-in admin account.
type LinkedIdentity struct {
	Provider string    `json:"provider"`
	Name     string    `json:"name"`
	Issuer   string    `json:"issuer"`
	LinkedAt time.Time `json:"linked_at"`
}

// AdminSSOLinks is what Settings → Your account shows of single sign-on:
// the linked identities and the providers one can link.
type AdminSSOLinks struct {
	Linked    []LinkedIdentity `json:"linked"`
	Providers []SSOButton      `json:"providers"`
}

// MySSOLinks lists the signed-in server admin's linked identities and the
// providers (of every organization) they can link. Errors: EFORBIDDEN
// (not a server admin account).
func (a *App) MySSOLinks(ctx context.Context) (*AdminSSOLinks, error) {
	act := ActorFrom(ctx)
	if act.Kind != ActorAdmin || act.ID == "" {
		return nil, errServerOnly
	}
	adm, err := a.checkLinkingAdmin(ctx, act.ID)
	if err != nil {
		return nil, err
	}
	out := &AdminSSOLinks{Linked: []LinkedIdentity{}, Providers: []SSOButton{}}
	for _, i := range adm.Identities {
		l := LinkedIdentity{Provider: i.Provider, Name: i.Issuer, Issuer: i.Issuer, LinkedAt: i.LinkedAt}
		if p, err := a.Store.SSOProvider(ctx, "", i.Provider); err == nil {
			l.Name = p.Name
		}
		out.Linked = append(out.Linked, l)
	}
	if a.OIDC == nil {
		return out, nil
	}
	orgs, err := a.Store.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		out.Providers = append(out.Providers, a.orgButtons(ctx, o)...)
	}
	return out, nil
}

// errTwoStepNotSSO refuses the admin sign-in through a provider to an
// account that uses two-step sign-in: the provider's sign-in would stand in
// for Rollcall's code, which the admin asked for (a stolen school account
// must not be enough). Such an admin signs in with password and code.
var errTwoStepNotSSO = Errorf(EFORBIDDEN, "Your admin account uses two-step sign-in: sign in with your password and the code from your app instead.")
