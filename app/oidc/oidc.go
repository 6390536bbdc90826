// Package oidc is Rollcall's OpenID Connect relying party: discovery, the
// authorization URL (code flow, PKCE S256, state, nonce) and the code
// exchange whose ID token is verified — signature against the provider's
// published keys (fetched again when a token names a new key: rotation),
// issuer, audience, expiry — by github.com/coreos/go-oidc/v3 with
// golang.org/x/oauth2. Rollcall writes no JWT check of its own; it only
// compares the verified token's nonce with the one it sent, as the library
// asks its users to.
package oidc

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"rollcall/app"
)

// Client implements app.OIDCClient.
type Client struct {
	// HTTP reaches the providers; nil means a client with a 15 s timeout.
	HTTP *http.Client
	// Now is the clock the ID token's expiry is checked against; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	providers map[string]*cached
}

type cached struct {
	p       *gooidc.Provider
	info    *app.OIDCInfo
	fetched time.Time
}

// rediscover is how long a discovery document is kept before it is fetched again.
const rediscover = time.Hour

// New returns a client with the default HTTP client.
func New() *Client { return &Client{} }

func (c *Client) ctx(ctx context.Context) context.Context {
	h := c.HTTP
	if h == nil {
		h = &http.Client{Timeout: 15 * time.Second}
	}
	return gooidc.ClientContext(ctx, h)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// provider returns the discovered provider of issuer, from the cache when fresh.
func (c *Client) provider(ctx context.Context, issuer string) (*cached, error) {
	c.mu.Lock()
	p := c.providers[issuer]
	c.mu.Unlock()
	if p != nil && time.Since(p.fetched) < rediscover {
		return p, nil
	}
	// The keys are fetched by the provider's remote key set with a context
	// of their own: one that outlives this request.
	gp, err := gooidc.NewProvider(c.ctx(context.WithoutCancel(ctx)), issuer)
	if err != nil {
		return nil, app.Errorf(app.EUNAUTHORIZED, "The sign-in provider at %s cannot be reached or its discovery document is wrong: %s", issuer, oneLine(err))
	}
	var doc struct {
		EndSession string   `json:"end_session_endpoint"`
		PKCE       []string `json:"code_challenge_methods_supported"`
		Scopes     []string `json:"scopes_supported"`
		Claims     []string `json:"claims_supported"`
	}
	_ = gp.Claims(&doc)
	ep := gp.Endpoint()
	info := &app.OIDCInfo{Issuer: issuer, AuthorizationURL: ep.AuthURL, TokenURL: ep.TokenURL, EndSessionURL: doc.EndSession,
		ScopesSupported: doc.Scopes, ClaimsSupported: doc.Claims, DiscoveryCheckedAt: time.Now().UTC()}
	for _, m := range doc.PKCE {
		info.SupportsPKCES256 = info.SupportsPKCES256 || m == "S256"
	}
	p = &cached{p: gp, info: info, fetched: time.Now()}
	c.mu.Lock()
	if c.providers == nil {
		c.providers = map[string]*cached{}
	}
	c.providers[issuer] = p
	c.mu.Unlock()
	return p, nil
}

// Discover implements app.OIDCClient.
func (c *Client) Discover(ctx context.Context, issuer string) (*app.OIDCInfo, error) {
	p, err := c.provider(ctx, issuer)
	if err != nil {
		return nil, err
	}
	return p.info, nil
}

func (c *Client) config(p *cached, cfg app.OIDCConfig) *oauth2.Config {
	return &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: p.p.Endpoint(),
		RedirectURL: cfg.RedirectURI, Scopes: cfg.Scopes}
}

// AuthURL implements app.OIDCClient.
func (c *Client) AuthURL(ctx context.Context, cfg app.OIDCConfig, state, nonce, verifier string) (string, error) {
	p, err := c.provider(ctx, cfg.Issuer)
	if err != nil {
		return "", err
	}
	return c.config(p, cfg).AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Exchange implements app.OIDCClient.
func (c *Client) Exchange(ctx context.Context, cfg app.OIDCConfig, code, verifier, nonce string) (*app.OIDCIdentity, error) {
	p, err := c.provider(ctx, cfg.Issuer)
	if err != nil {
		return nil, err
	}
	tok, err := c.config(p, cfg).Exchange(c.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, app.Errorf(app.EUNAUTHORIZED, "The sign-in provider did not accept Rollcall's sign-in code: %s", oneLine(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, app.Errorf(app.EUNAUTHORIZED, "The sign-in provider sent no ID token.")
	}
	v := p.p.Verifier(&gooidc.Config{ClientID: cfg.ClientID, Now: c.now})
	idt, err := v.Verify(c.ctx(ctx), raw)
	if err != nil {
		return nil, refusal(err)
	}
	if idt.Nonce != nonce {
		return nil, app.Errorf(app.EUNAUTHORIZED, "The sign-in was refused: the provider's token is not for this sign-in (its nonce does not match). Start again.")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, app.Errorf(app.EUNAUTHORIZED, "The provider's token cannot be read.")
	}
	return &app.OIDCIdentity{Issuer: idt.Issuer, Subject: idt.Subject, Claims: claims}, nil
}

// refusal turns the library's verification error into a plain message.
func refusal(err error) error {
	var expired *gooidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return app.Errorf(app.EUNAUTHORIZED, "The sign-in was refused: the provider's token has expired. Check the computer's clock, then start again.")
	case strings.Contains(msg, "audience"):
		return app.Errorf(app.EUNAUTHORIZED, "The sign-in was refused: the provider's token was issued to another application (wrong audience). Check the client ID in Settings → Sign-in.")
	case strings.Contains(msg, "issuer"):
		return app.Errorf(app.EUNAUTHORIZED, "The sign-in was refused: the provider's token comes from another issuer.")
	case strings.Contains(msg, "signature"):
		return app.Errorf(app.EUNAUTHORIZED, "The sign-in was refused: the provider's token is not signed by one of the provider's keys.")
	}
	return app.Errorf(app.EUNAUTHORIZED, "The sign-in was refused: the provider's token is not valid (%s).", oneLine(err))
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
