package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Rollcall as an OpenID Connect provider: the school's other apps
// ("connected apps", OpenID clients) sign people in with their Rollcall
// accounts. The protocol itself is github.com/zitadel/oidc's certified op
// package (app/oidc); the rules live here: which app may be used by whom, the
// life of an authorization request, its code and its tokens, and the keys.

// Lifetimes on the provider's side.
const (
	// OIDCCodeTTL is how long an authorization code may wait for its exchange.
	OIDCCodeTTL = 60 * time.Second
	// OIDCRequestTTL is how long an authorization request waits for the sign-in.
	OIDCRequestTTL = 15 * time.Minute
	// OIDCAccessTokenTTL is the life of an access token (for userinfo).
	OIDCAccessTokenTTL = time.Hour
	// OIDCIDTokenTTL is the life of an ID token; a rotated key stays
	// published this long (plus OIDCClockSkew) so its tokens still verify.
	OIDCIDTokenTTL = time.Hour
	OIDCClockSkew  = 5 * time.Minute
	// OIDCRefreshTokenTTL is how long an unused refresh token stays good;
	// each use replaces it with a new one (rotation).
	OIDCRefreshTokenTTL = 14 * 24 * time.Hour
	// OIDCGrantMaxAge bounds a sign-in kept alive by refresh tokens: after
	// it, counted from the sign-in itself, the person signs in again.
	OIDCGrantMaxAge = 90 * 24 * time.Hour
)

// ConnectedApp is an app registered to sign people of one organization in
// through Rollcall (an OpenID Connect client).
type ConnectedApp struct {
	ID    string `json:"id"` // the client_id
	OrgID string `json:"org_id"`
	Name  string `json:"name"`
	// RedirectURIs are compared exactly with the redirect_uri of a request.
	RedirectURIs []string `json:"redirect_uris"`
	// Public apps (in a browser or on a device) have no secret and must use
	// PKCE with S256; confidential ones authenticate with their secret.
	Public bool `json:"public"`
	// AccountTypes and Groups (IDs) limit who may use the app; empty means
	// everyone of the organization. A person needs one of the account types
	// (when any are given) and one of the groups (when any are given).
	AccountTypes []string `json:"account_types"`
	Groups       []string `json:"groups"`
	// RefreshTokens lets the app ask for refresh tokens (scope
	// offline_access), so a person stays signed in to it without signing
	// in to Rollcall again, up to OIDCGrantMaxAge.
	RefreshTokens bool      `json:"refresh_tokens"`
	CreatedAt     time.Time `json:"created_at"`
}

// NewConnectedApp is what an admin gives to register an app.
type NewConnectedApp struct {
	Name          string   `json:"name"`
	RedirectURIs  []string `json:"redirect_uris"`
	Public        bool     `json:"public"`
	AccountTypes  []string `json:"account_types"`
	Groups        []string `json:"groups"` // IDs or names
	RefreshTokens bool     `json:"refresh_tokens"`
}

// OIDCRequest is an authorization request waiting for a person's sign-in,
// then for its code's exchange.
type OIDCRequest struct {
	ID                  string    `json:"id"`
	ClientID            string    `json:"client_id"`
	OrgID               string    `json:"org_id"`
	RedirectURI         string    `json:"redirect_uri"`
	State               string    `json:"state"`
	Nonce               string    `json:"nonce"`
	ResponseType        string    `json:"response_type"`
	ResponseMode        string    `json:"response_mode,omitempty"`
	Scopes              []string  `json:"scopes"`
	CodeChallenge       string    `json:"code_challenge,omitempty"`
	CodeChallengeMethod string    `json:"code_challenge_method,omitempty"`
	UserID              string    `json:"user_id,omitempty"` // set when the person signed in
	AuthTime            time.Time `json:"auth_time"`
	CodeAt              time.Time `json:"code_at"` // when the code was issued
	CreatedAt           time.Time `json:"created_at"`
}

