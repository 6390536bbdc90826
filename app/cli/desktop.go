//go:build desktop

package cli

import (
	"context"
	"net/http"

	"rollcall/app"
	"rollcall/app/desktop"
	"rollcall/app/httpapi"
	"rollcall/frontend"
)

// runDesktop opens the window. The database is opened in the window's
// start-up, so that a run without a display (binding generation) touches nothing.
func (m *Main) runDesktop(ctx context.Context) error {
	return desktop.Run(frontend.Assets(), m.Icon, func() (http.Handler, func() error, error) {
		sys, err := m.start(ctx, "", app.BackupSettings{})
		if err != nil {
			return nil, nil, err
		}
		// The API's assets let "Open sign-up on this network" serve the public pages.
		return sys.serveAPI(httpapi.Config{Mode: httpapi.Desktop}).API(), sys.Close, nil
	}, m.logger())
}
