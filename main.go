// Command listo serves Listo: the todo API, its account system and the web
// app. Everything happens in app.Run, so the whole program runs in tests.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"listo/app"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr, version)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "listo:", err)
		os.Exit(1)
	}
}
