// Package frontend holds the built admin UI and public pages (dist, made by
// `make dist` from src and committed), served by both shells.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets is the built frontend: index.html and its assets at the root.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; a missing folder fails the build
	}
	return sub
}
