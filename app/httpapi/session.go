package httpapi

import (
	"net/http"
	"time"

	"rollcall/app"
)

const sessionCookie = "rollcall_session"

func sessionToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, token string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		MaxAge: int(maxAge / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// deviceCookie marks a browser on which an account signed in before (a
// known device): random, stored only as a hash bound to each account, and
// not held back by failed sign-ins from elsewhere. One cookie serves
// admins and portal users.
const deviceCookie = "rollcall_device"

func deviceToken(r *http.Request) string {
	c, err := r.Cookie(deviceCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func setDeviceCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: token, Path: "/api/",
		MaxAge: int(app.KnownDeviceTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

type sessionJSON struct {
	// ID is the admin's ID (absent in the desktop window).
	ID       string `json:"id,omitempty"`
	Username string `json:"username"`
	// Name is the admin's display name ("" when none is set).
	Name string `json:"name,omitempty"`
	// Scope says, for a person with an admin role, what they may reach
	// (app.Scope); a server admin has none.
	Scope *app.Scope `json:"scope,omitempty"`
	// TwoStepSetup: two-step sign-in is required for every admin and this
	// one must set it up before anything else (ETWOSTEPSETUP).
	TwoStepSetup bool `json:"two_step_setup_required,omitempty"`
	// Local is true in the desktop window, where nobody signs in.
	Local bool `json:"local"`
	// FailedSignIns counts the failed sign-ins from other places that were
	// forgiven when this session began, from FailedSince on.
	FailedSignIns int        `json:"failed_sign_ins,omitempty"`
	FailedSince   *time.Time `json:"failed_since,omitempty"`
}

// getSession tells the UI who is signed in; 401 when nobody is.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Mode == Desktop {
		writeJSON(w, http.StatusOK, sessionJSON{Username: "this computer", Local: true})
		return
	}
	adm, sess, err := s.app.AdminSession(r.Context(), sessionToken(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := sessionJSON{ID: adm.ID, Username: adm.Username, Name: adm.Name, Scope: adm.Scope, FailedSignIns: sess.FailedSignIns, FailedSince: sess.FailedSince}
	if out.TwoStepSetup, err = s.app.TwoStepSetupNeeded(r.Context(), adm); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// postSession signs an admin in; the token goes only into an HttpOnly cookie.
func (s *Server) postSession(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := decode(w, r, &c); err != nil {
		s.error(w, r, err)
		return
	}
	if s.cfg.Mode == Desktop {
		s.error(w, r, app.Errorf(app.EINVALID, "Nobody signs in to the desktop window."))
		return
	}
	s.signInAdmin(w, r, c, http.StatusOK)
}

// signInAdmin ends any old session of this browser (the ID is renewed at
// sign-in), signs the admin in and sets the session cookie.
func (s *Server) signInAdmin(w http.ResponseWriter, r *http.Request, c credentials, status int) {
	adm, in, err := s.app.SignInAdminFrom(r.Context(), s.signIn(r, c))
	s.signedIn(w, r, adm, in, err, status)
}

// signIn is the sign-in the request asks for with the credentials c.
func (s *Server) signIn(r *http.Request, c credentials) app.SignIn {
	return app.SignIn{Login: c.Username, Password: c.Password, Client: clientAddr(r), Device: deviceToken(r), Previous: sessionToken(r)}
}

// signedIn answers a sign-in: the session and device cookies, the admin.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, adm *app.Admin, in *app.SignedIn, err error, status int) {
	if app.ErrorCode(err) == app.ESECONDFACTOR && in != nil && in.Pending != "" {
		setPendingCookie(w, r, in.Pending, app.PendingSignInTTL) // totp.go: the code comes next
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	setSessionCookie(w, r, in.Token, app.AdminSessionTTL)
	setDeviceCookie(w, r, in.Device)
	out := sessionJSON{ID: adm.ID, Username: adm.Username, Name: adm.Name, Scope: adm.Scope, FailedSignIns: in.Failed}
	if in.Failed > 0 {
		since := in.FailedSince.UTC()
		out.FailedSince = &since
	}
	if out.TwoStepSetup, err = s.app.TwoStepSetupNeeded(r.Context(), adm); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, status, out)
}

// deleteSession signs out: the session ends on the server, the cookie is cleared.
// deleteSession signs the admin out; when the session began at a provider
// that has an end-session address, the answer offers it (200 with
// end_session_url and provider), else 204.
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	end, provider := s.app.SSOEndSession(r.Context(), sessionToken(r))
	if err := s.app.SignOut(r.Context(), sessionToken(r)); err != nil {
		s.error(w, r, err)
		return
	}
	setSessionCookie(w, r, "", -time.Second)
	if end != "" {
		writeJSON(w, http.StatusOK, map[string]string{"end_session_url": end, "provider": provider})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type setupJSON struct {
	// Needed is true while no admin exists.
	Needed bool `json:"needed"`
	// Allowed is true when this request may create the first admin: only
	// from this computer (loopback), so nobody on the network can claim it.
	Allowed bool `json:"allowed"`
}

func (s *Server) setupAllowed(r *http.Request) bool {
	return s.cfg.Mode == Serve && peerAddr(r).IsLoopback()
}

func (s *Server) getSetup(w http.ResponseWriter, r *http.Request) {
	needed, err := s.app.SetupNeeded(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, setupJSON{Needed: needed && s.cfg.Mode == Serve, Allowed: s.setupAllowed(r)})
}

// postSetup creates the first admin and signs them in.
func (s *Server) postSetup(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := decode(w, r, &c); err != nil {
		s.error(w, r, err)
		return
	}
	if !s.setupAllowed(r) {
		s.error(w, r, app.Errorf(app.EFORBIDDEN, "The first admin can only be set up on the computer Rollcall runs on (open http://localhost there), or with `rollcall admin create` there."))
		return
	}
	adm, in, err := s.app.SetUpFirstAdmin(r.Context(), s.signIn(r, c))
	s.signedIn(w, r, adm, in, err, http.StatusCreated)
}

// createAdmin adds an admin: for a signed-in admin, or for `rollcall admin
// create` run beside `serve` with the local token.
func (s *Server) createAdmin(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := decode(w, r, &c); err != nil {
		s.error(w, r, err)
		return
	}
	adm, err := s.app.CreateAdmin(r.Context(), c.Username, c.Password, false)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sessionJSON{Username: adm.Username})
}

// listSignInHolds lists the accounts held back by failed sign-ins.
func (s *Server) listSignInHolds(w http.ResponseWriter, r *http.Request) {
	holds, err := s.app.SignInHolds(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, holds)
}

// deleteSignInHold unlocks an account: its failed sign-ins are forgotten.
func (s *Server) deleteSignInHold(w http.ResponseWriter, r *http.Request) {
	if err := s.app.UnlockSignIn(r.Context(), r.PathValue("account")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sessionRoutes are an admin's own sessions: the list, signing one out,
// and signing out everywhere else. They work during a forced two-step
// setup too.
func (s *Server) sessionRoutes(m *http.ServeMux) {
	m.Handle("GET /api/me/sessions", s.adminSettingUp(s.listMySessions))
	m.Handle("DELETE /api/me/sessions/{session}", s.adminSettingUp(s.endMySession))
	m.Handle("POST /api/me/sessions/sign-out-others", s.adminSettingUp(s.endMyOtherSessions))
}

func (s *Server) listMySessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.MySessions(r.Context(), sessionToken(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
}

func (s *Server) endMySession(w http.ResponseWriter, r *http.Request) {
	if err := s.app.EndMySession(r.Context(), sessionToken(r), r.PathValue("session")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) endMyOtherSessions(w http.ResponseWriter, r *http.Request) {
	n, err := s.app.EndMyOtherSessions(r.Context(), sessionToken(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ended": n})
}
