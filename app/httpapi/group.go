package httpapi

import (
	"net/http"

	"rollcall/app"
)

type groupCreate struct {
	Name               string `json:"name"`
	Kind               string `json:"kind"`
	DefaultAccountType string `json:"default_account_type"`
	DeleteOn           string `json:"delete_on"`
	SignUpChoice       *bool  `json:"signup_choice"`
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := s.app.Groups(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if groups == nil {
		groups = []*app.Group{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups})
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	var in groupCreate
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	g, err := s.app.CreateGroup(r.Context(), r.PathValue("org"), &app.Group{Name: in.Name, Kind: in.Kind, DefaultAccountType: in.DefaultAccountType, DeleteOn: in.DeleteOn, SignUpChoice: in.SignUpChoice})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	g, err := s.app.Group(r.Context(), r.PathValue("org"), r.PathValue("group"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	var upd app.GroupUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	g, err := s.app.UpdateGroup(r.Context(), r.PathValue("org"), r.PathValue("group"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeleteGroup(r.Context(), r.PathValue("org"), r.PathValue("group")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
