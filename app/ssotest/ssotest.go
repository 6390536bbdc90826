// Package ssotest runs a real OpenID Connect provider for Rollcall's tests:
// github.com/zitadel/oidc/v3's OpenID-certified op package with the
// in-memory storage of its example server (users, clients, auth requests,
// codes), on 127.0.0.1 with its own RSA keys, and a plain sign-in page.
// Knobs make it misbehave the ways a relying party must refuse: a wrong
// nonce or audience, an expired token, a token signed by a key it does not
// publish; and its keys can be rotated.
package ssotest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is a person at the provider.
type User struct {
	Subject       string
	Username      string // what is typed on the provider's sign-in page
	Password      string
	Email         string
	EmailVerified bool
	GivenName     string
	FamilyName    string
	// Claims are extra ID token claims (hd, groups, department).
	Claims map[string]any
}

// Provider is a running OpenID provider.
type Provider struct {
	Issuer       string
	ClientID     string
	ClientSecret string

	srv     *http.Server
	ln      net.Listener
	storage *tweaked

	mu    sync.Mutex
	users map[string]*User // by subject
	// Knobs: what the next tokens do wrong.
	nonce    *string
	audience []string
	lifetime time.Duration
	// signWith, when set, signs with this key while the key set publishes
	// the real one (a token signed by another key).
	signWith *key
	key      *key
	foreign  op.AuthRequest // the request to mint another client's ID token for
}

type key struct {
	id  string
	rsa *rsa.PrivateKey
}

func (k *key) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *key) Key() any                                    { return k.rsa }
func (k *key) ID() string                                  { return k.id }

type pub struct{ k *key }

func (p pub) ID() string                         { return p.k.id }
func (p pub) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p pub) Use() string                        { return "sig" }
func (p pub) Key() any                           { return &p.k.rsa.PublicKey }

func newKey() *key {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	return &key{id: fmt.Sprintf("k%x", b), rsa: k}
}

