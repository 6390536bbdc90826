package httpapi

import (
	"net/http"
	"sync"

	"rollcall/app"
	"rollcall/app/oidcprovider"
)

// Connected apps (Rollcall as an OpenID Connect provider). The protocol's
// own endpoints (discovery, /oidc/...) are not under /api: Handler mounts
// them beside it. Under /api are the admin pages' routes and the portal's
// step that completes an app's sign-in.
func (s *Server) oidcRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/apps", s.admin(s.listApps))
	m.Handle("POST /api/organizations/{org}/apps", s.admin(s.addApp))
	m.Handle("DELETE /api/organizations/{org}/apps/{app}", s.admin(s.removeApp))
	m.Handle("POST /api/oidc/rotate-key", s.admin(s.rotateOIDCKey))
	m.HandleFunc("GET /api/public/app-signin/{id}", s.getAppSignIn)
	m.HandleFunc("POST /api/public/app-signin/{id}", s.completeAppSignIn)
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) {
	apps, err := s.app.ConnectedApps(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	// issuer is the fixed address (serve --oidc-issuer), "" when the
	// issuer is the address the app reaches Rollcall by: the page shows
	// the discovery URL to paste into an app.
	writeJSON(w, http.StatusOK, map[string]any{"apps": apps, "issuer": s.cfg.Issuer})
}

// newAppJSON is a registered app with its secret, the one time it is shown.
type newAppJSON struct {
	App    *app.ConnectedApp `json:"app"`
	Secret string            `json:"secret"`
}

func (s *Server) addApp(w http.ResponseWriter, r *http.Request) {
	var in app.NewConnectedApp
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	c, secret, err := s.app.AddConnectedApp(r.Context(), r.PathValue("org"), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newAppJSON{App: c, Secret: secret})
}

func (s *Server) removeApp(w http.ResponseWriter, r *http.Request) {
	if err := s.app.RemoveConnectedApp(r.Context(), r.PathValue("org"), r.PathValue("app")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rotateOIDCKey(w http.ResponseWriter, r *http.Request) {
	id, err := s.app.RotateSigningKey(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key_id": id})
}

func (s *Server) getAppSignIn(w http.ResponseWriter, r *http.Request) {
	page, err := s.app.AppSignInFor(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// completeAppSignIn finishes an app's sign-in for the person signed in to
// the portal and tells the page where to go: the provider's callback, which
// sends the code to the app.
func (s *Server) completeAppSignIn(w http.ResponseWriter, r *http.Request) {
	req, err := s.app.CompleteAppSignIn(r.Context(), userToken(r), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": oidcprovider.CallbackURL(req.ID)})
}

// oidcProvider is the OpenID provider, built at its first request (it makes
// its keys then); a failure (no key file) is tried again next time.
type oidcProvider struct {
	mu sync.Mutex
	h  http.Handler
}

func (s *Server) serveOIDC(w http.ResponseWriter, r *http.Request) {
	p := &s.oidc
	p.mu.Lock()
	if p.h == nil {
		prov, err := oidcprovider.New(r.Context(), s.app, s.cfg.Issuer)
		if err != nil {
			p.mu.Unlock()
			s.error(w, r, err)
			return
		}
		p.h = prov
	}
	h := p.h
	p.mu.Unlock()
	// An app's sign-out ends this browser's portal session too, when it is
	// the same person's (app.EndAppSession).
	h.ServeHTTP(w, r.WithContext(oidcprovider.WithPortalSession(r.Context(), userToken(r))))
}
