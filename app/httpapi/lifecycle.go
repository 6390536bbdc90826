package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"rollcall/app"
	"rollcall/app/personpdf"
)

// lifecycleRoutes: what the users page shows of coming deletions, and one
// person's export (JSON or a one-page PDF) and erasure.
func (s *Server) lifecycleRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/deletions", s.admin(s.getDeletions))
	m.Handle("GET /api/organizations/{org}/users/{user}/export", s.admin(s.exportUser))
	m.Handle("POST /api/organizations/{org}/users/{user}/erase", s.admin(s.eraseUser))
}

func (s *Server) getDeletions(w http.ResponseWriter, r *http.Request) {
	sum, err := s.app.Deletions(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// exportUser sends everything about one person as a download:
// ?format=json (the default) or ?format=pdf.
func (s *Server) exportUser(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "pdf" {
		s.error(w, r, app.FieldError(app.EINVALID, "format", "The format must be json or pdf."))
		return
	}
	x, err := s.app.ExportUser(r.Context(), r.PathValue("org"), r.PathValue("user"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	var b bytes.Buffer
	if format == "pdf" {
		if err := personpdf.Write(&b, x); err != nil {
			s.error(w, r, err)
			return
		}
		sendFile(w, personpdf.FileName(x, ".pdf"), "", b.Bytes())
		return
	}
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		s.error(w, r, err)
		return
	}
	sendFile(w, personpdf.FileName(x, ".json"), "application/json; charset=utf-8", b.Bytes())
}

// eraseUser purges one person at once; the body {"confirm": USERNAME} is
// the username as the admin typed it.
func (s *Server) eraseUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.app.EraseUser(r.Context(), r.PathValue("org"), r.PathValue("user"), in.Confirm); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
