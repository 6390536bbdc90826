package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/oauth2"

	"rollcall/app"
	"rollcall/app/httpapi"
	"rollcall/app/keyfile"
)

const (
	opPassword = "a fine password 1"
	opRedirect = "https://moodle.maple.example/auth/oidc/"
)

// opEnv is a Rollcall with an organization, a class 5A, a pupil in it
// (ada, with a real address) and a teacher outside it (bo, with a
// generated login address), served over HTTP as `serve` mounts it.
type opEnv struct {
	*env
	srv    *httptest.Server
	pupil  *app.User
	bo     *app.User
	groupA *app.Group
	// scope is what authorize asks for ("openid profile email" when empty).
	scope string
}

func newOPEnv(t *testing.T) *opEnv {
	t.Helper()
	e := newEnv(t)
	e.App.Secrets = keyfile.New(filepath.Join(t.TempDir(), "secret.key"))
	ctx := context.Background()
	if _, err := e.App.CreateOrganization(ctx, &app.Organization{Name: "Maple Primary", Slug: "maple", LoginDomain: "pupils.maple.example"}); err != nil {
		t.Fatal(err)
	}
	g, err := e.App.CreateGroup(ctx, "maple", &app.Group{Name: "5A"})
	if err != nil {
		t.Fatal(err)
	}
	ada, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Ada", LastName: "Lovelace", Username: "ada",
		Email: "ada@maple.example", AccountType: app.TypeStudent, Groups: []string{g.ID}, Language: "en"}, Password: opPassword})
	if err != nil {
		t.Fatal(err)
	}
	bo, err := e.App.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Bo", LastName: "Berg", Username: "bo",
		Email: "bo@pupils.maple.example", AccountType: app.TypeTeacher}, Password: opPassword})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler)
	t.Cleanup(srv.Close)
	return &opEnv{env: e, srv: srv, pupil: ada, bo: bo, groupA: g}
}

func (o *opEnv) addApp(t *testing.T, in app.NewConnectedApp) (*app.ConnectedApp, string) {
	t.Helper()
	c, secret, err := o.App.AddConnectedApp(context.Background(), "maple", in)
	if err != nil {
		t.Fatal(err)
	}
	return c, secret
}

// browser is a client that keeps cookies and does not follow redirects.
func (o *opEnv) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize starts a sign-in at the provider and returns the answer.
func (o *opEnv) authorize(t *testing.T, b *http.Client, clientID, redirect, verifier string) *http.Response {
	t.Helper()
	scope := o.scope
	if scope == "" {
		scope = "openid profile email"
	}
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {scope}, "state": {"st-1"}, "nonce": {"nonce-1"}}
	if verifier != "" {
		q.Set("code_challenge", pkce(verifier))
		q.Set("code_challenge_method", "S256")
	}
	res, err := b.Get(o.srv.URL + "/oidc/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// portalSignIn signs login in at the portal in browser b.
func (o *opEnv) portalSignIn(t *testing.T, b *http.Client, login string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"login": login, "password": opPassword})
	res, err := b.Post(o.srv.URL+"/api/public/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("portal sign-in of %s = %d", login, res.StatusCode)
	}
}

// complete posts the portal's completion of request id; it returns the
// status and the answer.
func (o *opEnv) complete(t *testing.T, b *http.Client, id string) (int, map[string]any) {
	t.Helper()
	res, err := b.Post(o.srv.URL+"/api/public/app-signin/"+url.PathEscape(id), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// signInCode runs the browser's part of the code flow for login and
// returns the code sent to redirect.
func (o *opEnv) signInCode(t *testing.T, clientID, redirect, verifier, login string) string {
	t.Helper()
	return o.signInCodeIn(t, o.browser(t), clientID, redirect, verifier, login)
}

// signInCodeIn is signInCode in browser b (whose portal session stays).
func (o *opEnv) signInCodeIn(t *testing.T, b *http.Client, clientID, redirect, verifier, login string) string {
	t.Helper()
	res := o.authorize(t, b, clientID, redirect, verifier)
	loc, _ := res.Location()
	if res.StatusCode != http.StatusFound || loc == nil || loc.Path != "/signin" || loc.Query().Get("authRequest") == "" {
		t.Fatalf("authorize = %d %v, want a redirect to /signin?authRequest=", res.StatusCode, loc)
	}
	id := loc.Query().Get("authRequest")
	o.portalSignIn(t, b, login)
	status, out := o.complete(t, b, id)
	if status != 200 {
		t.Fatalf("completing the app sign-in = %d %v", status, out)
	}
	res, err := b.Get(o.srv.URL + out["redirect"].(string))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ = res.Location()
	if loc == nil || !strings.HasPrefix(loc.String(), redirect+"?") || loc.Query().Get("state") != "st-1" {
		t.Fatalf("callback = %d %v, want a redirect to %s with the state", res.StatusCode, loc, redirect)
	}
	return loc.Query().Get("code")
}

func (o *opEnv) oauth2(clientID, secret, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: o.srv.URL + "/oidc/authorize", TokenURL: o.srv.URL + "/oidc/token"},
		Scopes:   []string{"openid", "profile", "email"}}
}

