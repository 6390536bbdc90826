package app

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Single sign-on: an organization's people sign in with the school's
// Microsoft, Google, Okta or any OpenID Connect account (sign-in
// providers, Settings → Sign-in). The OpenID Connect work — discovery, the
// provider's keys, the code exchange with PKCE and the ID token's checks —
// is done by a well-kept library behind OIDCClient (app/oidc); this file
// holds the rules: which provider, which email counts, who is created,
// linked or refused.

// Provider kinds (presets).
const (
	ProviderEntra  = "entra"
	ProviderGoogle = "google"
	ProviderOkta   = "okta"
	ProviderOIDC   = "oidc"
)

// SSOCallbackPath is where providers send the browser back: the redirect
// URI to register is the organization's public address plus this path.
const SSOCallbackPath = "/api/public/sso/callback"

// SSOProvider is one sign-in provider of an organization.
type SSOProvider struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	Kind  string `json:"kind"`
	// Name is the button's word: "Sign in with <Name>".
	Name string `json:"name"`
	// Tenant is Entra ID's directory (tenant) ID; Domain Google Workspace's
	// hosted domain (the hd claim must name it); OktaURL Okta's org URL.
	Tenant  string `json:"tenant,omitempty"`
	Domain  string `json:"domain,omitempty"`
	OktaURL string `json:"okta_url,omitempty"`
	// Issuer is the OpenID Connect issuer (discovery at
	// Issuer/.well-known/openid-configuration); made from the preset's
	// field, or given for a generic provider.
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	// SealedSecret is the client secret sealed with the key file.
	SealedSecret []byte   `json:"sealed_secret,omitempty"`
	Scopes       []string `json:"scopes"`
	// EmailClaim names the claim that carries the email ("email" unless set).
	EmailClaim string `json:"email_claim"`
	// AllowedDomains: only emails in these domains sign in or are created.
	AllowedDomains []string `json:"allowed_domains"`
	// AccountType and Group (an ID) are what a person created at the first
	// sign-in gets; GroupClaim, when set, names a claim (groups, department)
	// whose value is matched to a group's name first.
	AccountType string `json:"account_type"`
	Group       string `json:"group,omitempty"`
	GroupClaim  string `json:"group_claim,omitempty"`
	// Approval: people created at the first sign-in wait for approval.
	Approval  bool      `json:"approval"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SSOProviderView is a provider as an admin sees it: never the secret.
type SSOProviderView struct {
	SSOProvider
	SealedSecret []byte `json:"sealed_secret,omitempty"` // always empty
	SecretSet    bool   `json:"secret_set"`
	// RedirectURI is what to register at the provider (empty until the
	// organization has a public address).
	RedirectURI string `json:"redirect_uri"`
}

// SSOProviderInput creates or changes a provider; nil fields stay (on
// create, absent). A nil ClientSecret keeps the stored one; "" removes it.
type SSOProviderInput struct {
	Kind           *string   `json:"kind"`
	Name           *string   `json:"name"`
	Tenant         *string   `json:"tenant"`
	Domain         *string   `json:"domain"`
	OktaURL        *string   `json:"okta_url"`
	Issuer         *string   `json:"issuer"`
	ClientID       *string   `json:"client_id"`
	ClientSecret   *string   `json:"client_secret"`
	Scopes         *[]string `json:"scopes"`
	EmailClaim     *string   `json:"email_claim"`
	AllowedDomains *[]string `json:"allowed_domains"`
	AccountType    *string   `json:"account_type"`
	Group          *string   `json:"group"`
	GroupClaim     *string   `json:"group_claim"`
	Approval       *bool     `json:"approval"`
}

// SSOProviderStore keeps providers per organization.
type SSOProviderStore interface {
	// SSOProviders lists the organization's providers, oldest first.
	SSOProviders(ctx context.Context, orgID string) ([]*SSOProvider, error)
	// SSOProvider returns one provider of the organization ("" for any); ENOTFOUND if none.
	SSOProvider(ctx context.Context, orgID, id string) (*SSOProvider, error)
	PutSSOProvider(ctx context.Context, p *SSOProvider) error
	DeleteSSOProvider(ctx context.Context, orgID, id string) error
	// ResolveIdentity finds, links or creates the account of an identity in
	// one transaction (see SSOResolution).
	ResolveIdentity(ctx context.Context, r *SSOResolution) (*User, error)
	// AcceptInvitationIdentity accepts an invitation as
	// InvitationStore.AcceptInvitation does and, in the same transaction,
	// links the identity to its account (EFORBIDDEN when the identity is
	// another account's, or the account has another identity of the same
	// issuer) and creates the session (SubjectID filled in) when the
	// account is active.
	AcceptInvitationIdentity(ctx context.Context, hash string, ident Identity, sess *Session, fn func(inv *Invitation, u *User) error) (*Invitation, *User, error)
	// LinkAdminIdentity links the identity to the admin account (replacing
	// one of the same issuer); ECONFLICT when another admin has it.
	LinkAdminIdentity(ctx context.Context, adminID string, ident Identity) (*Admin, error)
	// UnlinkAdminIdentity removes the admin's identities of the provider; ENOTFOUND if none.
	UnlinkAdminIdentity(ctx context.Context, adminID, provider string) (*Admin, error)
	// AdminByIdentity is the admin account linked to the identity (its Key); ENOTFOUND if none.
	AdminByIdentity(ctx context.Context, key string) (*Admin, error)
}

// Identity is an account at a sign-in provider linked to a person: the
// issuer and the subject (the provider's unchanging ID of the person).
type Identity struct {
	Provider string    `json:"provider"` // SSOProvider ID
	Issuer   string    `json:"issuer"`
	Subject  string    `json:"subject"`
	LinkedAt time.Time `json:"linked_at"`
}

// Key is the identity's unique key in the store.
func (i Identity) Key() string { return i.Issuer + "\x00" + i.Subject }

// SSOResolution is what ResolveIdentity does in one transaction: the user
// linked to Identity is found; else the user whose email is Email;
// Decide is called with what was found (nil, nil when neither)
// and says what to write. A session, when given, is created in the same
// transaction.
type SSOResolution struct {
	Identity Identity
	Email    string
	// Decide returns the user to write: linked (unchanged: nothing written
	// but the session), byEmail with the identity added, or a new user.
	// Its error is returned and nothing is written.
	Decide func(linked, byEmail *User) (u *User, write bool, create bool, err error)
	// Session, when not nil, is created for the user (SubjectID filled in).
	Session *Session
}

// OIDCConfig is what the OpenID Connect client needs of a provider.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURI  string
	Scopes       []string
}

// OIDCInfo is what a provider's discovery document tells.
type OIDCInfo struct {
	Issuer             string `json:"issuer"`
	AuthorizationURL   string `json:"authorization_endpoint"`
	TokenURL           string `json:"token_endpoint"`
	EndSessionURL      string `json:"end_session_endpoint,omitempty"`
	SupportsPKCES256   bool   `json:"supports_pkce_s256"`
	ScopesSupported    []string
	ClaimsSupported    []string
	DiscoveryCheckedAt time.Time `json:"checked_at"`
}

// OIDCIdentity is a verified ID token's subject and claims.
type OIDCIdentity struct {
	Issuer  string
	Subject string
	Claims  map[string]any
}

// OIDCClient is the relying party (app/oidc): discovery, the authorization
// URL with PKCE S256, state and nonce, and the code exchange whose ID token
// it verifies (signature against the provider's keys, issuer, audience,
// expiry, nonce). Its errors are EUNAUTHORIZED with a plain message (also
// when the provider cannot be reached).
type OIDCClient interface {
	Discover(ctx context.Context, issuer string) (*OIDCInfo, error)
	AuthURL(ctx context.Context, c OIDCConfig, state, nonce, verifier string) (string, error)
	Exchange(ctx context.Context, c OIDCConfig, code, verifier, nonce string) (*OIDCIdentity, error)
}

var (
	tenantRe    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	claimNameRe = regexp.MustCompile(`^[A-Za-z0-9_:./-]{1,100}$`)
	scopeRe     = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,100}$`)
)