// OIDCToken is an access or refresh token issued to an app, stored under
// the SHA-256 of its ID only.
type OIDCToken struct {
	Hash      string    `json:"hash"`
	ClientID  string    `json:"client_id"`
	OrgID     string    `json:"org_id"`
	UserID    string    `json:"user_id"`
	Scopes    []string  `json:"scopes"`
	Audience  []string  `json:"audience"`
	Expires   time.Time `json:"expires"`
	CreatedAt time.Time `json:"created_at"`
	// Refresh marks a refresh token. It works once: using it marks it Used
	// and issues its successor in the same transaction; a used one shown
	// again means it was copied, and ends its whole grant.
	Refresh bool `json:"refresh,omitempty"`
	Used    bool `json:"used,omitempty"`
	// Grant ties together the tokens of one sign-in: those of the code's
	// exchange and of every refresh after it. Empty for an app without
	// refresh tokens.
	Grant    string    `json:"grant,omitempty"`
	AuthTime time.Time `json:"auth_time,omitzero"`
}

// OIDCKeys are the provider's keys: ID-token signing keys (newest first,
// the first active) and the key that encrypts codes and access tokens,
// each sealed with the key file.
type OIDCKeys struct {
	SealedCrypto []byte        `json:"sealed_crypto"`
	Signing      []*OIDCSigner `json:"signing"`
}

