package httpapi

import (
	"net/http"

	"rollcall/app"
)

// SMS: the organization's gateway (admin), and the public step of a
// sign-up with username and phone that takes the code sent by SMS.
func (s *Server) smsRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/sms", s.admin(s.getSMS))
	m.Handle("PUT /api/organizations/{org}/sms", s.admin(s.putSMS))
	m.Handle("POST /api/organizations/{org}/sms/test", s.admin(s.testSMS))
	m.HandleFunc("POST /api/public/signup/phone", s.verifyPhoneSignUp)
	m.HandleFunc("POST /api/public/activation-code", s.redeemActivationCode)
}

func (s *Server) getSMS(w http.ResponseWriter, r *http.Request) {
	v, err := s.app.SMS(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// putSMS saves gateway settings; an absent secret keeps the stored one.
func (s *Server) putSMS(w http.ResponseWriter, r *http.Request) {
	var upd app.SMSUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	v, err := s.app.SetSMS(r.Context(), r.PathValue("org"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

type smsTest struct {
	To string `json:"to"`
}

// testSMS sends a test SMS at once. A refusal is an answer, not an error:
// 200 with ok=false and what the gateway said.
func (s *Server) testSMS(w http.ResponseWriter, r *http.Request) {
	var in smsTest
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.TestSMS(r.Context(), r.PathValue("org"), in.To)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res.Localized(requestLanguage(r)))
}

type phoneCode struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

// verifyPhoneSignUp takes the code typed for a sign-up waiting for its
// phone; a right one makes the account (201, as a sign-up).
func (s *Server) verifyPhoneSignUp(w http.ResponseWriter, r *http.Request) {
	var in phoneCode
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.VerifyPhoneSignUp(r.Context(), in.ID, in.Code, clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

type activationCode struct {
	Login string `json:"login"`
	Code  string `json:"code"`
}

type setPasswordToken struct {
	Token string `json:"token"`
}

// redeemActivationCode takes the code of an activation SMS typed on
// /signin and answers a one-time token for the set-password page
// (/reset/{token}), in the body only.
func (s *Server) redeemActivationCode(w http.ResponseWriter, r *http.Request) {
	var in activationCode
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	token, err := s.app.RedeemActivationCode(r.Context(), in.Login, in.Code, clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, setPasswordToken{Token: token})
}
