package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"rollcall/app"
)

// getBackup streams a consistent copy of the database file.
func (s *Server) getBackup(w http.ResponseWriter, r *http.Request) {
	name := fmt.Sprintf("rollcall-backup-%s.db", s.app.Now().Format("2006-01-02-1504")) // the app's clock, which tests set
	attachment(w, name, "")
	setLength := func(n int64) { w.Header().Set("Content-Length", strconv.FormatInt(n, 10)) }
	started := false
	_, err := s.app.Backup(r.Context(), func() (int64, error) { started = true; return s.cfg.Backup(w, setLength) })
	if err != nil && !started { // refused before a byte was written
		w.Header().Del("Content-Disposition")
		s.error(w, r, err)
		return
	}
	if err != nil {
		// The headers are gone; with Content-Length set the client sees a
		// copy shorter than announced and refuses it.
		s.log.Error("backup failed", "err", err)
	}
}

func (s *Server) backupRoutes(m *http.ServeMux) {
	m.Handle("GET /api/backups", s.admin(s.listBackups))
	m.Handle("POST /api/backups", s.admin(s.createBackup))
	m.Handle("POST /api/backups/restore", s.admin(s.restoreUpload))
	m.Handle("POST /api/backups/{name}/restore", s.admin(s.restoreBackup))
	m.Handle("POST /api/backups/compact", s.admin(s.compactDatabase))
}

// compactDatabase is "Compact now": the file rewritten with its live pages only.
func (s *Server) compactDatabase(w http.ResponseWriter, r *http.Request) {
	c, err := s.app.CompactDatabase(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.ListBackups(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// createBackup is "Back up now": a backup in the server's backup folder.
func (s *Server) createBackup(w http.ResponseWriter, r *http.Request) {
	b, err := s.app.BackUp(r.Context(), app.BackupManual)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

func (s *Server) restoreBackup(w http.ResponseWriter, r *http.Request) {
	res, err := s.app.RestoreBackup(r.Context(), r.PathValue("name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// restoreUpload restores the backup file that is the request's body.
func (s *Server) restoreUpload(w http.ResponseWriter, r *http.Request) {
	res, err := s.app.RestoreUpload(r.Context(), http.MaxBytesReader(w, r.Body, app.MaxRestoreBytes))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
