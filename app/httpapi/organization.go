package httpapi

import (
	"net/http"

	"rollcall/app"
)

// organizationJSON adds what the UI needs to show an organization's forms.
type organizationJSON struct {
	*app.Organization
	AccountTypes []string `json:"account_types"`
	PolicyText   string   `json:"password_policy_text"`
}

func orgJSON(o *app.Organization) organizationJSON {
	return organizationJSON{o, o.AccountTypes(), o.PasswordPolicy.String()}
}

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) {
	orgs, err := s.app.Organizations(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]organizationJSON, len(orgs))
	for i, o := range orgs {
		out[i] = orgJSON(o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"organizations": out})
}

type organizationCreate struct {
	Name      string `json:"name"`
	Slug      string `json:"slug"`
	Kind      string `json:"kind"`
	Language  string `json:"language"`
	PublicURL string `json:"public_url"`
}

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) {
	var in organizationCreate
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	o, err := s.app.CreateOrganization(r.Context(), &app.Organization{Name: in.Name, Slug: in.Slug, Kind: in.Kind, Language: in.Language, PublicURL: in.PublicURL})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, orgJSON(o))
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) {
	o, err := s.app.ViewOrganization(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, orgJSON(o))
}

func (s *Server) updateOrganization(w http.ResponseWriter, r *http.Request) {
	var upd app.OrganizationUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	o, err := s.app.UpdateOrganization(r.Context(), r.PathValue("org"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, orgJSON(o))
}
