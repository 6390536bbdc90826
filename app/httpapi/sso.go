package httpapi

import (
	"html"
	"net/http"
	"net/url"
	"time"

	"rollcall/app"
)

// ssoCookie binds a sign-in begun at a provider to this browser (see
// app/ssoflow.go). SameSite=Lax, not Strict: the provider sends the
// browser back with a top-level GET from its own site, which carries Lax
// cookies and not Strict ones.
const ssoCookie = "rollcall_sso"

func (s *Server) ssoRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/sso-providers", s.admin(s.listSSOProviders))
	m.Handle("POST /api/organizations/{org}/sso-providers", s.admin(s.createSSOProvider))
	m.Handle("PATCH /api/organizations/{org}/sso-providers/{provider}", s.admin(s.updateSSOProvider))
	m.Handle("DELETE /api/organizations/{org}/sso-providers/{provider}", s.admin(s.deleteSSOProvider))
	m.Handle("POST /api/organizations/{org}/sso-providers/{provider}/test", s.admin(s.testSSOProvider))
	// Public: the buttons, the start (a redirect to the provider) and the
	// provider's redirect back.
	m.HandleFunc("GET /api/public/sso/providers", s.ssoButtons)
	m.HandleFunc("GET /api/public/sso/start", s.ssoStart)
	m.HandleFunc("GET /api/public/sso/callback", s.ssoCallback) // app.SSOCallbackPath
	// A server admin's own links (Settings → Your account); linking is a
	// sign-in at the provider: /api/public/sso/start?provider=ID&for=link.
	m.Handle("GET /api/me/sso-identities", s.admin(s.mySSOLinks))
	m.Handle("DELETE /api/me/sso-identities/{provider}", s.admin(s.unlinkMySSOIdentity))
}