// defaultScopes are asked when a provider names none.
var defaultScopes = []string{"openid", "email", "profile"}

// fill makes the preset's issuer and defaults.
func (p *SSOProvider) fill() {
	switch p.Kind {
	case ProviderEntra:
		p.Issuer = "https://login.microsoftonline.com/" + strings.ToLower(p.Tenant) + "/v2.0"
		if p.Name == "" {
			p.Name = "Microsoft"
		}
	case ProviderGoogle:
		p.Issuer = "https://accounts.google.com"
		if p.Name == "" {
			p.Name = "Google"
		}
		if p.Domain != "" && len(p.AllowedDomains) == 0 {
			p.AllowedDomains = []string{p.Domain}
		}
	case ProviderOkta:
		p.Issuer = strings.TrimRight(p.OktaURL, "/")
		if p.Name == "" {
			p.Name = "Okta"
		}
	}
	if len(p.Scopes) == 0 {
		p.Scopes = slices.Clone(defaultScopes)
	}
	if p.EmailClaim == "" {
		p.EmailClaim = "email"
	}
}

// Validate checks the provider against its organization.
func (p *SSOProvider) Validate(org *Organization) error {
	v := validation{}
	switch p.Kind {
	case ProviderEntra:
		if !tenantRe.MatchString(p.Tenant) {
			v.add("tenant", "Give the directory (tenant) ID, e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47 (Entra admin center → Overview).")
		}
	case ProviderGoogle:
		if p.Domain == "" || !domainRe.MatchString(p.Domain) {
			v.add("domain", "Give the Google Workspace domain, e.g. maple.example.")
		}
	case ProviderOkta:
		if msg := checkIssuer(p.OktaURL); msg != "" {
			v.add("okta_url", "%s", msg)
		}
	case ProviderOIDC:
		if msg := checkIssuer(p.Issuer); msg != "" {
			v.add("issuer", "%s", msg)
		}
	default:
		v.add("kind", "The kind must be entra, google, okta or oidc.")
	}
	checkName(v, "name", "The name", p.Name)
	if p.ClientID == "" || len(p.ClientID) > 256 || hasControl(p.ClientID) {
		v.add("client_id", "Give the client (application) ID the provider shows for Rollcall.")
	}
	if !slices.Contains(p.Scopes, "openid") {
		v.add("scopes", "The scopes must include openid.")
	}
	for _, s := range p.Scopes {
		if !scopeRe.MatchString(s) {
			v.add("scopes", "%q is not a scope.", s)
		}
	}
	if !claimNameRe.MatchString(p.EmailClaim) {
		v.add("email_claim", "%q is not a claim name.", p.EmailClaim)
	}
	if p.GroupClaim != "" && !claimNameRe.MatchString(p.GroupClaim) {
		v.add("group_claim", "%q is not a claim name.", p.GroupClaim)
	}
	if len(p.AllowedDomains) == 0 {
		v.add("allowed_domains", "Give at least one email domain whose people may sign in, e.g. maple.example.")
	}
	for _, d := range p.AllowedDomains {
		if len(d) > 253 || !domainRe.MatchString(d) {
			v.add("allowed_domains", "%q is not a domain name.", d)
		}
	}
	if !org.HasAccountType(p.AccountType) {
		v.add("account_type", "Choose one of %s.", strings.Join(org.AccountTypes(), ", "))
	}
	return v.err("kind", "name", "tenant", "domain", "okta_url", "issuer", "client_id", "scopes", "email_claim", "group_claim", "allowed_domains", "account_type")
}

