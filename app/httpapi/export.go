package httpapi

import (
	"bytes"
	"net/http"

	"rollcall/app"
	"rollcall/app/roster"
)

// exportRoutes: the users of an organization, a group or a selection of the
// users list as a file another system imports (Rollcall's CSV or XLSX,
// OneRoster 1.1, Google Workspace, Entra, Moodle), and the one-time
// credentials of a job in the same formats.
//
// The export is a POST although it changes nothing but the audit log: a
// selection of ticked people does not fit an address, and an export hands
// personal data out of Rollcall, so it is recorded (user.export) and
// protected against cross-origin requests like every change. The command
// line reaches it through serve's local token (`rollcall export` while
// serve holds the file), which grants only what reading the file would.
// The credentials download is a GET, as the job's slips and CSV are: the
// job itself is bound to the admin who started it.
func (s *Server) exportRoutes(m *http.ServeMux) {
	m.Handle("POST /api/organizations/{org}/users/export", s.localOrAdmin(s.exportUsers))
	m.Handle("GET /api/jobs/{job}/credentials", s.admin(s.jobCredentials))
}

// exportUsers answers the file of app.ExportRequest (the JSON body).
func (s *Server) exportUsers(w http.ResponseWriter, r *http.Request) {
	var req app.ExportRequest
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	x, err := s.app.ExportUsers(r.Context(), r.PathValue("org"), req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.sendRoster(w, r, x)
}

// jobCredentials answers the accounts of a finished job with their
// passwords: ?format= (app.ExportFormats), &delimiter= and &encoding= for csv.
func (s *Server) jobCredentials(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	x, err := s.app.JobCredentials(r.Context(), ownerOf(r), r.PathValue("job"),
		app.ExportOptions{Format: q.Get("format"), Delimiter: q.Get("delimiter"), Encoding: q.Get("encoding")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.sendRoster(w, r, x)
}

func (s *Server) sendRoster(w http.ResponseWriter, r *http.Request, x *app.Roster) {
	var b bytes.Buffer
	if err := roster.WriteExport(&b, x); err != nil {
		s.error(w, r, err)
		return
	}
	sendFile(w, roster.ExportFileName(x), roster.ExportContentType(x), b.Bytes())
}
