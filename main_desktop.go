//go:build desktop

package main

import (
	"context"
	_ "embed"
	"net/http"

	"rollcall/app/desktop"
	"rollcall/app/httpapi"
)

//go:embed build/appicon.png
var appIcon []byte

// runDesktop opens the window. The database is opened in the window's
// start-up, so that a run without a display (binding generation) touches nothing.
func (m *Main) runDesktop(ctx context.Context) error {
	log := m.logger()
	return desktop.Run(assets(), appIcon, func() (http.Handler, func() error, error) {
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
		srv := httpapi.New(httpapi.Config{App: a, Mode: httpapi.Desktop, Assets: assets(), Backup: db.WriteBackup, Log: log})
		return srv.API(), func() error { srv.StopPublic(); stop(); <-done; return db.Close() }, nil
	}, log)
}