func checkIssuer(s string) string {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "Give the issuer URL, e.g. https://id.maple.example."
	case err != nil || hasControl(s) || len(s) > 2000 || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Sprintf("%q is not an issuer URL.", s)
	case u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname())):
		return "The issuer must use https:// (http:// only for a provider on this computer)."
	}
	return ""
}

// view is the provider as an admin sees it.
func (p *SSOProvider) view(org *Organization) *SSOProviderView {
	v := &SSOProviderView{SSOProvider: *p, SecretSet: len(p.SealedSecret) > 0}
	v.SSOProvider.SealedSecret = nil
	if org.PublicURL != "" {
		v.RedirectURI = strings.TrimRight(org.PublicURL, "/") + SSOCallbackPath
	}
	return v
}

func providerTarget(p *SSOProvider) AuditTarget {
	return AuditTarget{Kind: "sign-in provider", ID: p.ID, Name: p.Name}
}

// SSOProviders lists the sign-in providers of organization ref (its
// admins). Errors: ENOTFOUND, EFORBIDDEN.
func (a *App) SSOProviders(ctx context.Context, ref string) ([]*SSOProviderView, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	ps, err := a.Store.SSOProviders(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	out := []*SSOProviderView{}
	for _, p := range ps {
		out = append(out, p.view(org))
	}
	return out, nil
}

// CreateSSOProvider adds a sign-in provider to organization ref.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (a *App) CreateSSOProvider(ctx context.Context, ref string, in SSOProviderInput) (*SSOProviderView, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	p := &SSOProvider{ID: a.newID(), OrgID: org.ID, AccountType: org.AccountTypes()[0], CreatedAt: a.now()}
	if err := a.applyProvider(ctx, org, p, in); err != nil {
		return nil, err
	}
	ctx = a.audit(ctx, org.ID, "sso.create", providerTarget(p), p.Kind+" provider added")
	if err := a.Store.PutSSOProvider(ctx, p); err != nil {
		return nil, err
	}
	return p.view(org), nil
}

