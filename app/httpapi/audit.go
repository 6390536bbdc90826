package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"rollcall/app"
	"rollcall/app/sheet"
)

func (s *Server) auditRoutes(m *http.ServeMux) {
	m.Handle("GET /api/audit", s.admin(s.listAudit))
	m.Handle("GET /api/audit.csv", s.admin(s.auditCSV))
}

// auditQuery reads the filters of the audit page from the query string:
// org, actor, action, person, from and to (dates YYYY-MM-DD, to inclusive,
// in UTC), cursor, limit.
func auditQuery(r *http.Request) (string, app.AuditFilter, error) {
	q := r.URL.Query()
	f := app.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Person: q.Get("person"), Cursor: q.Get("cursor")}
	day := func(field string) (time.Time, error) {
		v := q.Get(field)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return t, app.FieldError(app.EINVALID, field, "%q is not a date; use YYYY-MM-DD.", v)
		}
		return t, nil
	}
	var err error
	if f.From, err = day("from"); err != nil {
		return "", f, err
	}
	if f.To, err = day("to"); err != nil {
		return "", f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the whole last day
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 {
			return "", f, app.FieldError(app.EINVALID, "limit", "The page size must be a positive number.")
		}
	}
	return q.Get("org"), f, nil
}

// listAudit answers a page of the audit log, newest first.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	org, f, err := auditQuery(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	page, err := s.app.AuditLog(r.Context(), org, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// auditCSV answers every entry that passes the filters as a formula-safe CSV.
func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request) {
	org, f, err := auditQuery(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rows, err := s.app.AuditTable(r.Context(), org, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	attachment(w, "rollcall-audit-"+s.app.Now().Format("2006-01-02")+".csv", "text/csv; charset=utf-8")
	sheet.WriteCSV(w, rows)
}
