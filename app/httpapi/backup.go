package httpapi

import (
	"fmt"
	"net/http"
)

// getBackup streams a consistent copy of the database file.
func (s *Server) getBackup(w http.ResponseWriter, r *http.Request) {
	name := fmt.Sprintf("rollcall-backup-%s.db", s.app.Now().Format("2006-01-02-1504")) // the app's clock, which tests set
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if _, err := s.cfg.Backup(w); err != nil {
		s.log.Error("backup failed", "err", err) // headers are gone; the client sees a cut stream
	}
}
