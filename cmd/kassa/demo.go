package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/checkout"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/jobs"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/seal"
)

// demo runs a purchase against a running server, or against one it starts
// for the purpose on a temporary database, and prints the order's history.
func demo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "[--url URL --client-id ID --client-secret SECRET]",
		"Run a whole purchase (session, authorization, order, acknowledge, capture, partial refund) and print the order's history; without --url against a server it starts in-process on a temporary database.")
	url := fs.String("url", "", "base URL of a running Kassa (default: start one in-process)")
	id := fs.String("client-id", "", "API client id (with --url)")
	secret := fs.String("client-secret", "", "API client secret (with --url)")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if *url == "" {
		dir, err := os.MkdirTemp("", "kassa-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		base, creds, stop, err := startInProcess(ctx, dir)
		if err != nil {
			return err
		}
		defer stop()
		*url, *id, *secret = base, creds.ClientID, creds.ClientSecret
		fmt.Fprintf(stdout, "Started Kassa in-process at %s\n", base)
	}
	o, err := client.New(*url, *id, *secret).Lifecycle(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Order %s, status %v\n", o.ID, o.Status)
	for i := len(o.Events) - 1; i >= 0; i-- { // the API lists newest first
		e := o.Events[i]
		fmt.Fprintf(stdout, "  %s  %-16s %16s  %s\n", e.CreatedAt, e.Type, e.Amount.FormattedWithCurrency, e.LedgerID)
	}
	return nil
}

// startInProcess serves Kassa on a loopback port over a database in dir.
func startInProcess(ctx context.Context, dir string) (base string, creds *credentials, stop func(), err error) {
	db, err := (&dbFlags{dataDir: dir}).open(ctx, slog.New(slog.DiscardHandler)) // dir is a private temporary directory
	if err != nil {
		return "", nil, nil, err
	}
	creds, err = sandboxCredentials(ctx, db, dir)
	if err == nil && creds == nil {
		err = fmt.Errorf("no sandbox credentials in %s", dir)
	}
	kek, _ := seal.New(seal.Generate()) // the database goes with dir: so does its key
	var signer merchant.Signer
	if err == nil {
		signer, err = provider.LoadSigner(ctx, db, kek)
	}
	if err != nil {
		db.Close()
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return "", nil, nil, err
	}
	base = "http://" + ln.Addr().String()
	log := slog.New(slog.DiscardHandler)
	app := provider.New(log, provider.Config{PublicURL: base, KEK: kek}, db, kassa.SystemClock{}, kassa.RandomIDs{}, signer)
	pages := checkout.New(log, checkout.Config{Sandbox: true}, app)
	hs := &http.Server{Handler: api.NewServer(log, api.Config{Sandbox: true, Pages: []api.Routes{pages}}, app)}
	go hs.Serve(ln)
	numbering, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		jobs.Numbering(app, time.Second).Run(numbering, log)
		close(done)
	}()
	return base, creds, func() { hs.Close(); cancel(); <-done; db.Close() }, nil
}
