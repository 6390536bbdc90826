//go:build desktop

package cli

import (
	"context"

	"net/http"

	"rollcall/app/desktop"
	"rollcall/app/httpapi"
	"rollcall/frontend"
)

// runDesktop opens the window. The database is opened in the window's
// start-up, so that a run without a display (binding generation) touches nothing.
func (m *Main) runDesktop(ctx context.Context) error {
	log := m.logger()
	return desktop.Run(frontend.Assets(), m.Icon, func() (http.Handler, func() error, error) {
		db, err := m.openDB("")
		if err != nil {
			return nil, nil, err
		}
		a := m.newApp(db)
		a.Log = log
		// The outbox worker sends invitation mails while the window is open.
		ctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { a.RunOutbox(ctx); close(done) }()
		// Assets let "Open sign-up on this network" serve the public pages.
		srv := httpapi.New(httpapi.Config{App: a, Mode: httpapi.Desktop, Assets: frontend.Assets(), Backup: db.WriteBackup, Log: log})
		// On close: the LAN listener first (it lets sign-ups under way finish,
		// up to httpapi.StopTimeout), then the outbox worker, then the file.
		return srv.API(), func() error {
			if err := srv.StopPublic(); err != nil {
				log.Warn("close sign-up listener", "err", err)
			}
			stop()
			<-done
			return db.Close()
		}, nil
	}, log)
}
