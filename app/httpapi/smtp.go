package httpapi

import (
	"net/http"

	"rollcall/app"
)

func (s *Server) smtpRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/smtp", s.admin(s.getSMTP))
	m.Handle("PUT /api/organizations/{org}/smtp", s.admin(s.putSMTP))
	m.Handle("POST /api/organizations/{org}/smtp/test", s.admin(s.testSMTP))
}

func (s *Server) getSMTP(w http.ResponseWriter, r *http.Request) {
	v, err := s.app.SMTP(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// putSMTP saves relay settings; an absent password keeps the stored one.
func (s *Server) putSMTP(w http.ResponseWriter, r *http.Request) {
	var upd app.SMTPUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	v, err := s.app.SetSMTP(r.Context(), r.PathValue("org"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

type smtpTest struct {
	To string `json:"to"`
}

// testSMTP sends a test message at once. A delivery failure is an answer,
// not an error: 200 with ok=false and exactly what the server said.
func (s *Server) testSMTP(w http.ResponseWriter, r *http.Request) {
	var in smtpTest
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.TestSMTP(r.Context(), r.PathValue("org"), in.To)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res.Localized(requestLanguage(r)))
}