// Start runs a provider on addr ("127.0.0.1:0" for any port) whose client
// clientID/secret may redirect to the redirect URIs.
func Start(addr, clientID, secret string, redirectURIs ...string) (*Provider, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String(), ClientID: clientID, ClientSecret: secret, ln: ln,
		users: map[string]*User{}, lifetime: 5 * time.Minute, key: newKey()}
	clients := map[string]*storage.Client{clientID: storage.WebClient(clientID, secret, redirectURIs...)}
	p.storage = &tweaked{Storage: storage.NewStorageWithClients(userStore{p}, clients), p: p}
	var cryptoKey [32]byte
	rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey, CodeMethodS256: true, AuthMethodPost: true,
		SupportedUILocales: []language.Tag{language.English}, DefaultLogoutRedirectURI: "/signed-out"},
		p.storage, op.StaticIssuer(p.Issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	callback := op.AuthCallbackURL(provider)
	mux.HandleFunc("GET /login/username", func(w http.ResponseWriter, r *http.Request) {
		loginPage(w, r.URL.Query().Get("authRequestID"), "")
	})
	mux.Handle("POST /login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := p.storage.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			loginPage(w, id, "The username or password is wrong.")
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.HandleFunc("GET /signed-out", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>Signed out</title><p>You are signed out of the test provider.</p>")
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		provider.ServeHTTP(rec, r)
		p.mu.Lock()
		foreign := p.foreign
		p.foreign = nil
		p.mu.Unlock()
		body := rec.Body.Bytes()
		if foreign != nil && rec.Code == http.StatusOK {
			var resp map[string]any
			if json.Unmarshal(body, &resp) == nil {
				c, _ := p.storage.GetClientByClientID(r.Context(), p.ClientID)
				if tok, err := op.CreateIDToken(r.Context(), p.Issuer, foreign, 5*time.Minute, "", "", p.storage, c); err == nil {
					resp["id_token"] = tok
					body, _ = json.Marshal(resp)
				}
			}
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
	mux.Handle("/", provider)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func loginPage(w http.ResponseWriter, id, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><title>Test provider: sign in</title></head><body>
<h1>Test identity provider</h1><p role="alert">%s</p>
<form method="post" action="/login/username"><input type="hidden" name="id" value="%s">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in at the provider</button></form></body></html>`, html.EscapeString(problem), html.EscapeString(id))
}

// Close stops the provider.
func (p *Provider) Close() error { return p.srv.Close() }

// AddUser adds a person.
func (p *Provider) AddUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := u
	p.users[u.Subject] = &c
}

// WrongNonce makes the next tokens carry this nonce ("" restores the right one).
func (p *Provider) WrongNonce(n string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n == "" {
		p.nonce = nil
	} else {
		p.nonce = &n
	}
}

// Audience makes the next tokens name this audience (nil restores it).
func (p *Provider) Audience(aud ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.audience = aud
}

// Lifetime sets the ID token's lifetime; a negative one issues expired tokens.
func (p *Provider) Lifetime(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lifetime = d
}

// SignWithForeignKey makes the next tokens be signed with a key the
// provider does not publish, under the published key's ID (on: true).
func (p *Provider) SignWithForeignKey(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signWith = nil
	if on {
		k := newKey()
		k.id = p.key.id
		p.signWith = k
	}
}

// RotateKeys replaces the signing key by a new one with a new key ID; the
// key set publishes only the new one.
func (p *Provider) RotateKeys() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key = newKey()
}

// KeyID is the ID of the key that signs now.
func (p *Provider) KeyID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key.id
}

// tweaked is the example storage with this provider's users and knobs.
type tweaked struct {
	*storage.Storage
	p *Provider
}

func (s *tweaked) SigningKey(ctx context.Context) (op.SigningKey, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.p.signWith != nil {
		return s.p.signWith, nil
	}
	return s.p.key, nil
}

func (s *tweaked) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *tweaked) KeySet(ctx context.Context) ([]op.Key, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	return []op.Key{pub{s.p.key}}, nil
}

// GetClientByClientID asserts the profile and email claims in the ID token
// (as Entra ID and Google do) and applies the lifetime knob.
func (s *tweaked) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	return claimsClient{Client: c, lifetime: s.p.lifetime}, nil
}

type claimsClient struct {
	op.Client
	lifetime time.Duration
}

func (c claimsClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c claimsClient) IDTokenLifetime() time.Duration       { return c.lifetime }

// AuthRequestByCode applies the nonce and audience knobs.
func (s *tweaked) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	t := tweakedRequest{AuthRequest: r, nonce: r.GetNonce(), audience: r.GetAudience()}
	if s.p.nonce != nil {
		t.nonce = *s.p.nonce
	}
	if s.p.audience != nil {
		// The token endpoint answers with an ID token minted for another
		// client (token substitution): the OP's own code signs it.
		s.p.foreign = tweakedRequest{AuthRequest: r, nonce: t.nonce, audience: s.p.audience, clientID: s.p.audience[0]}
	}
	return t, nil
}

type tweakedRequest struct {
	op.AuthRequest
	nonce    string
	audience []string
	clientID string
}

func (t tweakedRequest) GetClientID() string {
	if t.clientID != "" {
		return t.clientID
	}
	return t.AuthRequest.GetClientID()
}

func (t tweakedRequest) GetNonce() string      { return t.nonce }
func (t tweakedRequest) GetAudience() []string { return t.audience }

// SetUserinfoFromRequest adds the user's extra claims to the ID token.
func (s *tweaked) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, token, scopes); err != nil {
		return err
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if u := s.p.users[token.GetSubject()]; u != nil {
		for k, v := range u.Claims {
			info.AppendClaims(k, v)
		}
	}
	return nil
}

// userStore gives the example storage this provider's users.
type userStore struct{ p *Provider }

func (s userStore) get(match func(u *User) bool) *storage.User {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	for _, u := range s.p.users {
		if match(u) {
			return &storage.User{ID: u.Subject, Username: u.Username, Password: u.Password, FirstName: u.GivenName,
				LastName: u.FamilyName, Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English}
		}
	}
	return nil
}

func (s userStore) GetUserByID(id string) *storage.User {
	return s.get(func(u *User) bool { return u.Subject == id })
}

func (s userStore) GetUserByUsername(name string) *storage.User {
	return s.get(func(u *User) bool { return u.Username == name })
}

func (s userStore) ExampleClientID() string { return s.p.ClientID }

// SignIn follows an authorization URL as a browser would: it signs in at
// the provider's page as username and returns the URL the provider
// redirects back to (Rollcall's redirect URI with code and state).
func SignIn(authURL, username, password string) (*url.URL, error) {
	jar, _ := cookiejar.New(nil)
	var back *url.URL
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Query().Get("state") != "" && (req.URL.Query().Get("code") != "" || req.URL.Query().Get("error") != "") {
			back = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(authURL)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if back != nil {
		return back, nil
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	if id == "" {
		return nil, fmt.Errorf("the provider showed no sign-in page (status %d at %s)", resp.StatusCode, resp.Request.URL)
	}
	login := *resp.Request.URL
	login.RawQuery = ""
	resp, err = c.PostForm(login.String(), url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if back == nil {
		return nil, fmt.Errorf("the provider did not send the browser back (status %d at %s)", resp.StatusCode, resp.Request.URL)
	}
	return back, nil
}
