// Command rollcall adds people to an organization: a desktop window on a
// laptop, or `rollcall serve` on the school network, over one bbolt file.
// Everything it does lives in rollcall/app/cli.
package main

import (
	"context"
	_ "embed"
	"os"
	"os/signal"
	"syscall"

	"rollcall/app/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// icon is the desktop window's icon (Linux).
//
//go:embed build/appicon.png
var icon []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.New(version, icon).Run(ctx, os.Args[1:]))
}
