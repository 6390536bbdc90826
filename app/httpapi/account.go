package httpapi

import (
	"bytes"
	"net/http"
	"strconv"

	"rollcall/app"
	"rollcall/app/slips"
)

// accountRoutes: accounts for pupils without email, made in a batch from
// pasted names, and password resets; both run as jobs (progress and cancel
// at /api/jobs/{job}) whose result — the one-time passwords — is fetched
// as slips, a class sheet or a CSV until the job is deleted or expires.
func (s *Server) accountRoutes(m *http.ServeMux) {
	m.Handle("POST /api/organizations/{org}/accounts/parse", s.admin(s.parseAccounts))
	m.Handle("POST /api/organizations/{org}/accounts/preview", s.admin(s.previewAccounts))
	m.Handle("POST /api/organizations/{org}/accounts", s.admin(s.createAccounts))
	m.Handle("POST /api/organizations/{org}/accounts/reset", s.admin(s.resetPasswords))
	m.Handle("GET /api/jobs/{job}/slips", s.admin(s.accountFile(slips.FileSlips)))
	m.Handle("GET /api/jobs/{job}/sheet", s.admin(s.accountFile(slips.FileSheet)))
	m.Handle("GET /api/jobs/{job}/csv", s.admin(s.accountFile(slips.FileCSV)))
}

// accountBatchIn is a batch as the UI sends it: the pasted text (parsed
// here) or people already parsed, usernames edited in the preview by line
// number, and the batch settings.
type accountBatchIn struct {
	app.AccountBatch
	Text string `json:"text"`
	// Usernames maps a line number ("3") to the username a person typed over
	// the generated one in the preview.
	Usernames map[string]string `json:"usernames"`
}

func (in *accountBatchIn) batch() app.AccountBatch {
	b := in.AccountBatch
	if in.Text != "" {
		b.People = app.ParseNames(in.Text)
	}
	for i := range b.People {
		if u, ok := in.Usernames[strconv.Itoa(b.People[i].Line)]; ok && u != "" {
			b.People[i].Username = u
		}
	}
	return b
}

// parseAccounts shows how each pasted line is understood: {people: [...]}.
func (s *Server) parseAccounts(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text string `json:"text"`
	}
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	people := app.ParseNames(in.Text)
	if people == nil {
		people = []app.NameLine{}
	}
	for i := range people {
		redact(&people[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": people})
}

func (s *Server) previewAccounts(w http.ResponseWriter, r *http.Request) {
	var in accountBatchIn
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.app.PreviewAccounts(r.Context(), r.PathValue("org"), in.batch())
	if err != nil {
		s.error(w, r, err)
		return
	}
	for i := range p.Rows {
		redact(&p.Rows[i].NameLine)
	}
	writeJSON(w, http.StatusOK, p.Localized(requestLanguage(r)))
}

// redact replaces a pasted password by has_password in an answer: the
// password stays in the text the browser sends, never in what it gets back
// (where it could be logged, cached or shown).
func redact(l *app.NameLine) {
	if l.Password != "" {
		l.Password, l.HasPassword = "", true
	}
}

// createAccounts checks the batch (a batch with problems is refused at once,
// with one detail per line) and starts creating it; the answer is the job.
func (s *Server) createAccounts(w http.ResponseWriter, r *http.Request) {
	var in accountBatchIn
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	st, err := s.app.StartAccounts(r.Context(), r.PathValue("org"), ownerOf(r), in.batch())
	s.writeJob(w, r, st, err)
}

func (s *Server) resetPasswords(w http.ResponseWriter, r *http.Request) {
	var req app.ResetRequest
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	st, err := s.app.StartResetPasswords(r.Context(), r.PathValue("org"), ownerOf(r), req)
	s.writeJob(w, r, st, err)
}

// writeJob answers 202 with a started job's status. The job is bound to
// the requesting admin: its passwords are for no other admin's eyes.
func (s *Server) writeJob(w http.ResponseWriter, r *http.Request, st app.JobStatus, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, st.Localized(requestLanguage(r)))
}

// accountFile serves a finished account job's slips (?paper=a4|letter
// &layout=cutlines|avery), class sheet (?paper=) or CSV as a download.
func (s *Server) accountFile(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := s.app.Jobs.ResultFor(ownerOf(r), r.PathValue("job"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		res, ok := v.(*app.AccountResult)
		if !ok {
			s.error(w, r, app.Errorf(app.ENOTFOUND, "This job has no accounts to print."))
			return
		}
		q := r.URL.Query()
		o := slips.Options{Paper: q.Get("paper"), Layout: q.Get("layout"), Now: s.app.Now()}
		if err := o.Check(); err != nil {
			s.error(w, r, err)
			return
		}
		var b bytes.Buffer
		if err := slips.Write(&b, kind, res, o); err != nil {
			s.error(w, r, err)
			return
		}
		sendFile(w, slips.FileName(kind, res, o.Now), "", b.Bytes())
	}
}
