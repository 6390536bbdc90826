// Package oidcprovider makes Rollcall an OpenID Connect provider for the school's
// other apps. The protocol (discovery, authorization with PKCE, token,
// userinfo, JWKS, end-session) is github.com/zitadel/oidc's OpenID-certified
// op package; this package adapts its Storage interface to the use cases
// in app/oidc.go, which hold every rule and reach bbolt through store/oidc.go.
package oidcprovider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"rollcall/app"
)

// The provider's endpoints, under the issuer (the site's root): none is
// under /api/, and the sign-in step is the portal's /signin.
const (
	AuthorizePath   = "/oidc/authorize"
	CallbackPath    = "/oidc/authorize/callback"
	DiscoveryPath   = "/.well-known/openid-configuration"
	SignInPath      = "/signin"
	SignInParameter = "authRequest"
)

// Provider is the OpenID provider's HTTP handler.
type Provider struct {
	op  *op.Provider
	app *app.App
}

// New builds the provider over a. issuer is its fixed public address, or
// empty to take it from each request's Host (which the server's Host
// allow-list has checked).
func New(ctx context.Context, a *app.App, issuer string) (*Provider, error) {
	_, crypto, err := a.OIDCKeySet(ctx)
	if err != nil {
		return nil, err
	}
	cfg := &op.Config{
		CryptoKey:                crypto,
		DefaultLogoutRedirectURI: SignInPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "at_hash", "c_hash",
			"name", "given_name", "family_name", "preferred_username", "email", "email_verified", "locale",
			"groups", "rollcall_account_type"},
		SupportedScopes:       []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, "groups", oidc.ScopeOfflineAccess},
		GrantTypeRefreshToken: true,
	}
	iss := op.IssuerFromHost("")
	if issuer != "" {
		iss = op.StaticIssuer(issuer)
	}
	s := &storage{app: a}
	p, err := op.NewProvider(cfg, s, iss,
		op.WithAllowInsecure(),
		op.WithCustomEndpoints(op.NewEndpoint("oidc/authorize"), op.NewEndpoint("oidc/token"), op.NewEndpoint("oidc/userinfo"),
			op.NewEndpoint("oidc/revoke"), op.NewEndpoint("oidc/end_session"), op.NewEndpoint("oidc/keys")),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint("oidc/introspect")),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint("oidc/device_authorization")),
	)
	if err != nil {
		return nil, err
	}
	return &Provider{op: p, app: a}, nil
}

// ServeHTTP answers the provider's routes (DiscoveryPath and /oidc/...).
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.op.ServeHTTP(w, r) }

// CallbackURL is where the browser returns once the portal sign-in
// completed request id (app.CompleteAppSignIn): the op then issues the code
// to the app's redirect URI. It is relative to the site.
func CallbackURL(id string) string { return CallbackPath + "?id=" + url.QueryEscape(id) }

// storage implements op.Storage over the use cases of app/oidc.go.
type storage struct{ app *app.App }

var _ op.Storage = (*storage)(nil)

// opError turns an app error into the protocol's.
func opError(err error) error {
	if err == nil {
		return nil
	}
	var oe *oidc.Error
	if errors.As(err, &oe) {
		return err
	}
	switch app.ErrorCode(err) {
	case app.ENOTFOUND, app.EINVALID:
		return oidc.ErrInvalidGrant().WithDescription("%s", app.ErrorMessage(err))
	case app.EUNAUTHORIZED, app.EFORBIDDEN:
		return oidc.ErrAccessDenied().WithDescription("%s", app.ErrorMessage(err))
	}
	return oidc.ErrServerError().WithParent(err)
}

func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	r := &app.OIDCRequest{ClientID: req.ClientID, RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce,
		ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode), Scopes: req.Scopes,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod)}
	if err := s.app.StartAppSignIn(ctx, r); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			return nil, oidc.ErrInvalidRequest().WithDescription("%s", app.ErrorMessage(err))
		}
		return nil, opError(err)
	}
	return &authRequest{r}, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.app.AppSignInRequest(ctx, id)
	if err != nil {
		return nil, opError(err)
	}
	return &authRequest{r}, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.app.RedeemAppCode(ctx, code)
	if err != nil {
		return nil, opError(err)
	}
	return &authRequest{r}, nil
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return opError(s.app.SaveAppCode(ctx, id, code))
}