// UpdateSSOProvider changes a sign-in provider of organization ref.
// Errors: ENOTFOUND, EFORBIDDEN, EINVALID.
func (a *App) UpdateSSOProvider(ctx context.Context, ref, id string, in SSOProviderInput) (*SSOProviderView, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.SSOProvider(ctx, org.ID, id)
	if err != nil {
		return nil, err
	}
	if err := a.applyProvider(ctx, org, p, in); err != nil {
		return nil, err
	}
	ctx = a.audit(ctx, org.ID, "sso.update", providerTarget(p), "changed "+changedFields(in))
	if err := a.Store.PutSSOProvider(ctx, p); err != nil {
		return nil, err
	}
	return p.view(org), nil
}

// DeleteSSOProvider removes a sign-in provider; the identities linked
// through it stay on the people (signing in with it again links nothing
// new until a provider with the same issuer is added). Errors: ENOTFOUND,
// EFORBIDDEN.
func (a *App) DeleteSSOProvider(ctx context.Context, ref, id string) error {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return err
	}
	p, err := a.Store.SSOProvider(ctx, org.ID, id)
	if err != nil {
		return err
	}
	ctx = a.audit(ctx, org.ID, "sso.delete", providerTarget(p), p.Kind+" provider removed")
	return a.Store.DeleteSSOProvider(ctx, org.ID, id)
}

// SSOTestResult says whether a provider's discovery works.
type SSOTestResult struct {
	OK      bool      `json:"ok"`
	Message string    `json:"message"`
	Info    *OIDCInfo `json:"info,omitempty"`

	message []text // Message before it was put into words: sentences
}

func ssoTestResult(ok bool, info *OIDCInfo, message ...text) *SSOTestResult {
	r := &SSOTestResult{OK: ok, Info: info, message: message}
	r.Message = r.messageIn(Languages[0])
	return r
}

func (r *SSOTestResult) messageIn(lang string) string {
	parts := make([]string, len(r.message))
	for i, t := range r.message {
		parts[i] = t.in(lang)
	}
	return strings.Join(parts, " ")
}

// Localized is r with its Message in lang (PickLanguage chooses from it).
func (r *SSOTestResult) Localized(lang string) *SSOTestResult {
	q := *r
	q.Message = r.messageIn(PickLanguage(lang))
	return &q
}

// TestSSOProvider fetches the provider's discovery document now: Settings
// shows when it fails. A failure is an answer, not an error. Errors:
// ENOTFOUND, EFORBIDDEN.
func (a *App) TestSSOProvider(ctx context.Context, ref, id string) (*SSOTestResult, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	p, err := a.Store.SSOProvider(ctx, org.ID, id)
	if err != nil {
		return nil, err
	}
	if a.OIDC == nil {
		return ssoTestResult(false, nil, text{format: textOf("Single sign-on is not available in this build.")}), nil
	}
	info, err := a.OIDC.Discover(ctx, p.Issuer)
	if err != nil {
		return ssoTestResult(false, nil, text{"%s", []any{ErrorArg(err)}}), nil
	}
	msg := []text{{textOf("Discovery works: %s."), []any{info.Issuer}}}
	if !info.SupportsPKCES256 {
		msg = append(msg, text{format: textOf("The provider does not announce PKCE S256; Rollcall sends it anyway.")})
	}
	return ssoTestResult(true, info, msg...), nil
}