// A relying party's library (go-oidc) reads Rollcall's discovery, verifies
// the ID token against the published keys, and finds the person's claims;
// userinfo answers with the same; the key rotates and the old key stays
// published, so a token signed before the rotation still verifies.
func TestOIDCProviderWithGoOIDC(t *testing.T) {
	o := newOPEnv(t)
	c, secret := o.addApp(t, app.NewConnectedApp{Name: "Moodle", RedirectURIs: []string{opRedirect}})
	ctx := gooidc.ClientContext(context.Background(), o.srv.Client())
	provider, err := gooidc.NewProvider(ctx, o.srv.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var disco struct {
		Methods []string `json:"code_challenge_methods_supported"`
		Auth    []string `json:"token_endpoint_auth_methods_supported"`
		EndSess string   `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&disco); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(disco.Methods, " "), "S256") || !strings.Contains(strings.Join(disco.Auth, " "), "client_secret_post") || disco.EndSess == "" {
		t.Errorf("discovery = %+v", disco)
	}

	code := o.signInCode(t, c.ID, opRedirect, "verifier-0123456789-0123456789-0123456789-abc", "ada")
	o.Clock.Add(app.OIDCCodeTTL - time.Second) // still in time
	tok, err := o.oauth2(c.ID, secret, opRedirect).Exchange(ctx, code, oauth2.VerifierOption("verifier-0123456789-0123456789-0123456789-abc"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	verifier := provider.Verifier(&gooidc.Config{ClientID: c.ID, Now: time.Now})
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify the ID token: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"sub": o.pupil.ID, "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
		"preferred_username": "ada", "email": "ada@maple.example", "email_verified": true, "locale": "en",
		"rollcall_account_type": app.TypeStudent, "nonce": "nonce-1"}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("ID token %s = %v, want %v", k, claims[k], v)
		}
	}
	if g, _ := claims["groups"].([]any); len(g) != 1 || g[0] != "5A" {
		t.Errorf("groups = %v, want [5A]", claims["groups"])
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != o.pupil.ID || ui.Email != "ada@maple.example" {
		t.Errorf("userinfo = %+v", ui)
	}

	// Rotation: a new key signs, the old one is still published.
	if _, err := o.App.RotateSigningKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := gooidc.NewVerifier(o.srv.URL, gooidc.NewRemoteKeySet(ctx, o.srv.URL+"/oidc/keys"), &gooidc.Config{ClientID: c.ID, Now: time.Now})
	if _, err := fresh.Verify(ctx, raw); err != nil {
		t.Errorf("a token signed before the rotation no longer verifies: %v", err)
	}
	res, err := o.srv.Client().Get(o.srv.URL + "/oidc/keys")
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct{ Keys []map[string]any }
	json.NewDecoder(res.Body).Decode(&jwks)
	res.Body.Close()
	if len(jwks.Keys) != 2 {
		t.Errorf("JWKS after a rotation has %d keys, want the new and the old", len(jwks.Keys))
	}
	for _, k := range jwks.Keys {
		if k["d"] != nil {
			t.Fatal("the JWKS publishes a private key")
		}
	}
	// A new sign-in is signed by the new key and verifies too.
	code = o.signInCode(t, c.ID, opRedirect, "", "ada")
	tok2, err := o.oauth2(c.ID, secret, opRedirect).Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Verify(ctx, tok2.Extra("id_token").(string)); err != nil {
		t.Errorf("a token of the new key: %v", err)
	}

	// A generated login address is sent, marked not verified.
	c2, secret2 := o.addApp(t, app.NewConnectedApp{Name: "Staff wiki", RedirectURIs: []string{opRedirect}})
	code = o.signInCode(t, c2.ID, opRedirect, "", "bo")
	tok3, err := o.oauth2(c2.ID, secret2, opRedirect).Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	idt3, err := provider.Verifier(&gooidc.Config{ClientID: c2.ID, Now: time.Now}).Verify(ctx, tok3.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var bo struct {
		Email    string `json:"email"`
		Verified *bool  `json:"email_verified"`
	}
	idt3.Claims(&bo)
	if bo.Email != "bo@pupils.maple.example" || bo.Verified == nil || *bo.Verified {
		t.Errorf("generated login address: email %q verified %v, want it sent as not verified", bo.Email, bo.Verified)
	}

	// (4) Nothing secret in the file: no client secret, code or token.
	needles := []string{secret, secret2, code, tok.AccessToken, tok2.AccessToken, tok3.AccessToken}
	if hits := rawHits(t, o, needles...); len(hits) > 0 {
		t.Errorf("the database holds secrets: %v", hits)
	}
}

// rawHits copies the database and looks for each needle in every bucket's
// keys and values.
func rawHits(t *testing.T, o *opEnv, needles ...string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.DB.WriteBackup(f, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	raw, _ := os.ReadFile(path)
	var hits []string
	for _, n := range needles {
		if n == "" {
			t.Fatal("an empty needle")
		}
		if bytes.Contains(raw, []byte(n)) {
			hits = append(hits, "file: "+n)
		}
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	bdb.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, n := range needles {
					if bytes.Contains(k, []byte(n)) || bytes.Contains(v, []byte(n)) {
						hits = append(hits, fmt.Sprintf("%s: %s", name, n))
					}
				}
				return nil
			})
		})
	})
	return hits
}

// The provider refuses: a redirect URI not registered exactly, a code used
// twice, a code older than 60 s, a wrong PKCE verifier, a public app
// without PKCE, an app not for the person's account type or group, and a
// deactivated person (before and after the code was issued).
func TestOIDCProviderRefuses(t *testing.T) {
	o := newOPEnv(t)
	c, secret := o.addApp(t, app.NewConnectedApp{Name: "Moodle", RedirectURIs: []string{opRedirect}})
	ctx := context.Background()
	exchange := func(code, verifier string) error {
		var opts []oauth2.AuthCodeOption
		if verifier != "" {
			opts = append(opts, oauth2.VerifierOption(verifier))
		}
		_, err := o.oauth2(c.ID, secret, opRedirect).Exchange(gooidc.ClientContext(ctx, o.srv.Client()), code, opts...)
		return err
	}

	t.Run("wrong redirect URI", func(t *testing.T) {
		for _, uri := range []string{"https://evil.example/auth/oidc/", opRedirect + "x", strings.TrimSuffix(opRedirect, "/")} {
			res := o.authorize(t, o.browser(t), c.ID, uri, "")
			loc, _ := res.Location()
			if res.StatusCode == http.StatusFound || loc != nil {
				t.Errorf("redirect_uri %s: %d to %v, want a refusal without a redirect", uri, res.StatusCode, loc)
			}
		}
	})
	t.Run("reused code", func(t *testing.T) {
		code := o.signInCode(t, c.ID, opRedirect, "", "ada")
		if err := exchange(code, ""); err != nil {
			t.Fatalf("first exchange: %v", err)
		}
		if err := exchange(code, ""); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("second exchange of a code = %v, want invalid_grant", err)
		}
	})
	t.Run("code after 60 s", func(t *testing.T) {
		code := o.signInCode(t, c.ID, opRedirect, "", "ada")
		o.Clock.Add(app.OIDCCodeTTL + time.Second)
		if err := exchange(code, ""); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("exchange after 61 s = %v, want invalid_grant", err)
		}
	})
	t.Run("PKCE mismatch", func(t *testing.T) {
		code := o.signInCode(t, c.ID, opRedirect, "the-right-verifier-0123456789-0123456789-0", "ada")
		if err := exchange(code, "a-wrong-verifier-0123456789-0123456789-0123"); err == nil {
			t.Error("a wrong code_verifier was accepted")
		}
		code = o.signInCode(t, c.ID, opRedirect, "the-right-verifier-0123456789-0123456789-0", "ada")
		if err := exchange(code, ""); err == nil {
			t.Error("a missing code_verifier was accepted")
		}
	})
	t.Run("public app without PKCE", func(t *testing.T) {
		pub, _ := o.addApp(t, app.NewConnectedApp{Name: "Tablet app", Public: true, RedirectURIs: []string{"https://app.maple.example/cb"}})
		res := o.authorize(t, o.browser(t), pub.ID, "https://app.maple.example/cb", "")
		loc, _ := res.Location()
		if loc == nil || loc.Query().Get("error") == "" || loc.Path == "/signin" {
			t.Errorf("a public app without PKCE: %d %v, want an error sent back", res.StatusCode, loc)
		}
	})
	t.Run("account type not allowed", func(t *testing.T) {
		staff, _ := o.addApp(t, app.NewConnectedApp{Name: "Staff room", RedirectURIs: []string{opRedirect}, AccountTypes: []string{app.TypeTeacher}})
		b := o.browser(t)
		loc, _ := o.authorize(t, b, staff.ID, opRedirect, "").Location()
		o.portalSignIn(t, b, "ada")
		status, out := o.complete(t, b, loc.Query().Get("authRequest"))
		if status != http.StatusForbidden || !strings.Contains(fmt.Sprint(out["message"]), "may not sign in to Staff room") {
			t.Errorf("a pupil into a teachers' app = %d %v, want 403 with a plain message", status, out)
		}
		// The group rule: bo (no group) may not use a 5A app.
		class, _ := o.addApp(t, app.NewConnectedApp{Name: "5A board", RedirectURIs: []string{opRedirect}, Groups: []string{"5A"}})
		b = o.browser(t)
		loc, _ = o.authorize(t, b, class.ID, opRedirect, "").Location()
		o.portalSignIn(t, b, "bo")
		if status, _ := o.complete(t, b, loc.Query().Get("authRequest")); status != http.StatusForbidden {
			t.Errorf("someone outside 5A into 5A's app = %d, want 403", status)
		}
	})
	t.Run("deactivated person", func(t *testing.T) {
		// Signed in to the portal, then deactivated: the completion is refused.
		b := o.browser(t)
		loc, _ := o.authorize(t, b, c.ID, opRedirect, "").Location()
		o.portalSignIn(t, b, "ada")
		if _, err := o.App.SetUserStatus(ctx, "maple", o.pupil.ID, app.StatusDeactivated); err != nil {
			t.Fatal(err)
		}
		if status, _ := o.complete(t, b, loc.Query().Get("authRequest")); status != http.StatusUnauthorized {
			t.Errorf("a deactivated person completing a sign-in = %d, want 401", status)
		}
		// Deactivated between the code and its exchange: refused too.
		if _, err := o.App.SetUserStatus(ctx, "maple", o.pupil.ID, app.StatusActive); err != nil {
			t.Fatal(err)
		}
		code := o.signInCode(t, c.ID, opRedirect, "", "ada")
		if _, err := o.App.SetUserStatus(ctx, "maple", o.pupil.ID, app.StatusDeactivated); err != nil {
			t.Fatal(err)
		}
		if err := exchange(code, ""); err == nil {
			t.Error("a code of a person deactivated since was exchanged")
		}
		o.App.SetUserStatus(ctx, "maple", o.pupil.ID, app.StatusActive)
	})
	t.Run("wrong client secret", func(t *testing.T) {
		code := o.signInCode(t, c.ID, opRedirect, "", "ada")
		_, err := o.oauth2(c.ID, secret+"x", opRedirect).Exchange(gooidc.ClientContext(ctx, o.srv.Client()), code)
		if err == nil {
			t.Error("a wrong client secret was accepted")
		}
	})
	_ = io.Discard
}

// The apps page shows the discovery URL: the list says the fixed issuer
// (serve --oidc-issuer), "" when it is the address the app reaches Rollcall by.
func TestListAppsSaysTheIssuer(t *testing.T) {
	for _, issuer := range []string{"", "https://id.maple.example"} {
		e := newEnv(t, func(c *httpapi.Config) { c.Issuer = issuer })
		cookie := e.setup(t)
		e.createOrg(t, cookie, map[string]any{"name": "Maple Primary", "slug": "maple"})
		status, body := e.do(t, "GET", "/api/organizations/maple/apps", nil, cookie)
		if status != http.StatusOK || body["issuer"] != issuer {
			t.Fatalf("issuer %q: %d %v", issuer, status, body)
		}
		if apps, ok := body["apps"].([]any); !ok || len(apps) != 0 {
			t.Fatalf("apps: %v", body["apps"])
		}
	}
}

// tokenCall posts form to the token endpoint (or another of the
// provider's: path) as app clientID with its secret, and returns the
// status and the answer.
func (o *opEnv) tokenCall(t *testing.T, path, clientID, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", o.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	res, err := o.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// Refresh tokens, for the apps allowed them: issued at the code's exchange
// when the app asks for offline_access, rotated at each use, never stored
// in plain text; a used one shown again ends the whole sign-in; refused
// for a deactivated person, after revocation and after their lifetime.
func TestOIDCRefreshTokens(t *testing.T) {
	o := newOPEnv(t)
	o.scope = "openid profile email offline_access"
	ctx := gooidc.ClientContext(context.Background(), o.srv.Client())
	provider, err := gooidc.NewProvider(ctx, o.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	plain, plainSecret := o.addApp(t, app.NewConnectedApp{Name: "Moodle", RedirectURIs: []string{opRedirect}})
	c, secret := o.addApp(t, app.NewConnectedApp{Name: "Nextcloud", RedirectURIs: []string{opRedirect}, RefreshTokens: true})
	signIn := func(clientID, secret string) map[string]any {
		t.Helper()
		code := o.signInCode(t, clientID, opRedirect, "", "ada")
		status, out := o.tokenCall(t, "/oidc/token", clientID, secret, url.Values{"grant_type": {"authorization_code"},
			"code": {code}, "redirect_uri": {opRedirect}})
		if status != 200 {
			t.Fatalf("code exchange = %d %v", status, out)
		}
		return out
	}
	refresh := func(rt string) (int, map[string]any) {
		t.Helper()
		return o.tokenCall(t, "/oidc/token", c.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	userinfo := func(access string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", o.srv.URL+"/oidc/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		res, err := o.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }

	// An app without the switch gets none, even asking for offline_access,
	// and may not use the grant.
	if out := signIn(plain.ID, plainSecret); out["refresh_token"] != nil {
		t.Fatalf("an app without refresh tokens got one: %v", out)
	}
	if status, out := o.tokenCall(t, "/oidc/token", plain.ID, plainSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}); status < 400 {
		t.Errorf("the refresh grant for an app without it = %d %v", status, out)
	}

	first := signIn(c.ID, secret)
	rt1 := str(first, "refresh_token")
	if rt1 == "" {
		t.Fatalf("no refresh token for an app allowed them: %v", first)
	}
	// A refresh gives new tokens and a new ID token that verifies; the
	// refresh token rotates.
	o.Clock.Add(2 * time.Hour) // the first access token has expired
	status, second := refresh(rt1)
	rt2 := str(second, "refresh_token")
	if status != 200 || rt2 == "" || rt2 == rt1 || str(second, "access_token") == "" {
		t.Fatalf("refresh = %d %v, want new access and refresh tokens", status, second)
	}
	idt, err := provider.Verifier(&gooidc.Config{ClientID: c.ID, Now: time.Now}).Verify(ctx, str(second, "id_token"))
	if err != nil || idt.Subject != o.pupil.ID {
		t.Fatalf("the refreshed ID token: %v %v", idt, err)
	}
	if got := userinfo(str(second, "access_token")); got != 200 {
		t.Errorf("userinfo with the refreshed access token = %d", got)
	}
	if hits := rawHits(t, o, rt1, rt2, str(second, "access_token")); len(hits) > 0 {
		t.Errorf("the database holds tokens: %v", hits)
	}

	// The used refresh token again: refused, and the sign-in it belongs to
	// ends — its successor and the access token issued with it too.
	if status, out := refresh(rt1); status != 400 || out["error"] != "invalid_grant" {
		t.Errorf("a used refresh token = %d %v, want invalid_grant", status, out)
	}
	if status, _ := refresh(rt2); status != 400 {
		t.Errorf("after a reuse the newer refresh token still works (%d)", status)
	}
	if got := userinfo(str(second, "access_token")); got == 200 {
		t.Error("after a reuse the sign-in's access token still works")
	}

	t.Run("deactivated", func(t *testing.T) {
		rt := str(signIn(c.ID, secret), "refresh_token")
		if _, err := o.App.SetUserStatus(context.Background(), "maple", o.pupil.ID, app.StatusDeactivated); err != nil {
			t.Fatal(err)
		}
		if status, _ := refresh(rt); status != 400 {
			t.Errorf("a deactivated person's refresh = %d, want 400", status)
		}
		// Reactivated: the old grant stays ended (deactivation removed it).
		o.App.SetUserStatus(context.Background(), "maple", o.pupil.ID, app.StatusActive)
		if status, _ := refresh(rt); status != 400 {
			t.Errorf("a refresh token from before a deactivation works after the reactivation (%d)", status)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		out := signIn(c.ID, secret)
		rt := str(out, "refresh_token")
		if status, body := o.tokenCall(t, "/oidc/revoke", c.ID, secret, url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}}); status != 200 {
			t.Fatalf("revoke = %d %v", status, body)
		}
		if status, _ := refresh(rt); status != 400 {
			t.Errorf("a revoked refresh token = %d, want 400", status)
		}
		if got := userinfo(str(out, "access_token")); got == 200 {
			t.Error("revoking the refresh token left its access token working")
		}
		// Another app cannot revoke this app's token.
		rt = str(signIn(c.ID, secret), "refresh_token")
		o.tokenCall(t, "/oidc/revoke", plain.ID, plainSecret, url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}})
		if status, _ := refresh(rt); status != 200 {
			t.Errorf("another app's revocation ended this app's refresh token (%d)", status)
		}
	})
	t.Run("expired", func(t *testing.T) {
		rt := str(signIn(c.ID, secret), "refresh_token")
		o.Clock.Add(app.OIDCRefreshTokenTTL + time.Second)
		if status, _ := refresh(rt); status != 400 {
			t.Errorf("a refresh token past its %v = %d, want 400", app.OIDCRefreshTokenTTL, status)
		}
		// Used in time, each refresh renews it, up to the sign-in's maximum age.
		rt = str(signIn(c.ID, secret), "refresh_token")
		for used := time.Duration(0); used < app.OIDCGrantMaxAge; used += app.OIDCRefreshTokenTTL - time.Hour {
			o.Clock.Add(app.OIDCRefreshTokenTTL - time.Hour)
			status, out := refresh(rt)
			if used+app.OIDCRefreshTokenTTL-time.Hour < app.OIDCGrantMaxAge {
				if status != 200 {
					t.Fatalf("a refresh in time after %v = %d %v", used, status, out)
				}
				rt = str(out, "refresh_token")
			} else if status != 400 {
				t.Errorf("a refresh %v after the sign-in = %d, want 400 (the maximum is %v)", used+app.OIDCRefreshTokenTTL, status, app.OIDCGrantMaxAge)
			}
		}
	})
}

// An app's sign-out (end_session with its ID token) ends the person's
// tokens for it and the browser's portal session: the next pupil at a
// shared tablet must sign in. Without an ID token nothing ends.
func TestOIDCEndSessionSignsOutOfThePortal(t *testing.T) {
	o := newOPEnv(t)
	c, secret := o.addApp(t, app.NewConnectedApp{Name: "Moodle", RedirectURIs: []string{opRedirect}})
	b := o.browser(t)
	code := o.signInCodeIn(t, b, c.ID, opRedirect, "", "ada")
	status, tok := o.tokenCall(t, "/oidc/token", c.ID, secret, url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {opRedirect}})
	if status != 200 {
		t.Fatalf("exchange = %d %v", status, tok)
	}
	account := func() int {
		res, err := b.Get(o.srv.URL + "/api/public/account")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	end := func(q url.Values) *http.Response {
		res, err := b.Get(o.srv.URL + "/oidc/end_session?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if got := account(); got != 200 {
		t.Fatalf("the portal session before = %d", got)
	}
	if res := end(url.Values{"client_id": {c.ID}}); res.StatusCode != http.StatusFound || account() != 200 {
		t.Errorf("end_session without an ID token: %d, portal %d; want the session kept", res.StatusCode, account())
	}
	res := end(url.Values{"id_token_hint": {tok["id_token"].(string)}, "post_logout_redirect_uri": {opRedirect}})
	if loc, _ := res.Location(); res.StatusCode != http.StatusFound || loc == nil || loc.String() != opRedirect {
		t.Errorf("end_session = %d %v, want a redirect to %s", res.StatusCode, loc, opRedirect)
	}
	if got := account(); got != http.StatusUnauthorized {
		t.Errorf("the portal session after the app's sign-out = %d, want 401", got)
	}
	req, _ := http.NewRequest("GET", o.srv.URL+"/oidc/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	if res, err := o.srv.Client().Do(req); err != nil || res.StatusCode == 200 {
		t.Errorf("the app's access token after its sign-out: %v %v", res, err)
	}
}
