package httpapi

import "net/http"

// adminRoutes manage the admins who sign in under serve. {admin} is an ID
// or a username. The local token reaches them too, for `rollcall admin ...`
// run beside serve.
func (s *Server) adminRoutes(m *http.ServeMux) {
	m.Handle("GET /api/admins", s.admin(s.listAdmins))
	m.Handle("PUT /api/admins/{admin}/password", s.localOrAdmin(s.setAdminPassword))
	m.Handle("PUT /api/admins/{admin}/name", s.localOrAdmin(s.setAdminName))
	m.Handle("POST /api/admins/{admin}/disable", s.localOrAdmin(s.setAdminDisabled(true)))
	m.Handle("POST /api/admins/{admin}/enable", s.localOrAdmin(s.setAdminDisabled(false)))
	m.Handle("DELETE /api/admins/{admin}", s.localOrAdmin(s.deleteAdmin))
}

func (s *Server) listAdmins(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.Admins(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"admins": list})
}

func (s *Server) setAdminPassword(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	actor := ""
	if adm := adminFrom(r.Context()); adm != nil {
		actor = adm.ID
	}
	adm, err := s.app.SetAdminPassword(r.Context(), actor, r.PathValue("admin"), body.Password)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, adm)
}

func (s *Server) setAdminDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		adm, err := s.app.SetAdminDisabled(r.Context(), r.PathValue("admin"), disabled)
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, adm)
	}
}

func (s *Server) deleteAdmin(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeleteAdmin(r.Context(), r.PathValue("admin")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setAdminName sets an admin's display name (their own, or another's).
func (s *Server) setAdminName(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	adm, err := s.app.SetAdminName(r.Context(), r.PathValue("admin"), body.Name)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, adm)
}