// applyProvider applies in to p and checks the result.
func (a *App) applyProvider(ctx context.Context, org *Organization, p *SSOProvider, in SSOProviderInput) error {
	str := func(dst *string, src *string) {
		if src != nil {
			*dst = Clean(*src)
		}
	}
	if in.Kind != nil {
		p.Kind = Key(*in.Kind)
	}
	str(&p.Name, in.Name)
	str(&p.Tenant, in.Tenant)
	if in.Domain != nil {
		p.Domain = Key(*in.Domain)
	}
	str(&p.OktaURL, in.OktaURL)
	str(&p.Issuer, in.Issuer)
	p.Issuer = strings.TrimRight(p.Issuer, "/")
	str(&p.ClientID, in.ClientID)
	if in.Scopes != nil {
		p.Scopes = nil
		for _, s := range *in.Scopes {
			for _, f := range strings.Fields(s) {
				if !slices.Contains(p.Scopes, f) {
					p.Scopes = append(p.Scopes, f)
				}
			}
		}
	}
	str(&p.EmailClaim, in.EmailClaim)
	if in.AllowedDomains != nil {
		p.AllowedDomains = nil
		for _, d := range *in.AllowedDomains {
			for _, f := range strings.FieldsFunc(d, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' }) {
				f = strings.TrimPrefix(Key(f), "@")
				if !slices.Contains(p.AllowedDomains, f) {
					p.AllowedDomains = append(p.AllowedDomains, f)
				}
			}
		}
	}
	if in.AccountType != nil {
		p.AccountType = Key(*in.AccountType)
	}
	if in.Group != nil {
		p.Group = ""
		if g := Clean(*in.Group); g != "" {
			grp, err := a.group(ctx, org, g)
			if ErrorCode(err) == ENOTFOUND {
				return FieldError(EINVALID, "group", "%s", ErrorArg(err))
			} else if err != nil {
				return err
			}
			p.Group = grp.ID
		}
	}
	str(&p.GroupClaim, in.GroupClaim)
	if in.Approval != nil {
		p.Approval = *in.Approval
	}
	p.fill()
	if err := p.Validate(org); err != nil {
		return err
	}
	if err := a.checkDomainsFree(ctx, org, p.AllowedDomains); err != nil {
		return err
	}
	if in.ClientSecret != nil {
		switch s := *in.ClientSecret; {
		case s == "":
			p.SealedSecret = nil
		case len(s) > 2048 || hasControl(s):
			return FieldError(EINVALID, "client_secret", "The client secret is too long or contains a control character.")
		default:
			if a.Secrets == nil {
				return Errorf(EINTERNAL, "No key file is configured to protect the client secret.")
			}
			sealed, err := a.Secrets.Seal([]byte(s))
			if err != nil {
				return fmt.Errorf("seal the client secret: %w", err)
			}
			p.SealedSecret = sealed
		}
	}
	p.UpdatedAt = a.now()
	return nil
}

// An email domain belongs to one organization: a provider may not allow a
// domain another organization uses (an allowed domain of one of its
// providers, or its login domain), or one organization's admin could have
// another's people created, linked and signed in at their provider.

// checkDomainsFree refuses domains another organization than org uses.
func (a *App) checkDomainsFree(ctx context.Context, org *Organization, domains []string) error {
	taken, err := a.domainsTaken(ctx, org.ID, domains)
	if err != nil || len(taken) == 0 {
		return err
	}
	return FieldError(EINVALID, "allowed_domains", "%s is the email domain of another organization on this Rollcall, so its people cannot sign in through %s's provider. Remove it, or ask the server's administrator.", strings.Join(taken, ", "), org.Name)
}

// checkLoginDomainFree refuses a login domain another organization than
// orgID uses (it would make the domain, and its sign-in buttons, this
// organization's: see domainOwner).
func (a *App) checkLoginDomainFree(ctx context.Context, orgID, domain string) error {
	if domain == "" {
		return nil
	}
	taken, err := a.domainsTaken(ctx, orgID, []string{domain})
	if err != nil || len(taken) == 0 {
		return err
	}
	return FieldError(EINVALID, "login_domain", "%s is the email domain of another organization on this Rollcall. Choose one of your own, e.g. a subdomain of your school's domain.", domain)
}

