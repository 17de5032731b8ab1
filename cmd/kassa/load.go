package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/load"
)

// loadCmd is the project's load tool: whole purchases against running
// servers (several replicas: a comma-separated --url), at a concurrency,
// for a while; it prints flows/s and each operation's p50 and p99.
func loadCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("load", "--url URL[,URL…] --client-id ID --client-secret SECRET [--concurrency N] [--duration D] [--flows N]",
		"Run whole purchases against running servers at a concurrency, and print flows a second and each operation's p50 and p99.")
	urls := fs.String("url", or(getenv("KASSA_URL"), "http://127.0.0.1:8080"), "base URL of the server; several comma-separated for replicas (KASSA_URL)")
	id := fs.String("client-id", getenv("KASSA_CLIENT_ID"), "API client ID (KASSA_CLIENT_ID)")
	secret := fs.String("client-secret", getenv("KASSA_CLIENT_SECRET"), "API client secret (KASSA_CLIENT_SECRET)")
	conc := fs.Int("concurrency", 16, "purchases in flight at once")
	d := fs.Duration("duration", 30*time.Second, "how long to run at most")
	flows := fs.Int("flows", 0, "stop after this many purchases (0: run for --duration)")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if *id == "" || *secret == "" {
		return errors.New("--client-id and --client-secret are required (kassa serve prints the sandbox merchant's)")
	}
	if *conc < 1 || *d <= 0 || *flows < 0 {
		return errors.New("--concurrency and --duration must be positive, --flows not negative")
	}
	rec := load.NewRecorder(&http.Transport{MaxIdleConnsPerHost: *conc})
	var clients []*client.Client
	for u := range strings.SplitSeq(*urls, ",") {
		c := client.New(strings.TrimSpace(u), *id, *secret)
		c.HTTP.Transport = rec
		if _, err := c.Lifecycle(ctx); err != nil { // fail fast, and warm up
			return fmt.Errorf("%s: %w", u, err)
		}
		clients = append(clients, c)
	}
	rec.Reset()
	fmt.Fprintf(stdout, "%d purchases at a time against %s for %s\n", *conc, *urls, *d)
	res := load.Run(ctx, clients, rec, *conc, *flows, *d)
	res.Print(stdout)
	if res.Flows == 0 {
		return errors.New("no purchase completed")
	}
	return nil
}
