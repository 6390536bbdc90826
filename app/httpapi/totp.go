package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"rollcall/app"
	"rollcall/app/qr"
)

// Two-step sign-in (app/totp.go): the second request of a sign-in, an
// admin's own two-step settings (an admin account's or a person's with an
// admin role), another admin's or person's reset, and the server-wide rule
// that every admin must use it.
func (s *Server) twoStepRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /api/session/second-factor", s.postSecondFactor)

	m.Handle("GET /api/me/two-step", s.adminSettingUp(s.getTwoStep))
	m.Handle("POST /api/me/two-step/setup", s.adminSettingUp(s.startTwoStep))
	m.Handle("POST /api/me/two-step/confirm", s.adminSettingUp(s.confirmTwoStep))
	m.Handle("POST /api/me/two-step/off", s.admin(s.turnOffMyTwoStep))
	m.Handle("POST /api/me/two-step/recovery-codes", s.admin(s.newRecoveryCodes))
	m.Handle("DELETE /api/admins/{admin}/two-step", s.localOrAdmin(s.resetTwoStep))
	m.Handle("DELETE /api/organizations/{org}/users/{user}/two-step", s.admin(s.resetUserTwoStep))

	m.Handle("GET /api/security", s.admin(s.getSecurity))
	m.Handle("PUT /api/security", s.admin(s.putSecurity))
}

// pendingCookie carries a pending two-step sign-in from the password to the
// code. It is HttpOnly (a script on the page cannot read it, unlike a token
// in the answer's body), sent only to /api/session..., SameSite=Strict,
// and lives PendingSignInTTL; the server keeps only its SHA-256, under a
// session kind no other check accepts.
const pendingCookie = "rollcall_signin"

func setPendingCookie(w http.ResponseWriter, r *http.Request, token string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: pendingCookie, Value: token, Path: "/api/session",
		MaxAge: int(maxAge / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// adminSettingUp is admin for the routes an admin may use while two-step
// sign-in is required and they have not set it up yet: their own two-step
// setup and sessions (app.AdminSession, without AdminBySession's gate).
func (s *Server) adminSettingUp(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Mode == Desktop {
			h(w, r.WithContext(app.WithActor(r.Context(), app.DesktopActor)))
			return
		}
		adm, _, err := s.app.AdminSession(r.Context(), sessionToken(r))
		if err != nil {
			s.error(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), adminKey, adm)
		h(w, r.WithContext(app.WithActor(ctx, app.AdminActor(adm))))
	})
}

var errNobodySignsIn = app.Errorf(app.EINVALID, "Nobody signs in to the desktop window, so it has no two-step sign-in.")

// me is the signed-in admin, or the desktop window's refusal.
func me(r *http.Request) (*app.Admin, error) {
	if adm := adminFrom(r.Context()); adm != nil {
		return adm, nil
	}
	return nil, errNobodySignsIn
}

type codeJSON struct {
	Code string `json:"code"`
}

// postSecondFactor finishes a two-step sign-in: the pending cookie from the
// password and the code. On success it is cleared and the session starts.
func (s *Server) postSecondFactor(w http.ResponseWriter, r *http.Request) {
	var c codeJSON
	if err := decode(w, r, &c); err != nil {
		s.error(w, r, err)
		return
	}
	pending := ""
	if ck, err := r.Cookie(pendingCookie); err == nil {
		pending = ck.Value
	}
	adm, in, err := s.app.CompleteSignIn(r.Context(), app.SecondStep{Pending: pending, Code: c.Code, Client: clientAddr(r), Device: deviceToken(r)})
	if err == nil {
		setPendingCookie(w, r, "", -time.Second)
	}
	s.signedIn(w, r, adm, in, err, http.StatusOK)
}

func (s *Server) getTwoStep(w http.ResponseWriter, r *http.Request) {
	adm, err := me(r)
	if err == nil {
		var st *app.TwoStepStatus
		if st, err = s.app.TwoStepStatusOf(r.Context(), adm.ID); err == nil {
			writeJSON(w, http.StatusOK, st)
			return
		}
	}
	s.error(w, r, err)
}

type twoStepSetupJSON struct {
	app.TwoStepSetup
	// QR is the otpauth:// address as a PNG data: URL, for the phone's camera.
	QR string `json:"qr"`
}

func (s *Server) startTwoStep(w http.ResponseWriter, r *http.Request) {
	adm, err := me(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	setup, err := s.app.StartTwoStep(r.Context(), adm.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	png, err := qr.PNG(setup.URL, 256)
	if err != nil { // its message would hold the secret: never logged
		s.error(w, r, errors.New("the two-step QR code could not be drawn"))
		return
	}
	writeJSON(w, http.StatusOK, twoStepSetupJSON{TwoStepSetup: *setup, QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
}

type recoveryCodesJSON struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Server) confirmTwoStep(w http.ResponseWriter, r *http.Request) {
	var c codeJSON
	adm, err := me(r)
	if err == nil {
		err = decode(w, r, &c)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	codes, err := s.app.ConfirmTwoStep(r.Context(), adm.ID, c.Code)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, recoveryCodesJSON{codes})
}

func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	var c codeJSON
	adm, err := me(r)
	if err == nil {
		err = decode(w, r, &c)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	codes, err := s.app.NewRecoveryCodes(r.Context(), adm.ID, c.Code, app.SignIn{Client: clientAddr(r), Device: deviceToken(r)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, recoveryCodesJSON{codes})
}

func (s *Server) turnOffMyTwoStep(w http.ResponseWriter, r *http.Request) {
	var c codeJSON
	adm, err := me(r)
	if err == nil {
		err = decode(w, r, &c)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.app.TurnOffTwoStep(r.Context(), adm.ID, adm.ID, c.Code, app.SignIn{Client: clientAddr(r), Device: deviceToken(r)}); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// resetTwoStep turns another admin's two-step sign-in off (a lost phone).
func (s *Server) resetTwoStep(w http.ResponseWriter, r *http.Request) {
	actor := ""
	if adm := adminFrom(r.Context()); adm != nil {
		actor = adm.ID
	}
	adm, err := s.app.TurnOffTwoStep(r.Context(), actor, r.PathValue("admin"), "", app.SignIn{Client: clientAddr(r), Device: deviceToken(r)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, adm)
}

// resetUserTwoStep turns a person's two-step sign-in off (a lost phone):
// for their organization's admin or a server admin.
func (s *Server) resetUserTwoStep(w http.ResponseWriter, r *http.Request) {
	u, err := s.app.ResetUserTwoStep(r.Context(), r.PathValue("org"), r.PathValue("user"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) getSecurity(w http.ResponseWriter, r *http.Request) {
	st, err := s.app.Security(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) putSecurity(w http.ResponseWriter, r *http.Request) {
	var body app.SecuritySettings
	if err := decode(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	st, err := s.app.SetSecurity(r.Context(), body)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
