package httpapi

import (
	"net/http"
	"time"

	"rollcall/app"
)

// userCookie holds a portal user's session; separate from the admin cookie
// so one browser can hold both.
const userCookie = "rollcall_user"

func (s *Server) portalRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /api/public/signin", s.userSignIn)
	m.HandleFunc("POST /api/public/signout", s.userSignOut)
	m.HandleFunc("GET /api/public/account", s.getAccount)
	m.HandleFunc("POST /api/public/account/password", s.changePassword)
	m.HandleFunc("GET /api/public/account/new-password", s.getPasswordChange)
	m.HandleFunc("POST /api/public/account/new-password", s.chooseNewPassword)
}

func userToken(r *http.Request) string {
	c, err := r.Cookie(userCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func setUserCookie(w http.ResponseWriter, r *http.Request, token string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: userCookie, Value: token, Path: "/",
		MaxAge: int(maxAge / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

type userCredentials struct {
	// Login is a username or an email address.
	Login    string `json:"login"`
	Password string `json:"password"`
}

func (s *Server) userSignIn(w http.ResponseWriter, r *http.Request) {
	var c userCredentials
	if err := decode(w, r, &c); err != nil {
		s.error(w, r, err)
		return
	}
	acc, in, err := s.app.SignInToPortal(r.Context(), app.SignIn{Login: c.Login, Password: c.Password,
		Client: clientAddr(r), Device: deviceToken(r), Previous: userToken(r)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	setUserCookie(w, r, in.Token, app.UserSessionTTL)
	setDeviceCookie(w, r, in.Device)
	writeJSON(w, http.StatusOK, acc)
}

// userSignOut ends the portal session; when it began at a provider that
// has an end-session address, the answer offers it (200 with
// end_session_url), else 204.
func (s *Server) userSignOut(w http.ResponseWriter, r *http.Request) {
	end, provider := s.app.SSOEndSession(r.Context(), userToken(r))
	if err := s.app.SignOut(r.Context(), userToken(r)); err != nil {
		s.error(w, r, err)
		return
	}
	setUserCookie(w, r, "", -time.Second)
	if end != "" {
		writeJSON(w, http.StatusOK, map[string]string{"end_session_url": end, "provider": provider})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	acc, err := s.app.Account(r.Context(), userToken(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, acc)
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var in passwordChange
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	token, err := s.app.ChangeMyPassword(r.Context(), userToken(r), in.CurrentPassword, in.NewPassword, clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	setUserCookie(w, r, token, app.UserSessionTTL)
	w.WriteHeader(http.StatusNoContent)
}

// getPasswordChange is the screen of a user who must choose a new password
// (its suggestion is made for this answer only; /api/ is never cached).
func (s *Server) getPasswordChange(w http.ResponseWriter, r *http.Request) {
	form, err := s.app.PasswordChange(r.Context(), userToken(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, form)
}

type newPassword struct {
	Password string `json:"password"`
}

func (s *Server) chooseNewPassword(w http.ResponseWriter, r *http.Request) {
	var in newPassword
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	token, err := s.app.ChooseNewPassword(r.Context(), userToken(r), in.Password)
	if err != nil {
		s.error(w, r, err)
		return
	}
	setUserCookie(w, r, token, app.UserSessionTTL)
	w.WriteHeader(http.StatusNoContent)
}