// domainsTaken lists those of domains that an organization other than
// orgID uses: as its login domain or in its providers' allowed domains.
func (a *App) domainsTaken(ctx context.Context, orgID string, domains []string) ([]string, error) {
	if len(domains) == 0 {
		return nil, nil
	}
	all, err := a.Store.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	var taken []string
	for _, o := range all {
		if o.ID == orgID {
			continue
		}
		used := []string{}
		if o.LoginDomain != "" {
			used = append(used, Key(o.LoginDomain))
		}
		ps, err := a.Store.SSOProviders(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			used = append(used, p.AllowedDomains...)
		}
		for _, d := range domains {
			if slices.Contains(used, d) && !slices.Contains(taken, d) {
				taken = append(taken, d)
			}
		}
	}
	return taken, nil
}

// domainOwner is the ID of the organization the email domain belongs to:
// the one whose login domain it is, else the one whose provider allowed it
// first; "" when none uses it. (Domains are kept unique when providers are
// saved; this settles domains two organizations used before that.)
func (a *App) domainOwner(ctx context.Context, domain string) (string, error) {
	all, err := a.Store.Organizations(ctx)
	if err != nil {
		return "", err
	}
	owner, since := "", time.Time{}
	for _, o := range all {
		if o.LoginDomain != "" && Key(o.LoginDomain) == domain {
			return o.ID, nil
		}
		ps, err := a.Store.SSOProviders(ctx, o.ID)
		if err != nil {
			return "", err
		}
		for _, p := range ps {
			if slices.Contains(p.AllowedDomains, domain) && (owner == "" || p.CreatedAt.Before(since)) {
				owner, since = o.ID, p.CreatedAt
			}
		}
	}
	return owner, nil
}

// SSOButton is one "Sign in with …" button on a sign-in page.
type SSOButton struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Organization string `json:"organization"`
}

// SSOButtons lists the sign-in providers for a sign-in page: those of the
// organization whose short name is ref, or of the organization whose
// providers allow the email's domain (the person typed their email first;
// only the organization the domain belongs to, see domainOwner).
// It tells nothing about people: only which providers exist for a domain.
func (a *App) SSOButtons(ctx context.Context, org, email string) ([]SSOButton, error) {
	out := []SSOButton{}
	var orgs []*Organization
	if org != "" {
		o, err := a.Store.OrganizationBySlug(ctx, Key(org))
		if ErrorCode(err) == ENOTFOUND {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		orgs = []*Organization{o}
	} else {
		_, domain, ok := strings.Cut(Key(email), "@")
		if !ok || domain == "" {
			return out, nil
		}
		owner, err := a.domainOwner(ctx, domain)
		if err != nil || owner == "" {
			return out, err
		}
		o, err := a.Store.Organization(ctx, owner)
		if err != nil {
			return nil, err
		}
		ps, err := a.Store.SSOProviders(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if slices.Contains(p.AllowedDomains, domain) {
				out = append(out, SSOButton{ID: p.ID, Name: p.Name, Kind: p.Kind, Organization: o.Name})
			}
		}
		return out, nil
	}
	for _, o := range orgs {
		ps, err := a.Store.SSOProviders(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out = append(out, SSOButton{ID: p.ID, Name: p.Name, Kind: p.Kind, Organization: o.Name})
		}
	}
	return out, nil
}

// orgButtons are the organization's providers as buttons ([] when it has
// none, or when single sign-on is not available here).
func (a *App) orgButtons(ctx context.Context, org *Organization) []SSOButton {
	out := []SSOButton{}
	if a.OIDC == nil {
		return out
	}
	ps, err := a.Store.SSOProviders(ctx, org.ID)
	if err != nil {
		return out
	}
	for _, p := range ps {
		out = append(out, SSOButton{ID: p.ID, Name: p.Name, Kind: p.Kind, Organization: org.Name})
	}
	return out
}

// passwordSignInRefusal is why the person may not sign in with a password
// (their organization has their account type sign in through a provider),
// or nil. Like the other refusals it is told only after the right password.
func (a *App) passwordSignInRefusal(ctx context.Context, u *User) error {
	o, err := a.Store.Organization(ctx, u.OrgID)
	if err != nil || !slices.Contains(o.SSOOnly, u.AccountType) {
		return nil
	}
	return Errorf(EFORBIDDEN, "At %s, %s accounts sign in with the school account, not a password: use the \"Sign in with …\" button.", o.Name, u.AccountType)
}