func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	return opError(s.app.EndAppSignInRequest(ctx, id))
}

func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	clientID := ""
	if r, ok := req.(*authRequest); ok {
		clientID = r.ClientID
	}
	id, exp, err := s.app.IssueAppToken(ctx, clientID, req.GetSubject(), req.GetScopes(), req.GetAudience())
	return id, s.wallClock(exp), opError(err)
}

// wallClock turns an expiry on the app's (injected) clock into one on the
// wall clock, from which the op counts expires_in.
func (s *storage) wallClock(exp time.Time) time.Time { return time.Now().Add(exp.Sub(s.app.Now())) }

// CreateAccessAndRefreshTokens is called for an app with refresh tokens:
// at the code's exchange when it asked for offline_access (req is the
// authorization request), and at each refresh (req is the refreshRequest
// and current the refresh token used up).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	var (
		g      app.AppGrant
		scopes []string
	)
	switch r := req.(type) {
	case *authRequest:
		g = app.AppGrant{ClientID: r.ClientID, UserID: r.UserID, Scopes: r.Scopes, Audience: r.GetAudience(), AuthTime: r.AuthTime}
		current = ""
	case *refreshRequest:
		g, scopes = r.AppGrant, r.scopes
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	id, refresh, exp, err := s.app.IssueAppTokens(ctx, g, scopes, current)
	if app.ErrorCode(err) == app.EINVALID {
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("%s", app.ErrorMessage(err))
	}
	return id, refresh, s.wallClock(exp), opError(err)
}

func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	g, err := s.app.AppRefresh(ctx, token)
	if err != nil {
		return nil, opError(err)
	}
	return &refreshRequest{AppGrant: *g, scopes: g.Scopes}, nil
}

// TerminateSession ends the person's tokens for the app and the browser's
// portal session when it is theirs (app.EndAppSession).
func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	token, _ := ctx.Value(portalSessionKey{}).(string)
	return opError(s.app.EndAppSession(ctx, userID, clientID, token))
}

type portalSessionKey struct{}

// WithPortalSession hands the browser's portal session token to the
// end-session step.
func WithPortalSession(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, portalSessionKey{}, token)
}

func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	err := s.app.RevokeAppToken(ctx, clientID, tokenOrID)
	switch {
	case err == nil:
		return nil
	case app.ErrorCode(err) == app.EFORBIDDEN:
		return oidc.ErrInvalidClient().WithDescription("%s", app.ErrorMessage(err))
	}
	return oidc.ErrServerError().WithParent(err)
}

// GetRefreshTokenInfo finds a refresh token for its revocation; the op
// then calls RevokeToken with the token itself.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	userID, err := s.app.AppRefreshToken(ctx, clientID, token)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return userID, token, nil
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	keys, _, err := s.app.OIDCKeySet(ctx)
	if err != nil {
		return nil, err
	}
	return &signingKey{keys[0]}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, _, err := s.app.OIDCKeySet(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(keys))
	for i, k := range keys {
		out[i] = &publicKey{k}
	}
	return out, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.app.AppByClientID(ctx, id)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("There is no such app.")
	}
	return &client{c}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	if err := s.app.CheckAppSecret(ctx, id, secret); err != nil {
		return oidc.ErrInvalidClient().WithDescription("%s", app.ErrorMessage(err))
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(ctx context.Context, ui *oidc.UserInfo, userID, clientID string, scopes []string) error {
	return s.setUserinfo(ctx, ui, userID, clientID, scopes)
}

func (s *storage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(ctx, ui, req.GetSubject(), req.GetClientID(), scopes)
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	t, err := s.app.AppToken(ctx, tokenID)
	if err != nil || t.UserID != subject {
		return oidc.ErrAccessDenied().WithDescription("The access token is unknown or expired.")
	}
	return s.setUserinfo(ctx, ui, t.UserID, t.ClientID, t.Scopes)
}

func (s *storage) SetIntrospectionFromToken(ctx context.Context, ir *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.app.AppToken(ctx, tokenID)
	if err != nil || t.UserID != subject || t.ClientID != clientID {
		return oidc.ErrAccessDenied().WithDescription("The access token is unknown or expired.")
	}
	ui := new(oidc.UserInfo)
	if err := s.setUserinfo(ctx, ui, t.UserID, t.ClientID, t.Scopes); err != nil {
		return err
	}
	ir.SetUserInfo(ui)
	ir.Scope = t.Scopes
	ir.ClientID = t.ClientID
	ir.Active = true
	return nil
}

// setUserinfo fills the claims a person's scopes ask for: profile (name,
// username, locale, groups, account type) and email.
func (s *storage) setUserinfo(ctx context.Context, ui *oidc.UserInfo, userID, clientID string, scopes []string) error {
	cl, err := s.app.AppClaimsFor(ctx, clientID, userID)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("%s", app.ErrorMessage(err))
	}
	ui.Subject = cl.Subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		ui.Name, ui.GivenName, ui.FamilyName, ui.PreferredUsername = cl.Name, cl.GivenName, cl.FamilyName, cl.PreferredUsername
		if tag, err := language.Parse(cl.Locale); err == nil && cl.Locale != "" {
			ui.Locale = oidc.NewLocale(tag)
		}
		ui.AppendClaims("rollcall_account_type", cl.AccountType)
		ui.AppendClaims("groups", cl.Groups)
	} else if slices.Contains(scopes, "groups") {
		ui.AppendClaims("groups", cl.Groups)
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && cl.Email != "" {
		ui.Email = cl.Email
		ui.EmailVerified = oidc.Bool(cl.EmailVerified)
		if !cl.EmailVerified {
			ui.AppendClaims("email_verified", false)
		}
	}
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithDescription("Rollcall's apps do not sign with keys.")
}

