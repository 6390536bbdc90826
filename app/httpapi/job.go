package httpapi

import (
	"net/http"
)

// jobRoutes serve the progress of long work (hashing a class's passwords,
// an import) for a progress bar, and Cancel. A job's result is fetched from
// the route of the feature that started it.
func (s *Server) jobRoutes(m *http.ServeMux) {
	m.Handle("GET /api/jobs/{job}", s.admin(s.getJob))
	m.Handle("DELETE /api/jobs/{job}", s.admin(s.deleteJob))
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	st, err := s.app.Jobs.StatusFor(ownerOf(r), r.PathValue("job"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// deleteJob cancels a running job, or forgets a finished one and its result
// (which may hold generated passwords).
func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request) {
	if err := s.app.Jobs.CancelFor(ownerOf(r), r.PathValue("job")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
