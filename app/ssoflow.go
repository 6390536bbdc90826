package app

import (
	"context"
	"crypto/subtle"
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The sign-in through a provider, from the button to the session.
//
// Where state, nonce and the PKCE verifier wait: in this process's memory,
// keyed by the SHA-256 of the state, for SSOFlowTTL, used once. Nothing is
// written to the database for a click on a button that anybody can make
// (no growth of the file, no write per anonymous request); a sign-in begun
// before a restart simply fails with "start again", which costs one click.
// The flow is also bound to the browser that began it: a random value in
// an HttpOnly cookie whose hash the flow keeps, so a code and state sent to
// someone else's browser (login CSRF) signs nobody in there.

// SSOFlowTTL is how long a sign-in begun at a provider may take.
const SSOFlowTTL = 10 * time.Minute

// maxSSOFlows bounds the sign-ins waiting at once (memory).
const maxSSOFlows = 20000

// SSOStartsPerIP bounds the sign-ins one client address (an IPv6 /64) may
// begin in SSOFlowTTL, so that no one client fills the table of waiting
// sign-ins (maxSSOFlows) and blocks single sign-on for everybody. A
// sign-in that comes back from the provider gives its start back, so a
// class behind one school router signing in together is held back only by
// the sign-ins it leaves waiting.
const SSOStartsPerIP = 60

var errTooManySSOStarts = Errorf(ETOOMANY, "Many sign-ins have been begun from this device and not finished. Wait 10 minutes and try again, or ask the school's IT staff.")

// Purposes of a sign-in through a provider.
const (
	SSOForPortal     = "portal"     // the sign-in page for people (/signin)
	SSOForAdmin      = "admin"      // the admin sign-in (a person with an admin role)
	SSOForInvitation = "invitation" // accepting an invitation
)

type ssoFlows struct {
	mu sync.Mutex
	m  map[string]*ssoFlow
	// byBinding is the waiting sign-in of each browser (binding hash →
	// key in m): a browser has one, a new start replaces it.
	byBinding map[string]string
}

// drop removes the waiting sign-in under k; mu is held.
func (s *ssoFlows) drop(k string) {
	if f := s.m[k]; f != nil && s.byBinding[f.binding] == k {
		delete(s.byBinding, f.binding)
	}
	delete(s.m, k)
}

type ssoFlow struct {
	provider, purpose, invitation string
	nonce, verifier, redirect     string
	binding                       string // TokenHash of the browser's cookie
	admin                         string // the admin linking their account (purpose link)
	client                        string // the client address that began it (SSOStartsPerIP)
	previous                      string // TokenHash of the browser's earlier session of the purpose, or ""
	expires                       time.Time
}

// SSOStart begins a sign-in through a provider.
type SSOStart struct {
	Provider string
	Purpose  string
	// Invitation is the invitation's token (purpose invitation).
	Invitation string
	// Base is the address the request came to (scheme://host): the
	// redirect URI's base when the organization has no public address.
	Base string
	// Binding is the browser's random cookie value (the transport makes it).
	Binding string
	// OldBinding is the browser's earlier binding cookie, if it sent one:
	// the sign-in it was waiting for ends (a browser waits for one).
	OldBinding string
	// Client is the client's address (an IPv6 /64) for SSOStartsPerIP.
	Client string
	// Previous is the session the browser has for the purpose (the
	// portal's, or the admin UI's for purpose admin), or "": it ends when
	// the sign-in succeeds, as at a password sign-in (a shared tablet). It
	// is taken at the start, a same-site navigation that carries the
	// SameSite=Strict session cookies; the provider's redirect back does not.
	Previous string
	// Admin is the signed-in admin's ID (purpose link; set by the transport
	// from the admin's session, never from the request's parameters).
	Admin string
}

var errSSOAgain = Errorf(EUNAUTHORIZED, "This sign-in expired or was already used. Go back and start again.")

// StartSSO returns the provider's authorization URL for a new sign-in:
// code flow with PKCE S256, a fresh state and nonce. Errors: ENOTFOUND (no
// such provider), EUNAUTHORIZED (the provider cannot be reached), EINVALID.
func (a *App) StartSSO(ctx context.Context, in SSOStart) (string, error) {
	if a.OIDC == nil {
		return "", Errorf(ENOTFOUND, "Single sign-on is not available here.")
	}
	switch in.Purpose {
	case SSOForPortal, SSOForAdmin, SSOForInvitation:
	case SSOForLink:
		if _, err := a.checkLinkingAdmin(ctx, in.Admin); err != nil {
			return "", err
		}
	default:
		return "", Errorf(EINVALID, "Unknown sign-in purpose %q.", in.Purpose)
	}
	p, err := a.Store.SSOProvider(ctx, "", in.Provider)
	if ErrorCode(err) == ENOTFOUND {
		return "", Errorf(ENOTFOUND, "This sign-in button is out of date: reload the page.")
	} else if err != nil {
		return "", err
	}
	org, err := a.Store.Organization(ctx, p.OrgID)
	if err != nil {
		return "", err
	}
	if len(in.Binding) < 32 {
		return "", Errorf(EINVALID, "The browser's sign-in cookie is missing.")
	}
	if !a.SignUpLimits.SSOStarts.Take(in.Client) {
		return "", errTooManySSOStarts
	}
	started := false
	defer func() {
		if !started {
			a.SignUpLimits.SSOStarts.Refund(in.Client)
		}
	}()
	base := strings.TrimRight(org.PublicURL, "/")
	if base == "" {
		base = strings.TrimRight(in.Base, "/")
	}
	cfg, err := a.oidcConfig(p, base+SSOCallbackPath)
	if err != nil {
		return "", err
	}
	state, err := a.NewToken()
	if err != nil {
		return "", err
	}
	nonce, err := a.NewToken()
	if err != nil {
		return "", err
	}
	verifier, err := a.NewToken() // 43 URL-safe characters: a valid PKCE verifier (RFC 7636 §4.1)
	if err != nil {
		return "", err
	}
	u, err := a.OIDC.AuthURL(ctx, cfg, state, nonce, verifier)
	if err != nil {
		return "", err
	}
	f := &ssoFlow{provider: p.ID, purpose: in.Purpose, invitation: in.Invitation, nonce: nonce, verifier: verifier,
		redirect: cfg.RedirectURI, binding: TokenHash(in.Binding), client: in.Client, expires: a.Now().Add(SSOFlowTTL)}
	if in.Purpose == SSOForLink {
		f.admin = in.Admin // the admin stays signed in
	} else if in.Previous != "" {
		f.previous = TokenHash(in.Previous)
	}
	a.sso.mu.Lock()
	defer a.sso.mu.Unlock()
	if a.sso.m == nil {
		a.sso.m, a.sso.byBinding = map[string]*ssoFlow{}, map[string]string{}
	}
	// The browser's earlier waiting sign-in (same or earlier cookie) ends.
	for _, b := range []string{in.Binding, in.OldBinding} {
		if k, ok := a.sso.byBinding[TokenHash(b)]; ok && b != "" {
			a.sso.drop(k)
		}
	}
	now := a.Now()
	if len(a.sso.m) >= maxSSOFlows {
		for k, f := range a.sso.m {
			if now.After(f.expires) {
				a.sso.drop(k)
			}
		}
		if len(a.sso.m) >= maxSSOFlows {
			return "", Errorf(ETOOMANY, "Too many sign-ins are under way. Try again in a few minutes.")
		}
	}
	k := TokenHash(state)
	a.sso.m[k] = f
	a.sso.byBinding[f.binding] = k
	started = true
	return u, nil
}

// oidcConfig is the provider's client configuration with its secret opened.
func (a *App) oidcConfig(p *SSOProvider, redirect string) (OIDCConfig, error) {
	cfg := OIDCConfig{Issuer: p.Issuer, ClientID: p.ClientID, RedirectURI: redirect, Scopes: p.Scopes}
	if len(p.SealedSecret) > 0 {
		if a.Secrets == nil {
			return cfg, Errorf(EINTERNAL, "No key file is configured to open the client secret.")
		}
		secret, err := a.Secrets.Open(p.SealedSecret)
		if err != nil {
			return cfg, Errorf(EINTERNAL, "The client secret cannot be opened with this key file: enter it again in Settings → Sign-in.")
		}
		cfg.ClientSecret = string(secret)
	}
	return cfg, nil
}

// takeFlow removes and returns the waiting sign-in of state, checked
// against the browser's binding cookie.
func (a *App) takeFlow(state, binding string) (*ssoFlow, error) {
	a.sso.mu.Lock()
	defer a.sso.mu.Unlock()
	k := TokenHash(state)
	f := a.sso.m[k]
	if f == nil {
		return nil, errSSOAgain
	}
	a.sso.drop(k)
	a.SignUpLimits.SSOStarts.Refund(f.client) // it came back: not left waiting
	if a.Now().After(f.expires) || subtle.ConstantTimeCompare([]byte(f.binding), []byte(TokenHash(binding))) != 1 {
		return nil, errSSOAgain
	}
	return f, nil
}

// SSOFinish is the provider's answer at the redirect URI.
type SSOFinish struct {
	State, Code string
	// Error and ErrorDescription are the provider's refusal, if any.
	Error, ErrorDescription string
	Binding                 string
	Client                  string
	// Previous is the session the browser had for this purpose: it ends.
	Previous string
}

// SSOResult is a finished sign-in through a provider.
type SSOResult struct {
	Purpose string `json:"purpose"`
	// Token is the new session's secret: a portal session (SessionUser)
	// or an admin UI session (SessionStaff); "" when the account waits for
	// approval.
	Token string `json:"-"`
	Kind  string `json:"kind"`
	// Pending: the account was created and waits for approval.
	Pending bool   `json:"pending"`
	Message string `json:"message"`
	User    *User  `json:"-"`
}

// FinishSSO ends a sign-in through a provider: the code is exchanged (with
// the PKCE verifier) and the ID token verified by the OpenID Connect
// client; the email must be verified and in one of the provider's allowed
// domains. Then, in one transaction, the person linked to the identity
// signs in, or the person with that email is linked (once), or — on the
// portal — a new account is made (or queued for approval). Errors:
// EUNAUTHORIZED or EFORBIDDEN with a message to show as it is.
//
// On an error after the waiting sign-in was found, the result is not nil
// but carries only its Purpose: where the browser goes back to.
func (a *App) FinishSSO(ctx context.Context, in SSOFinish) (*SSOResult, error) {
	f, err := a.takeFlow(in.State, in.Binding)
	if err != nil {
		return nil, err
	}
	res, err := a.finishSSO(ctx, in, f)
	if err != nil {
		return &SSOResult{Purpose: f.purpose}, err
	}
	return res, nil
}

func (a *App) finishSSO(ctx context.Context, in SSOFinish, f *ssoFlow) (*SSOResult, error) {
	if in.Error != "" {
		msg := "The sign-in provider did not sign you in"
		if d := Clean(in.ErrorDescription); d != "" && len(d) < 300 && !hasControl(d) {
			msg += ": " + d
		}
		return nil, Errorf(EUNAUTHORIZED, "%s.", strings.TrimSuffix(msg, "."))
	}
	p, err := a.Store.SSOProvider(ctx, "", f.provider)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EUNAUTHORIZED, "This sign-in provider was removed meanwhile.")
	} else if err != nil {
		return nil, err
	}
	org, err := a.Store.Organization(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	cfg, err := a.oidcConfig(p, f.redirect)
	if err != nil {
		return nil, err
	}
	id, err := a.OIDC.Exchange(ctx, cfg, in.Code, f.verifier, f.nonce)
	if err != nil {
		return nil, err
	}
	email, err := ssoEmail(p, id)
	if err != nil {
		return nil, err
	}
	_, domain, _ := strings.Cut(Key(email), "@")
	if owner, err := a.domainOwner(ctx, domain); err != nil {
		return nil, err
	} else if owner != p.OrgID {
		return nil, Errorf(EFORBIDDEN, "%s is an address of another organization on this Rollcall, so it cannot sign in through %s.", email, p.Name)
	}
	previous := f.previous
	if in.Previous != "" && f.purpose != SSOForLink {
		previous = TokenHash(in.Previous)
	}
	if previous != "" {
		if err := a.Store.DeleteSession(ctx, previous); err != nil {
			return nil, err
		}
	}
	switch f.purpose {
	case SSOForInvitation:
		return a.acceptInvitationSSO(ctx, org, p, id, email, f.invitation)
	case SSOForLink:
		return a.linkAdminSSO(ctx, p, id, email, f.admin)
	case SSOForAdmin:
		// An admin account linked to the identity first; else a person
		// with an admin role.
		if res, err := a.adminSSOSignIn(ctx, p, id, in.Client); res != nil || err != nil {
			return res, err
		}
		return a.resolveSSO(ctx, org, p, id, email, SSOForAdmin, in.Client)
	}
	return a.resolveSSO(ctx, org, p, id, email, SSOForPortal, in.Client)
}

