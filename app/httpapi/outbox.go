package httpapi

import (
	"net/http"

	"rollcall/app"
)

func (s *Server) outboxRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/outbox", s.admin(s.getOutbox))
	m.Handle("POST /api/organizations/{org}/outbox/retry", s.admin(s.retryOutbox))
	m.Handle("POST /api/organizations/{org}/outbox/{message}/retry", s.admin(s.retryOutbox))
}

type outboxJSON struct {
	Messages []*app.OutboxMessage `json:"messages"`
	Summary  *app.OutboxSummary   `json:"summary"`
}

func (s *Server) getOutbox(w http.ResponseWriter, r *http.Request) {
	msgs, sum, err := s.app.Outbox(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	// The reasons are kept in English and put into the asker's language
	// here (each one a message of the error catalogues).
	lang := requestLanguage(r)
	for i, m := range msgs {
		if m.LastError != "" {
			c := *m
			c.LastError = app.LocalizeText(m.LastError, lang)
			msgs[i] = &c
		}
	}
	if sum != nil && sum.Relay.Error != "" {
		c := *sum
		c.Relay.Error = app.LocalizeText(sum.Relay.Error, lang)
		sum = &c
	}
	writeJSON(w, http.StatusOK, outboxJSON{Messages: msgs, Summary: sum})
}

type countJSON struct {
	Count int `json:"count"`
}

// retryOutbox makes the queued messages (or one) due now and wakes the worker.
func (s *Server) retryOutbox(w http.ResponseWriter, r *http.Request) {
	n, err := s.app.RetryOutbox(r.Context(), r.PathValue("org"), r.PathValue("message"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, countJSON{Count: n})
}
