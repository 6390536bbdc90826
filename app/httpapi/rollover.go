package httpapi

import (
	"net/http"

	"rollcall/app"
)

func (s *Server) rolloverRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/rollover", s.admin(s.suggestRollover))
	m.Handle("POST /api/organizations/{org}/rollover/preview", s.admin(s.previewRollover))
	m.Handle("POST /api/organizations/{org}/rollover", s.admin(s.rollover))
}

// suggestRollover answers the suggested plan: every class with its next class.
func (s *Server) suggestRollover(w http.ResponseWriter, r *http.Request) {
	plan, err := s.app.SuggestRollover(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, plan)
}

func (s *Server) previewRollover(w http.ResponseWriter, r *http.Request) {
	var plan app.RolloverPlan
	if err := decode(w, r, &plan); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.app.PreviewRollover(r.Context(), r.PathValue("org"), plan)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) rollover(w http.ResponseWriter, r *http.Request) {
	var plan app.RolloverPlan
	if err := decode(w, r, &plan); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.Rollover(r.Context(), r.PathValue("org"), plan)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