// ssoEmail is the identity's email, when the provider vouches for it and
// its domain is one the provider allows.
func ssoEmail(p *SSOProvider, id *OIDCIdentity) (string, error) {
	email, _ := id.Claims[p.EmailClaim].(string)
	if email == "" && p.Kind == ProviderEntra {
		email, _ = id.Claims["preferred_username"].(string)
	}
	email = Clean(email)
	local, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok || local == "" || domain == "" || len(email) > MaxEmailLength {
		return "", Errorf(EUNAUTHORIZED, "%s did not tell Rollcall your email address, so you cannot be signed in. Ask the school's IT staff.", p.Name)
	}
	if !slices.Contains(p.AllowedDomains, domain) {
		return "", Errorf(EFORBIDDEN, "%s is not an address of this school (%s), so it cannot sign in here.", email, strings.Join(p.AllowedDomains, ", "))
	}
	if p.Kind == ProviderGoogle {
		if hd, _ := id.Claims["hd"].(string); !strings.EqualFold(hd, p.Domain) {
			return "", Errorf(EFORBIDDEN, "%s is not an account of the school's Google Workspace (%s).", email, p.Domain)
		}
	}
	verified := false
	switch v := id.Claims["email_verified"].(type) {
	case bool:
		verified = v
	case string:
		verified = v == "true"
	}
	// Entra ID sends no email_verified: its rule is the tenant's own issuer
	// (the library checked it is this provider's) and an address in one of
	// the allowed domains (checked above), which the tenant administers.
	if p.Kind == ProviderEntra && id.Issuer == p.Issuer {
		verified = true
	}
	if !verified {
		return "", Errorf(EFORBIDDEN, "%s has not verified the address %s, so Rollcall cannot use it. Ask the school's IT staff.", p.Name, email)
	}
	return email, nil
}