// OIDCSigner is one RSA signing key, sealed (PKCS#1 DER).
type OIDCSigner struct {
	ID        string    `json:"id"`
	Sealed    []byte    `json:"sealed"`
	CreatedAt time.Time `json:"created_at"`
	// RetiredAt is set when a newer key took over; the key stays published
	// until RetiredAt + OIDCIDTokenTTL + OIDCClockSkew.
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

// OIDCStore keeps connected apps, authorization requests, codes (as
// hashes), access tokens (as hashes) and the provider's keys.
type OIDCStore interface {
	CreateConnectedApp(ctx context.Context, c *ConnectedApp, secretHash string) error
	// ConnectedApp returns the app with client ID id and its secret's hash.
	ConnectedApp(ctx context.Context, id string) (*ConnectedApp, string, error)
	ConnectedApps(ctx context.Context, orgID string) ([]*ConnectedApp, error)
	// DeleteConnectedApp removes the app, its requests and its tokens.
	DeleteConnectedApp(ctx context.Context, orgID, id string) error

	PutOIDCRequest(ctx context.Context, r *OIDCRequest) error
	OIDCRequest(ctx context.Context, id string) (*OIDCRequest, error)
	DeleteOIDCRequest(ctx context.Context, id string) error
	// SaveOIDCCode records the hash of request id's code and its time.
	SaveOIDCCode(ctx context.Context, id, codeHash string, at time.Time) error
	// TakeOIDCCode returns the request of the code with this hash and
	// forgets the code in the same transaction: a code works once.
	TakeOIDCCode(ctx context.Context, codeHash string) (*OIDCRequest, error)

	// PutOIDCTokens stores ts; with spent not empty, in the same
	// transaction it first marks the refresh token with that hash used,
	// and fails with EINVALID when it is missing or already used.
	PutOIDCTokens(ctx context.Context, spent string, ts ...*OIDCToken) error
	OIDCToken(ctx context.Context, hash string) (*OIDCToken, error)
	// DeleteOIDCTokens removes the tokens for which doom is true.
	DeleteOIDCTokens(ctx context.Context, doom func(*OIDCToken) bool) error

	OIDCKeys(ctx context.Context) (*OIDCKeys, error)
	// ChangeOIDCKeys runs fn on the keys inside one write transaction.
	ChangeOIDCKeys(ctx context.Context, fn func(*OIDCKeys) error) error
}

func appTarget(c *ConnectedApp) AuditTarget {
	return AuditTarget{Kind: "connected app", ID: c.ID, Name: c.Name}
}

func (a *App) oidcStore() (OIDCStore, error) {
	s, ok := a.Store.(OIDCStore)
	if !ok {
		return nil, Errorf(EINTERNAL, "This store cannot keep connected apps.")
	}
	return s, nil
}

// ConnectedApps lists the apps of organization ref. Organization admins.
func (a *App) ConnectedApps(ctx context.Context, ref string) ([]*ConnectedApp, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	st, err := a.oidcStore()
	if err != nil {
		return nil, err
	}
	out, err := st.ConnectedApps(ctx, org.ID)
	if out == nil {
		out = []*ConnectedApp{}
	}
	return out, err
}

// AddConnectedApp registers an app for organization ref and returns it with
// its client secret (empty for a public app), shown this once: only its
// SHA-256 is kept (a 256-bit random secret needs no slow hash).
// Organization admins.
func (a *App) AddConnectedApp(ctx context.Context, ref string, in NewConnectedApp) (*ConnectedApp, string, error) {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	st, err := a.oidcStore()
	if err != nil {
		return nil, "", err
	}
	c := &ConnectedApp{ID: a.newID(), OrgID: org.ID, Name: Clean(in.Name), Public: in.Public, CreatedAt: a.now(),
		RedirectURIs: []string{}, AccountTypes: []string{}, Groups: []string{}, RefreshTokens: in.RefreshTokens}
	v := validation{}
	if c.Name == "" {
		v.add("name", "Give the app a name, e.g. Moodle.")
	} else if len(c.Name) > 100 {
		v.add("name", "Keep the name under 100 characters.")
	}
	for _, raw := range in.RedirectURIs {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.User != nil {
			v.add("redirect_uris", "%q is not an address to return to: give the app's full https:// callback address, without #.", raw)
			continue
		}
		if u.Scheme == "http" && c.Public && !isLoopbackHost(u.Hostname()) {
			v.add("redirect_uris", "A public app returns to https:// addresses (or http://localhost); %q is plain http.", raw)
			continue
		}
		if !slices.Contains(c.RedirectURIs, raw) {
			c.RedirectURIs = append(c.RedirectURIs, raw)
		}
	}
	if len(c.RedirectURIs) == 0 {
		v.add("redirect_uris", "Give at least one address the app returns to after sign-in (its callback URL).")
	}
	for _, t := range in.AccountTypes {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !org.HasAccountType(t) {
			v.add("account_types", "%q is not an account type of %s (%s).", t, org.Name, strings.Join(org.AccountTypes(), ", "))
		} else if !slices.Contains(c.AccountTypes, t) {
			c.AccountTypes = append(c.AccountTypes, t)
		}
	}
	for _, name := range in.Groups {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		g, err := a.group(ctx, org, name)
		if ErrorCode(err) == ENOTFOUND {
			v.add("groups", "There is no group %q.", name)
			continue
		} else if err != nil {
			return nil, "", err
		}
		if !slices.Contains(c.Groups, g.ID) {
			c.Groups = append(c.Groups, g.ID)
		}
	}
	if err := v.err("name", "redirect_uris", "account_types", "groups"); err != nil {
		return nil, "", err
	}
	secret, hash := "", ""
	if !c.Public {
		if secret, err = a.NewToken(); err != nil {
			return nil, "", err
		}
		hash = TokenHash(secret)
	}
	detail := strings.Join(c.RedirectURIs, " ")
	if c.RefreshTokens {
		detail += "; refresh tokens"
	}
	ctx = a.audit(ctx, org.ID, "app.add", appTarget(c), detail)
	if err := st.CreateConnectedApp(ctx, c, hash); err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// RemoveConnectedApp removes app id of organization ref with its waiting
// sign-ins and its tokens. Organization admins.
func (a *App) RemoveConnectedApp(ctx context.Context, ref, id string) error {
	org, err := a.Organization(ctx, ref)
	if err != nil {
		return err
	}
	st, err := a.oidcStore()
	if err != nil {
		return err
	}
	c, _, err := st.ConnectedApp(ctx, id)
	if err == nil && c.OrgID != org.ID {
		err = errNoApp
	}
	if err != nil {
		return err
	}
	ctx = a.audit(ctx, org.ID, "app.remove", appTarget(c), "")
	return st.DeleteConnectedApp(ctx, org.ID, c.ID)
}

var errNoApp = Errorf(ENOTFOUND, "There is no such connected app.")

// AppByClientID is the connected app with this client ID, for the protocol.
func (a *App) AppByClientID(ctx context.Context, id string) (*ConnectedApp, error) {
	st, err := a.oidcStore()
	if err != nil {
		return nil, err
	}
	c, _, err := st.ConnectedApp(ctx, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, errNoApp
	}
	return c, err
}

var errAppSecret = Errorf(EUNAUTHORIZED, "The app's client ID or secret is wrong.")

// CheckAppSecret checks a confidential app's client secret.
func (a *App) CheckAppSecret(ctx context.Context, id, secret string) error {
	st, err := a.oidcStore()
	if err != nil {
		return err
	}
	c, hash, err := st.ConnectedApp(ctx, id)
	if ErrorCode(err) == ENOTFOUND || (err == nil && (c.Public || hash == "" || secret == "")) {
		return errAppSecret
	} else if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(TokenHash(secret)), []byte(hash)) != 1 {
		return errAppSecret
	}
	return nil
}

// StartAppSignIn stores a new authorization request of an app (already
// checked by the protocol: client, redirect URI, scopes) and gives it its
// ID. A public app must send a PKCE challenge with S256; a confidential one
// may, and then with S256 too.
func (a *App) StartAppSignIn(ctx context.Context, r *OIDCRequest) error {
	c, err := a.AppByClientID(ctx, r.ClientID)
	if err != nil {
		return err
	}
	if c.Public && r.CodeChallenge == "" {
		return Errorf(EINVALID, "This app must use PKCE (code_challenge with S256).")
	}
	if r.CodeChallenge != "" && r.CodeChallengeMethod != "S256" {
		return Errorf(EINVALID, "Only the S256 code challenge method is accepted.")
	}
	if !slices.Contains(c.RedirectURIs, r.RedirectURI) {
		return Errorf(EINVALID, "The redirect_uri is not one registered for this app.")
	}
	st, _ := a.oidcStore()
	r.ID, r.OrgID, r.CreatedAt, r.UserID = a.newID(), c.OrgID, a.now(), ""
	return st.PutOIDCRequest(ctx, r)
}

var errNoRequest = Errorf(ENOTFOUND, "This sign-in for an app has expired or was already used. Go back to the app and start again.")

// AppSignInRequest returns a waiting authorization request.
func (a *App) AppSignInRequest(ctx context.Context, id string) (*OIDCRequest, error) {
	st, err := a.oidcStore()
	if err != nil {
		return nil, err
	}
	r, err := st.OIDCRequest(ctx, id)
	if ErrorCode(err) == ENOTFOUND || (err == nil && a.now().After(r.CreatedAt.Add(OIDCRequestTTL))) {
		return nil, errNoRequest
	}
	return r, err
}

// AppSignInPage says which app a waiting request is for (the sign-in page
// names it).
type AppSignInPage struct {
	App string `json:"app"`
}

// AppSignInFor names the app of request id for the sign-in page.
func (a *App) AppSignInFor(ctx context.Context, id string) (*AppSignInPage, error) {
	r, err := a.AppSignInRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := a.AppByClientID(ctx, r.ClientID)
	if err != nil {
		return nil, err
	}
	return &AppSignInPage{App: c.Name}, nil
}

// CompleteAppSignIn finishes request id for the person signed in to the
// portal with session token: the gate is UserBySession (deactivated,
// pending, signed-out and must-change accounts are refused), then the
// app's own rule (organization, account types, groups). No consent is
// asked: an admin registered the app. Writes person.app_sign_in.
func (a *App) CompleteAppSignIn(ctx context.Context, token, id string) (*OIDCRequest, error) {
	u, err := a.UserBySession(ctx, token)
	if err != nil {
		return nil, err
	}
	r, err := a.AppSignInRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := a.AppByClientID(ctx, r.ClientID)
	if err != nil {
		return nil, err
	}
	if err := appAllows(c, u); err != nil {
		return nil, err
	}
	st, _ := a.oidcStore()
	r.UserID, r.AuthTime = u.ID, a.now()
	ctx = a.audit(WithActor(ctx, PersonActor(u)), u.OrgID, "person.app_sign_in", personTarget(u), c.Name)
	if err := st.PutOIDCRequest(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// appAllows is the app's rule for a person.
func appAllows(c *ConnectedApp, u *User) error {
	if u.OrgID != c.OrgID {
		return Errorf(EFORBIDDEN, "%s is not an app of your school or organization.", c.Name)
	}
	if len(c.AccountTypes) > 0 && !slices.Contains(c.AccountTypes, u.AccountType) {
		return Errorf(EFORBIDDEN, "Your account may not sign in to %s.", c.Name)
	}
	if len(c.Groups) > 0 && !slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(c.Groups, g) }) {
		return Errorf(EFORBIDDEN, "Your account may not sign in to %s.", c.Name)
	}
	return nil
}

// SaveAppCode records the code issued for request id (its hash only).
func (a *App) SaveAppCode(ctx context.Context, id, code string) error {
	st, err := a.oidcStore()
	if err != nil {
		return err
	}
	return st.SaveOIDCCode(ctx, id, TokenHash(code), a.now())
}

var errBadCode = Errorf(EINVALID, "The authorization code is unknown, used or expired.")

// RedeemAppCode returns the request of an authorization code, once: the
// code is forgotten in the same transaction. A code older than OIDCCodeTTL,
// or for a person who can no longer sign in or use the app, is refused.
func (a *App) RedeemAppCode(ctx context.Context, code string) (*OIDCRequest, error) {
	st, err := a.oidcStore()
	if err != nil {
		return nil, err
	}
	r, err := st.TakeOIDCCode(ctx, TokenHash(code))
	if ErrorCode(err) == ENOTFOUND {
		return nil, errBadCode
	} else if err != nil {
		return nil, err
	}
	if r.UserID == "" || a.now().After(r.CodeAt.Add(OIDCCodeTTL)) {
		return nil, errBadCode
	}
	if _, _, err := a.appUser(ctx, r.ClientID, r.UserID); err != nil {
		return nil, errBadCode
	}
	return r, nil
}

// appUser returns the app and the person when the person is active and the
// app allows them.
func (a *App) appUser(ctx context.Context, clientID, userID string) (*ConnectedApp, *User, error) {
	c, err := a.AppByClientID(ctx, clientID)
	if err != nil {
		return nil, nil, err
	}
	u, err := a.Store.User(ctx, "", userID)
	if err != nil {
		return nil, nil, err
	}
	if u.Status != StatusActive {
		return nil, nil, errSignedOut
	}
	if err := appAllows(c, u); err != nil {
		return nil, nil, err
	}
	return c, u, nil
}

// EndAppSignInRequest forgets request id (after its tokens were issued).
func (a *App) EndAppSignInRequest(ctx context.Context, id string) error {
	st, err := a.oidcStore()
	if err != nil {
		return err
	}
	return st.DeleteOIDCRequest(ctx, id)
}

// IssueAppToken stores a new access token for the person and app and
// returns its ID (which the protocol encrypts into the bearer token).
func (a *App) IssueAppToken(ctx context.Context, clientID, userID string, scopes, audience []string) (string, time.Time, error) {
	st, err := a.oidcStore()
	if err != nil {
		return "", time.Time{}, err
	}
	c, _, err := a.appUser(ctx, clientID, userID)
	if err != nil {
		return "", time.Time{}, err
	}
	t, id, err := a.newAppToken(c, userID, scopes, audience)
	if err != nil {
		return "", time.Time{}, err
	}
	if err := st.PutOIDCTokens(ctx, "", t); err != nil {
		return "", time.Time{}, err
	}
	return id, t.Expires, nil
}

// newAppToken makes an access token (not yet stored) and its ID.
func (a *App) newAppToken(c *ConnectedApp, userID string, scopes, audience []string) (*OIDCToken, string, error) {
	id, err := a.NewToken()
	if err != nil {
		return nil, "", err
	}
	now := a.now()
	return &OIDCToken{Hash: TokenHash(id), ClientID: c.ID, OrgID: c.OrgID, UserID: userID, Scopes: scopes,
		Audience: audience, Expires: now.Add(OIDCAccessTokenTTL), CreatedAt: now}, id, nil
}

// AppGrant is what a refresh token carries over from the sign-in it
// continues.
type AppGrant struct {
	ClientID string
	UserID   string
	Scopes   []string
	Audience []string
	AuthTime time.Time
	// Grant is the grant a refresh continues (empty at the code's exchange).
	Grant string
}

// IssueAppTokens stores an access token and a refresh token for an app
// with RefreshTokens and returns their IDs and the access token's expiry.
// With spent empty they start a grant (the code's exchange); else spent is
// the refresh token being used, which the same transaction uses up — of
// two requests with one refresh token, one wins and the other ends the
// grant (see AppRefresh). The access token may carry fewer scopes than the
// grant (scopes, nil for all of them); the refresh token keeps the grant's.
func (a *App) IssueAppTokens(ctx context.Context, g AppGrant, scopes []string, spent string) (string, string, time.Time, error) {
	st, err := a.oidcStore()
	if err != nil {
		return "", "", time.Time{}, err
	}
	c, _, err := a.appUser(ctx, g.ClientID, g.UserID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if !c.RefreshTokens {
		return "", "", time.Time{}, errNoRefresh
	}
	if scopes == nil {
		scopes = g.Scopes
	}
	access, id, err := a.newAppToken(c, g.UserID, scopes, g.Audience)
	if err != nil {
		return "", "", time.Time{}, err
	}
	refresh, rid, err := a.newAppToken(c, g.UserID, g.Scopes, g.Audience)
	if err != nil {
		return "", "", time.Time{}, err
	}
	grant, spentHash := g.Grant, ""
	if spent != "" {
		spentHash = TokenHash(spent)
	} else if grant, err = a.NewToken(); err != nil {
		return "", "", time.Time{}, err
	}
	access.Grant, access.AuthTime = grant, g.AuthTime
	refresh.Grant, refresh.AuthTime, refresh.Refresh = grant, g.AuthTime, true
	refresh.Expires = refresh.CreatedAt.Add(OIDCRefreshTokenTTL)
	if end := g.AuthTime.Add(OIDCGrantMaxAge); end.Before(refresh.Expires) {
		refresh.Expires = end
	}
	err = st.PutOIDCTokens(ctx, spentHash, access, refresh)
	if ErrorCode(err) == EINVALID {
		// Used in between by another request: the token was copied.
		a.endGrant(ctx, st, grant)
		return "", "", time.Time{}, errBadRefresh
	} else if err != nil {
		return "", "", time.Time{}, err
	}
	return id, rid, access.Expires, nil
}

var (
	errNoRefresh  = Errorf(EINVALID, "This app is not allowed refresh tokens.")
	errBadRefresh = Errorf(EINVALID, "The refresh token is unknown, used or expired: sign in again.")
)

// AppRefresh returns the grant a refresh token continues, for an app with
// RefreshTokens and a person who may still use it (active, allowed by the
// app's rule now). A refresh token shown a second time ends its grant: the
// access and refresh tokens issued after it stop working, so a copied token
// is worth nothing once either copy has been used twice.
func (a *App) AppRefresh(ctx context.Context, token string) (*AppGrant, error) {
	st, err := a.oidcStore()
	if err != nil {
		return nil, err
	}
	t, err := st.OIDCToken(ctx, TokenHash(token))
	if ErrorCode(err) == ENOTFOUND || (err == nil && (!t.Refresh || !a.now().Before(t.Expires))) {
		return nil, errBadRefresh
	} else if err != nil {
		return nil, err
	}
	if t.Used {
		a.endGrant(ctx, st, t.Grant)
		return nil, errBadRefresh
	}
	c, _, err := a.appUser(ctx, t.ClientID, t.UserID)
	if err != nil || !c.RefreshTokens {
		return nil, errBadRefresh
	}
	return &AppGrant{ClientID: t.ClientID, UserID: t.UserID, Scopes: t.Scopes, Audience: t.Audience,
		AuthTime: t.AuthTime, Grant: t.Grant}, nil
}

// endGrant removes every token of grant (a refresh token was used twice).
func (a *App) endGrant(ctx context.Context, st OIDCStore, grant string) {
	if grant == "" {
		return
	}
	if err := st.DeleteOIDCTokens(ctx, func(t *OIDCToken) bool { return t.Grant == grant }); err != nil {
		a.log().Error("ending a sign-in whose refresh token was used twice", "err", err)
		return
	}
	a.log().Warn("a refresh token was used twice: its app sign-in was ended")
}

var errBadToken = Errorf(EUNAUTHORIZED, "The access token is unknown or expired.")

// AppToken returns a live access token by its ID, for a person who may
// still use the app.
func (a *App) AppToken(ctx context.Context, id string) (*OIDCToken, error) {
	st, err := a.oidcStore()
	if err != nil {
		return nil, err
	}
	t, err := st.OIDCToken(ctx, TokenHash(id))
	if ErrorCode(err) == ENOTFOUND || (err == nil && (t.Refresh || a.now().After(t.Expires))) {
		return nil, errBadToken
	} else if err != nil {
		return nil, err
	}
	if _, _, err := a.appUser(ctx, t.ClientID, t.UserID); err != nil {
		return nil, errBadToken
	}
	return t, nil
}

// AppRefreshToken returns the person of a live refresh token issued to
// app clientID, for its revocation; ENOTFOUND when there is none.
func (a *App) AppRefreshToken(ctx context.Context, clientID, token string) (string, error) {
	st, err := a.oidcStore()
	if err != nil {
		return "", err
	}
	t, err := st.OIDCToken(ctx, TokenHash(token))
	if err != nil || !t.Refresh || t.Used || t.ClientID != clientID {
		return "", Errorf(ENOTFOUND, "There is no such refresh token.")
	}
	return t.UserID, nil
}

// RevokeAppToken revokes one token of app clientID (RFC 7009): an access
// token alone, a refresh token with its whole grant. An unknown token is
// not an error; another app's is (EFORBIDDEN).
func (a *App) RevokeAppToken(ctx context.Context, clientID, token string) error {
	st, err := a.oidcStore()
	if err != nil {
		return err
	}
	hash := TokenHash(token)
	t, err := st.OIDCToken(ctx, hash)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if t.ClientID != clientID {
		return Errorf(EFORBIDDEN, "The token was not issued to this app.")
	}
	return st.DeleteOIDCTokens(ctx, func(o *OIDCToken) bool {
		return o.Hash == hash || (t.Refresh && t.Grant != "" && o.Grant == t.Grant)
	})
}

// EndAppSession is an app's sign-out (end-session with an ID token of
// userID): the person's tokens for the app end, refresh tokens too, and so
// does their portal session when the browser's (portalToken) is theirs —
// else the next pupil at a shared tablet would be signed in to the app as
// them without a password. Without an ID token (userID empty) nothing ends:
// a bare link must not sign anyone out.
func (a *App) EndAppSession(ctx context.Context, userID, clientID, portalToken string) error {
	if userID == "" {
		return nil
	}
	st, err := a.oidcStore()
	if err != nil {
		return err
	}
	now := a.now()
	if err := st.DeleteOIDCTokens(ctx, func(t *OIDCToken) bool {
		return now.After(t.Expires) || (t.UserID == userID && (clientID == "" || t.ClientID == clientID))
	}); err != nil {
		return err
	}
	if u, _, err := a.userSession(ctx, portalToken); err == nil && u.ID == userID {
		return a.SignOut(ctx, portalToken)
	}
	return nil
}

// AppClaims are what an app learns about a person.
type AppClaims struct {
	Subject           string
	Name              string
	GivenName         string
	FamilyName        string
	PreferredUsername string
	Email             string
	EmailVerified     bool
	Locale            string
	Groups            []string // names
	AccountType       string
}

// AppClaimsFor returns the claims of a person for an app that they may use.
// An email address of the organization's login domain is a generated login,
// not a mailbox the person proved: it is sent as not verified.
func (a *App) AppClaimsFor(ctx context.Context, clientID, userID string) (*AppClaims, error) {
	_, u, err := a.appUser(ctx, clientID, userID)
	if err != nil {
		return nil, err
	}
	org, err := a.findOrganization(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	cl := &AppClaims{Subject: u.ID, GivenName: u.FirstName, FamilyName: u.LastName,
		Name: strings.TrimSpace(u.FirstName + " " + u.LastName), PreferredUsername: u.Username,
		Email: u.Email, Locale: u.Language, AccountType: u.AccountType, Groups: []string{}}
	if cl.Locale == "" {
		cl.Locale = org.Language
	}
	generated := org.LoginDomain != "" && strings.HasSuffix(strings.ToLower(u.Email), "@"+strings.ToLower(org.LoginDomain))
	cl.EmailVerified = u.Email != "" && u.EmailVerified && !generated
	for _, id := range u.Groups {
		g, err := a.Store.Group(ctx, u.OrgID, id)
		if ErrorCode(err) == ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		cl.Groups = append(cl.Groups, g.Name)
	}
	return cl, nil
}

// SigningKey is an ID-token signing key, opened.
type SigningKey struct {
	ID     string
	Key    *rsa.PrivateKey
	Active bool
}

// OIDCKeySet returns the signing keys to publish (the active one first) and
// the 32-byte key that encrypts codes and access tokens, making both on
// first use.
func (a *App) OIDCKeySet(ctx context.Context) ([]*SigningKey, [32]byte, error) {
	var crypto [32]byte
	st, err := a.oidcStore()
	if err != nil {
		return nil, crypto, err
	}
	ks, err := st.OIDCKeys(ctx)
	if err != nil {
		return nil, crypto, err
	}
	if len(ks.SealedCrypto) == 0 || len(ks.Signing) == 0 {
		if err := a.rotateKeys(ctx, st, false); err != nil {
			return nil, crypto, err
		}
		if ks, err = st.OIDCKeys(ctx); err != nil {
			return nil, crypto, err
		}
	}
	if a.Secrets == nil {
		return nil, crypto, errNoSecrets
	}
	raw, err := a.Secrets.Open(ks.SealedCrypto)
	if err != nil || len(raw) != 32 {
		return nil, crypto, Errorf(EINTERNAL, "The provider's key cannot be opened with this key file.")
	}
	copy(crypto[:], raw)
	now := a.now()
	var out []*SigningKey
	for i, s := range ks.Signing {
		if s.RetiredAt != nil && now.After(s.RetiredAt.Add(OIDCIDTokenTTL+OIDCClockSkew)) {
			continue
		}
		der, err := a.Secrets.Open(s.Sealed)
		if err != nil {
			return nil, crypto, Errorf(EINTERNAL, "A signing key cannot be opened with this key file.")
		}
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, crypto, err
		}
		out = append(out, &SigningKey{ID: s.ID, Key: k, Active: i == 0})
	}
	return out, crypto, nil
}

var errNoSecrets = Errorf(EINTERNAL, "Rollcall has no key file to seal the provider's keys with.")

// RotateSigningKey makes a new ID-token signing key; the old one stays
// published until the ID tokens it signed have expired. Server admins.
func (a *App) RotateSigningKey(ctx context.Context) (string, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return "", err
	}
	st, err := a.oidcStore()
	if err != nil {
		return "", err
	}
	ctx = a.audit(ctx, "", "oidc.key_rotate", AuditTarget{Kind: "signing key", Name: "ID-token signing key"}, "")
	if err := a.rotateKeys(ctx, st, true); err != nil {
		return "", err
	}
	ks, err := st.OIDCKeys(ctx)
	if err != nil {
		return "", err
	}
	return ks.Signing[0].ID, nil
}

// rotateKeys adds a signing key (always when force, else only when there is
// none) and the crypto key when missing, and drops keys no longer published.
func (a *App) rotateKeys(ctx context.Context, st OIDCStore, force bool) error {
	if a.Secrets == nil {
		return errNoSecrets
	}
	// RSA keys are made outside the write transaction.
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	sealed, err := a.Secrets.Seal(x509.MarshalPKCS1PrivateKey(k))
	if err != nil {
		return err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	sealedCrypto, err := a.Secrets.Seal(raw)
	if err != nil {
		return err
	}
	now := a.now()
	id := a.newID()
	return st.ChangeOIDCKeys(ctx, func(ks *OIDCKeys) error {
		if len(ks.SealedCrypto) == 0 {
			ks.SealedCrypto = sealedCrypto
		}
		if !force && len(ks.Signing) > 0 {
			return nil
		}
		kept := []*OIDCSigner{{ID: id, Sealed: sealed, CreatedAt: now}}
		for _, s := range ks.Signing {
			if s.RetiredAt == nil {
				s.RetiredAt = &now
			}
			if now.After(s.RetiredAt.Add(OIDCIDTokenTTL + OIDCClockSkew)) {
				continue
			}
			kept = append(kept, s)
		}
		ks.Signing = kept
		return nil
	})
}