func (s *storage) ValidateJWTProfileScopes(ctx context.Context, userID string, scopes []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient()
}

func (s *storage) Health(ctx context.Context) error { return nil }

// authRequest adapts app.OIDCRequest to op.AuthRequest.
type authRequest struct{ *app.OIDCRequest }

func (r *authRequest) GetID() string         { return r.ID }
func (r *authRequest) GetACR() string        { return "" }
func (r *authRequest) GetAMR() []string      { return []string{"pwd"} }
func (r *authRequest) GetAudience() []string { return []string{r.ClientID} }
func (r *authRequest) GetAuthTime() time.Time {
	return r.AuthTime
}
func (r *authRequest) GetClientID() string { return r.ClientID }
func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: oidc.CodeChallengeMethod(r.CodeChallengeMethod)}
}
func (r *authRequest) GetNonce() string                   { return r.Nonce }
func (r *authRequest) GetRedirectURI() string             { return r.RedirectURI }
func (r *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(r.ResponseType) }
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(r.ResponseMode) }
func (r *authRequest) GetScopes() []string                { return r.Scopes }
func (r *authRequest) GetState() string                   { return r.State }
func (r *authRequest) GetSubject() string                 { return r.UserID }
func (r *authRequest) Done() bool                         { return r.UserID != "" }

// refreshRequest is a refresh token's grant for the op (RefreshTokenRequest).
type refreshRequest struct {
	app.AppGrant
	scopes []string // the scopes asked for now, a subset of the grant's
}

func (r *refreshRequest) GetAMR() []string            { return []string{"pwd"} }
func (r *refreshRequest) GetAudience() []string       { return r.Audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.Scopes }
func (r *refreshRequest) GetSubject() string          { return r.UserID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// client adapts app.ConnectedApp to op.Client.
type client struct{ *app.ConnectedApp }

func (c *client) GetID() string                    { return c.ID }
func (c *client) RedirectURIs() []string           { return c.ConnectedApp.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.ConnectedApp.RedirectURIs }
func (c *client) ApplicationType() op.ApplicationType {
	if c.Public {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	if c.RefreshTokens {
		return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	}
	return []oidc.GrantType{oidc.GrantTypeCode}
}
func (c *client) LoginURL(id string) string {
	return SignInPath + "?" + SignInParameter + "=" + url.QueryEscape(id)
}
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return app.OIDCIDTokenTTL }
func (c *client) DevMode() bool                       { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(scope string) bool     { return scope == "groups" }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// signingKey and publicKey adapt app.SigningKey.
type signingKey struct{ k *app.SigningKey }

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.k.Key }
func (k *signingKey) ID() string                                  { return k.k.ID }

type publicKey struct{ k *app.SigningKey }

func (k *publicKey) ID() string                         { return k.k.ID }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return &k.k.Key.PublicKey }