func (s *Server) mySSOLinks(w http.ResponseWriter, r *http.Request) {
	out, err := s.app.MySSOLinks(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) unlinkMySSOIdentity(w http.ResponseWriter, r *http.Request) {
	if _, err := s.app.UnlinkAdminIdentity(r.Context(), r.PathValue("provider")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listSSOProviders(w http.ResponseWriter, r *http.Request) {
	ps, err := s.app.SSOProviders(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

func (s *Server) createSSOProvider(w http.ResponseWriter, r *http.Request) {
	var in app.SSOProviderInput
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.app.CreateSSOProvider(r.Context(), r.PathValue("org"), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) updateSSOProvider(w http.ResponseWriter, r *http.Request) {
	var in app.SSOProviderInput
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.app.UpdateSSOProvider(r.Context(), r.PathValue("org"), r.PathValue("provider"), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) deleteSSOProvider(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeleteSSOProvider(r.Context(), r.PathValue("org"), r.PathValue("provider")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testSSOProvider fetches the provider's discovery now; a failure is an
// answer (ok=false with the reason), not an error.
func (s *Server) testSSOProvider(w http.ResponseWriter, r *http.Request) {
	res, err := s.app.TestSSOProvider(r.Context(), r.PathValue("org"), r.PathValue("provider"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res.Localized(requestLanguage(r)))
}

// ssoButtons lists the providers for ?org=SLUG or for ?email=ADDRESS's domain.
func (s *Server) ssoButtons(w http.ResponseWriter, r *http.Request) {
	bs, err := s.app.SSOButtons(r.Context(), r.URL.Query().Get("org"), r.URL.Query().Get("email"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bs)
}

// ssoStart sends the browser to the provider: ?provider=ID&for=portal|admin|invitation[&invitation=TOKEN].
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	purpose := q.Get("for")
	if purpose == "" {
		purpose = app.SSOForPortal
	}
	if (purpose == app.SSOForAdmin || purpose == app.SSOForLink) && s.cfg.Mode == Desktop {
		s.ssoPage(w, r, "In the desktop window nobody signs in.", "/")
		return
	}
	adminID := ""
	if purpose == app.SSOForLink {
		// The admin linking their account: from their own session (the
		// start is a same-site navigation, so the Strict cookie comes).
		adm, err := s.app.AdminBySession(r.Context(), sessionToken(r))
		if err != nil {
			s.ssoPage(w, r, app.LocalizedMessage(err, requestLanguage(r)), "/")
			return
		}
		adminID = adm.ID
	}
	binding, err := s.app.NewToken()
	if err != nil {
		s.error(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	old := ""
	if c, err := r.Cookie(ssoCookie); err == nil {
		old = c.Value
	}
	u, err := s.app.StartSSO(r.Context(), app.SSOStart{Provider: q.Get("provider"), Purpose: purpose,
		Invitation: q.Get("invitation"), Base: scheme + "://" + r.Host, Binding: binding, OldBinding: old,
		Client: clientAddr(r), Previous: previousSession(r, purpose), Admin: adminID})
	if err != nil {
		s.ssoPage(w, r, app.LocalizedMessage(err, requestLanguage(r)), backTo(purpose))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: binding, Path: "/api/public/sso/",
		MaxAge: int(app.SSOFlowTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u, http.StatusFound)
}

// previousSession is the browser's session for the purpose of a sign-in
// through a provider: it ends when that sign-in succeeds, as at a password
// sign-in. An admin linking their account stays signed in.
func previousSession(r *http.Request, purpose string) string {
	switch purpose {
	case app.SSOForAdmin:
		return sessionToken(r)
	case app.SSOForLink:
		return ""
	}
	return userToken(r)
}

func backTo(purpose string) string {
	if purpose == app.SSOForAdmin || purpose == app.SSOForLink {
		return "/"
	}
	return "/signin"
}

// ssoCallback is the redirect URI: the provider's answer ends here in a
// session, then a page of ours moves the browser on (a same-site
// navigation, so the SameSite=Strict session cookie goes with it).
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("code") == "" && q.Get("error") == "" {
		// Back from the provider's sign-out (post_logout_redirect_uri).
		switch q.Get("state") {
		case app.SSOSignedOut:
			s.ssoPage(w, r, "", "/signin")
			return
		case app.SSOSignedOutAdmin:
			s.ssoPage(w, r, "", "/")
			return
		}
	}
	binding := ""
	if c, err := r.Cookie(ssoCookie); err == nil {
		binding = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: "/api/public/sso/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	res, err := s.app.FinishSSO(r.Context(), app.SSOFinish{State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDescription: q.Get("error_description"), Binding: binding, Client: clientAddr(r)})
	if err != nil {
		back := "/signin"
		if res != nil {
			back = backTo(res.Purpose) // an admin goes back to the admin sign-in
		}
		s.ssoPage(w, r, app.LocalizedMessage(err, requestLanguage(r)), back)
		return
	}
	switch {
	case res.Purpose == app.SSOForLink:
		s.ssoDone(w, app.LocalizeText(res.Message, requestLanguage(r)), "/")
	case res.Pending:
		s.ssoPage(w, r, app.LocalizeText(res.Message, requestLanguage(r)), "/signin")
	case res.Kind == app.SessionStaff || res.Kind == app.SessionAdmin:
		setSessionCookie(w, r, res.Token, app.AdminSessionTTL)
		s.ssoPage(w, r, "", "/")
	default:
		setUserCookie(w, r, res.Token, app.UserSessionTTL)
		s.ssoPage(w, r, "", "/account")
	}
}

// ssoDone is a small page of ours saying what was done, with a link on.
func (s *Server) ssoDone(w http.ResponseWriter, msg, next string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	next = (&url.URL{Path: next}).String()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Linked</title>` +
		`<main style="font-family:sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem"><h1>Account linked</h1><p role="status">` +
		html.EscapeString(msg) + `</p><p><a href="` + html.EscapeString(next) + `">Back to Rollcall</a></p></main>`))
}

// ssoPage is a small page of ours: a message and a link on, or, without a
// message, a move on at once.
func (s *Server) ssoPage(w http.ResponseWriter, r *http.Request, msg, next string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	next = (&url.URL{Path: next}).String()
	if msg == "" {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=` + html.EscapeString(next) +
			`"><title>Signing in…</title><p>Signing in… <a href="` + html.EscapeString(next) + `">Continue</a></p>`))
		return
	}
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Sign-in refused</title>` +
		`<main style="font-family:sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem"><h1>Not signed in</h1><p role="alert">` +
		html.EscapeString(msg) + `</p><p><a href="` + html.EscapeString(next) + `">Back to the sign-in page</a></p></main>`))
}
