package httpapi

import (
	"net/http"
)

// jobRoutes serve the progress of long work (hashing a class's passwords,
// an import) for a progress bar, and Cancel. A job's result is fetched from
// the route of the feature that started it.
func (s *Server) jobRoutes(m *http.ServeMux) {
	m.Handle("GET /api/jobs/{job}", s.admin(s.getJob))
	m.Handle("POST /api/jobs/{job}/cancel", s.admin(s.cancelJob))
	m.Handle("DELETE /api/jobs/{job}", s.admin(s.deleteJob))
	m.Handle("GET /api/organizations/{org}/jobs", s.admin(s.recentJobs))
}

// recentJobs lists the requesting admin's jobs in the organization whose
// results (one-time passwords) are still kept, so a page left too early
// can be found again.
func (s *Server) recentJobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.app.RecentJobs(r.Context(), r.PathValue("org"), ownerOf(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	for i := range jobs {
		jobs[i] = jobs[i].Localized(requestLanguage(r))
	}
	writeJSON(w, http.StatusOK, jobs)
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	st, err := s.app.Jobs.StatusFor(ownerOf(r), r.PathValue("job"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st.Localized(requestLanguage(r)))
}

// cancelJob asks a running job to stop and answers its status. A job that
// has already finished keeps its result: the answer then says done (the
// passwords were written and can still be downloaded), failed or cancelled.
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	st, err := s.app.CancelJob(r.Context(), ownerOf(r), r.PathValue("job"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st.Localized(requestLanguage(r)))
}

// deleteJob forgets a finished job and its result (which may hold generated
// passwords); a running job is refused (409): cancel it first.
func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request) {
	if err := s.app.ForgetJob(r.Context(), ownerOf(r), r.PathValue("job")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
