// Package desktop is the thin Wails-only part of Rollcall: it opens the
// window, mounts the one HTTP API in-process for /api/ and binds the few
// native helpers a browser page cannot have (a Save dialog). No business
// method is bound here.
package desktop

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Open opens the database and returns the API handler and a closer. It is
// called in OnStartup, never before wails.Run, so a binding-generation run
// without arguments has no side effects.
type Open func() (api http.Handler, close func() error, err error)

// Run opens the desktop window over the built frontend assets; icon is the
// window icon (PNG) on Linux.
func Run(assets fs.FS, icon []byte, open Open, log *slog.Logger) error {
	w := &window{open: open, log: log}
	return wails.Run(&options.App{
		Title:     "Rollcall",
		Width:     1280,
		Height:    820,
		MinWidth:  900,
		MinHeight: 600,
		AssetServer: &assetserver.Options{
			Assets:     assets,
			Middleware: w.middleware,
		},
		OnStartup:  w.startup,
		OnShutdown: w.shutdown,
		Bind:       []any{&Native{window: w}},
		Linux:      &linux.Options{Icon: icon, ProgramName: "rollcall"},
	})
}

type window struct {
	open  Open
	log   *slog.Logger
	ctx   context.Context
	api   atomic.Pointer[http.Handler]
	close func() error
	err   error
}

func (w *window) startup(ctx context.Context) {
	w.ctx = ctx
	api, closeDB, err := w.open()
	if err != nil {
		w.err = err
		w.log.Error("cannot open the database", "err", err)
		return
	}
	w.close = closeDB
	w.api.Store(&api)
}

func (w *window) shutdown(ctx context.Context) {
	if w.close != nil {
		if err := w.close(); err != nil {
			w.log.Error("close database", "err", err)
		}
	}
}

// middleware sends /api/ to the API handler; everything else to Wails' assets.
func (w *window) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(rw, r)
			return
		}
		if api := w.api.Load(); api != nil {
			(*api).ServeHTTP(rw, r)
			return
		}
		msg := "Rollcall is still starting."
		if w.err != nil {
			msg = w.err.Error()
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(rw, `{"code":"internal","message":%q}`, msg)
	})
}

// Native holds the helpers bound to the window (window.go.desktop.Native).
type Native struct{ window *window }

// SaveFile asks where to save a download and writes it there. data is
// base64. It returns the chosen path, or "" when the person cancelled.
func (n *Native) SaveFile(name, data string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", fmt.Errorf("the download was damaged: %w", err)
	}
	path, err := runtime.SaveFileDialog(n.window.ctx, runtime.SaveDialogOptions{
		DefaultFilename: filepath.Base(name),
		Title:           "Save " + filepath.Base(name),
	})
	if err != nil || path == "" {
		return "", err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("could not save %s: %w", path, err)
	}
	return path, nil
}
