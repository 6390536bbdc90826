package httpapi

import (
	"net/http"
	"time"

	"rollcall/app"
)

// The public half of the set-password links (a reset asked for on the
// sign-in page, or an admin's activation mail), the admin's activation
// mail, and the sign-in page's options for an organization.
func (s *Server) passwordResetRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /api/public/password-reset", s.requestPasswordReset)
	m.HandleFunc("POST /api/public/password-reset/info", s.passwordResetInfo)
	m.HandleFunc("POST /api/public/password-reset/confirm", s.resetPassword)
	m.HandleFunc("GET /api/public/organizations/{slug}/signin", s.signInOptions)
	m.Handle("POST /api/organizations/{org}/users/{user}/activation", s.admin(s.sendActivation))
}

// requestPasswordReset answers 202 with the same words whether or not a
// mail was queued.
func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.app.RequestPasswordReset(r.Context(), in.Email, clientAddr(r)); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"message": app.ResetRequested})
}

func (s *Server) passwordResetInfo(w http.ResponseWriter, r *http.Request) {
	var in tokenJSON
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	page, err := s.app.PasswordResetPage(r.Context(), in.Token)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.ResetPassword(r.Context(), in.Token, in.Password)
	if err != nil {
		s.error(w, r, err)
		return
	}
	// Any portal session of this browser is over, as all of the person's are.
	setUserCookie(w, r, "", -time.Second)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) signInOptions(w http.ResponseWriter, r *http.Request) {
	opt, err := s.app.SignInOptionsOf(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, opt)
}

func (s *Server) sendActivation(w http.ResponseWriter, r *http.Request) {
	u, err := s.app.SendActivation(r.Context(), r.PathValue("org"), r.PathValue("user"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