// claimStrings is a claim's value as strings (a string or a list).
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// resolveSSO signs the identity's person in, linking or creating them.
func (a *App) resolveSSO(ctx context.Context, org *Organization, p *SSOProvider, id *OIDCIdentity, email, purpose, client string) (*SSOResult, error) {
	now := a.now()
	ident := Identity{Provider: p.ID, Issuer: id.Issuer, Subject: id.Subject, LinkedAt: now}
	kind, ttl := SessionUser, UserSessionTTL
	if purpose == SSOForAdmin {
		kind, ttl = SessionStaff, AdminSessionTTL
	}
	token, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	sess := &Session{Hash: TokenHash(token), Kind: kind, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if kind == SessionStaff {
		sess.Client = client
	}
	sess.Provider = p.ID
	// The new account, should one be needed: made outside the transaction.
	fresh, err := a.ssoNewUser(ctx, org, p, id, email)
	if err != nil {
		return nil, err
	}
	res := &SSOResult{Purpose: purpose, Kind: kind}
	action, detail := "person.sign_in", "signed in with "+p.Name
	if purpose == SSOForAdmin {
		action = "admin.sign_in"
	}
	ctx = a.audit(ctx, org.ID, action, AuditTarget{}, detail)
	decide := func(linked, byEmail *User) (*User, bool, bool, error) {
		u, write, create := linked, false, false
		switch {
		case linked != nil && linked.OrgID != org.ID:
			return nil, false, false, Errorf(EFORBIDDEN, "Your %s account is linked to an account of another organization.", p.Name)
		case linked != nil:
		case byEmail != nil && byEmail.OrgID != org.ID:
			return nil, false, false, Errorf(EFORBIDDEN, "The account with the address %s belongs to another organization, so it cannot sign in here. Ask the school office.", email)
		case byEmail != nil && !byEmail.EmailVerified:
			return nil, false, false, Errorf(EFORBIDDEN, "An account with the address %s exists, but the address was never confirmed, so it is not linked to your %s account. Ask your teacher or the school office.", email, p.Name)
		case byEmail != nil && slices.ContainsFunc(byEmail.Identities, func(i Identity) bool { return i.Issuer == ident.Issuer }):
			return nil, false, false, Errorf(EFORBIDDEN, "The account with the address %s is already linked to another %s account.", email, p.Name)
		case byEmail != nil:
			c := *byEmail
			c.Identities = append(slices.Clone(c.Identities), ident)
			c.UpdatedAt = now
			u, write = &c, true
		case purpose == SSOForAdmin:
			return nil, false, false, Errorf(EFORBIDDEN, "There is no account with admin rights for %s.", email)
		default:
			u, create = fresh, true
		}
		if purpose == SSOForAdmin && !u.HasAdminRole() {
			return nil, false, false, Errorf(EFORBIDDEN, "%s has no admin rights in Rollcall. Sign in at the sign-in page for people (/signin).", email)
		}
		if purpose == SSOForAdmin && u.TOTP.On() {
			return nil, false, false, errTwoStepNotSSO
		}
		if !create {
			if err := signInRefusal(u.Status); err != nil {
				return nil, false, false, err
			}
		}
		amendAudit(ctx, func(e *AuditEntry) {
			e.Target = personTarget(u)
			if purpose == SSOForAdmin {
				e.Actor = AdminActor(staffAdminOf(u))
			} else {
				e.Actor = PersonActor(u)
			}
			switch {
			case create && u.Status == StatusPending:
				e.Action, e.Detail = "person.sso_join", "account made at the first sign-in with "+p.Name+"; waiting for approval"
			case create:
				e.Action, e.Detail = "person.sso_join", "account made at the first sign-in with "+p.Name+" and signed in"
			case write:
				e.Action, e.Detail = "person.sso_link", "linked to a "+p.Name+" account and signed in"
				if purpose == SSOForAdmin {
					e.Detail += " to the admin UI"
				}
			}
		})
		return u, write, create, nil
	}
	u, err := a.Store.ResolveIdentity(ctx, &SSOResolution{Identity: ident, Email: email, Decide: decide, Session: sess})
	if err != nil {
		return nil, err
	}
	res.User = u
	if u.Status == StatusPending {
		res.Pending = true
		res.Message = textOf("Your account was made and is waiting for a teacher or the school office to approve it. Try again once it is approved.")
		return res, nil
	}
	res.Token = token
	return res, nil
}

// ssoNewUser is the account the identity would get at its first sign-in.
func (a *App) ssoNewUser(ctx context.Context, org *Organization, p *SSOProvider, id *OIDCIdentity, email string) (*User, error) {
	given, _ := id.Claims["given_name"].(string)
	family, _ := id.Claims["family_name"].(string)
	if Clean(given) == "" {
		name, _ := id.Claims["name"].(string)
		given, family, _ = strings.Cut(Clean(name), " ")
	}
	if Clean(given) == "" {
		given, _, _ = strings.Cut(email, "@")
	}
	u := &User{ID: a.newID(), OrgID: org.ID, FirstName: Clean(given), LastName: Clean(family), Email: email,
		EmailVerified: true, AccountType: p.AccountType, Language: org.Language, Status: StatusActive,
		CreatedVia: ViaSSO, CreatedAt: a.now()}
	u.UpdatedAt = u.CreatedAt
	if p.Approval {
		u.Status = StatusPending
	}
	if !org.HasAccountType(u.AccountType) {
		u.AccountType = org.AccountTypes()[0]
	}
	group := p.Group
	if p.GroupClaim != "" {
		for _, v := range claimStrings(id.Claims[p.GroupClaim]) {
			if g, err := a.Store.GroupByName(ctx, org.ID, Clean(v)); err == nil {
				group = g.ID
				break
			}
		}
	}
	if group != "" {
		if _, err := a.Store.Group(ctx, org.ID, group); err == nil {
			u.Groups = []string{group}
		}
	}
	if err := u.Validate(org); err != nil {
		// A name the provider sent that Rollcall refuses: use the address.
		u.FirstName, u.LastName = strings.SplitN(email, "@", 2)[0], ""
		if err := u.Validate(org); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// staffAdminOf is the admin a person with an admin role is in the admin UI.
func staffAdminOf(u *User) *Admin {
	login := u.Username
	if login == "" {
		login = u.Email
	}
	return &Admin{ID: u.ID, Username: login, Name: strings.TrimSpace(u.FirstName + " " + u.LastName), CreatedAt: u.CreatedAt, Scope: scopeOfUser(u)}
}

// acceptInvitationSSO accepts an invitation with a provider's identity:
// the provider must be one of the invitation's organization, and the
// address it vouches for must be the invited one (compared as logins are).
// The account is then linked to the identity, activated (or moved, for a
// join: the provider proved the address the account has, verified) and
// signed in to the portal, in one transaction; no password is chosen.
func (a *App) acceptInvitationSSO(ctx context.Context, org *Organization, p *SSOProvider, id *OIDCIdentity, email, token string) (*SSOResult, error) {
	inv, cur, _, err := a.pendingInvitation(ctx, token)
	if err != nil {
		return nil, err
	}
	if inv.OrgID != org.ID {
		return nil, Errorf(EFORBIDDEN, "%s is not a sign-in provider of the organization that invited you. Use the form with a password.", p.Name)
	}
	if LoginKey(email) != LoginKey(inv.Email) {
		return nil, Errorf(EFORBIDDEN, "The invitation is for %s, but %s signed you in as %s. Sign in there with the invited address, or use the form with a password.", inv.Email, p.Name, email)
	}
	now := a.now()
	ident := Identity{Provider: p.ID, Issuer: id.Issuer, Subject: id.Subject, LinkedAt: now}
	// The name the provider knows, for an account that has none yet.
	named, err := a.ssoNewUser(ctx, org, p, id, email)
	if err != nil {
		return nil, err
	}
	token2, err := a.NewToken()
	if err != nil {
		return nil, err
	}
	sess := &Session{Hash: TokenHash(token2), Kind: SessionUser, CreatedAt: now, ExpiresAt: now.Add(UserSessionTTL), Provider: p.ID}
	actx := a.audit(WithActor(ctx, PersonActor(cur)), inv.OrgID, "invitation.accept", personTarget(cur), "invitation accepted ("+inv.Mode+") with "+p.Name)
	_, u, err := a.Store.AcceptInvitationIdentity(actx, TokenHash(token), ident, sess, func(inv *Invitation, u *User) error {
		if err := acceptable(inv, u, now); err != nil {
			return err
		}
		// The link arrived, and the provider vouches for the address.
		return accept(inv, u, org, named.FirstName, named.LastName, now)
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, errBadLink
	}
	if err != nil {
		return nil, err
	}
	if inv.Mode == ModeJoin {
		// Sessions opened in the old organization end with the move; the
		// new one is kept.
		for _, kind := range []string{SessionUser, SessionStaff} {
			ss, err := a.Store.SessionsOf(ctx, u.ID, kind)
			if err != nil {
				return nil, err
			}
			for _, s := range ss {
				if s.Hash != sess.Hash {
					if err := a.Store.DeleteSession(ctx, s.Hash); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	res := &SSOResult{Purpose: SSOForInvitation, Kind: SessionUser, User: u}
	if u.Status != StatusActive {
		res.Pending = true
		res.Message = textOf("Your invitation is accepted, but the account is not active. Ask the school office.")
		return res, nil
	}
	res.Token = token2
	return res, nil
}

// SSOEndSessionURL is the provider's end-session address for a session
// (portal or admin UI) begun through a provider, or "" (the provider has
// none, or the session did not begin with a provider).
func (a *App) SSOEndSessionURL(ctx context.Context, token string) string {
	u, _ := a.SSOEndSession(ctx, token)
	return u
}

// SSOEndSession is SSOEndSessionURL and the provider's name, for the
// words "Also sign out of <name>".
func (a *App) SSOEndSession(ctx context.Context, token string) (url, provider string) {
	if a.OIDC == nil || token == "" {
		return "", ""
	}
	s, err := a.Store.Session(ctx, TokenHash(token))
	if err != nil || s.Provider == "" {
		return "", ""
	}
	p, err := a.Store.SSOProvider(ctx, "", s.Provider)
	if err != nil {
		return "", ""
	}
	info, err := a.OIDC.Discover(ctx, p.Issuer)
	if err != nil || info.EndSessionURL == "" {
		return "", ""
	}
	end, err := neturl.Parse(info.EndSessionURL)
	if err != nil || end.Host == "" || end.User != nil || end.Fragment != "" ||
		!(end.Scheme == "https" || end.Scheme == "http" && IsLoopbackHost(end.Hostname())) {
		return "", "" // not offered: a page of ours does not send people to a plain-http or odd address
	}
	// RP-initiated logout: the provider sends the browser back to the
	// redirect URI already registered for Rollcall (the callback, which
	// moves on to the sign-in page), naming the client.
	q := end.Query()
	q.Set("client_id", p.ClientID)
	if org, err := a.Store.Organization(ctx, p.OrgID); err == nil && org.PublicURL != "" {
		q.Set("post_logout_redirect_uri", strings.TrimRight(org.PublicURL, "/")+SSOCallbackPath)
		state := SSOSignedOut
		if s.Kind != SessionUser {
			state = SSOSignedOutAdmin
		}
		q.Set("state", state)
	}
	end.RawQuery = q.Encode()
	return end.String(), p.Name
}

// The state a provider's end-session endpoint sends back to the callback
// after signing out: the person goes on to the sign-in page (portal) or
// the admin sign-in.
const (
	SSOSignedOut      = "signed-out"
	SSOSignedOutAdmin = "signed-out-admin"
)
